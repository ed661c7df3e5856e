package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetstats.edge.statsd.StatsdOptions;
import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.settings.ConfigException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EdgeConfigTest {

  @Test
  void usesDocumentedDefaults() {
    EdgeConfig c = EdgeConfig.fromEnv(Map.of("HOSTNAME", "pod-x"));

    assertThat(c.kafkaBootstrap()).isEqualTo("localhost:9092");
    assertThat(c.kafkaProperties()).isEmpty();
    assertThat(c.statsdAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 8125));
    assertThat(c.maxLineLength()).isEqualTo(8192);
    assertThat(c.maxPacketSize()).isEqualTo(8192);
    assertThat(c.flushInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.maxBatchSamples()).isEqualTo(10_000);
    assertThat(c.maxPendingBatches()).isEqualTo(120);
    assertThat(c.topicPrefix()).isEqualTo("fleetstats");
    assertThat(c.topics().rawStatsd().name()).isEqualTo("fleetstats.raw.statsd");
    assertThat(c.heartbeat()).isTrue();
    assertThat(c.createTopics()).isTrue();
    assertThat(c.topicPartitions()).isEqualTo(6);
    assertThat(c.rawRetention()).isEqualTo(Duration.ofDays(7));
    assertThat(c.identity().cluster()).isEqualTo("local");
    assertThat(c.identity().namespace()).isEqualTo("default");
    assertThat(c.identity().pod()).isEqualTo("pod-x");
    assertThat(c.identity().node()).isNotBlank();
    assertThat(c.identity().container()).isEmpty();
    assertThat(c.identity().app()).isEmpty();
  }

  @Test
  void theBootstrapPropertyAloneIsTheBootstrapOfEveryClient() {
    EdgeConfig c = EdgeConfig.fromEnv(Map.of("FLEETSTATS_KAFKA_BOOTSTRAP_SERVERS", "kafka-a:9092"));

    assertThat(c.kafkaBootstrap()).isEqualTo("kafka-a:9092");
    assertThat(c.adminProperties()).containsEntry("bootstrap.servers", "kafka-a:9092");
    assertThat(
            io.fleetstats.edge.publish.BatchPublisher.producerProperties(
                c.kafkaBootstrap(), c.kafkaProperties()))
        .containsEntry("bootstrap.servers", "kafka-a:9092");
  }

  @Test
  void theBootstrapSetTwoWaysIsAnErrorNamingBoth() {
    assertThatThrownBy(
            () ->
                EdgeConfig.fromEnv(
                    Map.of(
                        "FLEETSTATS_KAFKA_BOOTSTRAP", "kafka-a:9092",
                        "FLEETSTATS_KAFKA_BOOTSTRAP_SERVERS", "kafka-b:9092")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "FLEETSTATS_KAFKA_BOOTSTRAP_SERVERS and FLEETSTATS_KAFKA_BOOTSTRAP both set");
  }

  @Test
  void adminClientHasNoMetricReportersUnlessThePassThroughAsksForThem() {
    assertThat(EdgeConfig.fromEnv(Map.of()).adminProperties())
        .containsEntry("metric.reporters", "")
        .containsEntry("enable.metrics.push", false);

    EdgeConfig c =
        EdgeConfig.fromEnv(
            Map.of(
                "FLEETSTATS_KAFKA_METRIC_REPORTERS", "org.apache.kafka.common.metrics.JmxReporter",
                "FLEETSTATS_KAFKA_ENABLE_METRICS_PUSH", "true"));
    assertThat(c.adminProperties())
        .containsEntry("metric.reporters", "org.apache.kafka.common.metrics.JmxReporter")
        .containsEntry("enable.metrics.push", "true");
  }

  @Test
  void readsTheSeedsDownwardApiVariables() {
    EdgeConfig c =
        EdgeConfig.fromEnv(
            Map.of(
                "CLUSTER_NAME", "prod-eu",
                "NAMESPACE", "fitcycle",
                "NODE_HOSTNAME", "node-1",
                "POD_NAME", "api-server-0",
                "CONTAINER_NAME", "api",
                "APP_NAME", "api-server"));

    assertThat(c.identity())
        .isEqualTo(
            new ProcessIdentity(
                "prod-eu", "fitcycle", "node-1", "api-server-0", "api", "api-server"));
    assertThat(c.source().getPod()).isEqualTo("api-server-0");
  }

  @Test
  void fleetstatsAlternatesWinOverTheSeedsNames() {
    EdgeConfig c =
        EdgeConfig.fromEnv(
            Map.of(
                "CLUSTER_NAME",
                "seed",
                "FLEETSTATS_CLUSTER",
                "ours",
                "POD_NAME",
                "p",
                "FLEETSTATS_POD",
                "q"));

    assertThat(c.identity().cluster()).isEqualTo("ours");
    assertThat(c.identity().pod()).isEqualTo("q");
  }

  @Test
  void readsEveryOwnKey() {
    EdgeConfig c =
        EdgeConfig.fromEnv(
            Map.ofEntries(
                Map.entry("FLEETSTATS_KAFKA_BOOTSTRAP", "k1:9092,k2:9092"),
                Map.entry("FLEETSTATS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
                Map.entry("FLEETSTATS_STATSD_ADDRESS", "0.0.0.0:0"),
                Map.entry("FLEETSTATS_STATSD_MAX_LINE_LENGTH", "1024"),
                Map.entry("FLEETSTATS_STATSD_MAX_PACKET_SIZE", "65535"),
                Map.entry("FLEETSTATS_FLUSH_INTERVAL", "250ms"),
                Map.entry("FLEETSTATS_MAX_BATCH_SAMPLES", "500"),
                Map.entry("FLEETSTATS_MAX_PENDING_BATCHES", "10"),
                Map.entry("FLEETSTATS_TOPIC_PREFIX", "team-a.fleetstats"),
                Map.entry("FLEETSTATS_HEARTBEAT", "false"),
                Map.entry("FLEETSTATS_CREATE_TOPICS", "no"),
                Map.entry("FLEETSTATS_TOPIC_PARTITIONS", "12"),
                Map.entry("FLEETSTATS_RAW_RETENTION", "2d")));

    assertThat(c.kafkaBootstrap()).isEqualTo("k1:9092,k2:9092");
    assertThat(c.kafkaProperties())
        .containsExactlyEntriesOf(Map.of("security.protocol", "SASL_SSL"));
    assertThat(c.adminProperties())
        .containsEntry("bootstrap.servers", "k1:9092,k2:9092")
        .containsEntry("security.protocol", "SASL_SSL");
    assertThat(c.statsdAddress().getPort()).isZero();
    assertThat(c.maxLineLength()).isEqualTo(1024);
    assertThat(c.maxPacketSize()).isEqualTo(65535);
    assertThat(c.flushInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.maxBatchSamples()).isEqualTo(500);
    assertThat(c.maxPendingBatches()).isEqualTo(10);
    assertThat(c.topics().rawStatsd().name()).isEqualTo("team-a.fleetstats.raw.statsd");
    assertThat(c.heartbeat()).isFalse();
    assertThat(c.createTopics()).isFalse();
    assertThat(c.topicPartitions()).isEqualTo(12);
    assertThat(c.rawRetention()).isEqualTo(Duration.ofDays(2));
  }

  @Test
  void reportsEveryProblemAtOnceNamingKeyAndValue() {
    assertThatThrownBy(
            () ->
                EdgeConfig.fromEnv(
                    Map.of(
                        "FLEETSTATS_STATSD_ADDRESS", "localhost:99999",
                        "FLEETSTATS_FLUSH_INTERVAL", "soon",
                        "FLEETSTATS_MAX_BATCH_SAMPLES", "0",
                        "FLEETSTATS_HEARTBEAT", "maybe",
                        "FLEETSTATS_TOPIC_PREFIX", "bad prefix",
                        "FLEETSTATS_STATSD_MAX_PACKET_SIZE", "100")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .hasSize(6)
                    .anySatisfy(
                        p -> assertThat(p).contains("FLEETSTATS_STATSD_ADDRESS='localhost:99999'"))
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_FLUSH_INTERVAL='soon'"))
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_MAX_BATCH_SAMPLES='0'"))
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_HEARTBEAT='maybe'"))
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_TOPIC_PREFIX='bad prefix'"))
                    .anySatisfy(
                        p -> assertThat(p).contains("FLEETSTATS_STATSD_MAX_PACKET_SIZE='100'")));
  }

  @Test
  void rejectsFlushIntervalBelowTenMilliseconds() {
    assertThatThrownBy(() -> EdgeConfig.fromEnv(Map.of("FLEETSTATS_FLUSH_INTERVAL", "1ms")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("at least 10ms");
  }

  @Test
  void readsStatsdTcpAdminAndBufferKeys() {
    EdgeConfig c =
        EdgeConfig.fromEnv(
            Map.ofEntries(
                Map.entry("FLEETSTATS_STATSD_TCP_ADDRESS", "127.0.0.1:0"),
                Map.entry("FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS", "3"),
                Map.entry("FLEETSTATS_STATSD_TAGS_SIGNALFX", "false"),
                Map.entry("FLEETSTATS_STATSD_KEEP_CONTAINER_TAG", "true"),
                Map.entry("FLEETSTATS_STATSD_SANITIZE_NAME_METHOD", "upstream"),
                Map.entry("FLEETSTATS_STATSD_CONVERT_NAMES", "true"),
                Map.entry("FLEETSTATS_STATSD_METRIC_SEPARATOR", "_"),
                Map.entry(
                    "FLEETSTATS_STATSD_TEMPLATES",
                    "cpu.* measurement.measurement.host; mem.* measurement.field"),
                Map.entry("FLEETSTATS_STATSD_MAX_NAME_LENGTH", "100"),
                Map.entry("FLEETSTATS_STATSD_MAX_TAGS", "5"),
                Map.entry("FLEETSTATS_STATSD_MAX_TAG_LENGTH", "50"),
                Map.entry("FLEETSTATS_ADMIN_ADDRESS", "off"),
                Map.entry("FLEETSTATS_BUFFER_MAX_BYTES", "2MiB"),
                Map.entry("FLEETSTATS_SPOOL_DIR", "/tmp/spool"),
                Map.entry("FLEETSTATS_SPOOL_MAX_BYTES", "1GiB")));

    IngestSettings i = c.ingest();
    assertThat(i.tcpAddress()).isEqualTo(new InetSocketAddress("127.0.0.1", 0));
    assertThat(i.maxTcpConnections()).isEqualTo(3);
    assertThat(i.statsd().signalfxTags()).isFalse();
    assertThat(i.statsd().dogstatsdTags()).isTrue();
    assertThat(i.statsd().keepContainerTag()).isTrue();
    assertThat(i.statsd().sanitizeNames()).isEqualTo(StatsdOptions.NameMethod.UPSTREAM);
    assertThat(i.statsd().convertNames()).isTrue();
    assertThat(i.statsd().templates().joiner()).isEqualTo("_");
    assertThat(i.statsd().templates().apply("cpu.idle.h1").tags()).containsEntry("host", "h1");
    assertThat(i.statsd().maxNameLength()).isEqualTo(100);
    assertThat(i.statsd().maxTags()).isEqualTo(5);
    assertThat(i.statsd().maxTagLength()).isEqualTo(50);
    assertThat(i.statsd().maxLineLength()).isEqualTo(8192);
    assertThat(i.adminAddress()).isNull();
    assertThat(i.bufferMaxBytes()).isEqualTo(2L << 20);
    assertThat(i.spoolDirectory()).isEqualTo(Path.of("/tmp/spool"));
    assertThat(i.spoolMaxBytes()).isEqualTo(1L << 30);
  }

  @Test
  void defaultsOfTheNewKeys() {
    IngestSettings i = EdgeConfig.fromEnv(Map.of()).ingest();

    assertThat(i.tcpAddress()).isNull();
    assertThat(i.maxTcpConnections()).isEqualTo(250);
    assertThat(i.adminAddress()).isEqualTo(new InetSocketAddress("0.0.0.0", 9125));
    assertThat(i.bufferMaxBytes()).isEqualTo(8L << 20);
    assertThat(i.spoolDirectory()).isNull();
    assertThat(i.statsd().sanitizeNames()).isEqualTo(StatsdOptions.NameMethod.TELEGRAF);
    assertThat(i.statsd().templates().isIdentity()).isTrue();
    assertThat(
            List.of(
                i.statsd().dogstatsdTags(),
                i.statsd().influxTags(),
                i.statsd().libratoTags(),
                i.statsd().signalfxTags()))
        .containsOnly(true);
  }

  @Test
  void theSeedsIntervalCapsTheFlushInterval() {
    assertThat(EdgeConfig.fromEnv(Map.of("INTERVAL", "60s")).flushInterval())
        .isEqualTo(Duration.ofSeconds(1));
    assertThat(EdgeConfig.fromEnv(Map.of("INTERVAL", "500ms")).flushInterval())
        .isEqualTo(Duration.ofMillis(500));
    assertThat(
            EdgeConfig.fromEnv(Map.of("INTERVAL", "60s", "FLEETSTATS_FLUSH_INTERVAL", "5s"))
                .flushInterval())
        .isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void readsTheYamlFileAndTheEnvironmentWins(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("edge.yaml");
    Files.writeString(
        file,
        """
        kafka:
          bootstrap: file-kafka:9092
          security.protocol: SASL_SSL
        statsd:
          address: 127.0.0.1:0
          tcp_address: 127.0.0.1:0
          templates:
            - "cpu.* measurement.measurement.host"
            - "mem.* measurement.measurement.host dc=1a"
          max-tags: 7
        flush_interval: 2s
        cluster: from-file
        """);

    EdgeConfig c =
        EdgeConfig.fromEnv(
            Map.of("FLEETSTATS_CONFIG_FILE", file.toString(), "FLEETSTATS_FLUSH_INTERVAL", "3s"));

    assertThat(c.kafkaBootstrap()).isEqualTo("file-kafka:9092");
    assertThat(c.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL");
    assertThat(c.ingest().tcpAddress()).isNotNull();
    assertThat(c.ingest().statsd().maxTags()).isEqualTo(7);
    assertThat(c.ingest().statsd().templates().apply("mem.free.h2").tags())
        .containsEntry("dc", "1a");
    assertThat(c.flushInterval()).isEqualTo(Duration.ofSeconds(3));
    assertThat(c.identity().cluster()).isEqualTo("from-file");
  }

  @Test
  void reportsFileAndEnvironmentProblemsTogether(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("edge.yaml");
    Files.writeString(
        file, "statsd:\n  max_tagz: 3\n  templates: [\"host.field\"]\nbuffer_max_bytes: lots\n");

    assertThatThrownBy(
            () ->
                EdgeConfig.fromEnv(
                    Map.of(
                        "FLEETSTATS_CONFIG_FILE", file.toString(),
                        "FLEETSTATS_STATSD_SANITIZE_NAME_METHOD", "strict",
                        "INTERVAL", "sixty",
                        "FLEETSTATS_STATSD_TCP_ADDRESS", "nowhere")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                // INTERVAL is read three times: as the flush cap here, and by the MySQL poller and
                // the kubelet input, which report it under their own keys.
                assertThat(e.problems())
                    .hasSize(8)
                    .anySatisfy(
                        p -> assertThat(p).startsWith("FLEETSTATS_KUBELET_INTERVAL='sixty'"))
                    .anySatisfy(
                        p -> assertThat(p).contains("unknown setting FLEETSTATS_STATSD_MAX_TAGZ"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .contains("FLEETSTATS_STATSD_TEMPLATES='host.field'")
                                .contains("names no measurement part"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .contains("FLEETSTATS_BUFFER_MAX_BYTES='lots'")
                                .contains("a size in bytes"))
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .contains("FLEETSTATS_STATSD_SANITIZE_NAME_METHOD='strict'")
                                .contains("telegraf, upstream or none"))
                    .anySatisfy(p -> assertThat(p).contains("INTERVAL='sixty'"))
                    .anySatisfy(
                        p -> assertThat(p).contains("FLEETSTATS_STATSD_TCP_ADDRESS='nowhere'")));
  }

  @Test
  void reportsAnUnreadableFile(@TempDir Path dir) {
    assertThatThrownBy(
            () ->
                EdgeConfig.fromEnv(
                    Map.of("FLEETSTATS_CONFIG_FILE", dir.resolve("missing.yaml").toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_CONFIG_FILE=")
        .hasMessageContaining("cannot be read");
  }

  @Test
  void globalTagsAreKeyValuePairsAndABadOneNamesTheSetting() {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("FLEETSTATS_GLOBAL_TAGS", "app=checkout, version=1.2,empty=");
    assertThat(EdgeConfig.fromEnv(env).globalTags())
        .containsExactly(
            Map.entry("app", "checkout"), Map.entry("empty", ""), Map.entry("version", "1.2"));
    env.put("FLEETSTATS_GLOBAL_TAGS", "app=checkout,oops");
    assertThatThrownBy(() -> EdgeConfig.fromEnv(env))
        .hasMessageContaining("FLEETSTATS_GLOBAL_TAGS='app=checkout,oops'")
        .hasMessageContaining("key=value pairs");
  }

  @Test
  void toStringNamesKafkaPropertiesButNeverShowsTheirValues() {
    EdgeConfig c =
        EdgeConfig.fromEnv(
            Map.of(
                "FLEETSTATS_KAFKA_SECURITY_PROTOCOL",
                "SASL_SSL",
                "FLEETSTATS_KAFKA_SASL_JAAS_CONFIG",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"s3cret-pw\";",
                "FLEETSTATS_MYSQL_PASSWORD",
                "s3cret-db"));

    assertThat(c.toString())
        .contains("sasl.jaas.config", "security.protocol")
        .doesNotContain("s3cret")
        .doesNotContain("PlainLoginModule");
  }
}
