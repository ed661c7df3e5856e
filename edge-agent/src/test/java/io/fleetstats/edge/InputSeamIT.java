package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.edge.input.ticks.TickInput;
import io.fleetstats.testing.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A new input is one class implementing {@code Input} ({@link TickInput}, a test input in a package
 * of its own): the agent gives it a publisher like statsd's, its records reach Kafka in order
 * through the shared producer, and its delivery meters appear beside its own.
 */
class InputSeamIT {
  private static final String TOPIC = "it.ticks";
  private static KafkaClusterTestKit cluster;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster = TestKafka.start();
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get();
    }
  }

  @AfterAll
  static void stopBroker() throws Exception {
    cluster.close();
  }

  @Test
  void aTestInputPublishesThroughTheAgentsPublisherAndMeters() {
    EdgeConfig config =
        EdgeConfig.fromEnv(
            Map.of(
                "FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers(),
                "FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0",
                "FLEETSTATS_TOPIC_PARTITIONS", "1",
                "CLUSTER_NAME", "it",
                "POD_NAME", "ticker-0"));
    long produced;
    try (EdgeAgent agent =
        EdgeAgent.start(config, Clock.systemUTC(), List.of(new TickInput(TOPIC)))) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> counted(agent, "fleetstats.edge.ticks.batches.produced") >= 20);
      String metrics = agent.meterRegistry().scrape();
      assertThat(metrics)
          .contains("fleetstats_edge_ticks_made_total{cluster=\"it\"")
          .contains("fleetstats_edge_ticks_samples_dropped_total{cluster=\"it\"")
          .contains("fleetstats_edge_batches_produced_total{cluster=\"it\"");
      agent.close();
      produced = (long) counted(agent, "fleetstats.edge.ticks.batches.produced");
    }

    List<String> values = read(produced);
    assertThat(values).hasSize((int) produced);
    for (int i = 0; i < values.size(); i++) {
      assertThat(values.get(i)).isEqualTo("tick-" + (i + 1));
    }
  }

  private static double counted(EdgeAgent agent, String name) {
    return agent.meterRegistry().get(name).functionCounter().count();
  }

  private static List<String> read(long count) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()),
            new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(TOPIC, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                  out.add(new String(r.value(), StandardCharsets.UTF_8));
                }
                return out.size() >= count;
              });
    }
    return out;
  }
}
