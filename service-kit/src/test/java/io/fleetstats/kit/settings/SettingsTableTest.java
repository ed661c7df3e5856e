package io.fleetstats.kit.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTableTest {
  private static final Setting<String> BOOTSTRAP =
      Setting.string("FLEETSTATS_KAFKA_BOOTSTRAP", "localhost:9092")
          .kafkaProperty("bootstrap.servers")
          .doc("Kafka bootstrap servers");
  private static final Setting<java.net.InetSocketAddress> ADDRESS =
      Setting.address(
              "FLEETSTATS_STATSD_ADDRESS", new java.net.InetSocketAddress("127.0.0.1", 8125))
          .doc("UDP host:port to listen on");
  private static final Setting<Duration> WINDOW =
      Setting.duration("FLEETSTATS_WINDOW", Duration.ofSeconds(10), Duration.ofMillis(100))
          .aliases("INTERVAL")
          .doc("window size");
  private static final Settings TABLE =
      Settings.of(
          "test service",
          KafkaNames.of("producer", KafkaNames.PRODUCER),
          List.of(BOOTSTRAP, ADDRESS, WINDOW));
  private static final Settings OTHER =
      Settings.of(
          "other service",
          KafkaNames.of("consumer", KafkaNames.CONSUMER),
          List.of(Setting.string("FLEETSTATS_GROUP_ID", "g").doc("group")));

  private static SettingsReader read(Map<String, String> env, Settings... alsoKnown) {
    SettingsReader r = SettingsReader.forService(TABLE, env, alsoKnown);
    r.get(BOOTSTRAP);
    r.get(ADDRESS);
    r.get(WINDOW);
    return r;
  }

  @Test
  void warnsOfAnUnknownKeyNamingTheNearestKnownOne() {
    SettingsReader r = read(Map.of("FLEETSTATS_STATSD_ADDRES", "127.0.0.1:9999"));
    r.check();

    assertThat(r.warnings())
        .containsExactly(
            "unknown setting FLEETSTATS_STATSD_ADDRES is ignored. Did you mean FLEETSTATS_STATSD_ADDRESS?");
    assertThat(r.get(ADDRESS).getPort()).isEqualTo(8125);
  }

  @Test
  void strictConfigTurnsUnknownKeysIntoErrors() {
    SettingsReader r =
        read(
            Map.of(
                "FLEETSTATS_STATSD_ADDRES", "127.0.0.1:9999", "FLEETSTATS_STRICT_CONFIG", "true"));

    assertThatThrownBy(r::check)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_STATSD_ADDRES")
        .hasMessageContaining("Did you mean FLEETSTATS_STATSD_ADDRESS?")
        .hasMessageContaining("FLEETSTATS_STRICT_CONFIG=true");
  }

  @Test
  void aKeyFarFromEveryKnownOneSaysWhereToLook() {
    SettingsReader r = read(Map.of("FLEETSTATS_SOMETHING_ELSE_ENTIRELY", "1"));
    r.check();

    assertThat(r.warnings())
        .singleElement()
        .asString()
        .contains("see --help for the test service's settings");
  }

  @Test
  void keysOfServicesSharingTheEnvironmentAreNotUnknown() {
    SettingsReader r =
        read(
            Map.of("FLEETSTATS_GROUP_ID", "sinks", "FLEETSTATS_KAFKA_GROUP_INSTANCE_ID", "a"),
            OTHER);
    r.check();

    assertThat(r.warnings()).isEmpty();
    // a consumer property is accepted by the shared environment but not passed to a producer
    assertThat(r.kafkaProperties()).isEmpty();
  }

  @Test
  void passesKafkaPropertiesOfItsClientsAndReportsTheRest() {
    SettingsReader r =
        read(
            Map.of(
                "FLEETSTATS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "FLEETSTATS_KAFKA_SASL_MECHANISMS", "PLAIN",
                "FLEETSTATS_KAFKA_GROUP_ID", "g"));
    r.check();

    assertThat(r.kafkaProperties()).containsExactly(Map.entry("security.protocol", "SASL_SSL"));
    assertThat(r.warnings())
        .containsExactly(
            "FLEETSTATS_KAFKA_GROUP_ID is not a Kafka producer property ('group.id'); ignored",
            "FLEETSTATS_KAFKA_SASL_MECHANISMS is not a Kafka producer property ('sasl.mechanisms'); ignored."
                + " Did you mean FLEETSTATS_KAFKA_SASL_MECHANISM (sasl.mechanism)?");
  }

  @Test
  void ignoresTheVariablesKubernetesSetsForAServiceNamedLikeOurPrefix() {
    // What the kubelet injects for a Service "fleetstats-kafka" with a port named "kafka".
    SettingsReader r =
        read(
            Map.of(
                "FLEETSTATS_KAFKA_SERVICE_HOST", "10.96.0.12",
                "FLEETSTATS_KAFKA_SERVICE_PORT", "9092",
                "FLEETSTATS_KAFKA_SERVICE_PORT_KAFKA", "9092",
                "FLEETSTATS_KAFKA_PORT", "tcp://10.96.0.12:9092",
                "FLEETSTATS_KAFKA_PORT_9092_TCP", "tcp://10.96.0.12:9092",
                "FLEETSTATS_KAFKA_PORT_9092_TCP_PROTO", "tcp",
                "FLEETSTATS_KAFKA_PORT_9092_TCP_PORT", "9092",
                "FLEETSTATS_KAFKA_PORT_9092_TCP_ADDR", "10.96.0.12"));
    r.check();

    assertThat(r.warnings()).isEmpty();
    assertThat(r.kafkaProperties()).isEmpty();
    assertThat(r.get(BOOTSTRAP)).isEqualTo("localhost:9092");
  }

  @Test
  void aPortVariableWithoutItsServiceIsNotTakenForAServiceLink() {
    SettingsReader r = read(Map.of("FLEETSTATS_KAFKA_PORT", "9092"));
    r.check();

    assertThat(r.warnings())
        .singleElement()
        .asString()
        .startsWith("FLEETSTATS_KAFKA_PORT is not a Kafka producer property");
  }

  @Test
  void aPropertySetTwoWaysIsAnErrorNamingBoth() {
    SettingsReader r =
        read(
            Map.of(
                "FLEETSTATS_KAFKA_BOOTSTRAP",
                "a:9092",
                "FLEETSTATS_KAFKA_BOOTSTRAP_SERVERS",
                "b:9092"));

    assertThatThrownBy(r::check)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "FLEETSTATS_KAFKA_BOOTSTRAP_SERVERS and FLEETSTATS_KAFKA_BOOTSTRAP both set the Kafka property"
                + " bootstrap.servers; keep one of them");
  }

  @Test
  void thePropertyAloneSetsItsSettingForEveryClient() {
    SettingsReader r = read(Map.of("FLEETSTATS_KAFKA_BOOTSTRAP_SERVERS", "b:9092"));
    r.check();

    assertThat(r.get(BOOTSTRAP)).isEqualTo("b:9092");
    assertThat(r.kafkaProperties()).doesNotContainKey("bootstrap.servers");
    assertThat(r.warnings()).isEmpty();
  }

  @Test
  void aPrefixedFormOfAnOwnedPropertyIsAnErrorNamingTheSetting() {
    Settings streams =
        Settings.of(
            "prefixed service",
            new KafkaNames(
                "streams",
                KafkaNames.CONSUMER,
                Map.of("producer.", KafkaNames.PRODUCER, "main.consumer.", KafkaNames.CONSUMER)),
            List.of(BOOTSTRAP));
    SettingsReader r =
        SettingsReader.forService(
            streams,
            Map.of(
                "FLEETSTATS_KAFKA_PRODUCER_BOOTSTRAP_SERVERS", "b:9092",
                "FLEETSTATS_KAFKA_MAIN_CONSUMER_MAX_POLL_RECORDS", "50"));

    assertThat(r.kafkaProperties())
        .containsExactly(Map.entry("main.consumer.max.poll.records", "50"));
    assertThatThrownBy(r::check)
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "FLEETSTATS_KAFKA_PRODUCER_BOOTSTRAP_SERVERS would set bootstrap.servers for one client"
                + " only (producer.bootstrap.servers); FLEETSTATS_KAFKA_BOOTSTRAP sets it for every"
                + " client: use that");
    assertThat(streams.kafka().unprefixed("main.consumer.group.id")).isEqualTo("group.id");
    assertThat(streams.kafka().unprefixed("linger.ms")).isEqualTo("linger.ms");
  }

  @Test
  void readsTheYamlFileUnderTheEnvironment(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("s.yaml");
    Files.writeString(file, "window: 30s\nstatsd:\n  address: ':9000'\nkafka:\n  linger.ms: 5\n");
    SettingsReader r =
        SettingsReader.forService(
            TABLE, Map.of("FLEETSTATS_CONFIG_FILE", file.toString(), "FLEETSTATS_WINDOW", "20s"));

    assertThat(r.get(WINDOW)).isEqualTo(Duration.ofSeconds(20));
    assertThat(r.get(ADDRESS).getPort()).isEqualTo(9000);
    assertThat(r.kafkaProperties()).containsEntry("linger.ms", "5");
    r.check();
  }

  @Test
  void anUnknownKeyInTheFileIsAnErrorNamingTheNearest(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("s.yaml");
    Files.writeString(file, "windw: 30s\n");
    SettingsReader r =
        SettingsReader.forService(TABLE, Map.of("FLEETSTATS_CONFIG_FILE", file.toString()));

    assertThatThrownBy(r::check)
        .hasMessageContaining("unknown setting FLEETSTATS_WINDW")
        .hasMessageContaining("did you mean FLEETSTATS_WINDOW?");
  }

  @Test
  void rendersTheReadmeTableAndTheHelpFromTheDeclarations() {
    assertThat(TABLE.markdown())
        .startsWith("| variable | default | meaning |\n|---|---|---|\n")
        .contains("| `FLEETSTATS_WINDOW`, `INTERVAL` | `10s` | window size |\n")
        .contains("| `FLEETSTATS_CONFIG_FILE` | – | optional YAML settings file")
        .contains("| `FLEETSTATS_KAFKA_<PROPERTY>` | – | any producer client property");
    assertThat(TABLE.help())
        .containsSubsequence(
            "  FLEETSTATS_STATSD_ADDRESS (127.0.0.1:8125)",
            "      UDP host:port to listen on",
            "  FLEETSTATS_WINDOW, INTERVAL (10s)",
            "      window size")
        .allSatisfy(l -> assertThat(l.length()).isLessThan(80));
  }

  @Test
  void escapesWhatMarkdownWouldTakeForHtmlButNotInTheHelp() {
    Settings table =
        Settings.of(
            "topics",
            KafkaNames.of("admin", KafkaNames.ADMIN),
            List.of(Setting.string("FLEETSTATS_TOPIC_PREFIX", "f").doc("topics <prefix>.raw | a")));

    assertThat(table.markdown()).contains("| topics &lt;prefix>.raw \\| a |");
    assertThat(table.help()).anySatisfy(l -> assertThat(l).contains("topics <prefix>.raw | a"));
  }

  @Test
  void levenshteinCountsEdits() {
    assertThat(SettingsReader.distance("FLEETSTATS_STATSD_ADDRES", "FLEETSTATS_STATSD_ADDRESS"))
        .isEqualTo(1);
    assertThat(SettingsReader.distance("kitten", "sitting")).isEqualTo(3);
  }

  @Test
  void aPropertyTheServiceFixesIsAnErrorNotASilentOverride() {
    Settings fixing =
        Settings.of(
            "test service",
            KafkaNames.of("producer", KafkaNames.PRODUCER)
                .fixing(Map.of("value.serializer", "records are bytes")),
            List.of(BOOTSTRAP));
    SettingsReader r =
        SettingsReader.forService(
            fixing, Map.of("FLEETSTATS_KAFKA_VALUE_SERIALIZER", "x.Serializer"));

    assertThat(r.kafkaProperties()).doesNotContainKey("value.serializer");
    assertThatThrownBy(r::check)
        .hasMessageContaining(
            "FLEETSTATS_KAFKA_VALUE_SERIALIZER cannot be changed: the test service sets"
                + " value.serializer itself (records are bytes)");
  }
}
