package io.fleetstats.stream;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.KubeletEntity;
import io.fleetstats.schemas.KubeletSummary;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.UndecodableRecords.Reason;
import io.fleetstats.testing.TestKafka;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile records on every topic the processor reads (raw statsd, raw MySQL, raw kubelet): garbage
 * bytes, a truncated Avro record, an unknown schema fingerprint and a 10 MB record, each followed
 * by good records. The broker refuses the 10 MB record at the topics' default limit (the producer's
 * error is checked); with {@code max.message.bytes} raised to 16 MB it reaches the processor. Every
 * bad record is skipped, counted by topic and reason, and copied to the dead-letter topic with its
 * topic, partition and offset; the processor keeps running and the good records after them come out
 * exact.
 */
class HostileRecordsIT {
  private static final int TEN_MB = 10 * 1024 * 1024;
  private static final long WINDOW_MS = 2_000;

  private static KafkaClusterTestKit cluster;
  @TempDir static Path brokerDir;
  @TempDir Path stateDir;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster = ItKafka.start(brokerDir);
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void badRecordsOnEveryRawTopicAreSkippedCountedAndDeadLetteredAndGoodOnesStillArrive()
      throws Exception {
    StreamConfig config =
        StreamConfig.fromEnv(
            Map.of(
                StreamConfig.BOOTSTRAP.key(),
                cluster.bootstrapServers(),
                StreamConfig.APPLICATION_ID.key(),
                "fleetstats-it-hostile",
                StreamConfig.WINDOW.key(),
                "2s",
                StreamConfig.GRACE.key(),
                "1s",
                StreamConfig.STATE_DIR.key(),
                stateDir.toString(),
                "CLUSTER_NAME",
                "it-cluster",
                "POD_NAME",
                "processor-0"));
    Topics topics = config.topics();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        1,
        Optional.empty(),
        Duration.ofHours(1),
        Duration.ofSeconds(30));
    List<String> raw =
        List.of(topics.rawStatsd().name(), topics.rawMysql().name(), topics.rawKubelet().name());
    long now = System.currentTimeMillis();
    Map<String, byte[]> good = new LinkedHashMap<>();
    good.put(
        topics.rawStatsd().name(),
        topics
            .rawStatsd()
            .valueSerde()
            .serializer()
            .serialize(
                "",
                batch(
                    source("hostile-0"), now, series("after.bad", MetricType.COUNTER, now, 2, 3))));
    good.put(
        topics.rawMysql().name(),
        topics.rawMysql().valueSerde().serializer().serialize("", mysql(now)));
    good.put(
        topics.rawKubelet().name(),
        topics.rawKubelet().valueSerde().serializer().serialize("", kubelet(now)));

