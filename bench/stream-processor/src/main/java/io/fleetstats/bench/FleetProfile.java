package io.fleetstats.bench;

import static org.awaitility.Awaitility.await;

import io.fleetstats.local.EmbeddedKafka;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.StreamProcessor;
import io.fleetstats.stream.topology.TopologyFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * {@code profile=fleet} of {@link StreamBench}: a fleet-sized cluster's traffic through one stream
 * thread with exactly-once on a real in-JVM KRaft broker, roll-ups on and time per source (the
 * product's default). 10 000 pods in 20 clusters (100 apps, each with pods in every cluster), 10
 * series per pod (5 timers, 3 counters, 2 gauges; 100 000 live series), 10 samples per series per
 * 1-s flush (100 samples/s per pod), 40 s of event time: every series' 10-s windows close three
 * times. Roll-up rules {@code app:drop=pod_name,node} (20 000 roll-up series: app × cluster × name
 * × route) and {@code cluster:keep=cluster} (200: cluster × name).
 *
 * <p>Reports samples/s on the wall clock (RUNNING until the committed input offset reaches the
 * data's end), samples per stream-thread CPU-second, the state directory's bytes on disk after a
 * clean close, the changelog (and raw, repartition) topics' bytes on the broker, and two restarts
 * of the same application in the same JVM: with its state directory kept (checkpoints) and with it
 * deleted (everything restored from the changelogs), each timed from {@code start()} to RUNNING,
 * with the records restored.
 *
 * <p>Arguments: {@code pods} (10000), {@code series} (per pod, 10), {@code samples} (per series and
 * flush, 10), {@code seconds} (of event time, 40), {@code clusters} (20), {@code apps} (100),
 * {@code rounds} (1), {@code warmup} (pods of the untimed warm-up round over 20 s of event time,
 * 1000; 0 for none), {@code rollups} (the rules, default above; {@code none} for none), {@code
 * timeout} (seconds a run may take, 540), and as {@link StreamBench} {@code commit}, {@code
 * kafka.<property>}, {@code FLEETSTATS_<SETTING>}. With {@code instances=N[,N...]} (and {@code
 * partitions}, 4) it runs {@link ScaleOut} instead.
 */
final class FleetProfile {
  static final String DEFAULT_ROLLUPS = "app:drop=pod_name,node;cluster:keep=cluster";

  record Shape(int pods, int series, int samples, int seconds, int clusters, int apps) {
    long samplesTotal() {
      return (long) pods * series * samples * seconds;
    }
  }

  record Result(
      double seconds,
      double threadCpuSeconds,
      long samples,
      long stateDirBytes,
      Map<String, Long> topicBytes,
      double restartKeptSeconds,
      long restoredKept,
      double restartWipedSeconds,
      long restoredWiped,
      double restoringWipedSeconds) {}

  static void run(Map<String, String> opts, Map<String, String> kafka, Map<String, String> settings)
      throws Exception {
    Shape shape =
        new Shape(
            Integer.parseInt(opts.getOrDefault("pods", "10000")),
            Integer.parseInt(opts.getOrDefault("series", "10")),
            Integer.parseInt(opts.getOrDefault("samples", "10")),
            Integer.parseInt(opts.getOrDefault("seconds", "40")),
            Integer.parseInt(opts.getOrDefault("clusters", "20")),
            Integer.parseInt(opts.getOrDefault("apps", "100")));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "1"));
    int warmupPods = Integer.parseInt(opts.getOrDefault("warmup", "1000"));
    String rollups = opts.getOrDefault("rollups", DEFAULT_ROLLUPS);
    long commitMs =
        Long.parseLong(
            opts.getOrDefault(
                "commit", Long.toString(StreamConfig.COMMIT_INTERVAL.defaultValue().toMillis())));
    Duration timeout = Duration.ofSeconds(Long.parseLong(opts.getOrDefault("timeout", "540")));
    Map<String, String> env = new HashMap<>(settings);
    if (!rollups.equals("none")) {
      env.put(StreamConfig.ROLLUPS.key(), rollups);
    }
    System.out.printf(
        "fleet profile: %,d pods in %d clusters (%d apps), %d series per pod (%,d live series),"
            + " %d samples per series per 1-s flush, %d s of event time = %,d samples;"
            + " roll-ups %s; commit %d ms; settings %s; kafka %s%n",
        shape.pods(),
        shape.clusters(),
        shape.apps(),
        shape.series(),
        (long) shape.pods() * shape.series(),
        shape.samples(),
        shape.seconds(),
        shape.samplesTotal(),
        rollups,
        commitMs,
        settings,
        kafka);
    if (opts.containsKey("instances")) {
      ScaleOut.run(opts, shape, warmupPods, env, kafka, commitMs, timeout);
      return;
    }
    Path dir = Files.createTempDirectory("fleetstats-fleet-bench");
    List<Result> results = new ArrayList<>();
    for (int r = warmupPods > 0 ? 0 : 1; r <= rounds; r++) {
      Shape s =
          r == 0
              ? new Shape(
                  warmupPods, shape.series(), shape.samples(), 20, shape.clusters(), shape.apps())
              : shape;
      Result result = round(dir.resolve("r" + r), s, env, kafka, commitMs, timeout, "r" + r);
      System.err.println((r == 0 ? "warm-up round: " : "round " + r + ": ") + result);
      if (r > 0) {
        results.add(result);
      }
      org.apache.kafka.common.utils.Utils.delete(dir.resolve("r" + r).toFile());
    }
    print(shape, results);
    System.out.println(
        "restarts: the same application in the same JVM, closed leaving its consumer group;"
            + " timed from start() to RUNNING; restoring = first restore start to last restore end");
  }

  private static Result round(
      Path dir,
      Shape shape,
      Map<String, String> env,
      Map<String, String> kafka,
      long commitMs,
      Duration timeout,
      String id)
      throws Exception {
    try (EmbeddedKafka cluster = EmbeddedKafka.start(dir.resolve("broker"), 0)) {
      String bootstrap = cluster.bootstrapServers();
      Topics topics = Topics.withPrefix("fleet");
      long t = System.nanoTime();
      produce(bootstrap, topics, shape, 1);
      System.err.printf(
          "%s: produced %,d batches in %.1f s%n",
          id, (long) shape.pods() * shape.seconds(), (System.nanoTime() - t) / 1e9);
      Path state = dir.resolve("state");
      String appId = "fleet-bench-" + id;
      StreamConfig config =
          StreamBench.fleetstatsConfig(bootstrap, topics, state, appId, commitMs, kafka, env);
      Properties props = StreamProcessor.streamsProperties(config);
      TopicPartition tp = new TopicPartition(topics.rawStatsd().name(), 0);
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
        long dataEnd = end - shape.pods(); // one heartbeat per pod after the data
        KafkaStreams streams = new KafkaStreams(TopologyFactory.build(config, topics), props);
        awaitRunning(streams, appId);
        Thread thread = StreamBench.streamThread(appId);
        long cpu0 = StreamBench.THREADS.getThreadCpuTime(thread.getId());
        long t0 = System.nanoTime();
        await()
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(50))
            .atMost(timeout)
            .until(() -> committed(admin, appId, tp) >= dataEnd);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (StreamBench.THREADS.getThreadCpuTime(thread.getId()) - cpu0) / 1e9;
        // the heartbeats too, so that the restarts start from the end of the input
        await().atMost(Duration.ofSeconds(120)).until(() -> committed(admin, appId, tp) >= end);
        streams.close(LEAVE);
        long stateBytes = bytesUnder(state);
        Map<String, Long> topicBytes = topicBytes(admin);

        // restart with the state directory kept: checkpoints, little or nothing to restore
        Restores restored = new Restores();
        streams = new KafkaStreams(TopologyFactory.build(config, topics), props);
        streams.setGlobalStateRestoreListener(restored);
        long r0 = System.nanoTime();
        awaitRunning(streams, appId);
        double keptSeconds = (System.nanoTime() - r0) / 1e9;
        long keptRestored = restored.records.get();
        streams.close(LEAVE);

        // restart with the state directory deleted (a lost volume, a new pod): all from changelogs
        org.apache.kafka.common.utils.Utils.delete(state.toFile());
        restored = new Restores();
        streams = new KafkaStreams(TopologyFactory.build(config, topics), props);
        streams.setGlobalStateRestoreListener(restored);
        long w0 = System.nanoTime();
        awaitRunning(streams, appId);
        double wipedSeconds = (System.nanoTime() - w0) / 1e9;
        long wipedRestored = restored.records.get();
        double restoring = (restored.lastEnd - restored.firstStart) / 1e9;
        streams.close(Duration.ofSeconds(60));
        return new Result(
            seconds,
            cpu,
            shape.samplesTotal(),
            stateBytes,
            topicBytes,
            keptSeconds,
            keptRestored,
            wipedSeconds,
            wipedRestored,
            restoring);
      }
    }
  }

  static long committed(Admin admin, String appId, TopicPartition tp) throws Exception {
    OffsetAndMetadata o =
        admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get().get(tp);
    return o == null ? -1 : o.offset();
  }

  /**
   * Closes leaving the consumer group, so that the restart's rebalance need not wait for the old
   * member's session to time out (45 s; Kafka Streams stays in the group on an ordinary close).
   */
  private static final CloseOptions LEAVE =
      CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(Duration.ofSeconds(60));

  /** Records restored, and when restoration started first and ended last. */
  static final class Restores implements StateRestoreListener {
    final AtomicLong records = new AtomicLong();
    volatile long firstStart;
    volatile long lastEnd;

    @Override
    public synchronized void onRestoreStart(TopicPartition tp, String store, long start, long end) {
      if (firstStart == 0) {
        firstStart = System.nanoTime();
      }
    }

    @Override
    public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long n) {
      records.addAndGet(n);
    }

    @Override
    public void onRestoreEnd(TopicPartition tp, String store, long total) {
      lastEnd = System.nanoTime();
    }
  }

  static void awaitRunning(KafkaStreams streams, String appId) throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING) {
            running.countDown();
          }
        });
    streams.start();
    if (!running.await(300, TimeUnit.SECONDS)) {
      throw new IllegalStateException(appId + " did not reach RUNNING in 300 s");
    }
  }

  private static long bytesUnder(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .sum();
    }
  }

  /** Bytes on the broker's disk per topic (every partition), from the broker's log dirs. */
  private static Map<String, Long> topicBytes(Admin admin) throws Exception {
    List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
    Map<String, Long> bytes = new TreeMap<>();
    for (Map<String, LogDirDescription> dirs :
        admin.describeLogDirs(brokers).allDescriptions().get().values()) {
      for (LogDirDescription d : dirs.values()) {
        for (Map.Entry<TopicPartition, ReplicaInfo> e : d.replicaInfos().entrySet()) {
          bytes.merge(e.getKey().topic(), e.getValue().size(), Long::sum);
        }
      }
    }
    return bytes;
  }

  /**
   * Per second of event time one batch per pod, then one heartbeat per pod; pod {@code i} to
   * partition {@code i mod partitions} (an even split). Returns the data records (heartbeats not
   * counted) per partition.
   */
  static long[] produce(String bootstrap, Topics topics, Shape shape, int partitions)
      throws Exception {
    TopicSetup.ensure(
        Map.of("bootstrap.servers", bootstrap),
        topics,
        partitions,
        Optional.empty(),
        StreamBench.KEEP_FOREVER,
        Duration.ofSeconds(30));
    Random rnd = new Random(7);
    List<Source> pods = new ArrayList<>(shape.pods());
    for (int i = 0; i < shape.pods(); i++) {
      pods.add(pod(i, shape));
    }
    try (KafkaProducer<String, StatsdBatch> p =
        new KafkaProducer<>(
            StreamBench.producerProps(bootstrap),
            new StringSerializer(),
            topics.rawStatsd().valueSerde().serializer())) {
      String topic = topics.rawStatsd().name();
      long[] data = new long[partitions];
      for (int sec = 1; sec <= shape.seconds(); sec++) {
        long flushAt = StreamBench.T0 + sec * 1_000L;
        for (int i = 0; i < pods.size(); i++) {
          Source pod = pods.get(i);
          int part = i % partitions;
          data[part]++;
          p.send(
              new ProducerRecord<>(
                  topic, part, flushAt, Sources.id(pod), batch(pod, flushAt, rnd, shape)));
        }
      }
      long after = StreamBench.T0 + (shape.seconds() + 1) * 1_000L;
      for (int i = 0; i < pods.size(); i++) {
        Source pod = pods.get(i);
        p.send(
            new ProducerRecord<>(
                topic,
                i % partitions,
                after,
                Sources.id(pod),
                StatsdBatch.newBuilder().setSource(pod).setCreatedAt(after).build()));
      }
      p.flush();
      return data;
    }
  }

  /**
   * Pod {@code i}: cluster {@code i mod clusters}, app {@code (i / clusters) mod apps} (so every
   * app has pods in every cluster), 50 nodes per cluster.
   */
  static Source pod(int i, Shape shape) {
    String cluster = "cluster-" + (i % shape.clusters());
    String app = "app-" + ((i / shape.clusters()) % shape.apps());
    return Source.newBuilder()
        .setCluster(cluster)
        .setNamespace(app)
        .setNode(cluster + "-node-" + ((i / shape.clusters()) % 50))
        .setPod(app + "-" + i)
        .setContainer("app")
        .build();
  }

  /** Half timers, three in ten counters, the rest gauges; the same names in every app. */
  static StatsdBatch batch(Source pod, long flushAt, Random rnd, Shape shape) {
    List<Series> series = new ArrayList<>(shape.series());
    for (int s = 0; s < shape.series(); s++) {
      int tenth = s * 10 / shape.series();
      MetricType type =
          tenth < 5 ? MetricType.TIMER : tenth < 8 ? MetricType.COUNTER : MetricType.GAUGE;
      List<Double> values = new ArrayList<>(shape.samples());
      List<Long> received = new ArrayList<>(shape.samples());
      for (int i = 0; i < shape.samples(); i++) {
        received.add(flushAt - 1_000 + rnd.nextInt(1_000));
        if (type == MetricType.TIMER) {
          values.add(Math.rint(20 * Math.exp(rnd.nextGaussian()) * 1000) / 1000);
        } else {
          values.add((double) (1 + rnd.nextInt(10)));
        }
      }
      series.add(
          Series.newBuilder()
              .setName("http.server." + type.name().toLowerCase(java.util.Locale.ROOT) + s)
              .setType(type)
              .setTags(Map.of("route", "/api/r" + (s % 2)))
              .setValues(values)
              .setMembers(List.of())
              .setReceivedAt(received)
              .build());
    }
    return StatsdBatch.newBuilder().setSource(pod).setCreatedAt(flushAt).setSeries(series).build();
  }

  private static void print(Shape shape, List<Result> results) {
    System.out.println();
    System.out.println(
        "| round | samples | wall s | samples/s (1 stream thread) | series updates/s | stream-thread"
            + " CPU s | samples per stream-thread CPU-s | busy | state dir after run | changelogs"
            + " on broker | restart, state kept: s (records restored) | restart, state deleted:"
            + " s (records restored; restoring s) |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      long changelogs =
          r.topicBytes().entrySet().stream()
              .filter(e -> e.getKey().endsWith("-changelog"))
              .mapToLong(Map.Entry::getValue)
              .sum();
      System.out.printf(
          "| %d | %,d | %.1f | %,.0f | %,.0f | %.1f | %,.0f | %.0f %% | %.1f MiB | %.1f MiB |"
              + " %.1f (%,d) | %.1f (%,d; %.1f) |%n",
          i + 1,
          r.samples(),
          r.seconds(),
          r.samples() / r.seconds(),
          r.samples() / r.seconds() / shape.samples(),
          r.threadCpuSeconds(),
          r.samples() / r.threadCpuSeconds(),
          100 * r.threadCpuSeconds() / r.seconds(),
          r.stateDirBytes() / 1048576.0,
          changelogs / 1048576.0,
          r.restartKeptSeconds(),
          r.restoredKept(),
          r.restartWipedSeconds(),
          r.restoredWiped(),
          r.restoringWipedSeconds());
    }
    System.out.println();
    for (int i = 0; i < results.size(); i++) {
      StringBuilder b = new StringBuilder("round " + (i + 1) + ", topic bytes on the broker:");
      results.get(i).topicBytes().forEach((t, n) -> b.append(String.format(" %s %,d;", t, n)));
      System.out.println(b);
    }
  }

  private FleetProfile() {}
}
