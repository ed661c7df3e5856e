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
import io.fleetstats.stream.aggregate.SeriesWindow;
import io.fleetstats.stream.aggregate.Windows;
import io.fleetstats.stream.topology.TopologyFactory;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.DoubleSerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.WindowStore;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Load harness (not a test): raw samples per second through one Kafka Streams thread with
 * exactly-once on a real in-JVM KRaft broker, for the Fleetstats topology (per-series work per
 * batch) and, in the same run on the same broker, a naive per-sample DSL windowed aggregate ({@code
 * groupByKey().windowedBy(TimeWindows).aggregate(count, sum, min, max)} over one record per
 * sample). Input is produced before each timed run; the clock runs from Kafka Streams reaching
 * RUNNING until the application's committed offset reaches the input's end. Every contender runs
 * with the product's Streams and Kafka client settings ({@link StreamProcessor#streamsProperties}).
 * Each round runs on a fresh broker; a first round, not reported, warms the JIT up.
 *
 * <p>Batches look like an edge agent's: one source (pod) each, 100 series × 50 samples (50 timers,
 * 30 counters, 15 gauges, 5 sets), receive times spread over the flush second; 20 pods flushing
 * once a second of event time, so windows (10 s) open and close during the run.
 */
public final class StreamBench {
  private static final int SERIES = 100;
  private static final int SAMPLES_PER_SERIES = 50;

  /** Samples per series and batch of this run's input ({@code samples=}). */
  private static int samplesPerSeries = SAMPLES_PER_SERIES;

  private static final int PODS = 20;
  private static final int TAIL = 100;

  /**
   * The input's event time: fixed, so that every run sees the same data, and years old. The input
   * topics therefore keep their records forever ({@code retention.ms=-1}): with a time-based
   * retention the broker's first retention check (30 s after it starts) deleted every segment of an
   * input that had not been read by then, and the run waited for records that were gone.
   */
  static final long T0 = 1_700_000_000_000L;

  static final Duration KEEP_FOREVER = Duration.ofMillis(-1);

  /** One timed run: wall seconds, samples per wall second, stream-thread CPU seconds. */
  record Run(double seconds, double samplesPerSecond, double threadCpuSeconds, long samples) {
    double samplesPerCpuSecond() {
      return samples / threadCpuSeconds;
    }
  }

  /**
   * Arguments {@code key=value}: {@code batches} (4000, i.e. 20 M samples), {@code naive} (naive
   * records, 3 000 000: both run for several seconds, so that the fixed costs of a run, its first
   * transaction and the wait for its last commit, weigh little; with twice as much the broker
   * stalled the second application of a round), {@code rounds} (3), {@code commit} (commit interval
   * in ms for every contender, or several separated by commas, each a table of its own; default the
   * product's {@code FLEETSTATS_COMMIT_INTERVAL} default), {@code only} (contenders, default {@code
   * ours,rollups,naive}), {@code samples} (per series and batch of ours, 50: 5 000 samples per pod
   * and second; the work is per series per batch, so fewer samples cost more per sample), {@code
   * kafka.<property>} (a Kafka client property for every contender, e.g. {@code
   * kafka.producer.batch.size=65536}; repeatable), {@code FLEETSTATS_<SETTING>} (a setting of the
   * Fleetstats contenders, as its environment variable, e.g. {@code
   * FLEETSTATS_ALLOWED_LATENESS=0s}; repeatable).
   */
  public static void main(String[] args) {
    try {
      bench(args);
    } catch (Throwable e) {
      org.slf4j.LoggerFactory.getLogger(StreamBench.class)
          .error("stream-processor bench failed", e);
      // Kafka's and Streams' threads are not daemons: end the JVM, and so release the bench lock
      System.exit(1);
    }
    System.exit(0);
  }

