package io.fleetstats.sink.prometheus;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** Kafka plumbing the sink's integration tests share: produce records, read dead letters. */
final class SinkFixture {
  private SinkFixture() {}

  /** A config of its own (topic prefix, group) so tests do not see each other's data. */
  static PromSinkConfig config(String bootstrap, String run, String url, String... extra) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", bootstrap);
    env.put("FLEETSTATS_REMOTE_WRITE_URL", url);
    env.put("FLEETSTATS_TOPIC_PREFIX", run);
    env.put("FLEETSTATS_GROUP_ID", "prom-it-" + run);
    env.put("FLEETSTATS_RETRY_MAX_BACKOFF", "5s");
    env.put("FLEETSTATS_REQUEST_TIMEOUT", "5s");
    env.put("FLEETSTATS_ADMIN_ADDRESS", "off");
    env.put("CLUSTER_NAME", "it-cluster");
    env.put("POD_NAME", "prom-it");
    for (int i = 0; i < extra.length; i += 2) {
      env.put(extra[i], extra[i + 1]);
    }
    return PromSinkConfig.fromEnv(env);
  }

  /** Aggregates (encoded) then raw records, all to partition 0 of the aggregates topic. */
  static void produce(PromSinkConfig config, List<Aggregate> aggregates, List<byte[]> raw)
      throws Exception {
    TopicSetup.ensure(
        config.adminConfig(),
        config.topics(),
        1,
        Optional.empty(),
        Duration.ofDays(1),
        Duration.ofSeconds(30));
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrap());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    // one request at a time, every send checked: a setup problem fails here, not as a timeout later
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    props.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      String topic = config.topics().aggregates().name();
      List<Future<?>> sent = new ArrayList<>();
      for (Aggregate a : aggregates) {
        byte[] key = (a.getName() + a.getTags()).getBytes(StandardCharsets.UTF_8);
        sent.add(producer.send(new ProducerRecord<>(topic, 0, key, Topics.AGGREGATE.encode(a))));
      }
      for (byte[] r : raw) {
        sent.add(producer.send(new ProducerRecord<>(topic, 0, "raw".getBytes(), r)));
      }
      for (Future<?> f : sent) {
        f.get(30, TimeUnit.SECONDS);
      }
    }
  }

  /** Committed offset of partition 0 of the aggregates topic, or -1 if none. */
  static long committed(Admin admin, PromSinkConfig config) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin
            .listConsumerGroupOffsets(config.groupId())
            .partitionsToOffsetAndMetadata()
            .get(10, TimeUnit.SECONDS);
    OffsetAndMetadata o = offsets.get(new TopicPartition(config.topics().aggregates().name(), 0));
    return o == null ? -1 : o.offset();
  }

  /** Every dead letter written so far: reason → the record. */
  static List<ConsumerRecord<byte[], byte[]>> deadLetters(PromSinkConfig config, int expected) {
    Map<String, Object> props = new HashMap<>(config.consumerConfig());
    props.put("group.id", "dead-reader-" + System.nanoTime());
    props.put("auto.offset.reset", "earliest");
    props.put("isolation.level", "read_committed");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(config.topics().deadletter().name()));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(expected == 0 ? 3 : 20);
      while (System.nanoTime() < deadline && (expected == 0 || out.size() < expected)) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      // a little longer, to see any letter beyond the expected ones
      consumer.poll(Duration.ofMillis(500)).forEach(out::add);
    }
    return out;
  }

  static String header(ConsumerRecord<byte[], byte[]> record, String name) {
    Header h = record.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
