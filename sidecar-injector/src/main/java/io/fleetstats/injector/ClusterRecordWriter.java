package io.fleetstats.injector;

import io.fleetstats.schemas.ClusterMetadata;
import io.fleetstats.schemas.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes one cluster's record to the compacted topic {@code <prefix>.clusters}: key = the cluster
 * name, value = {@link ClusterMetadata} with its tags. The stream processor adds the tags to every
 * series of that cluster. The chart's edge role runs this after each install and upgrade.
 */
public final class ClusterRecordWriter {
  private ClusterRecordWriter() {}

  /**
   * @param kafka producer and admin client properties (bootstrap.servers, security)
   * @return where the record was written
   * @throws IllegalStateException when Kafka is unreachable within {@code timeout} or the topic is
   *     missing (the message says what to do)
   */
  public static RecordMetadata write(
      Map<String, Object> kafka,
      Topics topics,
      String cluster,
      Map<String, String> tags,
      Clock clock,
      Duration timeout) {
    String topic = topics.clusters().name();
    String bootstrap = String.valueOf(kafka.get("bootstrap.servers"));
    Map<String, Object> adminProps = new HashMap<>(kafka);
    adminProps.putIfAbsent("default.api.timeout.ms", (int) timeout.toMillis());
    adminProps.putIfAbsent("request.timeout.ms", (int) Math.min(timeout.toMillis(), 30_000));
    try (Admin admin = Admin.create(adminProps)) {
      Set<String> names = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!names.contains(topic)) {
        // a producer would let the broker auto-create it, uncompacted
        throw new IllegalStateException(
            "topic "
                + topic
                + " does not exist at "
                + bootstrap
                + ": install the central role first (its topic Job creates the topics), or create"
                + " it with cleanup.policy=compact");
      }
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot reach Kafka at "
              + bootstrap
              + " within "
              + timeout.toSeconds()
              + " s (FLEETSTATS_KAFKA_BOOTSTRAP and the FLEETSTATS_KAFKA_* security settings): "
              + e,
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    ClusterMetadata record =
        ClusterMetadata.newBuilder()
            .setCluster(cluster)
            .setTags(new HashMap<>(tags))
            .setUpdatedAt(clock.millis())
            .build();
    Map<String, Object> producerProps = new HashMap<>(kafka);
    producerProps.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
    producerProps.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
    producerProps.putIfAbsent(ProducerConfig.ENABLE_METRICS_PUSH_CONFIG, false);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(producerProps, new StringSerializer(), new ByteArraySerializer())) {
      return producer
          .send(new ProducerRecord<>(topic, cluster, Topics.CLUSTER_METADATA.encode(record)))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot write the record of cluster " + cluster + " to " + topic + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
