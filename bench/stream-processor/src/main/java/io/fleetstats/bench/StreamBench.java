package io.fleetstats.bench;

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
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.DoubleSerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.server.common.MetadataVersion;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Load harness (not a test): raw samples per second through one Kafka Streams thread with
 * exactly-once on a real in-JVM KRaft broker, for the Fleetstats topology (per-series work per
 * batch) and, in the same run on the same broker, a naive per-sample DSL windowed aggregate
 * ({@code groupByKey().windowedBy(TimeWindows).aggregate(count, sum, min, max)} over one record
 * per sample). Input is produced before each timed run; the clock runs from Kafka Streams reaching
 * RUNNING until the application's committed offset reaches the input's end.
 *
 * <p>Batches look like an edge agent's: one source (pod) each, 100 series × 50 samples (50
 * timers, 30 counters, 15 gauges, 5 sets), receive times spread over the flush second; 20 pods
 * flushing once a second of event time, so windows (10 s) open and close during the run.
 */
public final class StreamBench {
  private static final int SERIES = 100;
  private static final int SAMPLES_PER_SERIES = 50;
  private static final int PODS = 20;
  private static final int TAIL = 100;

  public static void main(String[] args) throws Exception {
    int batches = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int naiveRecords = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    Path dir = Files.createTempDirectory("fleetstats-bench");
    try (KafkaClusterTestKit cluster = broker(dir.resolve("broker"))) {
      String bootstrap = cluster.bootstrapServers();
      List<String> rows = new ArrayList<>();

      String only = args.length > 2 ? args[2] : "warm,ours,rollups,naive";
      // warm-up of the JIT on a small input, not reported
      if (only.contains("warm")) {
        Topics warm = Topics.withPrefix("warm");
        produceBatches(bootstrap, warm, 200, 1);
        runFleetstats(bootstrap, warm, dir.resolve("warm"), "bench-warm", 200L * SERIES * SAMPLES_PER_SERIES);
      }
      double[] ours = {Double.NaN, Double.NaN};
      double[] withRollups = {Double.NaN, Double.NaN};
      double[] naive = {Double.NaN, Double.NaN};
      long samples = (long) batches * SERIES * SAMPLES_PER_SERIES;

      if (only.contains("ours")) {
        Topics topics = Topics.withPrefix("bench");
        produceBatches(bootstrap, topics, batches, 2);
        ours = runFleetstats(bootstrap, topics, dir.resolve("ours"), "bench-fleetstats", samples);
        rows.add(row("Fleetstats topology (per-series work per batch), no roll-ups", samples, ours));
      }
      if (only.contains("rollups")) {
        Topics rolled = Topics.withPrefix("benchr");
        produceBatches(bootstrap, rolled, batches, 2);
        withRollups =
            runFleetstats(bootstrap, rolled, dir.resolve("ours-rollups"), "bench-fleetstats-rollups", samples,
                Map.of(StreamConfig.ROLLUPS, "app:drop=pod_name,node"));
        rows.add(row("Fleetstats topology + roll-up rule `app:drop=pod_name,node`", samples, withRollups));
      }
      if (only.contains("naive")) {
        produceNaive(bootstrap, "bench.naive.samples", naiveRecords);
        naive = runNaive(bootstrap, "bench.naive.samples", dir.resolve("naive"), naiveRecords);
        rows.add(row("naive DSL: one record per sample, windowed aggregate (count/sum/min/max)", naiveRecords, naive));
      }

      System.out.println("| topology (1 stream thread, exactly_once_v2, commit 100 ms) | samples | seconds | samples/s |");
      System.out.println("|---|---:|---:|---:|");
      rows.forEach(System.out::println);
      System.out.printf("%nspeed-up vs naive: %.1fx (no roll-ups), %.1fx (with roll-ups)%n", ours[1] / naive[1], withRollups[1] / naive[1]);
    }
  }

