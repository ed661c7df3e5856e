package io.fleetstats.edge.mysql;

import io.fleetstats.edge.publish.BatchPublisher;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.Topic;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends snapshots to {@code <prefix>.raw.mysql}, keyed by the source id, timestamped with the
 * poll time. Called on the poller's thread, so a slow broker delays polls, never statsd.
 */
public final class SnapshotPublisher implements Consumer<MysqlSnapshot>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotPublisher.class);

  private final Producer<String, MysqlSnapshot> producer;
  private final String topic;
  private final LongAdder sent = new LongAdder();
  private final LongAdder failed = new LongAdder();

  public SnapshotPublisher(Producer<String, MysqlSnapshot> producer, String topic) {
    this.producer = producer;
    this.topic = topic;
  }

  /**
   * A producer for snapshots with the agent's producer settings ({@code FLEETSTATS_KAFKA_*}
   * included, so security settings apply) but a 1 MiB buffer: one snapshot per interval needs no
   * more.
   */
  public static SnapshotPublisher create(
      String bootstrap, Map<String, String> passthrough, Topic<String, MysqlSnapshot> topic) {
    Map<String, Object> props = BatchPublisher.producerProperties(bootstrap, Map.of());
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 1024L * 1024);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "fleetstats-edge-agent-mysql");
    props.putAll(passthrough);
    return new SnapshotPublisher(
        new KafkaProducer<>(props, topic.keySerde().serializer(), topic.valueSerde().serializer()), topic.name());
  }

  @Override
  public void accept(MysqlSnapshot snapshot) {
    ProducerRecord<String, MysqlSnapshot> record =
        new ProducerRecord<>(topic, null, snapshot.getTakenAt(), Sources.id(snapshot.getSource()), snapshot);
    try {
      producer.send(
          record,
          (md, error) -> {
            if (error == null) {
              sent.increment();
            } else {
              failed.increment();
              log.warn("could not publish a mysql snapshot to {}: {}", topic, error.toString());
            }
          });
    } catch (KafkaException e) {
      failed.increment();
      log.warn("could not publish a mysql snapshot to {}: {}", topic, e.toString());
    }
  }

  /** Snapshots acknowledged by Kafka. */
  public long sent() {
    return sent.sum();
  }

  /** Snapshots the producer gave up on. */
  public long failed() {
    return failed.sum();
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
