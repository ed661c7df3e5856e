package io.fleetstats.stream;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;

/** The in-JVM broker and the clients the processor's broker tests share. */
public final class ItKafka {
  private ItKafka() {}

  /**
   * A one-node KRaft broker in {@code dir} for exactly-once applications: single-partition offsets
   * and transaction logs (quick to create), a small log-cleaner buffer for the compacted
   * changelogs.
   */
  public static KafkaClusterTestKit start(Path dir) throws Exception {
    return TestKafka.start(
        TestKafka.builder(true, dir)
            .setConfigProp("offsets.topic.num.partitions", "1")
            .setConfigProp("transaction.state.log.num.partitions", "1")
            .setConfigProp("log.cleaner.dedupe.buffer.size", "2097152"));
  }

  /** A durable producer of raw statsd batches, as the edge agent's. */
  public static KafkaProducer<String, StatsdBatch> rawProducer(String bootstrap, Topics topics) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrap,
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true),
        topics.rawStatsd().keySerde().serializer(),
        topics.rawStatsd().valueSerde().serializer());
  }

  /** A consumer of the committed aggregates from the start, in group {@code group}. */
  public static KafkaConsumer<String, Aggregate> aggregateReader(
      String bootstrap, Topics topics, String group) {
    KafkaConsumer<String, Aggregate> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG,
                group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed"),
            topics.aggregates().keySerde().deserializer(),
            topics.aggregates().valueSerde().deserializer());
    consumer.subscribe(List.of(topics.aggregates().name()));
    return consumer;
  }
}