  private static void bench(String[] args) throws Exception {
    Map<String, String> opts = new java.util.HashMap<>();
    Map<String, String> kafka = new java.util.TreeMap<>();
    Map<String, String> settings = new java.util.TreeMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException(
            "arguments are key=value (batches, naive, rounds, commit, only, samples,"
                + " kafka.<client property>, FLEETSTATS_<setting>): "
                + a);
      }
      if (a.startsWith("FLEETSTATS_")) {
        settings.put(a.substring(0, eq), a.substring(eq + 1));
      } else if (a.startsWith("kafka.")) {
        kafka.put(a.substring("kafka.".length(), eq), a.substring(eq + 1));
      } else {
        opts.put(a.substring(0, eq), a.substring(eq + 1));
      }
    }
    if (opts.containsKey("profile")) {
      if (!opts.get("profile").equals("fleet")) {
        throw new IllegalArgumentException(
            "profile=" + opts.get("profile") + ": the only profile is fleet (see FleetProfile)");
      }
      FleetProfile.run(opts, kafka, settings);
      return;
    }
    int batches = Integer.parseInt(opts.getOrDefault("batches", "4000"));
    int naiveRecords = Integer.parseInt(opts.getOrDefault("naive", "3000000"));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
    samplesPerSeries =
        Integer.parseInt(opts.getOrDefault("samples", Integer.toString(SAMPLES_PER_SERIES)));
    String defaultCommit = Long.toString(StreamConfig.COMMIT_INTERVAL.defaultValue().toMillis());
    List<Long> commits =
        java.util.Arrays.stream(opts.getOrDefault("commit", defaultCommit).split(","))
            .map(Long::parseLong)
            .toList();
    String only = opts.getOrDefault("only", "ours,rollups,naive");
    Path dir = Files.createTempDirectory("fleetstats-bench");
    long samples = (long) batches * SERIES * samplesPerSeries;
    System.out.println(
        "input: "
            + batches
            + " batches of "
            + SERIES
            + " series × "
            + samplesPerSeries
            + " samples = "
            + samples
            + " samples");
    if (!settings.isEmpty()) {
      System.out.println("Fleetstats settings of ours and roll-ups: " + settings);
    }
    if (!kafka.isEmpty()) {
      System.out.println("Kafka client properties for every contender: " + kafka);
    }
    boolean warm = false;
    for (long commitMs : commits) {
      Map<String, List<Run>> results = new java.util.LinkedHashMap<>();
      // round 0, once per process, is the warm-up of the JIT: every contender over its full input,
      // not reported (a short warm-up left C2 compiling during the first timed runs)
      for (int r = warm ? 1 : 0; r <= rounds; r++) {
        String run = "c" + commitMs + "-" + r;
        // a fresh broker per round: every round starts from the same empty broker
        try (EmbeddedKafka cluster = EmbeddedKafka.start(dir.resolve("broker-" + run), 0)) {
          String bootstrap = cluster.bootstrapServers();
          Topics topics = Topics.withPrefix("bench");
          Topics rolled = Topics.withPrefix("benchr");
          if (only.contains("ours")) {
            produceBatches(bootstrap, topics, batches, 2);
          }
          if (only.contains("rollups")) {
            produceBatches(bootstrap, rolled, batches, 2);
          }
          if (only.contains("naive")) {
            produceNaive(bootstrap, "bench.naive.samples", naiveRecords);
          }
          Map<String, List<Run>> into = r == 0 ? new java.util.HashMap<>() : results;
          if (only.contains("ours")) {
            into.computeIfAbsent(OURS, k -> new ArrayList<>())
                .add(
                    retried(
                        OURS,
                        id ->
                            runFleetstats(
                                bootstrap,
                                topics,
                                dir.resolve("ours-" + id),
                                "bench-fleetstats-" + id,
                                samples,
                                commitMs,
                                kafka,
                                settings),
                        run));
          }
          if (only.contains("rollups")) {
            into.computeIfAbsent(ROLLUPS, k -> new ArrayList<>())
                .add(
                    retried(
                        ROLLUPS,
                        id ->
                            runFleetstats(
                                bootstrap,
                                rolled,
                                dir.resolve("rollups-" + id),
                                "bench-fleetstats-rollups-" + id,
                                samples,
                                commitMs,
                                kafka,
                                with(
                                    settings,
                                    StreamConfig.ROLLUPS.key(),
                                    "app:drop=pod_name,node")),
                        run));
          }
          if (only.contains("naive")) {
            into.computeIfAbsent(NAIVE, k -> new ArrayList<>())
                .add(
                    retried(
                        NAIVE,
                        id ->
                            runNaive(
                                bootstrap,
                                "bench.naive.samples",
                                dir.resolve("naive-" + id),
                                "bench-naive-" + id,
                                naiveRecords,
                                commitMs,
                                kafka),
                        run));
          }
          System.err.println(
              (r == 0 ? "warm-up round " : "round ") + run + ": " + (r == 0 ? into : results));
        }
        org.apache.kafka.common.utils.Utils.delete(dir.toFile());
        Files.createDirectories(dir);
      }
      warm = true;
      print(results, rounds, commitMs);
      System.out.println();
    }
  }

  private static Map<String, String> with(Map<String, String> map, String key, String value) {
    Map<String, String> out = new java.util.HashMap<>(map);
    out.put(key, value);
    return out;
  }

  /** A timed run that did not reach the end of its input within 60 s. */
  static final class Stalled extends Exception {
    Stalled(String message) {
      super(message);
    }
  }

  interface Attempt {
    Run run(String id) throws Exception;
  }

  /** Contender → runs that stalled and were run again under a new application id. */
  private static final Map<String, Integer> STALLS = new java.util.LinkedHashMap<>();

  /**
   * Runs {@code attempt}; a stalled run (none since the input is kept forever, see {@link #T0}) is
   * counted and run again under a new application id, at most twice.
   */
  private static Run retried(String what, Attempt attempt, String id) throws Exception {
    for (int i = 0; ; i++) {
      try {
        return attempt.run(i == 0 ? id : id + "-again" + i);
      } catch (Stalled e) {
        STALLS.merge(what, 1, Integer::sum);
        System.err.println("stalled, running again: " + e.getMessage());
        if (i == 2) {
          throw e;
        }
      }
    }
  }

  private static final String OURS = "Fleetstats topology (per-series work per batch), no roll-ups";
  private static final String ROLLUPS =
      "Fleetstats topology + roll-up rule `app:drop=pod_name,node`";
  private static final String NAIVE =
      "naive DSL: one record per sample, windowed aggregate (count/sum/min/max)";

  private static void print(Map<String, List<Run>> results, int rounds, long commitMs) {
    System.out.printf(
        "| topology (1 stream thread, exactly_once_v2, commit %d ms) | samples | samples/s (median of %d) | min-max | samples per stream-thread CPU-s (median) | stream thread busy |%n",
        commitMs, rounds);
    System.out.println("|---|---:|---:|---:|---:|---:|");
    Map<String, Double> medians = new java.util.HashMap<>();
    results.forEach(
        (what, runs) -> {
          double[] wall = runs.stream().mapToDouble(Run::samplesPerSecond).sorted().toArray();
          double[] cpu = runs.stream().mapToDouble(Run::samplesPerCpuSecond).sorted().toArray();
          double[] busy =
              runs.stream().mapToDouble(x -> x.threadCpuSeconds() / x.seconds()).sorted().toArray();
          medians.put(what, median(wall));
          System.out.printf(
              "| %s | %,d | %,.0f | %,.0f-%,.0f | %,.0f | %.0f %% |%n",
              what,
              runs.get(0).samples(),
              median(wall),
              wall[0],
              wall[wall.length - 1],
              median(cpu),
              100 * median(busy));
        });
    System.out.println();
    System.out.println("per round (samples/s wall; stream-thread CPU s / wall s):");
    results.forEach(
        (what, runs) -> {
          StringBuilder b = new StringBuilder("- " + what + ":");
          for (Run x : runs) {
            b.append(
                String.format(
                    " %,.0f (%.2f/%.2f)", x.samplesPerSecond(), x.threadCpuSeconds(), x.seconds()));
          }
          System.out.println(b);
        });
    if (!STALLS.isEmpty()) {
      System.out.println("stalled and run again (not in the figures): " + STALLS);
      STALLS.clear();
    }
    if (medians.containsKey(NAIVE)) {
      System.out.printf(
          "%nspeed-up vs naive (medians): %.1fx (no roll-ups), %.1fx (with roll-ups)%n",
          medians.getOrDefault(OURS, Double.NaN) / medians.get(NAIVE),
          medians.getOrDefault(ROLLUPS, Double.NaN) / medians.get(NAIVE));
    }
  }

  private static double median(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }

  /** One partition: one task, one thread. */
  private static void produceBatches(String bootstrap, Topics topics, int batches, long seed)
      throws Exception {
    TopicSetup.ensure(
        Map.of("bootstrap.servers", bootstrap),
        topics,
        1,
        Optional.empty(),
        KEEP_FOREVER,
        Duration.ofSeconds(30));
    Random rnd = new Random(seed);
    long t0 = T0;
    try (KafkaProducer<String, StatsdBatch> p =
        new KafkaProducer<>(
            producerProps(bootstrap),
            new StringSerializer(),
            topics.rawStatsd().valueSerde().serializer())) {
      for (int b = 0; b < batches; b++) {
        Source pod = pod(b % PODS);
        long flushAt = t0 + (b / PODS) * 1_000L;
        StatsdBatch batch = batch(pod, flushAt, rnd, samplesPerSeries);
        p.send(new ProducerRecord<>(topics.rawStatsd().name(), 0, flushAt, Sources.id(pod), batch));
      }
      // heartbeats after the data: the run is timed until the data is consumed (the last few
      // records of a partition were not always handed to the Streams consumer on this broker)
      long after = t0 + (batches / PODS + 1) * 1_000L;
      for (int i = 0; i < TAIL; i++) {
        Source pod = pod(i % PODS);
        p.send(
            new ProducerRecord<>(
                topics.rawStatsd().name(),
                0,
                after,
                Sources.id(pod),
                StatsdBatch.newBuilder().setSource(pod).setCreatedAt(after).build()));
      }
      p.flush();
    }
  }

  /** The same shape of traffic as one record per sample, keyed by series id. */
  private static void produceNaive(String bootstrap, String topic, int records) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin
          .createTopics(
              List.of(
                  new NewTopic(topic, 1, (short) 1)
                      .configs(
                          Map.of(
                              TopicConfig.RETENTION_MS_CONFIG,
                              Long.toString(KEEP_FOREVER.toMillis())))))
          .all()
          .get();
    }
    Random rnd = new Random(3);
    long t0 = T0;
    try (KafkaProducer<String, Double> p =
        new KafkaProducer<>(
            producerProps(bootstrap), new StringSerializer(), new DoubleSerializer())) {
      int sent = 0;
      for (int b = 0; sent < records; b++) {
        Source pod = pod(b % PODS);
        long flushAt = t0 + (b / PODS) * 1_000L;
        for (Series s : batch(pod, flushAt, rnd).getSeries()) {
          String id = SeriesWindow.id(pod, s);
          int n = Windows.sampleCount(s);
          for (int i = 0; i < n && sent < records; i++, sent++) {
            double v =
                s.getType() == MetricType.SET
                    ? s.getMembers().get(i).hashCode()
                    : s.getValues().get(i);
            p.send(new ProducerRecord<>(topic, 0, s.getReceivedAt().get(i), id, v));
          }
        }
      }
      for (int i = 0; i < TAIL; i++) {
        p.send(new ProducerRecord<>(topic, 0, t0 + 3_600_000L, "tail", 0.0));
      }
      p.flush();
    }
  }

  static Map<String, Object> producerProps(String bootstrap) {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
        bootstrap,
        ProducerConfig.LINGER_MS_CONFIG,
        20,
        ProducerConfig.BATCH_SIZE_CONFIG,
        256 * 1024,
        ProducerConfig.ACKS_CONFIG,
        "all");
  }

  static Source pod(int i) {
    return Source.newBuilder()
        .setCluster("prod")
        .setNamespace("fitcycle")
        .setNode("node-" + (i % 4))
        .setPod("api-server-" + i)
        .setContainer("app")
        .build();
  }

  static StatsdBatch batch(Source pod, long flushAt, Random rnd) {
    return batch(pod, flushAt, rnd, SAMPLES_PER_SERIES);
  }

  /** A batch of the same 100 series with {@code samplesPerSeries} samples each. */
  static StatsdBatch batch(Source pod, long flushAt, Random rnd, int samplesPerSeries) {
    List<Series> series = new ArrayList<>(SERIES);
    for (int s = 0; s < SERIES; s++) {
      MetricType type =
          s < 50
              ? MetricType.TIMER
              : s < 80 ? MetricType.COUNTER : s < 95 ? MetricType.GAUGE : MetricType.SET;
      List<Double> values = new ArrayList<>(samplesPerSeries);
      List<String> members = new ArrayList<>();
      List<Long> received = new ArrayList<>(samplesPerSeries);
      for (int i = 0; i < samplesPerSeries; i++) {
        received.add(flushAt - 1_000 + rnd.nextInt(1_000));
        if (type == MetricType.SET) {
          members.add("user-" + rnd.nextInt(500));
        } else if (type == MetricType.TIMER) {
          values.add(Math.rint(20 * Math.exp(rnd.nextGaussian()) * 1000) / 1000);
        } else {
          values.add((double) (1 + rnd.nextInt(10)));
        }
      }
      series.add(
          Series.newBuilder()
              .setName("fitcycle-api-server.metric" + s)
              .setType(type)
              .setTags(Map.of("route", "/api/r" + (s % 5)))
              .setValues(type == MetricType.SET ? List.of() : values)
              .setMembers(members)
              .setReceivedAt(received)
              .build());
    }
    return StatsdBatch.newBuilder().setSource(pod).setCreatedAt(flushAt).setSeries(series).build();
  }

  private static Run runFleetstats(
      String bootstrap,
      Topics topics,
      Path state,
      String appId,
      long samples,
      long commitMs,
      Map<String, String> kafka,
      Map<String, String> extra)
      throws Exception {
    StreamConfig config = fleetstatsConfig(bootstrap, topics, state, appId, commitMs, kafka, extra);
    return timed(
        bootstrap,
        TopologyFactory.build(config, topics),
        StreamProcessor.streamsProperties(config),
        appId,
        topics.rawStatsd().name(),
        samples);
  }

  /**
   * The product's config for a bench run: {@code kafka} as {@code FLEETSTATS_KAFKA_<PROPERTY>} (how
   * an operator passes Kafka client properties).
   */
  static StreamConfig fleetstatsConfig(
      String bootstrap,
      Topics topics,
      Path state,
      String appId,
      long commitMs,
      Map<String, String> kafka,
      Map<String, String> extra) {
    Map<String, String> env = new java.util.HashMap<>(extra);
    kafka.forEach(
        (k, v) ->
            env.put(
                "FLEETSTATS_KAFKA_" + k.toUpperCase(java.util.Locale.ROOT).replace('.', '_'), v));
    env.put(StreamConfig.BOOTSTRAP.key(), bootstrap);
    env.put(StreamConfig.APPLICATION_ID.key(), appId);
    env.put(StreamConfig.TOPIC_PREFIX.key(), topics.rawStatsd().name().replace(".raw.statsd", ""));
    env.put(StreamConfig.STATE_DIR.key(), state.toString());
    env.put(StreamConfig.PERCENTILES.key(), "50,90,99");
    env.put(StreamConfig.CREATE_TOPICS.key(), "false");
    env.put(StreamConfig.COMMIT_INTERVAL.key(), commitMs + "ms");
    // the input is old event time: idle close by wall clock must not interfere
    env.put(StreamConfig.WALL_CLOCK_CLOSE.key(), "false");
    return StreamConfig.fromEnv(env);
  }

  private static Run runNaive(
      String bootstrap,
      String topic,
      Path state,
      String appId,
      long records,
      long commitMs,
      Map<String, String> kafka)
      throws Exception {
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(topic, Consumed.with(Serdes.String(), Serdes.Double()).withName("naive-source"))
        .groupByKey(Grouped.with("naive-group", Serdes.String(), Serdes.Double()))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), Duration.ofSeconds(5)))
        .aggregate(
            () -> new byte[32],
            (k, v, agg) -> {
              ByteBuffer b = ByteBuffer.wrap(agg);
              double count = b.getDouble(0);
              double min = count == 0 ? v : Math.min(b.getDouble(16), v);
              double max = count == 0 ? v : Math.max(b.getDouble(24), v);
              return ByteBuffer.allocate(32)
                  .putDouble(count + 1)
                  .putDouble(b.getDouble(8) + v)
                  .putDouble(min)
                  .putDouble(max)
                  .array();
            },
            Named.as("naive-aggregate"),
            Materialized.<String, byte[], WindowStore<Bytes, byte[]>>as("naive-store")
                .withKeySerde(Serdes.String())
                .withValueSerde(Serdes.ByteArray()))
        .toStream(Named.as("naive-to-stream"))
        .map((wk, v) -> KeyValue.pair(wk.key(), v), Named.as("naive-unwindow"))
        .to(
            "bench.naive.out",
            Produced.with(Serdes.String(), Serdes.ByteArray()).withName("naive-sink"));
    // the very Streams and Kafka client settings ours runs with (exactly-once, commit interval,
    // compression, fetch and producer sizes, any kafka.* argument), so that only the topology
    // differs
    Properties p =
        StreamProcessor.streamsProperties(
            fleetstatsConfig(
                bootstrap, Topics.withPrefix("bench"), state, appId, commitMs, kafka, Map.of()));
    return timed(bootstrap, builder.build(), p, appId, topic, records);
  }

  /**
   * Seconds from RUNNING until the committed offset reaches the end, samples per second, and the
   * CPU time the stream thread used meanwhile.
   */
  private static Run timed(
      String bootstrap,
      Topology topology,
      Properties props,
      String appId,
      String input,
      long samples)
      throws Exception {
    TopicPartition tp = new TopicPartition(input, 0);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
      KafkaStreams streams = new KafkaStreams(topology, props);
      CountDownLatch running = new CountDownLatch(1);
      streams.setStateListener(
          (now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
              running.countDown();
            }
          });
      streams.start();
      if (!running.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(appId + " did not reach RUNNING");
      }
      Thread thread = streamThread(appId);
      long cpu0 = THREADS.getThreadCpuTime(thread.getId());
      long t0 = System.nanoTime();
      AtomicReference<Map<TopicPartition, OffsetAndMetadata>> committed =
          new AtomicReference<>(Map.of());
      try {
        // the data is consumed once the committed offset reaches the heartbeat tail
        await()
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(20))
            .atMost(Duration.ofSeconds(60))
            .until(
                () -> {
                  committed.set(
                      admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get());
                  OffsetAndMetadata o = committed.get().get(tp);
                  return o != null && o.offset() >= end - TAIL;
                });
      } catch (ConditionTimeoutException e) {
        long first =
            admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).all().get().get(tp).offset();
        String message =
            appId
                + " did not finish in 60 s; committed "
                + committed.get()
                + ", input offsets "
                + first
                + (first > 0 ? " (records deleted by the broker)" : "")
                + " to "
                + end
                + ", state "
                + streams.state();
        streams.close(Duration.ofSeconds(5));
        throw new Stalled(message);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpu = (THREADS.getThreadCpuTime(thread.getId()) - cpu0) / 1e9;
      streams.close(Duration.ofSeconds(30));
      return new Run(seconds, samples / seconds, cpu, samples);
    }
  }

  static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /** The one stream thread of {@code appId} (named {@code <app id>-<uuid>-StreamThread-1}). */
  static Thread streamThread(String appId) {
    List<Thread> found =
        Thread.getAllStackTraces().keySet().stream()
            .filter(
                t -> t.getName().startsWith(appId + "-") && t.getName().contains("-StreamThread-"))
            .toList();
    if (found.size() != 1) {
      throw new IllegalStateException(
          "expected one stream thread of " + appId + ", found " + found);
    }
    return found.get(0);
  }

  private StreamBench() {}
}
