package io.fleetstats.sink.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.sink.format.Aggregates;
import io.fleetstats.sink.kit.testing.ScaledTicker;
import io.fleetstats.sink.prometheus.RecordingReceiver.Answer;
import io.fleetstats.sink.prometheus.format.PromFormatter;
import io.fleetstats.sink.prometheus.format.PromSample;
import io.fleetstats.testing.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sink on a real in-JVM KRaft broker against a loopback receiver that decodes every request and
 * answers as scripted: 503 for 30 (virtual) seconds, then 429 with {@code Retry-After}, then 400
 * for every request holding one refused series, then 2xx; and 401. The waits run on a ticker 50×
 * faster than the clock ({@code ScaledTicker} of the sink kit), so the outage takes 0.6 s.
 */
class RemoteWriteFaultsIT {
  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final AtomicInteger RUN = new AtomicInteger();
  private static KafkaClusterTestKit cluster;
  private static Admin admin;

  private final List<AutoCloseable> open = new ArrayList<>();

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
  void close() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private static List<Aggregate> timers(int n) {
    List<Aggregate> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Map<String, Double> fields = new TreeMap<>();
      fields.put("count", 10.0 + i);
      fields.put("mean", 200.5 + i);
      fields.put("upper", 320.0 + i);
      fields.put("90_percentile", 281.25 + i);
      Map<String, String> tags = Aggregates.seedTags("timing");
      tags.put("pod_name", "api-server-" + (i % 3));
      out.add(
          Aggregates.aggregate(
              "fitcycle-api-server.prospectPullTime",
              "timing",
              "node-" + (i % 2),
              tags,
              Aggregates.WINDOW_START_MS + (i / 3) * 10_000L,
              fields));
    }
    return out;
  }

  private static List<String> expected(List<Aggregate> aggregates) {
    PromFormatter f = new PromFormatter("");
    List<String> out = new ArrayList<>();
    for (Aggregate a : aggregates) {
      for (PromSample s : f.format(a).samples()) {
        out.add(s.name() + s.labels() + " " + s.value() + " " + s.timestampMs());
      }
    }
    return out;
  }

  @Test
  void outageThenThrottleThenOneRefusedSeriesLosesNothingAndDeadLettersExactlyThatSeries()
      throws Exception {
    RecordingReceiver receiver = RecordingReceiver.start();
    open.add(receiver);
    String run = "faults" + RUN.incrementAndGet();
    PromSinkConfig config =
        SinkFixture.config(
            cluster.bootstrapServers(),
            run,
            receiver.url().toString(),
            "FLEETSTATS_BATCH_SAMPLES",
            "40",
            "FLEETSTATS_REMOTE_WRITE_USERNAME",
            "fleet",
            "FLEETSTATS_REMOTE_WRITE_PASSWORD",
            "s3cret");
    List<Aggregate> valid = timers(30);
    Aggregate refused =
        Aggregates.aggregate(
            "refused.series",
            "counter",
            "node-1",
            Aggregates.seedTags("counter"),
            Aggregates.WINDOW_START_MS,
            Map.of("value", 7.0));
    Aggregate badName =
        Aggregates.aggregate(
            "5xx", "counter", "node-1", Map.of(), Aggregates.WINDOW_START_MS, Map.of("value", 1.0));
    List<Aggregate> all = new ArrayList<>(valid);
    all.add(15, refused);
    all.add(badName);
    SinkFixture.produce(config, all, List.of(new byte[] {1, 2, 3}));
    int records = all.size() + 1;

    ScaledTicker ticker = ScaledTicker.times(50);
    AtomicInteger throttled = new AtomicInteger();
    AtomicLong throttledAt = new AtomicLong();
    List<Long> afterThrottle = new CopyOnWriteArrayList<>();
    AtomicLong firstAt = new AtomicLong(Long.MIN_VALUE);
    receiver.script(
        request -> {
          // the outage starts with the first request (joining the group takes real seconds)
          firstAt.compareAndSet(Long.MIN_VALUE, ticker.nanoTime());
          if (ticker.since(firstAt.get()).compareTo(OUTAGE) < 0) {
            return Answer.of(503, "down for maintenance");
          }
          if (throttled.getAndIncrement() == 0) {
            throttledAt.set(ticker.nanoTime());
            return new Answer(429, Map.of("Retry-After", "3"), "slow down");
          }
          if (afterThrottle.isEmpty()) {
            afterThrottle.add(ticker.nanoTime());
          }
          if (RecordingReceiver.holds(request, "refused_series")) {
            return Answer.of(400, "label value refused by this receiver");
          }
          return Answer.accept();
        });
    PrometheusSink sink = PrometheusSink.start(config, ticker, Duration.ofMillis(5));
    open.add(sink);

    // during the outage: retried, nothing committed, nothing dead-lettered
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                firstAt.get() != Long.MIN_VALUE && ticker.since(firstAt.get()).getSeconds() >= 12);
    assertThat(ticker.since(firstAt.get())).isLessThan(OUTAGE);
    assertThat(SinkFixture.committed(admin, config)).isEqualTo(-1);
    assertThat(sink.deadLettered()).isZero();
    assertThat(sink.retries()).isGreaterThanOrEqualTo(3);

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> SinkFixture.committed(admin, config) == records);

    assertThat(receiver.accepted()).containsExactlyInAnyOrderElementsOf(expected(valid));
    assertThat(Duration.ofNanos(afterThrottle.get(0) - throttledAt.get()))
        .as("the request after a 429 waits its Retry-After")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(3));
    // a retry every few virtual seconds, not a busy loop: 30 s of 503 with backoff up to 5 s
    long outageRequests = receiver.requests().stream().filter(r -> r.answered() == 503).count();
    assertThat(outageRequests).isBetween(6L, 20L);

    List<ConsumerRecord<byte[], byte[]>> dead = SinkFixture.deadLetters(config, 3);
    Map<String, ConsumerRecord<byte[], byte[]>> byReason =
        dead.stream()
            .collect(Collectors.toMap(r -> SinkFixture.header(r, "fleetstats.reason"), r -> r));
    assertThat(byReason.keySet())
        .containsExactlyInAnyOrder("rejected_by_receiver", "name_invalid", "undecodable");
    assertThat(dead).hasSize(3);
    ConsumerRecord<byte[], byte[]> rejected = byReason.get("rejected_by_receiver");
    assertThat(rejected.value()).isEqualTo(io.fleetstats.schemas.Topics.AGGREGATE.encode(refused));
    assertThat(SinkFixture.header(rejected, "fleetstats.detail"))
        .contains("HTTP 400")
        .contains("label value refused by this receiver");
    assertThat(SinkFixture.header(rejected, "fleetstats.line"))
        .startsWith("refused_series{")
        .endsWith(" 7 " + Aggregates.WINDOW_START_MS);
    assertThat(SinkFixture.header(byReason.get("name_invalid"), "fleetstats.detail"))
        .contains("FLEETSTATS_METRIC_PREFIX");

    RecordingReceiver.Request first = receiver.requests().get(0);
    assertThat(first.header("Content-Type")).isEqualTo("application/x-protobuf");
    assertThat(first.header("Content-Encoding")).isEqualTo("snappy");
    assertThat(first.header("X-Prometheus-Remote-Write-Version")).isEqualTo("0.1.0");
    assertThat(first.header("Authorization"))
        .isEqualTo("Basic " + Base64.getEncoder().encodeToString("fleet:s3cret".getBytes()));
    assertThat(sink.samplesSent()).isEqualTo(expected(valid).size());
    assertThat(sink.state()).isEqualTo(PrometheusSink.State.RUNNING);
  }

  /**
   * Hostile records on the aggregates topic: garbage bytes, a truncated Aggregate, an unknown
   * schema fingerprint and a 10 MB record (refused by the broker at the topic's default limit;
   * accepted once {@code max.message.bytes} is 16 MB), each followed by good aggregates: each bad
   * one is dead-lettered (the 10 MB one cut to 512 KiB, its size in a header) and counted, the sink
   * keeps running, and every good sample after them is delivered exactly once.
   */
  @Test
  void hostileRecordsAreDeadLetteredAndTheGoodOnesAfterThemDelivered() throws Exception {
    RecordingReceiver receiver = RecordingReceiver.start();
    open.add(receiver);
    String run = "hostile" + RUN.incrementAndGet();
    PromSinkConfig config =
        SinkFixture.config(cluster.bootstrapServers(), run, receiver.url().toString());
    SinkFixture.produce(config, List.of(), List.of());
    String topic = config.topics().aggregates().name();
    List<Aggregate> valid = timers(20);
    byte[] good = io.fleetstats.schemas.Topics.AGGREGATE.encode(valid.get(0));
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
    Map<String, Object> props = new java.util.HashMap<>();
    props.put("bootstrap.servers", cluster.bootstrapServers());
    props.put("acks", "all");
    props.put("max.request.size", 16 * 1024 * 1024);
    props.put("buffer.memory", 64L * 1024 * 1024);
    try (var producer =
        new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(
            props,
            new org.apache.kafka.common.serialization.ByteArraySerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      Throwable refused =
          org.assertj.core.api.Assertions.catchThrowable(
              () ->
                  producer
                      .send(
                          new org.apache.kafka.clients.producer.ProducerRecord<>(
                              topic, 0, null, tenMb))
                      .get());
      assertThat(refused)
          .hasCauseInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
      io.fleetstats.testing.TestKafka.maxMessageBytes(
          cluster.bootstrapServers(), 16 * 1024 * 1024, List.of(topic));
      int v = 0;
      for (int i = 0; i < bad.size(); i++) {
        producer
            .send(
                new org.apache.kafka.clients.producer.ProducerRecord<>(
                    topic, 0, ("bad-" + i).getBytes(), bad.get(i)))
            .get();
        for (int k = 0; k < 5; k++, v++) {
          producer
              .send(
                  new org.apache.kafka.clients.producer.ProducerRecord<>(
                      topic, 0, null, io.fleetstats.schemas.Topics.AGGREGATE.encode(valid.get(v))))
              .get();
        }
      }
    }
    PrometheusSink sink = PrometheusSink.start(config);
    open.add(sink);

    await()
        .atMost(Duration.ofSeconds(45))
        .until(() -> SinkFixture.committed(admin, config) == valid.size() + bad.size());
    assertThat(sink.state()).isEqualTo(PrometheusSink.State.RUNNING);
    assertThat(receiver.accepted()).containsExactlyInAnyOrderElementsOf(expected(valid));
    assertThat(sink.recordsUndecodable()).isEqualTo(4);
    List<ConsumerRecord<byte[], byte[]>> dead = SinkFixture.deadLetters(config, 4);
    assertThat(dead).hasSize(4);
    for (ConsumerRecord<byte[], byte[]> r : dead) {
      byte[] original = bad.get(Integer.parseInt(new String(r.key()).substring(4)));
      assertThat(SinkFixture.header(r, "fleetstats.reason")).isEqualTo("undecodable");
      if (original.length > 512 * 1024) {
        assertThat(r.value()).isEqualTo(java.util.Arrays.copyOf(original, 512 * 1024));
        assertThat(SinkFixture.header(r, "fleetstats.value.bytes"))
            .isEqualTo(Integer.toString(original.length));
      } else {
        assertThat(r.value()).isEqualTo(original);
      }
    }
  }

  @Test
  void stopsOn401NamingTheSettingsAndCommitsNothing() throws Exception {
    RecordingReceiver receiver = RecordingReceiver.start();
    open.add(receiver);
    String run = "unauthorized" + RUN.incrementAndGet();
    PromSinkConfig config =
        SinkFixture.config(
            cluster.bootstrapServers(),
            run,
            receiver.url().toString(),
            "FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN",
            "wrong-token");
    SinkFixture.produce(config, timers(5), List.of());
    receiver.script(request -> Answer.of(401, "authentication required"));

    PrometheusSink sink = PrometheusSink.start(config);
    open.add(sink);

    await().atMost(Duration.ofSeconds(30)).until(() -> sink.state() == PrometheusSink.State.FAILED);
    assertThat(sink.failure().orElseThrow().getMessage())
        .contains("HTTP 401")
        .contains("FLEETSTATS_REMOTE_WRITE_URL")
        .contains("FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN");
    assertThat(receiver.requests()).hasSize(1);
    assertThat(receiver.requests().get(0).header("Authorization")).isEqualTo("Bearer wrong-token");
    assertThat(SinkFixture.committed(admin, config)).isEqualTo(-1);
    assertThat(SinkFixture.deadLetters(config, 0)).isEmpty();
  }
}
