package io.fleetstats.sink.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.kit.Ticker;
import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.sink.kit.deadletter.DeadLetter;
import io.fleetstats.testing.TestKafka;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The loop with {@link PostDelivery}, the smallest sink there is, against a real in-JVM KRaft
 * broker and a real HTTP server on loopback: what at-least-once means for every sink.
 */
class SinkLoopIT {
  private static final Duration WAIT = Duration.ofSeconds(30);
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

  /** The topics and group of one test, so tests do not see each other's data. */
  private record Names(String topic, String deadLetters, String group) {}

  private static Names names() throws Exception {
    int run = RUN.incrementAndGet();
    Names n = new Names("records" + run, "deadletter" + run, "test-sink-" + run);
    List<NewTopic> topics =
        List.of(new NewTopic(n.topic(), 1, (short) 1), new NewTopic(n.deadLetters(), 1, (short) 1));
    admin.createTopics(topics).all().get();
    return n;
  }

  private RecordingServer server() {
    RecordingServer server = RecordingServer.start();
    open.add(server);
    return server;
  }

  private SinkLoop start(Names n, RecordingServer server, Map<String, Object> kafka) {
    PrometheusMeterRegistry registry = AdminServer.newRegistry();
    Map<String, Object> props = new HashMap<>(kafka);
    props.put("bootstrap.servers", cluster.bootstrapServers());
    // The whole wiring of a new sink: its delivery, then the loop around it.
    PostDelivery delivery = new PostDelivery(server.url(), Ticker.SYSTEM, registry);
    SinkLoop loop =
        SinkLoop.builder("test sink", n.topic(), delivery)
            .kafka(props)
            .groupId(n.group())
            .deadLetterTopic(n.deadLetters())
            .registry(registry)
            .meterPrefix("test.sink")
            .build();
    open.add(0, loop);
    return loop.start();
  }

  private SinkLoop start(Names n, RecordingServer server) {
    return start(n, server, Map.of());
  }

  private static List<String> lines(int n) {
    return IntStream.range(0, n).mapToObj(i -> "line-" + i).toList();
  }

