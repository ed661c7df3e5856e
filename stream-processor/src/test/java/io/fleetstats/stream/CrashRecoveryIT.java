package io.fleetstats.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.aggregate.Windows;
import io.fleetstats.testing.TestKafka;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Must-show crash test on a real KRaft broker: the processor runs in a child JVM ({@code
 * StreamProcessorMain}, as in production) and is killed with SIGKILL ({@link
 * Process#destroyForcibly()}: no shutdown hook, no clean close) five times while a known stream is
 * produced, each time after it has made progress, i.e. in the middle of open windows and
 * transactions. The final per-source and roll-up aggregates, read with {@code read_committed}, must
 * equal the ones computed from what was produced: nothing lost, nothing counted twice, no window
 * emitted twice.
 */
class CrashRecoveryIT {
  private static final int KILLS = 5;
  private static final long WINDOW = 2_000;
  private static final int PARTITIONS = 3;

  private static KafkaClusterTestKit cluster;
  @TempDir static Path brokerDir;
  @TempDir Path stateDir;
  @TempDir Path logDir;
  private Process child;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster =
        TestKafka.start(
            TestKafka.builder(true, brokerDir)
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.num.partitions", "1")
                .setConfigProp("group.min.session.timeout.ms", "2000")
                .setConfigProp("log.cleaner.dedupe.buffer.size", "2097152"));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void killChild() {
    if (child != null) {
      child.destroyForcibly();
    }
  }

  /** What one (series, window) must add up to. */
  private static final class Expected {
    double count;
    double sum;
  }

  @Test
  void fiveKillsMidWindowLoseNothingAndCountNothingTwice() throws Exception {
    Topics topics = Topics.defaults();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        PARTITIONS,
        Optional.empty(),
        Duration.ofHours(1),
        Duration.ofSeconds(30));

    // six pods in one cluster on two nodes, spread over the partitions by their ids
    List<Source> pods = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      pods.add(
          Source.newBuilder()
              .setCluster("prod")
              .setNamespace("fitcycle")
              .setNode("node-" + (i % 2))
              .setPod("api-server-" + i)
              .setContainer("app")
              .build());
    }
    Map<String, Expected> expected = new TreeMap<>();
    AtomicReference<Throwable> producerFailure = new AtomicReference<>();
    Random rnd = new Random(7);
    ScheduledExecutorService producing = Executors.newSingleThreadScheduledExecutor();
    Map<String, Aggregate> seen = new HashMap<>();
    List<String> duplicates = new ArrayList<>();
    try (KafkaProducer<String, StatsdBatch> producer = producer(topics);
        KafkaConsumer<String, Aggregate> consumer = consumer(topics)) {
      producing.scheduleAtFixedRate(
          () -> {
            try {
              long now = System.currentTimeMillis();
              for (Source pod : pods) {
                int n = 1 + rnd.nextInt(20);
                double[] latencies = new double[n];
                for (int k = 0; k < n; k++) {
                  latencies[k] = 1 + rnd.nextInt(500); // integers: sums are exact
                }
                StatsdBatch b = batch(pod, now, n, latencies);
                producer
                    .send(
                        new ProducerRecord<>(
                            topics.rawStatsd().name(), null, now, Sources.id(pod), b))
                    .get();
                // only acknowledged batches are expected
                synchronized (expected) {
                  long ws = Windows.start(now, WINDOW);
                  String base = Sources.id(pod) + "|";
                  add(expected, base + "hits|counter|@" + ws, n, n);
                  double sum = 0;
                  for (double l : latencies) {
                    sum += l;
                  }
                  add(expected, base + "latency|timing|@" + ws, n, sum);
                  add(
                      expected,
                      "rollup/prod|hits|counter|cluster=prod,namespace=fitcycle,rollup=app@" + ws,
                      n,
                      n);
                  add(
                      expected,
                      "rollup/prod|latency|timing|cluster=prod,namespace=fitcycle,rollup=app@" + ws,
                      n,
                      sum);
                }
              }
            } catch (Exception e) {
              producerFailure.compareAndSet(null, e);
            }
          },
          0,
          100,
          TimeUnit.MILLISECONDS);

      for (int kill = 1; kill <= KILLS; kill++) {
        child = startChild(kill);
        int before = seen.size();
        // progress under this incarnation: new windows emitted, so it is mid-stream when killed
        await()
            .atMost(Duration.ofSeconds(90))
            .until(
                () -> {
                  poll(consumer, seen, duplicates);
                  return seen.size() > before;
                });
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertThat(child.exitValue()).as("killed, not exited").isEqualTo(137);
      }
      // the last incarnation: keeps running while production stops, then closes every window
      child = startChild(KILLS + 1);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                poll(consumer, seen, duplicates);
                return seen.size() > 0;
              });
      producing.shutdown();
      assertThat(producing.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      assertThat(producerFailure.get()).isNull();
      int windows;
      synchronized (expected) {
        windows = expected.size();
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                poll(consumer, seen, duplicates);
                return seen.size() >= windows;
              });
      // anything emitted twice would arrive now, right after the last windows
      await()
          .pollDelay(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                poll(consumer, seen, duplicates);
                return true;
              });
    } finally {
      producing.shutdownNow();
    }

    assertThat(duplicates).as("windows emitted twice").isEmpty();
    assertThat(seen.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Expected> e : expected.entrySet()) {
      Aggregate a = seen.get(e.getKey());
      double count =
          a.getMetricType().equals("counter") ? e.getValue().count : a.getFields().get("count");
      double sum =
          a.getMetricType().equals("counter")
              ? a.getFields().get("value")
              : a.getFields().get("sum");
      if (count != e.getValue().count || sum != e.getValue().sum) {
        wrong.add(
            e.getKey()
                + ": count "
                + count
                + " sum "
                + sum
                + ", expected "
                + e.getValue().count
                + " / "
                + e.getValue().sum);
      }
    }
    List<Long> windows =
        expected.keySet().stream()
            .map(k -> Long.parseLong(k.substring(k.lastIndexOf('@') + 1)))
            .distinct()
            .sorted()
            .toList();
    assertThat(wrong)
        .as("windows " + windows.get(0) + " .. " + windows.get(windows.size() - 1))
        .isEmpty();
    System.out.printf(
        "crash test: %d kills, %d series-windows (%d roll-up) exact, 0 duplicates%n",
        KILLS,
        expected.size(),
        expected.keySet().stream().filter(k -> k.startsWith("rollup/")).count());
  }

  private static void add(Map<String, Expected> m, String key, double count, double sum) {
    Expected e = m.computeIfAbsent(key, k -> new Expected());
    e.count += count;
    e.sum += sum;
  }

  private static void poll(
      KafkaConsumer<String, Aggregate> consumer,
      Map<String, Aggregate> seen,
      List<String> duplicates) {
    for (ConsumerRecord<String, Aggregate> r : consumer.poll(Duration.ofMillis(200))) {
      String key = r.key() + "@" + r.value().getWindowStart();
      if (seen.put(key, r.value()) != null) {
        duplicates.add(key);
      }
    }
  }

  /** The processor as a separate JVM on the test classpath, configured by env only. */
  private Process startChild(int incarnation) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            "-cp",
            System.getProperty("java.class.path"),
            StreamProcessorMain.class.getName());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("FLEETSTATS_"));
    env.put(StreamConfig.BOOTSTRAP.key(), cluster.bootstrapServers());
    env.put(StreamConfig.APPLICATION_ID.key(), "fleetstats-crash-it");
    env.put(StreamConfig.WINDOW.key(), "2s");
    env.put(StreamConfig.GRACE.key(), "1s");
    env.put(StreamConfig.STATE_DIR.key(), stateDir.toString());
    env.put(StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node");
    env.put(StreamConfig.CREATE_TOPICS.key(), "false");
    env.put(StreamConfig.ADMIN_ADDRESS.key(), "127.0.0.1:0");
    // a killed member leaves no goodbye: let the broker notice within seconds, not 45 s
    env.put("FLEETSTATS_KAFKA_SESSION_TIMEOUT_MS", "2000");
    env.put("FLEETSTATS_KAFKA_HEARTBEAT_INTERVAL_MS", "500");
    // its open transaction is aborted by the coordinator after this
    env.put("FLEETSTATS_KAFKA_TRANSACTION_TIMEOUT_MS", "3000");
    File log = logDir.resolve("processor-" + incarnation + ".log").toFile();
    pb.redirectErrorStream(true).redirectOutput(log);
    Process p = pb.start();
    assertThat(p.isAlive()).as("started; log in " + log).isTrue();
    Files.createDirectories(stateDir);
    return p;
  }

  private static StatsdBatch batch(Source pod, long at, int hits, double[] latencies) {
    List<Double> ones = new ArrayList<>(Collections.nCopies(hits, 1.0));
    List<Double> lat = new ArrayList<>();
    for (double l : latencies) {
      lat.add(l);
    }
    return StatsdBatch.newBuilder()
        .setSource(pod)
        .setCreatedAt(at)
        .setSeries(
            List.of(
                Series.newBuilder()
                    .setName("hits")
                    .setType(MetricType.COUNTER)
                    .setValues(ones)
                    .setReceivedAt(new ArrayList<>(Collections.nCopies(hits, at)))
                    .build(),
                Series.newBuilder()
                    .setName("latency")
                    .setType(MetricType.TIMER)
                    .setValues(lat)
                    .setReceivedAt(new ArrayList<>(Collections.nCopies(lat.size(), at)))
                    .build()))
        .build();
  }

  private static KafkaProducer<String, StatsdBatch> producer(Topics topics) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            cluster.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true),
        topics.rawStatsd().keySerde().serializer(),
        topics.rawStatsd().valueSerde().serializer());
  }

  private static KafkaConsumer<String, Aggregate> consumer(Topics topics) {
    KafkaConsumer<String, Aggregate> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "crash-it-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
            topics.aggregates().keySerde().deserializer(),
            topics.aggregates().valueSerde().deserializer());
    consumer.subscribe(List.of(topics.aggregates().name()));
    return consumer;
  }
}
