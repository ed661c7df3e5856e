package io.fleetstats.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.delivery.RecordingProxy;
import io.fleetstats.sink.format.Aggregates;
import io.fleetstats.sink.format.ProxyParser;
import io.fleetstats.sink.kit.deadletter.DeadLetter;
import io.fleetstats.sink.kit.testing.ScaledTicker;
import io.fleetstats.testing.TestKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The sink against a real in-JVM KRaft broker and real HTTP servers on loopback, through the faults
 * of the issue: 503 and refused connections for 30 s, 413 for large bodies, 400 for a batch with
 * one bad line, 401. After each: every valid point delivered, nothing committed before delivery,
 * the dead-letter topic holds exactly the bad records. The 30-s outages run twice: in real time,
 * and on a ticker 100× faster (the sink's backoff and waits see 30 s, the test takes a fraction of
 * a second).
 */
class WavefrontSinkIT {
  private static final Duration WAIT = Duration.ofSeconds(45);
  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final AtomicInteger RUN = new AtomicInteger();
  private static KafkaClusterTestKit cluster;
  private static Admin admin;

  private final List<RecordingProxy> proxies = new ArrayList<>();
  private final List<WavefrontSink> sinks = new ArrayList<>();

  @BeforeAll
  static void startBroker() throws Exception {
    cluster =
        TestKafka.start(
            TestKafka.builder(true, null).setConfigProp("offsets.topic.num.partitions", "1"));
    admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    admin.close();
    cluster.close();
  }

  @AfterEach
  void stop() {
    sinks.forEach(WavefrontSink::close);
    proxies.forEach(RecordingProxy::close);
  }

  private RecordingProxy proxy() {
    RecordingProxy p = RecordingProxy.start();
    proxies.add(p);
    return p;
  }

  private WavefrontSink start(SinkConfig config) {
    WavefrontSink sink = WavefrontSink.start(config);
    sinks.add(sink);
    return sink;
  }

  private WavefrontSink start(SinkConfig config, ScaledTicker ticker) {
    // 5-ms paused polls: half a virtual second at 100×, fine enough for backoff waits of 0.1 s+
    WavefrontSink sink = WavefrontSink.start(config, ticker, Duration.ofMillis(5));
    sinks.add(sink);
    return sink;
  }

  /**
   * A Prometheus series as {@code /metrics} shows it: the given labels plus the identity tags of
   * {@link #config}, in Micrometer's (alphabetical) label order.
   */
  private static String series(String name, String... labels) {
    java.util.TreeMap<String, String> all =
        new java.util.TreeMap<>(
            Map.of("cluster", "it-cluster", "namespace", "it", "pod", "sink-it"));
    for (int i = 0; i < labels.length; i += 2) {
      all.put(labels[i], labels[i + 1]);
    }
    StringBuilder b = new StringBuilder(name).append('{');
    all.forEach((k, v) -> b.append(k).append("=\"").append(v).append("\","));
    b.setLength(b.length() - 1);
    return b.append('}').toString();
  }