  // Everything to partition 0 before the loop starts, keyed k<i>; a null value is a record the
  // delivery cannot decode.
  private static void produce(String topic, List<String> values) {
    Map<String, Object> props =
        Map.of("bootstrap.servers", cluster.bootstrapServers(), "acks", "all");
    var serializer = new ByteArraySerializer();
    try (var producer = new KafkaProducer<>(props, serializer, serializer)) {
      for (int i = 0; i < values.size(); i++) {
        byte[] value = values.get(i) == null ? null : bytes(values.get(i));
        producer.send(new ProducerRecord<>(topic, 0, bytes("k" + i), value));
      }
      producer.flush();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static long committed(Names n) {
    try {
      Map<TopicPartition, OffsetAndMetadata> offsets =
          admin.listConsumerGroupOffsets(n.group()).partitionsToOffsetAndMetadata().get();
      return offsets.values().stream()
          .filter(o -> o != null)
          .mapToLong(OffsetAndMetadata::offset)
          .sum();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The id of the group's only member (fails if the group has none or several). */
  private static String member(Names n) throws Exception {
    var group = admin.describeConsumerGroups(List.of(n.group())).describedGroups().get(n.group());
    List<MemberDescription> members = List.copyOf(group.get().members());
    assertThat(members).hasSize(1);
    return members.get(0).consumerId();
  }

  private static List<ConsumerRecord<byte[], byte[]>> deadLetters(Names n) {
    Map<String, Object> props = Map.of("bootstrap.servers", cluster.bootstrapServers());
    var deserializer = new ByteArrayDeserializer();
    try (var c = new KafkaConsumer<>(props, deserializer, deserializer)) {
      TopicPartition tp = new TopicPartition(n.deadLetters(), 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      await()
          .atMost(WAIT)
          .until(
              () -> {
                c.poll(Duration.ofMillis(100)).forEach(out::add);
                return c.position(tp) >= end;
              });
      return out;
    }
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    return new String(r.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
  }

  @Test
  void commitsOnlyWhatTheServerAccepted() throws Exception {
    Names n = names();
    produce(n.topic(), lines(20));
    RecordingServer server = server();
    // at every request: offsets committed so far never exceed the lines the server has accepted
    List<long[]> committedAndAccepted = new CopyOnWriteArrayList<>();
    server.onRequest(
        () -> committedAndAccepted.add(new long[] {committed(n), server.accepted().size()}));
    SinkLoop loop = start(n, server);

    await().atMost(WAIT).until(() -> committed(n) == 20);
    assertThat(server.accepted()).containsExactlyElementsOf(lines(20));
    assertThat(committedAndAccepted)
        .isNotEmpty()
        .allSatisfy(c -> assertThat(c[0]).isLessThanOrEqualTo(c[1]));
    assertThat(loop.recordsConsumed()).isEqualTo(20);
    assertThat(loop.registry().get("test.sink.commits").functionCounter().count())
        .isEqualTo((double) loop.commits())
        .isPositive();
    await().atMost(WAIT).until(() -> loop.consumerLag() == 0);
    assertThat(loop.deadLettered()).isZero();
  }

  @Test
  void deadLettersAnUndecodableAndARefusedRecordAndDeliversTheRest() throws Exception {
    Names n = names();
    List<String> values = new ArrayList<>(lines(10));
    values.set(3, null);
    values.set(6, "refused-6");
    produce(n.topic(), values);
    RecordingServer server = server().refuseLinesContaining("refused");
    SinkLoop loop = start(n, server);

    await().atMost(WAIT).until(() -> committed(n) == 10);
    List<String> expected = new ArrayList<>(values);
    expected.removeIf(v -> v == null || v.startsWith("refused"));
    assertThat(server.accepted()).containsExactlyElementsOf(expected);
    assertThat(server.statuses()).contains(400);
    Map<String, String> reasonByKey = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : deadLetters(n)) {
      String key = new String(r.key(), StandardCharsets.UTF_8);
      String original = values.get(Integer.parseInt(key.substring(1)));
      reasonByKey.put(key, header(r, DeadLetter.REASON));
      assertThat(header(r, DeadLetter.TOPIC)).isEqualTo(n.topic());
      assertThat(header(r, DeadLetter.OFFSET)).isEqualTo(key.substring(1));
      assertThat(r.value()).isEqualTo(original == null ? null : bytes(original));
    }
    assertThat(reasonByKey)
        .containsOnly(Map.entry("k3", SinkLoop.UNDECODABLE), Map.entry("k6", "refused"));
    assertThat(loop.deadLetteredByReason())
        .containsOnly(Map.entry("undecodable", 1L), Map.entry("refused", 1L));
    assertThat(loop.recordsUndecodable()).isEqualTo(1);
    var refused = loop.registry().get("test.sink.deadlettered").tag("reason", "refused");
    assertThat(refused.counter().count()).isEqualTo(1.0);
  }

  @Test
  void retryingKeepsTheConsumerInItsGroupAndCommitsNothing() throws Exception {
    Names n = names();
    produce(n.topic(), lines(5));
    RecordingServer server = server().answer(503);
    // Without the paused polls, a consumer that does not poll for 500 ms leaves its group.
    SinkLoop loop = start(n, server, Map.of("max.poll.interval.ms", "500"));
    await().atMost(WAIT).until(() -> server.requests() >= 2);
    String member = member(n);

    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () ->
                committed(n) == 0
                    && member(n).equals(member)
                    && loop.consumerLag() == 5
                    && loop.state() == SinkLoop.State.RUNNING
                    && server.accepted().isEmpty());
    server.answer(202);
    await().atMost(WAIT).until(() -> committed(n) == 5);

    assertThat(member(n)).as("the same member all along: it never left").isEqualTo(member);
    assertThat(server.accepted())
        .as("delivered once, not again after a rebalance")
        .containsExactlyElementsOf(lines(5));
    assertThat(loop.registry().get("test.sink.retries").tag("cause", "5xx").counter().count())
        .isGreaterThanOrEqualTo(3);
  }

  @Test
  void stopsOnAFatalAnswerCommittingAndDeadLetteringNothing() throws Exception {
    Names n = names();
    produce(n.topic(), Arrays.asList("line-0", null));
    RecordingServer server = server().answer(401);
    SinkLoop loop = start(n, server);

    await().atMost(WAIT).until(() -> loop.state() == SinkLoop.State.FAILED);
    assertThat(loop.failure().map(Throwable::getMessage))
        .hasValueSatisfying(
            m ->
                assertThat(m).startsWith("test sink stopped, nothing more is committed: HTTP 401"));
    assertThat(loop.readiness()).startsWith("sink is failed: ");
    assertThat(committed(n)).isZero();
    assertThat(deadLetters(n)).isEmpty();
    assertThat(server.requests()).isEqualTo(1);
  }

  @Test
  void closeWhileRetryingCommitsNothing() throws Exception {
    Names n = names();
    produce(n.topic(), lines(3));
    RecordingServer server = server().answer(503);
    SinkLoop loop = start(n, server);
    await().atMost(WAIT).until(() -> server.requests() >= 2);

    loop.close();
    assertThat(loop.state()).isEqualTo(SinkLoop.State.CLOSED);
    assertThat(committed(n)).isZero();
    assertThat(loop.failure()).isEqualTo(Optional.empty());
  }
}
