package io.fleetstats.injector;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.ClusterMetadata;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code --write-cluster-record} against a real in-JVM broker, as the chart's hook Job runs it. */
class ClusterRecordWriterIT {
  private static KafkaClusterTestKit kafka;

  @BeforeAll
  static void startKafka() throws Exception {
    kafka = TestKafka.start();
  }

  @AfterAll
  static void stopKafka() throws Exception {
    kafka.close();
  }

  @Test
  void writesTheClusterTagsUnderTheClusterName() throws Exception {
    Topics topics = Topics.withPrefix("acme");
    TopicSetup.ensure(
        Map.of("bootstrap.servers", kafka.bootstrapServers()),
        topics,
        1,
        Optional.empty(),
        Duration.ofDays(1),
        Duration.ofSeconds(30));
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
    env.put("FLEETSTATS_TOPIC_PREFIX", "acme");
    env.put("CLUSTER_NAME", "prod-eu-1");
    env.put("FLEETSTATS_CLUSTER_TAGS", "region=eu-west-1, environment=production");
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code = run(env, out, err);

    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).contains("cluster record of prod-eu-1 written to acme.clusters");
    List<ConsumerRecord<String, byte[]>> records = readAll("acme.clusters");
    assertThat(records).hasSize(1);
    assertThat(records.get(0).key()).isEqualTo("prod-eu-1");
    ClusterMetadata m = Topics.CLUSTER_METADATA.decode(records.get(0).value());
    assertThat(m.getCluster()).isEqualTo("prod-eu-1");
    assertThat(m.getTags())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("region", "eu-west-1", "environment", "production"));
    assertThat(m.getUpdatedAt()).isPositive();
  }

  @Test
  void aMissingTopicIsAnErrorNamingTheCentralInstall() {
    Map<String, String> env =
        Map.of(
            "FLEETSTATS_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
            "FLEETSTATS_TOPIC_PREFIX", "nocentral",
            "FLEETSTATS_CLUSTER", "c1");
    StringWriter err = new StringWriter();
    assertThat(run(env, new StringWriter(), err)).isEqualTo(1);
    assertThat(err.toString())
        .contains("topic nocentral.clusters does not exist", "install the central role first");
  }

  @Test
  void withoutAClusterNameNothingIsWritten() {
    StringWriter err = new StringWriter();
    assertThat(
            run(
                Map.of("FLEETSTATS_KAFKA_BOOTSTRAP", kafka.bootstrapServers()),
                new StringWriter(),
                err))
        .isEqualTo(2);
    assertThat(err.toString()).contains("set FLEETSTATS_CLUSTER");
  }

  @Test
  void badTagsAreAConfigurationError() {
    StringWriter err = new StringWriter();
    assertThat(
            run(
                Map.of("FLEETSTATS_CLUSTER", "c1", "FLEETSTATS_CLUSTER_TAGS", "region"),
                new StringWriter(),
                err))
        .isEqualTo(2);
    assertThat(err.toString()).contains("FLEETSTATS_CLUSTER_TAGS", "key=value");
  }

  private static int run(Map<String, String> env, StringWriter out, StringWriter err) {
    CommandLine cl = InjectorMain.commandLine(new InjectorMain(env));
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    return cl.execute("--write-cluster-record");
  }

  private static List<ConsumerRecord<String, byte[]>> readAll(String topic) {
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of("bootstrap.servers", kafka.bootstrapServers()),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      List<ConsumerRecord<String, byte[]>> out = new java.util.ArrayList<>();
      while (consumer.position(tp) < end) {
        consumer.poll(Duration.ofMillis(500)).forEach(out::add);
      }
      return out;
    }
  }
}