  /** A config with its own topic prefix and group, so tests do not see each other's data. */
  private static SinkConfig config(RecordingProxy proxy, String... extra) {
    int run = RUN.incrementAndGet();
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers());
    env.put("FLEETSTATS_PROXY_URL", proxy.url().toString());
    env.put("FLEETSTATS_TOPIC_PREFIX", "it" + run);
    env.put("FLEETSTATS_GROUP_ID", "sink-it-" + run);
    env.put("FLEETSTATS_BATCH_LINES", "50");
    env.put("FLEETSTATS_RETRY_MAX_BACKOFF", "1s");
    env.put("FLEETSTATS_REQUEST_TIMEOUT", "2s");
    env.put("FLEETSTATS_ADMIN_ADDRESS", "127.0.0.1:0");
    env.put("CLUSTER_NAME", "it-cluster");
    env.put("NAMESPACE", "it");
    env.put("POD_NAME", "sink-it");
    for (int i = 0; i < extra.length; i += 2) {
      env.put(extra[i], extra[i + 1]);
    }
    return SinkConfig.fromEnv(env);
  }

  /** The records of a test: valid aggregates, then bad ones (each a dead letter to be). */
  private record Input(List<Aggregate> valid, List<byte[]> bad) {
    int records() {
      return valid.size() + bad.size();
    }
  }

  private static Input input(int valid, boolean withBad) {
    List<byte[]> bad = new ArrayList<>();
    if (withBad) {
      // blank source: the proxy would replace it with our hostname; no policy can fit it
      bad.add(
          Topics.AGGREGATE.encode(
              Aggregates.aggregate(
                  "blank.source",
                  "gauge",
                  "  ",
                  Map.of(),
                  Aggregates.WINDOW_START_MS,
                  Map.of("value", 1.0))));
      bad.add(new byte[] {1, 2, 3}); // not an Aggregate
    }
    return new Input(timers(valid), bad);
  }

  // Everything to partition 0 before the sink starts, so the first poll holds all records and
  // "committed" can be checked against "delivered" at every request.
  private static void produce(SinkConfig config, Input input) throws Exception {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    // One request at a time, no idempotence: under a loaded CI box an idempotent producer's retry
    // once met OutOfOrderSequenceException and records went missing unnoticed. Each send is
    // checked, so a setup problem fails here, not as a delivery timeout later.
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    io.fleetstats.schemas.TopicSetup.ensure(
        config.adminConfig(),
        config.topics(),
        1,
        java.util.Optional.empty(),
        Duration.ofDays(1),
        Duration.ofSeconds(30));
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      String topic = config.topics().aggregates().name();
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (Aggregate a : input.valid()) {
        sent.add(
            producer.send(
                new ProducerRecord<>(topic, 0, key(a.getName()), Topics.AGGREGATE.encode(a))));
      }
      for (int i = 0; i < input.bad().size(); i++) {
        sent.add(
            producer.send(new ProducerRecord<>(topic, 0, key("bad-" + i), input.bad().get(i))));
      }
      for (java.util.concurrent.Future<?> f : sent) {
        f.get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
    }
  }

  private static byte[] key(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static long committedRecords(SinkConfig config) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(config.groupId()).partitionsToOffsetAndMetadata().get();
    return offsets.values().stream()
        .filter(o -> o != null)
        .mapToLong(OffsetAndMetadata::offset)
        .sum();
  }

  private static List<ConsumerRecord<byte[], byte[]>> deadLetters(SinkConfig config) {
    String topic = config.topics().deadletter().name();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(
            Map.of("bootstrap.servers", cluster.bootstrapServers()),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      List<TopicPartition> parts =
          c.partitionsFor(topic).stream()
              .map(p -> new TopicPartition(topic, p.partition()))
              .toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))
          && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
  }

  private static List<Aggregate> timers(int n) {
    return IntStream.range(0, n)
        .mapToObj(
            i ->
                Aggregates.timer(
                    "svc" + i + ".latency",
                    Map.of("count", 10.0, "mean", 1.5, "upper", 3.0, "90_percentile", 2.75)))
        .toList();
  }

  private static List<String> expectedLines(List<Aggregate> valid) {
    List<String> out = new ArrayList<>();
    for (Aggregate a : valid) {
      for (String f : List.of("90.percentile", "count", "mean", "upper")) {
        String v =
            switch (f) {
              case "90.percentile" -> "2.75";
              case "count" -> "10";
              case "mean" -> "1.5";
              default -> "3";
            };
        out.add(
            "\""
                + a.getName()
                + "."
                + f
                + "\" "
                + v
                + " 1764086400 source=\"node-1\""
                + Aggregates.SEED_TAG_TEXT);
      }
    }
    return out;
  }

  /** Every valid point once, every line valid for the proxy's own parser. */
  private static void assertDeliveredExactly(RecordingProxy proxy, List<String> expected) {
    List<String> lines = proxy.acceptedLines();
    assertThat(lines).containsExactlyInAnyOrderElementsOf(expected);
    lines.forEach(ProxyParser::parseAndValidate);
  }

  /** The dead-letter topic holds exactly the bad records, with their original bytes. */
  private static void assertDeadLettersExactly(
      SinkConfig config, Input input, Map<String, String> extraByKey) {
    List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(config);
    Map<String, String> expectedReasons = new HashMap<>();
    if (!input.bad().isEmpty()) {
      expectedReasons.put("bad-0", "source_blank");
      expectedReasons.put("bad-1", "undecodable");
    }
    expectedReasons.putAll(extraByKey);
    Map<String, String> actual = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      actual.put(new String(r.key(), StandardCharsets.UTF_8), header(r, DeadLetter.REASON));
      assertThat(header(r, DeadLetter.TOPIC)).isEqualTo(config.topics().aggregates().name());
      assertThat(header(r, DeadLetter.PARTITION)).isEqualTo("0");
      assertThat(Long.parseLong(header(r, DeadLetter.OFFSET)))
          .isBetween(0L, (long) input.records() - 1);
    }
    assertThat(dead).hasSize(expectedReasons.size());
    assertThat(actual).containsExactlyInAnyOrderEntriesOf(expectedReasons);
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      String key = new String(r.key(), StandardCharsets.UTF_8);
      if (key.startsWith("bad-")) {
        assertThat(r.value()).isEqualTo(input.bad().get(Integer.parseInt(key.substring(4))));
      } else {
        Aggregate original =
            input.valid().stream().filter(a -> a.getName().equals(key)).findFirst().orElseThrow();
        assertThat(r.value()).isEqualTo(Topics.AGGREGATE.encode(original));
      }
    }
  }

  private static HttpResponse<String> admin(WavefrontSink sink, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + sink.adminAddress().orElseThrow().getPort() + path);
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void survives30SecondsOf503AndOfRefusedConnectionsCommittingNothingMeanwhile() throws Exception {
    RecordingProxy failing = proxy().answerByDefault(503);
    RecordingProxy down = proxy();
    SinkConfig c503 = config(failing);
    SinkConfig cDown = config(down);
    Input in503 = input(60, true);
    Input inDown = input(60, true);
    produce(c503, in503);
    produce(cDown, inDown);
    down.stop();
    WavefrontSink s503 = start(c503);
    WavefrontSink sDown = start(cDown);

    await().atMost(WAIT).until(() -> failing.requests() >= 2 && sDown.retries() >= 2);
    assertThat(admin(s503, "/readyz").statusCode()).isEqualTo(503);
    assertThat(admin(sDown, "/readyz").statusCode()).isEqualTo(503);
    // Both outages last 30 s, side by side; all the while nothing is committed or dead-lettered.
    await()
        .during(OUTAGE.minusSeconds(3))
        .atMost(OUTAGE)
        .pollInterval(Duration.ofSeconds(1))
        .until(
            () ->
                committedRecords(c503) == 0
                    && committedRecords(cDown) == 0
                    && failing.acceptedLines().isEmpty()
                    && s503.deadLettered() == 0
                    && sDown.deadLettered() == 0);
    String metrics = admin(s503, "/metrics").body();
    assertThat(metrics)
        .contains(
            series("fleetstats_sink_retries_total", "cause", "5xx"),
            series("fleetstats_sink_consumer_lag") + " " + (double) in503.records());
    assertThat(admin(sDown, "/metrics").body())
        .contains(series("fleetstats_sink_retries_total", "cause", "refused"));

    failing.answerByDefault(202);
    down.restart();
    await()
        .atMost(WAIT)
        .until(
            () ->
                committedRecords(c503) == in503.records()
                    && committedRecords(cDown) == inDown.records());

    assertDeliveredExactly(failing, expectedLines(in503.valid()));
    assertDeliveredExactly(down, expectedLines(inDown.valid()));
    assertDeadLettersExactly(c503, in503, Map.of());
    assertDeadLettersExactly(cDown, inDown, Map.of());
    assertThat(s503.retries()).isGreaterThanOrEqualTo(10);
    await()
        .atMost(WAIT)
        .until(
            () ->
                admin(s503, "/readyz").statusCode() == 200
                    && admin(sDown, "/readyz").statusCode() == 200);
    String after = admin(s503, "/metrics").body();
    assertThat(after)
        .contains(series("fleetstats_sink_points_sent_total", "format", "wavefront") + " 240.0")
        .contains(series("fleetstats_sink_deadlettered_total", "reason", "source_blank") + " 1.0")
        .contains(series("fleetstats_sink_deadlettered_total", "reason", "undecodable") + " 1.0")
        .contains(series("fleetstats_sink_consumer_lag") + " 0.0")
        .contains(series("fleetstats_sink_send_seconds_count", "outcome", "accepted"))
        .contains(series("fleetstats_sink_bytes_sent_bytes_total"));
  }

  /** How the proxy is unavailable, and the {@code cause} tag its retries are counted under. */
  enum Outage {
    ANSWERS_503("5xx") {
      @Override
      void begin(RecordingProxy proxy) {
        proxy.answerByDefault(503);
      }

      @Override
      void end(RecordingProxy proxy) {
        proxy.answerByDefault(202);
      }
    },
    REFUSES_CONNECTIONS("refused") {
      @Override
      void begin(RecordingProxy proxy) {
        proxy.stop();
      }

      @Override
      void end(RecordingProxy proxy) {
        proxy.restart();
      }
    };

    final String cause;

    Outage(String cause) {
      this.cause = cause;
    }

    abstract void begin(RecordingProxy proxy);

    abstract void end(RecordingProxy proxy);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Outage.class)
  void retriesA30SecondOutageWithBackoffOnAFastTickerCommittingNothingMeanwhile(Outage outage)
      throws Exception {
    ScaledTicker ticker = ScaledTicker.times(100);
    RecordingProxy proxy = proxy();
    SinkConfig config = config(proxy, "FLEETSTATS_RETRY_MAX_BACKOFF", "30s");
    Input input = input(60, true);
    produce(config, input);
    outage.begin(proxy);
    WavefrontSink sink = start(config, ticker);
    await().atMost(WAIT).pollInterval(Duration.ofMillis(1)).until(() -> sink.retries() >= 1);
    long outageStart = ticker.nanoTime();
    long realStart = System.nanoTime();

    // 30 virtual seconds, checked every virtual second: nothing committed, nothing dead-lettered.
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(10))
        .until(
            () -> {
              assertThat(committedRecords(config)).isZero();
              assertThat(sink.deadLettered()).isZero();
              return ticker.since(outageStart).compareTo(OUTAGE) >= 0;
            });
    long retriesDuringOutage = sink.retries();
    outage.end(proxy);
    await().atMost(WAIT).until(() -> committedRecords(config) == input.records());
    Duration real = Duration.ofNanos(System.nanoTime() - realStart);

    assertDeliveredExactly(proxy, expectedLines(input.valid()));
    assertDeadLettersExactly(config, input, Map.of());
    // Backoff, not a busy loop: waits of 0.2 s doubling towards the 30-s cap, with jitter, fit 6
    // to 10 retries in 30 s (a retry per request would make thousands).
    assertThat(retriesDuringOutage).isBetween(5L, 12L);
    double retriesOfTheCause =
        sink.registry().get("fleetstats.sink.retries").tag("cause", outage.cause).counter().count();
    assertThat(retriesOfTheCause).isEqualTo((double) sink.retries());
    assertThat(real)
        .as("real time of a 30-s outage on the fast ticker")
        .isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void splitsLargeBodiesOn413AndCommitsOnlyAfterEveryPart() throws Exception {
    RecordingProxy proxy = proxy().tooLargeAboveBytes(3_000);
    SinkConfig config = config(proxy);
    Input input = input(30, false);
    produce(config, input);
    List<Long> committedAtRequest = new CopyOnWriteArrayList<>();
    proxy.onRequest(() -> committedAtRequest.add(uncheckedCommitted(config)));
    WavefrontSink sink = start(config);

    await().atMost(WAIT).until(() -> committedRecords(config) == input.records());
    assertDeliveredExactly(proxy, expectedLines(input.valid()));
    assertThat(proxy.statuses()).contains(413);
    assertThat(committedAtRequest)
        .as("committed offsets seen by the proxy at each request")
        .containsOnly(0L);
    assertDeadLettersExactly(config, input, Map.of());
    assertThat(sink.linesRejectedByProxy()).isZero();
  }

  @Test
  void bisectsA400ToTheBadLineAndDeadLettersExactlyItsRecord() throws Exception {
    RecordingProxy proxy = proxy().refuseLinesContaining("\"svc13.latency.mean\"");
    SinkConfig config = config(proxy);
    Input input = input(40, true);
    produce(config, input);
    List<Long> committedAtRequest = new CopyOnWriteArrayList<>();
    proxy.onRequest(() -> committedAtRequest.add(uncheckedCommitted(config)));
    WavefrontSink sink = start(config);

    await().atMost(WAIT).until(() -> committedRecords(config) == input.records());
    List<String> expected = new ArrayList<>(expectedLines(input.valid()));
    String bad =
        expected.stream()
            .filter(l -> l.startsWith("\"svc13.latency.mean\""))
            .findFirst()
            .orElseThrow();
    expected.remove(bad);
    assertDeliveredExactly(proxy, expected);
    assertThat(proxy.statuses()).contains(400);
    assertThat(committedAtRequest).containsOnly(0L);
    assertDeadLettersExactly(config, input, Map.of("svc13.latency", "rejected_by_proxy"));
    ConsumerRecord<byte[], byte[]> letter =
        deadLetters(config).stream()
            .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("svc13.latency"))
            .findFirst()
            .orElseThrow();
    assertThat(header(letter, DeadLetter.LINE)).isEqualTo(bad);
    assertThat(header(letter, DeadLetter.OFFSET)).isEqualTo("13");
    assertThat(sink.linesRejectedByProxy()).isEqualTo(1);
    assertThat(sink.deadLetteredByReason())
        .containsOnly(
            Map.entry("rejected_by_proxy", 1L),
            Map.entry("source_blank", 1L),
            Map.entry("undecodable", 1L));
  }

  /**
   * Hostile records on the aggregates topic: garbage bytes, a truncated Aggregate, an unknown
   * schema fingerprint and a 10 MB record (refused by the broker at the topic's default limit, with
   * the producer's error; accepted once {@code max.message.bytes} is 16 MB), each followed by good
   * aggregates. Each bad one is dead-lettered (the 10 MB one cut to 512 KiB, its size in a header:
   * written whole it would be refused on every retry and stall the sink) and counted; the sink
   * keeps running and every good point after them is delivered exactly once.
   */
  @Test
  void hostileRecordsAreDeadLetteredAndTheGoodOnesAfterThemDelivered() throws Exception {
    RecordingProxy proxy = proxy();
    SinkConfig config = config(proxy);
    io.fleetstats.schemas.TopicSetup.ensure(
        config.adminConfig(),
        config.topics(),
        1,
        java.util.Optional.empty(),
        Duration.ofDays(1),
        Duration.ofSeconds(30));
    String topic = config.topics().aggregates().name();
    List<Aggregate> valid = timers(20);
    byte[] good = Topics.AGGREGATE.encode(valid.get(0));
    java.util.Random random = new java.util.Random(21);
    byte[] garbage = new byte[1000];
    random.nextBytes(garbage);
    garbage[0] = 'x';
    byte[] truncated = java.util.Arrays.copyOf(good, good.length / 2);
    byte[] foreign = good.clone();
    foreign[2] ^= (byte) 0x5A;
    byte[] tenMb = new byte[10 * 1024 * 1024 + 10];
    random.nextBytes(tenMb);
    System.arraycopy(good, 0, tenMb, 0, 10);
    List<byte[]> bad = List.of(garbage, truncated, foreign, tenMb);

    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    Map<String, Integer> badOffsets = new HashMap<>();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      Throwable refused =
          org.assertj.core.api.Assertions.catchThrowable(
              () -> producer.send(new ProducerRecord<>(topic, 0, key("too-large"), tenMb)).get());
      assertThat(refused)
          .hasCauseInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
      System.out.println("refused at the default limit: " + refused.getCause().getMessage());
      io.fleetstats.testing.TestKafka.maxMessageBytes(
          cluster.bootstrapServers(), 16 * 1024 * 1024, List.of(topic));
      int v = 0;
      for (int i = 0; i < bad.size(); i++) {
        long offset =
            producer
                .send(new ProducerRecord<>(topic, 0, key("bad-" + i), bad.get(i)))
                .get()
                .offset();
        badOffsets.put("bad-" + i, (int) offset);
        for (int k = 0; k < 5; k++, v++) {
          Aggregate a = valid.get(v);
          producer
              .send(new ProducerRecord<>(topic, 0, key(a.getName()), Topics.AGGREGATE.encode(a)))
              .get();
        }
      }
    }
    WavefrontSink sink = start(config);

    await().atMost(WAIT).until(() -> committedRecords(config) == valid.size() + bad.size());
    assertThat(sink.state().name()).isEqualTo("RUNNING");
    assertDeliveredExactly(proxy, expectedLines(valid));
    assertThat(sink.recordsUndecodable()).isEqualTo(4);
    assertThat(sink.deadLetteredByReason()).containsOnly(Map.entry("undecodable", 4L));
    List<ConsumerRecord<byte[], byte[]>> dead = deadLetters(config);
    assertThat(dead).hasSize(4);
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      String k = new String(r.key(), StandardCharsets.UTF_8);
      byte[] original = bad.get(Integer.parseInt(k.substring(4)));
      assertThat(header(r, DeadLetter.OFFSET)).isEqualTo(badOffsets.get(k).toString());
      assertThat(header(r, DeadLetter.TOPIC)).isEqualTo(topic);
      System.out.println("dead letter " + k + ": " + header(r, DeadLetter.DETAIL));
      if (original.length > io.fleetstats.sink.kit.deadletter.DeadLetterWriter.MAX_VALUE_BYTES) {
        assertThat(r.value())
            .isEqualTo(
                java.util.Arrays.copyOf(
                    original, io.fleetstats.sink.kit.deadletter.DeadLetterWriter.MAX_VALUE_BYTES));
        assertThat(header(r, io.fleetstats.sink.kit.deadletter.DeadLetterWriter.VALUE_BYTES))
            .isEqualTo(Integer.toString(original.length));
      } else {
        assertThat(r.value()).isEqualTo(original);
      }
    }
  }

  @Test
  void stopsOn401WithAClearErrorAndCommitsNothing() throws Exception {
    RecordingProxy proxy = proxy().answerByDefault(401);
    SinkConfig config = config(proxy);
    Input input = input(3, true);
    produce(config, input);
    WavefrontSink sink = start(config);

    await().atMost(WAIT).until(() -> sink.state() == WavefrontSink.State.FAILED);
    assertThat(sink.failure())
        .hasValueSatisfying(
            e ->
                assertThat(e.getMessage())
                    .contains("401", "FLEETSTATS_PROXY_URL", "FLEETSTATS_WAVEFRONT_TOKEN"));
    assertThat(committedRecords(config)).isZero();
    assertThat(proxy.requests()).isEqualTo(1);
    assertThat(proxy.acceptedLines()).isEmpty();
    // the bad records are not dead-lettered either: the poll is redelivered after a restart
    assertThat(deadLetters(config)).isEmpty();
    assertThat(admin(sink, "/readyz").body()).contains("failed", "401");
  }

  @Test
  void closeDuringRetriesCommitsNothingAndANewSinkDeliversEverything() throws Exception {
    RecordingProxy proxy = proxy().answerByDefault(503);
    SinkConfig config = config(proxy);
    Input input = input(5, false);
    produce(config, input);
    WavefrontSink sink = start(config);
    await().atMost(WAIT).until(() -> proxy.requests() >= 2);
    sink.close();
    assertThat(sink.state()).isEqualTo(WavefrontSink.State.CLOSED);
    assertThat(committedRecords(config)).isZero();

    proxy.answerByDefault(202);
    start(config);
    await().atMost(WAIT).until(() -> committedRecords(config) == 5);
    assertDeliveredExactly(proxy, expectedLines(input.valid()));
  }

  @Test
  void sendsDistributionsAndDeltaCountersWithTheToken() throws Exception {
    RecordingProxy proxy = proxy();
    SinkConfig config =
        config(
            proxy,
            "FLEETSTATS_DISTRIBUTIONS",
            "minute",
            "FLEETSTATS_DELTA_COUNTERS",
            "true",
            "FLEETSTATS_WAVEFRONT_TOKEN",
            "t0ken");
    DDSketch sketch = DDSketches.unboundedDense(0.01);
    sketch.accept(10, 3);
    sketch.accept(100);
    Aggregate timer = Aggregates.timer("api.timer", Map.of("count", 4.0));
    timer.setSketch(sketch.serialize());
    Aggregate counter =
        Aggregates.aggregate(
            "api.calls",
            "counter",
            "node-1",
            Aggregates.seedTags("counter"),
            Aggregates.WINDOW_START_MS,
            Map.of("value", 7.0));
    Aggregate idle =
        Aggregates.aggregate(
            "api.idle",
            "counter",
            "node-1",
            Aggregates.seedTags("counter"),
            Aggregates.WINDOW_START_MS,
            Map.of("value", 0.0));
    Input input = new Input(List.of(timer, counter, idle), List.of());
    produce(config, input);
    WavefrontSink sink = start(config);

    await().atMost(WAIT).until(() -> committedRecords(config) == 3);
    List<String> lines = proxy.acceptedLines();
    assertThat(lines).hasSize(3).allSatisfy(ProxyParser::parseAndValidate);
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("\"api.timer.count\" 4 "));
    assertThat(lines)
        .anySatisfy(l -> assertThat(l).startsWith("\"∆api.calls\" 7 1764086400 source=\"node-1\""));
    assertThat(lines)
        .anySatisfy(
            l ->
                assertThat(l)
                    .matches("!M 1764086400 #3 \\S+ #1 \\S+ \"api.timer\" source=\"node-1\" .*"));
    assertThat(proxy.formats()).containsExactlyInAnyOrder("wavefront", "histogram");
    assertThat(proxy.authorizations()).containsOnly("Bearer t0ken");
    assertThat(sink.deadLettered()).isZero();
  }

  private static long uncheckedCommitted(SinkConfig config) {
    try {
      return committedRecords(config);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
