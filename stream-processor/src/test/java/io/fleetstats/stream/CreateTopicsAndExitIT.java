package io.fleetstats.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.testing.TestKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;

/** {@code --create-topics-and-exit}, the chart's topic Job, against a real in-JVM broker. */
class CreateTopicsAndExitIT {

  @Test
  void createsTheTopicsWithTheSettingsAndExitsZero() throws Exception {
    try (KafkaClusterTestKit kafka = TestKafka.start()) {
      Map<String, String> env =
          Map.of(
              "FLEETSTATS_KAFKA_BOOTSTRAP", kafka.bootstrapServers(),
              "FLEETSTATS_TOPIC_PREFIX", "job",
              "FLEETSTATS_TOPIC_PARTITIONS", "3",
              "FLEETSTATS_TOPIC_REPLICATION", "1",
              "FLEETSTATS_RAW_RETENTION", "48h",
              "FLEETSTATS_ADMIN_ADDRESS", "off");

      assertThat(run(env).code()).isZero();
      // a second run (helm upgrade) finds them and still succeeds
      Result again = run(env);
      assertThat(again.code()).isZero();
      assertThat(again.out()).contains("every topic under job exists already");

      try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
        TopicDescription raw =
            admin
                .describeTopics(List.of("job.raw.statsd"))
                .allTopicNames()
                .get(30, TimeUnit.SECONDS)
                .get("job.raw.statsd");
        assertThat(raw.partitions()).hasSize(3);
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, "job.raw.statsd");
        assertThat(
                admin
                    .describeConfigs(List.of(r))
                    .all()
                    .get(30, TimeUnit.SECONDS)
                    .get(r)
                    .get("retention.ms")
                    .value())
            .isEqualTo(String.valueOf(48L * 3600 * 1000));
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
            .contains("job.raw.mysql", "job.aggregates", "job.deadletter", "job.clusters");
      }
    }
  }

  @Test
  void unreachableKafkaIsAClearErrorAndExitOne() throws Exception {
    Result r =
        run(
            Map.of(
                "FLEETSTATS_KAFKA_BOOTSTRAP", "127.0.0.1:1",
                "FLEETSTATS_TOPIC_SETUP_TIMEOUT", "2s",
                "FLEETSTATS_ADMIN_ADDRESS", "off"));
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("cannot create the topics", "cannot reach Kafka at 127.0.0.1:1");
  }

  record Result(int code, String out, String err) {}

  private static synchronized Result run(Map<String, String> env) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code =
          StreamProcessorMain.commandLine(new StreamProcessorMain(env))
              .execute("--create-topics-and-exit");
      return new Result(
          code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }
}
