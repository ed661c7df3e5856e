package io.fleetstats.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.aggregate.Windows;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Pieces of the end-to-end processor tests that run {@code StreamProcessorMain} as child JVMs on a
 * real broker: known traffic and what it must add up to ({@link Traffic}), the aggregates read back
 * with {@code read_committed} ({@link Reader}) and the comparison of both ({@link #wrong}).
 *
 * <p>Every pod sends {@code hits} (a counter, 1 per hit) and {@code latency} (a timer of integer
 * milliseconds, so sums are exact); the processor runs with the roll-up {@code
 * app:drop=pod_name,node}, so each cluster and namespace also has one roll-up of each.
 */
final class ProcessorHarness {
  static final long WINDOW_MS = 2_000;
  static final String ROLLUPS = "app:drop=pod_name,node";

  private ProcessorHarness() {}

  /** What one (series, window) must add up to, or what was read back for it. */
  static final class Totals {
    double count;
    double sum;

    void add(double count, double sum) {
      this.count += count;
      this.sum += sum;
    }
  }

  /** {@code n} pods in namespace {@code fitcycle}, round robin over the clusters and two nodes. */
  static List<Source> pods(int n, String... clusters) {
    List<Source> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pods.add(
          Source.newBuilder()
              .setCluster(clusters[i % clusters.length])
              .setNamespace("fitcycle")
              .setNode("node-" + (i % 2))
              .setPod("api-server-" + i)
              .setContainer("app")
              .build());
    }
    return pods;
  }

  /**
   * One batch per pod every {@code period}, stamped now, sent and acknowledged one by one; only
   * acknowledged batches are expected.
   */
  static final class Traffic implements AutoCloseable {
    private final KafkaProducer<String, StatsdBatch> producer;
    private final String topic;
    private final List<Source> pods;
    private final Map<String, Totals> expected = new TreeMap<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicLong batches = new AtomicLong();
    private final Random rnd = new Random(7);
    private final ScheduledExecutorService producing = Executors.newSingleThreadScheduledExecutor();

    Traffic(String bootstrap, Topics topics, List<Source> pods, Duration period) {
      this.producer =
          new KafkaProducer<>(
              Map.of(
                  ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  bootstrap,
                  ProducerConfig.ACKS_CONFIG,
                  "all",
                  ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                  true),
              topics.rawStatsd().keySerde().serializer(),
              topics.rawStatsd().valueSerde().serializer());
      this.topic = topics.rawStatsd().name();
      this.pods = List.copyOf(pods);
      producing.scheduleAtFixedRate(this::sendAll, 0, period.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void sendAll() {
      try {
        long now = System.currentTimeMillis();
        for (Source pod : pods) {
          int n = 1 + rnd.nextInt(20);
          double[] latencies = new double[n];
          double sum = 0;
          for (int k = 0; k < n; k++) {
            latencies[k] = 1 + rnd.nextInt(500); // integers: sums are exact
            sum += latencies[k];
          }
          producer
              .send(
                  new ProducerRecord<>(
                      topic, null, now, Sources.id(pod), batch(pod, now, n, latencies)))
              .get();
          batches.incrementAndGet();
          synchronized (expected) {
            long ws = Windows.start(now, WINDOW_MS);
            String base = Sources.id(pod) + "|";
            String rollup =
                "rollup/"
                    + pod.getCluster()
                    + "|%s|cluster="
                    + pod.getCluster()
                    + ",namespace="
                    + pod.getNamespace()
                    + ",rollup=app@"
                    + ws;
            add(base + "hits|counter|@" + ws, n, n);
            add(base + "latency|timing|@" + ws, n, sum);
            add(rollup.formatted("hits|counter"), n, n);
            add(rollup.formatted("latency|timing"), n, sum);
          }
        }
      } catch (Exception e) {
        failure.compareAndSet(null, e);
      }
    }

    private void add(String key, double count, double sum) {
      expected.computeIfAbsent(key, k -> new Totals()).add(count, sum);
    }

    long batches() {
      return batches.get();
    }

    /** Stops producing and returns what every (series, window) must add up to. */
    Map<String, Totals> stop() throws InterruptedException {
      producing.shutdown();
      assertThat(producing.awaitTermination(10, TimeUnit.SECONDS)).as("producer stopped").isTrue();
      assertThat(failure.get()).as("producer failure").isNull();
      synchronized (expected) {
        return new TreeMap<>(expected);
      }
    }

    @Override
    public void close() {
      producing.shutdownNow();
      producer.close(Duration.ofSeconds(5));
    }
  }

  /**
   * The aggregates topic read with {@code read_committed}. A (series, window) read again is a
   * duplicate unless it is marked as a correction (late samples added to an emitted window); the
   * last emission is the complete window, and the first plus the corrections' own fields must add
   * up to it as well (what a consumer that adds instead of overwrites sees).
   */
  static final class Reader implements AutoCloseable {
    private final KafkaConsumer<String, Aggregate> consumer;
    final Map<String, Aggregate> seen = new HashMap<>();
    final Map<String, Totals> added = new HashMap<>();
    final List<String> duplicates = new ArrayList<>();
    final List<String> corrected = new ArrayList<>();
    int corrections;

    Reader(String bootstrap, Topics topics, String group) {
      consumer = ItKafka.aggregateReader(bootstrap, topics, group);
    }

    /** Polls once; returns how many distinct (series, window) were seen so far. */
    int poll() {
      for (ConsumerRecord<String, Aggregate> r : consumer.poll(Duration.ofMillis(200))) {
        Aggregate a = r.value();
        String key = r.key() + "@" + a.getWindowStart();
        Aggregate before = seen.put(key, a);
        if (before == null) {
          added
              .computeIfAbsent(key, k -> new Totals())
              .add(count(a, a.getFields()), sum(a, a.getFields()));
        } else if (a.getCorrection() != null) {
          corrections++;
          corrected.add(key);
          Map<String, Double> f = a.getCorrection().getFields();
          added.get(key).add(count(a, f), sum(a, f));
        } else {
          duplicates.add(key);
        }
      }
      return seen.size();
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** A counter's count is not emitted: its value is the number of hits here. */
  private static double count(Aggregate a, Map<String, Double> fields) {
    return a.getMetricType().equals("counter") ? fields.get("value") : fields.get("count");
  }

  private static double sum(Aggregate a, Map<String, Double> fields) {
    return a.getMetricType().equals("counter") ? fields.get("value") : fields.get("sum");
  }

  /**
   * Every expected (series, window) whose last emission, or first emission plus corrections, does
   * not add up to what was produced; empty when all are exact.
   */
  static List<String> wrong(Map<String, Totals> expected, Reader reader) {
    List<String> wrong = new ArrayList<>();
    for (Map.Entry<String, Totals> e : expected.entrySet()) {
      Aggregate a = reader.seen.get(e.getKey());
      Totals want = e.getValue();
      if (a == null) {
        wrong.add(e.getKey() + ": missing");
        continue;
      }
      double count = count(a, a.getFields());
      double sum = sum(a, a.getFields());
      Totals added = reader.added.get(e.getKey());
      if (count != want.count
          || sum != want.sum
          || added.count != want.count
          || added.sum != want.sum) {
        wrong.add(
            "%s: count %s sum %s (first + corrections %s / %s), expected %s / %s"
                .formatted(e.getKey(), count, sum, added.count, added.sum, want.count, want.sum));
      }
    }
    return wrong;
  }

  /** The first and last window start among the keys, for failure messages. */
  static String windowRange(Map<String, Totals> expected) {
    List<Long> ws =
        expected.keySet().stream()
            .map(k -> Long.parseLong(k.substring(k.lastIndexOf('@') + 1)))
            .sorted()
            .toList();
    return ws.isEmpty() ? "no windows" : "windows " + ws.get(0) + " .. " + ws.get(ws.size() - 1);
  }

  /**
   * The processor as a separate JVM on the test classpath, configured by env only: 2-s windows, 1-s
   * grace, the {@link #ROLLUPS} roll-up, admin on an ephemeral loopback port, and Kafka timeouts
   * short enough that a killed member is noticed and its transaction aborted within seconds. {@code
   * extraEnv} is added last.
   */
  static Process startChild(
      String bootstrap, String applicationId, Path stateDir, File log, Map<String, String> extraEnv)
      throws Exception {
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
    env.put(StreamConfig.BOOTSTRAP.key(), bootstrap);
    env.put(StreamConfig.APPLICATION_ID.key(), applicationId);
    env.put(StreamConfig.WINDOW.key(), "2s");
    env.put(StreamConfig.GRACE.key(), "1s");
    env.put(StreamConfig.STATE_DIR.key(), stateDir.toString());
    env.put(StreamConfig.ROLLUPS.key(), ROLLUPS);
    env.put(StreamConfig.CREATE_TOPICS.key(), "false");
    env.put(StreamConfig.ADMIN_ADDRESS.key(), "127.0.0.1:0");
    // a killed member leaves no goodbye: let the broker notice within seconds, not 45 s
    env.put("FLEETSTATS_KAFKA_SESSION_TIMEOUT_MS", "2000");
    env.put("FLEETSTATS_KAFKA_HEARTBEAT_INTERVAL_MS", "500");
    // its open transaction is aborted by the coordinator after this
    env.put("FLEETSTATS_KAFKA_TRANSACTION_TIMEOUT_MS", "3000");
    env.putAll(extraEnv);
    pb.redirectErrorStream(true).redirectOutput(log);
    Process p = pb.start();
    assertThat(p.isAlive()).as("started; log in " + log).isTrue();
    Files.createDirectories(stateDir);
    return p;
  }

  static StatsdBatch batch(Source pod, long at, int hits, double[] latencies) {
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
}
