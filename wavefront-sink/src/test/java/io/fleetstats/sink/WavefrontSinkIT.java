package io.fleetstats.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.delivery.RecordingProxy;
import io.fleetstats.sink.format.Aggregates;
import io.fleetstats.sink.format.LineValidator.Reason;
import io.fleetstats.sink.format.ProxyParser;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sink against a real in-JVM KRaft broker and a real HTTP server on loopback. */
class WavefrontSinkIT {
  private static final Duration WAIT = Duration.ofSeconds(45);
  private static final AtomicInteger RUN = new AtomicInteger();
  private static KafkaClusterTestKit cluster;
  private static Admin admin;

  private final RecordingProxy proxy = RecordingProxy.start();
  private WavefrontSink sink;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder().setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("offsets.topic.num.partitions", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .setConfigProp("group.initial.rebalance.delay.ms", "0")
            .build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    admin.close();
    cluster.close();
  }

  @AfterEach
  void stop() {
    if (sink != null) {
      sink.close();
    }
    proxy.close();
  }

  /** A config with its own topic prefix and group, so tests do not see each other's data. */
  private SinkConfig config() {
    int run = RUN.incrementAndGet();
    return SinkConfig.fromEnv(
        Map.of(
            "FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers(),
            "FLEETSTATS_PROXY_URL", proxy.url().toString(),
            "FLEETSTATS_TOPIC_PREFIX", "it" + run,
            "FLEETSTATS_GROUP_ID", "sink-it-" + run,
            "FLEETSTATS_BATCH_LINES", "50",
            "FLEETSTATS_RETRY_MAX_BACKOFF", "300ms",
            "FLEETSTATS_REQUEST_TIMEOUT", "2s"));
  }

  private static void produce(SinkConfig config, List<Aggregate> aggregates, byte[]... garbage) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer())) {
      String topic = config.topics().aggregates().name();
      for (Aggregate a : aggregates) {
        producer.send(new ProducerRecord<>(topic, a.getName(), Topics.AGGREGATE.encode(a)));
      }
      for (byte[] g : garbage) {
        producer.send(new ProducerRecord<>(topic, "garbage", g));
      }
      producer.flush();
    }
  }

  private static long committedRecords(SinkConfig config) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(config.groupId()).partitionsToOffsetAndMetadata().get();
    return offsets.values().stream().filter(o -> o != null).mapToLong(OffsetAndMetadata::offset).sum();
  }

  private static List<Aggregate> timers(int n) {
    return java.util.stream.IntStream.range(0, n)
        .mapToObj(i -> Aggregates.timer("svc" + i + ".latency", Map.of("count", 10.0, "mean", 1.5, "upper", 3.0, "90_percentile", 2.75)))
        .toList();
  }

  @Test
  void commitsOnlyAfterProxyAccepts() throws Exception {
    SinkConfig config = config();
    proxy.answerByDefault(503);
    sink = WavefrontSink.start(config);
    // 60 valid timers (4 fields each = 240 lines, so 5 requests of 50), one aggregate whose 25
    // tags exceed the backend's limit, one record that is not an Aggregate.
    Map<String, String> tooManyTags = new HashMap<>(Aggregates.seedTags("timing"));
    for (int i = 0; i < 21; i++) {
      tooManyTags.put("t" + i, "v");
    }
    Aggregate invalid =
        Aggregates.aggregate("bad.timer", "timing", "node-1", tooManyTags, Aggregates.WINDOW_START_MS, Map.of("mean", 1.0, "count", 2.0));
    List<Aggregate> valid = timers(60);
    List<Aggregate> all = new java.util.ArrayList<>(valid);
    all.add(invalid);
    produce(config, all, new byte[] {1, 2, 3});
    long records = all.size() + 1;

    await().atMost(WAIT).until(() -> proxy.requests() >= 4);
    assertThat(sink.retries()).isGreaterThanOrEqualTo(3);
    assertThat(committedRecords(config)).as("nothing committed while the proxy answers 503").isZero();
    assertThat(sink.state()).isEqualTo(WavefrontSink.State.RUNNING);

    proxy.answerByDefault(202);
    await().atMost(WAIT).until(() -> committedRecords(config) == records);

    List<String> lines = proxy.acceptedLines();
    assertThat(lines).hasSize(valid.size() * 4).doesNotHaveDuplicates();
    assertThat(lines).contains("\"svc7.latency.90.percentile\" 2.75 1764086400 source=\"node-1\" \"cluster\"=\"local\" \"metric_type\"=\"timing\" \"namespace\"=\"default\" \"pod_name\"=\"api-server-0\"");
    lines.forEach(ProxyParser::parseAndValidate);
    assertThat(proxy.bodyLines()).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(50));
    assertThat(sink.linesSent()).isEqualTo(lines.size());
    assertThat(sink.batchesSent()).isGreaterThanOrEqualTo(5);
    assertThat(sink.linesInvalid()).isEqualTo(2);
    assertThat(sink.linesInvalidByReason()).containsEntry(Reason.TOO_MANY_TAGS, 2L);
    assertThat(sink.recordsUndecodable()).isEqualTo(1);
    assertThat(sink.recordsConsumed()).isEqualTo(records);
  }

  @Test
  void stopsWithAClearErrorWhenTheProxyRefusesUs() throws Exception {
    SinkConfig config = config();
    proxy.answerByDefault(401);
    sink = WavefrontSink.start(config);
    produce(config, timers(3));

    await().atMost(WAIT).until(() -> sink.state() == WavefrontSink.State.FAILED);
    assertThat(sink.failure()).hasValueSatisfying(e -> assertThat(e.getMessage()).contains("401", "FLEETSTATS_PROXY_URL"));
    assertThat(committedRecords(config)).isZero();
    assertThat(proxy.requests()).isEqualTo(1);
  }

  @Test
  void closeDuringRetriesCommitsNothingAndANewSinkDeliversEverything() throws Exception {
    SinkConfig config = config();
    proxy.answerByDefault(503);
    sink = WavefrontSink.start(config);
    produce(config, timers(5));
    await().atMost(WAIT).until(() -> proxy.requests() >= 2);
    sink.close();
    assertThat(sink.state()).isEqualTo(WavefrontSink.State.CLOSED);
    assertThat(committedRecords(config)).isZero();

    proxy.answerByDefault(202);
    sink = WavefrontSink.start(config);
    await().atMost(WAIT).until(() -> committedRecords(config) == 5);
    assertThat(proxy.acceptedLines()).hasSize(20).doesNotHaveDuplicates();
  }
}
