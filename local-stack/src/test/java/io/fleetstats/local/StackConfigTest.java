package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.stream.StreamProcessor;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** One environment, three services (and the demo pods' agents): each problem is reported once. */
class StackConfigTest {
  private final Logger readerLog = (Logger) LoggerFactory.getLogger(SettingsReader.class);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @TempDir Path dir;

  @BeforeEach
  void captureTheReadersWarnings() {
    logged.start();
    readerLog.addAppender(logged);
  }

  @AfterEach
  void stopCapturing() {
    readerLog.detachAppender(logged);
  }

  private StackConfig read(Map<String, String> env) {
    return read(env, Optional.empty());
  }

  private StackConfig read(Map<String, String> env, Optional<URI> remoteWrite) {
    LocalStack.Options options =
        new LocalStack.Options(
            0,
            0,
            Duration.ofSeconds(10),
            Duration.ofSeconds(5),
            Optional.empty(),
            Optional.empty(),
            true,
            Optional.empty(),
            env,
            line -> {},
            remoteWrite);
    return StackConfig.read(options, "127.0.0.1:19092", dir, URI.create("http://127.0.0.1:2878"));
  }

  private List<String> warnings() {
    return logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void aTypoIsReportedOnceNamingTheNearestKeyOfAnyService() {
    StackConfig c =
        read(
            Map.of(
                "FLEETSTATS_PERCENTILS", "50,99",
                "FLEETSTATS_GROUP_ID", "sinks",
                "FLEETSTATS_STATSD_MAX_TAGS", "10",
                "FLEETSTATS_SET_EXACT_LIMIT", "10"));

    // FLEETSTATS_PERCENTILES is the processor's: the agent's reader, which reports, knows it too
    assertThat(warnings())
        .containsExactly(
            "unknown setting FLEETSTATS_PERCENTILS is ignored."
                + " Did you mean FLEETSTATS_PERCENTILES?");
    assertThat(c.demoPods()).hasSize(LocalStack.DEMO_PODS.size());
    assertThat(c.sink().groupId()).isEqualTo("sinks");
    assertThat(c.processor().setExactLimit()).isEqualTo(10);
    assertThat(c.agent().ingest().statsd().maxTags()).isEqualTo(10);
  }

  @Test
  void anUnknownKafkaPropertyIsReportedOnceAndEachServiceGetsItsOwn() {
    StackConfig c =
        read(
            Map.of(
                "FLEETSTATS_KAFKA_LINGER_MSS", "5",
                "FLEETSTATS_KAFKA_MAX_POLL_RECORDS", "100",
                "FLEETSTATS_KAFKA_NUM_STANDBY_REPLICAS", "1"));

    assertThat(warnings())
        .singleElement()
        .asString()
        .startsWith("FLEETSTATS_KAFKA_LINGER_MSS is not a Kafka producer and admin property");
    assertThat(c.agent().kafkaProperties()).isEmpty();
    // plus the static member ids the stack gives its consumers (a restart after a kill takes its
    // partitions back at once)
    assertThat(c.processor().kafka())
        .containsOnlyKeys("max.poll.records", "num.standby.replicas", "group.instance.id")
        .containsEntry("group.instance.id", StackConfig.PROCESSOR_POD);
    assertThat(c.sink().kafkaProperties())
        .containsOnlyKeys("max.poll.records", "group.instance.id")
        .containsEntry("group.instance.id", StackConfig.SINK_POD);
  }

  @Test
  void aGroupInstanceIdOfTheEnvironmentWins() {
    StackConfig c = read(Map.of("FLEETSTATS_KAFKA_GROUP_INSTANCE_ID", "mine"));

    assertThat(warnings()).isEmpty();
    assertThat(c.processor().kafka()).containsEntry("group.instance.id", "mine");
    assertThat(c.sink().kafkaProperties()).containsEntry("group.instance.id", "mine");
  }

  @Test
  void strictConfigStopsTheStartWithTheTypoListedOnce() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                read(
                    Map.of(
                        "FLEETSTATS_PERCENTILS", "50,99",
                        "FLEETSTATS_STRICT_CONFIG", "true")));

    assertThat(e.problems())
        .singleElement()
        .asString()
        .contains("FLEETSTATS_PERCENTILS is ignored. Did you mean FLEETSTATS_PERCENTILES?")
        .contains("FLEETSTATS_STRICT_CONFIG=true");
    assertThat(warnings()).isEmpty();
  }

  @Test
  void aKafkaPropertyTypoInTheSettingsFileIsReportedOnce() throws IOException {
    Path file = dir.resolve("fleetstats.yaml");
    Files.writeString(file, "percentiles: 50,99\nkafka:\n  linger.mss: 5\n");

    StackConfig c = read(Map.of("FLEETSTATS_CONFIG_FILE", file.toString()));

    assertThat(warnings())
        .singleElement()
        .asString()
        .startsWith("FLEETSTATS_KAFKA_LINGER_MSS is not a Kafka");
    assertThat(c.processor().percentiles()).containsExactly(50.0, 99.0);
  }

  @Test
  void theEmbeddedBrokerIsTheBootstrapOfEveryClient() {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP_SERVERS", "elsewhere:9092");
    StackConfig c = read(env);

    assertThat(warnings()).isEmpty();
    assertThat(
            List.<Map<?, ?>>of(
                c.agent().adminProperties(),
                StreamProcessor.streamsProperties(c.processor()),
                c.processor().adminProperties(),
                c.sink().consumerConfig(),
                c.sink().producerConfig(),
                c.sink().adminConfig()))
        .allSatisfy(
            client -> assertThat(client.get("bootstrap.servers")).isEqualTo("127.0.0.1:19092"));
    assertThat(c.agent().kafkaBootstrap()).isEqualTo("127.0.0.1:19092");
  }

  @Test
  void remoteWriteAddsThePrometheusSinkWithAGroupAndAdminPortOfItsOwn() {
    StackConfig c =
        read(
            Map.of(
                "FLEETSTATS_GROUP_ID", "sinks",
                "FLEETSTATS_ADMIN_ADDRESS", "127.0.0.1:9127",
                "FLEETSTATS_METRIC_PREFIX", "app.",
                "FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN", "t"),
            Optional.of(URI.create("http://127.0.0.1:9090/api/v1/write")));

    assertThat(warnings()).isEmpty();
    assertThat(c.prometheus()).isPresent();
    var prometheus = c.prometheus().get();
    assertThat(prometheus.url()).hasToString("http://127.0.0.1:9090/api/v1/write");
    // a group shared with the Wavefront sink would split the aggregates between the two sinks
    assertThat(c.sink().groupId()).isEqualTo("sinks");
    assertThat(prometheus.groupId()).isEqualTo("fleetstats-prometheus-sink");
    assertThat(prometheus.adminAddress()).hasValueSatisfying(a -> assertThat(a.getPort()).isZero());
    assertThat(prometheus.metricPrefix()).isEqualTo("app.");
    assertThat(prometheus.kafkaBootstrap()).isEqualTo("127.0.0.1:19092");
    assertThat(read(Map.of()).prometheus()).isEmpty();
  }
}