    Map<String, Object> producerProps = new HashMap<>();
    producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 * 1024 * 1024);
    producerProps.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    Random random = new Random(21);
    byte[] tenMb = new byte[TEN_MB];
    random.nextBytes(tenMb);
    List<String> refusals = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer())) {
      // At the topics' default limit the broker refuses a 10 MB record: the producer is told.
      for (String topic : raw) {
        ExecutionException refused =
            org.assertj.core.api.Assertions.catchThrowableOfType(
                ExecutionException.class,
                () ->
                    producer
                        .send(
                            new ProducerRecord<>(topic, key(topic), withHeader(good, topic, tenMb)))
                        .get());
        assertThat(refused).as(topic).isNotNull();
        assertThat(refused.getCause()).isInstanceOf(RecordTooLargeException.class);
        refusals.add(topic + ": " + refused.getCause().getMessage());
      }
      TestKafka.maxMessageBytes(cluster.bootstrapServers(), 16 * 1024 * 1024, raw);

      // Each topic: garbage, truncated, unknown fingerprint, 10 MB, then the good record.
      for (String topic : raw) {
        byte[] valid = good.get(topic);
        byte[] garbage = new byte[1000];
        random.nextBytes(garbage);
        garbage[0] = 'x';
        byte[] truncated = Arrays.copyOf(valid, valid.length / 2);
        byte[] foreign = valid.clone();
        foreign[2] ^= (byte) 0x5A; // the fingerprint's first byte
        for (byte[] bad : List.of(garbage, truncated, foreign, withHeader(good, topic, tenMb))) {
          producer.send(new ProducerRecord<>(topic, key(topic), bad)).get();
        }
        producer.send(new ProducerRecord<>(topic, key(topic), valid)).get();
      }
    }
    refusals.forEach(r -> System.out.println("refused at the default limit: " + r));

    List<Aggregate> all = new ArrayList<>();
    try (KafkaConsumer<String, Aggregate> consumer =
            ItKafka.aggregateReader(cluster.bootstrapServers(), topics, "hostile-reader");
        StreamProcessor processor = StreamProcessor.start(config)) {
      await()
          .atMost(Duration.ofSeconds(90))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                return processor.undecodable().total() == 12
                    && has(all, "after.bad", "value", 5.0)
                    && has(all, "mysql", "threads_connected", 4242.0)
                    && all.stream().anyMatch(a -> a.getFields().containsValue(424_242.0 * 1.0));
              });
      assertThat(processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
      for (String topic : raw) {
        assertThat(processor.undecodable().count(topic, Reason.NOT_AVRO)).as(topic).isEqualTo(1);
        assertThat(processor.undecodable().count(topic, Reason.UNKNOWN_SCHEMA))
            .as(topic)
            .isEqualTo(1);
        assertThat(processor.undecodable().count(topic, Reason.CORRUPT)).as(topic).isEqualTo(2);
      }
      String scrape = processor.registry().scrape();
      assertThat(scrape)
          .contains(
              "fleetstats_stream_records_undecodable_total{cluster=\"it-cluster\","
                  + "namespace=\"default\",pod=\"processor-0\",reason=\"unknown_schema\","
                  + "topic=\"fleetstats.raw.kubelet\"} 1.0");
      System.out.println(
          "hostile raw records: "
              + scrape
                  .lines()
                  .filter(l -> l.startsWith("fleetstats_stream_records_undecodable_total"))
                  .toList());
    }
    // the good records come out exact: the counter's window holds exactly the good batch
    assertThat(last(all, "after.bad").getFields()).containsExactly(Map.entry("value", 5.0));

    List<ConsumerRecord<byte[], byte[]>> letters = deadLetters(topics.deadletter().name(), 12);
    assertThat(letters).hasSize(12);
    Map<String, Integer> byReason = new java.util.TreeMap<>();
    for (ConsumerRecord<byte[], byte[]> l : letters) {
      byReason.merge(
          header(l, UndecodableRecords.REASON) + "@" + header(l, "fleetstats.topic"),
          1,
          Integer::sum);
      assertThat(header(l, UndecodableRecords.OFFSET)).isNotEmpty();
      assertThat(l.value().length).isLessThanOrEqualTo(UndecodableRecords.MAX_DEAD_LETTER_VALUE);
      if (header(l, UndecodableRecords.VALUE_BYTES) != null) {
        assertThat(header(l, UndecodableRecords.VALUE_BYTES))
            .isEqualTo(Integer.toString(TEN_MB + 10));
      }
    }
    System.out.println("dead letters by reason@topic: " + byReason);
    assertThat(byReason.values()).containsOnly(1, 2);
    assertThat(letters.stream().filter(l -> header(l, UndecodableRecords.VALUE_BYTES) != null))
        .hasSize(3);
  }

  /** The topic's 10-byte single-object header (marker, fingerprint) and {@code body}. */
  private static byte[] withHeader(Map<String, byte[]> good, String topic, byte[] body) {
    byte[] out = new byte[10 + body.length];
    System.arraycopy(good.get(topic), 0, out, 0, 10);
    System.arraycopy(body, 0, out, 10, body.length);
    return out;
  }

  private static byte[] key(String topic) {
    return ("it-cluster/default/" + topic).getBytes(StandardCharsets.UTF_8);
  }

  private static MysqlSnapshot mysql(long now) {
    Source s = source("mysql-0");
    return MysqlSnapshot.newBuilder()
        .setSource(s)
        .setServer("127.0.0.1:3306")
        .setTakenAt(now)
        .setCounters(new HashMap<>(Map.of("questions", 10.0)))
        .setGauges(new HashMap<>(Map.of("threads_connected", 4242.0)))
        .setSeries(List.of())
        .build();
  }

  private static KubeletSummary kubelet(long now) {
    return KubeletSummary.newBuilder()
        .setSource(source("node-agent-0"))
        .setNode("node-1")
        .setTakenAt(now)
        .setEntities(
            List.of(
                KubeletEntity.newBuilder()
                    .setType("node")
                    .setStartTime(now - 3_600_000)
                    .setGauges(Map.of("memory.workingSetBytes", 424_242L))
                    .build()))
        .build();
  }

  private static boolean has(List<Aggregate> all, String name, String field, double value) {
    return all.stream()
        .anyMatch(
            a ->
                a.getName().equals(name) && Double.valueOf(value).equals(a.getFields().get(field)));
  }

  private static Aggregate last(List<Aggregate> all, String name) {
    Aggregate last = null;
    for (Aggregate a : all) {
      if (a.getName().equals(name)) {
        last = a;
      }
    }
    return last;
  }

  private static List<ConsumerRecord<byte[], byte[]>> deadLetters(String topic, int n) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> c =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "hostile-deadletters",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      c.subscribe(List.of(topic));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
                return out.size() >= n;
              });
    }
    return out;
  }

  private static String header(ConsumerRecord<byte[], byte[]> r, String key) {
    var h = r.headers().lastHeader(key);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