  private static String row(String what, long samples, double[] r) {
    return String.format("| %s | %,d | %.2f | %,.0f |", what, samples, r[0], r[1]);
  }

  private static KafkaClusterTestKit broker(Path dir) throws Exception {
    KafkaClusterTestKit cluster =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBaseDirectory(dir)
                    // the test kit defaults to the newest *testing* metadata version; with it,
                    // transactional producers got stuck on OUT_OF_ORDER_SEQUENCE_NUMBER here
                    .setBootstrapMetadataVersion(MetadataVersion.latestProduction())
                    .build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("offsets.topic.num.partitions", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("transaction.state.log.num.partitions", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .setConfigProp("log.cleaner.dedupe.buffer.size", "2097152")
            .build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    return cluster;
  }

  /** One partition: one task, one thread. */
  private static void produceBatches(String bootstrap, Topics topics, int batches, long seed) throws Exception {
    TopicSetup.ensure(
        Map.of("bootstrap.servers", bootstrap), topics, 1, Optional.empty(), Duration.ofDays(1), Duration.ofSeconds(30));
    Random rnd = new Random(seed);
    long t0 = 1_700_000_000_000L;
    try (KafkaProducer<String, StatsdBatch> p =
        new KafkaProducer<>(
            producerProps(bootstrap), new StringSerializer(), topics.rawStatsd().valueSerde().serializer())) {
      for (int b = 0; b < batches; b++) {
        Source pod = pod(b % PODS);
        long flushAt = t0 + (b / PODS) * 1_000L;
        StatsdBatch batch = batch(pod, flushAt, rnd);
        p.send(new ProducerRecord<>(topics.rawStatsd().name(), 0, flushAt, Sources.id(pod), batch));
      }
      // heartbeats after the data: the run is timed until the data is consumed (the last few
      // records of a partition were not always handed to the Streams consumer on this broker)
      long after = t0 + (batches / PODS + 1) * 1_000L;
      for (int i = 0; i < TAIL; i++) {
        Source pod = pod(i % PODS);
        p.send(new ProducerRecord<>(topics.rawStatsd().name(), 0, after, Sources.id(pod),
            StatsdBatch.newBuilder().setSource(pod).setCreatedAt(after).build()));
      }
      p.flush();
    }
  }

  /** The same shape of traffic as one record per sample, keyed by series id. */
  private static void produceNaive(String bootstrap, String topic, int records) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
    }
    Random rnd = new Random(3);
    long t0 = 1_700_000_000_000L;
    try (KafkaProducer<String, Double> p =
        new KafkaProducer<>(producerProps(bootstrap), new StringSerializer(), new DoubleSerializer())) {
      int sent = 0;
      for (int b = 0; sent < records; b++) {
        Source pod = pod(b % PODS);
        long flushAt = t0 + (b / PODS) * 1_000L;
        for (Series s : batch(pod, flushAt, rnd).getSeries()) {
          String id = SeriesWindow.id(pod, s);
          int n = Windows.sampleCount(s);
          for (int i = 0; i < n && sent < records; i++, sent++) {
            double v = s.getType() == MetricType.SET ? s.getMembers().get(i).hashCode() : s.getValues().get(i);
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

  private static Map<String, Object> producerProps(String bootstrap) {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ProducerConfig.LINGER_MS_CONFIG, 20,
        ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
        ProducerConfig.ACKS_CONFIG, "all");
  }

  private static Source pod(int i) {
    return Source.newBuilder()
        .setCluster("prod")
        .setNamespace("fitcycle")
        .setNode("node-" + (i % 4))
        .setPod("api-server-" + i)
        .setContainer("app")
        .build();
  }

  private static StatsdBatch batch(Source pod, long flushAt, Random rnd) {
    List<Series> series = new ArrayList<>(SERIES);
    for (int s = 0; s < SERIES; s++) {
      MetricType type = s < 50 ? MetricType.TIMER : s < 80 ? MetricType.COUNTER : s < 95 ? MetricType.GAUGE : MetricType.SET;
      List<Double> values = new ArrayList<>(SAMPLES_PER_SERIES);
      List<String> members = new ArrayList<>();
      List<Long> received = new ArrayList<>(SAMPLES_PER_SERIES);
      for (int i = 0; i < SAMPLES_PER_SERIES; i++) {
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

  private static double[] runFleetstats(String bootstrap, Topics topics, Path state, String appId, long samples)
      throws Exception {
    return runFleetstats(bootstrap, topics, state, appId, samples, Map.of());
  }

  private static double[] runFleetstats(
      String bootstrap, Topics topics, Path state, String appId, long samples, Map<String, String> extra)
      throws Exception {
    Map<String, String> env = new java.util.HashMap<>(extra);
    env.put(StreamConfig.BOOTSTRAP, bootstrap);
    env.put(StreamConfig.APPLICATION_ID, appId);
    env.put(StreamConfig.TOPIC_PREFIX, topics.rawStatsd().name().replace(".raw.statsd", ""));
    env.put(StreamConfig.STATE_DIR, state.toString());
    env.put(StreamConfig.PERCENTILES, "50,90,99");
    env.put(StreamConfig.CREATE_TOPICS, "false");
    // the input is old event time: idle close by wall clock must not interfere
    env.put(StreamConfig.WALL_CLOCK_CLOSE, "false");
    StreamConfig config = StreamConfig.fromEnv(env);
    Topology topology = TopologyFactory.build(config, topics);
    return timed(bootstrap, topology, StreamProcessor.streamsProperties(config), appId, topics.rawStatsd().name(), samples);
  }

  private static double[] runNaive(String bootstrap, String topic, Path state, long records) throws Exception {
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
              return ByteBuffer.allocate(32).putDouble(count + 1).putDouble(b.getDouble(8) + v).putDouble(min).putDouble(max).array();
            },
            Named.as("naive-aggregate"),
            Materialized.<String, byte[], WindowStore<Bytes, byte[]>>as("naive-store")
                .withKeySerde(Serdes.String())
                .withValueSerde(Serdes.ByteArray()))
        .toStream(Named.as("naive-to-stream"))
        .map((wk, v) -> KeyValue.pair(wk.key(), v), Named.as("naive-unwindow"))
        .to("bench.naive.out", Produced.with(Serdes.String(), Serdes.ByteArray()).withName("naive-sink"));
    Properties p = new Properties();
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "bench-naive");
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
    p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1");
    return timed(bootstrap, builder.build(), p, "bench-naive", topic, records);
  }

  /** Seconds from RUNNING until the committed offset reaches the end, and samples per second. */
  private static double[] timed(String bootstrap, Topology topology, Properties props, String appId, String input, long samples)
      throws Exception {
    TopicPartition tp = new TopicPartition(input, 0);
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      long end =
          admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
      KafkaStreams streams = new KafkaStreams(topology, props);
      CountDownLatch running = new CountDownLatch(1);
      streams.setStateListener((now, before) -> {
        if (now == KafkaStreams.State.RUNNING) {
          running.countDown();
        }
      });
      streams.start();
      if (!running.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException(appId + " did not reach RUNNING");
      }
      long t0 = System.nanoTime();
      while (true) {
        Map<TopicPartition, OffsetAndMetadata> committed =
            admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
        OffsetAndMetadata o = committed.get(tp);
        // the data is consumed once the committed offset reaches the heartbeat tail
        if (o != null && o.offset() >= end - TAIL) {
          break;
        }
        if (System.nanoTime() - t0 > 120_000_000_000L) {
          throw new IllegalStateException(appId + " did not finish in 2 min; committed " + committed + ", end " + end + ", state " + streams.state());
        }
        Thread.sleep(20);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      streams.close(Duration.ofSeconds(30));
      return new double[] {seconds, samples / seconds};
    }
  }

  private StreamBench() {}
}
