package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetstats.config.ConfigException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

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
        .isEqualTo(new EdgeConfig.Identity("prod-eu", "fitcycle", "node-1", "api-server-0", "api", "api-server"));
    assertThat(c.identity().toSource().getPod()).isEqualTo("api-server-0");
  }

  @Test
  void fleetstatsAlternatesWinOverTheSeedsNames() {
    EdgeConfig c =
        EdgeConfig.fromEnv(
            Map.of("CLUSTER_NAME", "seed", "FLEETSTATS_CLUSTER", "ours", "POD_NAME", "p", "FLEETSTATS_POD", "q"));

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
    assertThat(c.kafkaProperties()).containsExactlyEntriesOf(Map.of("security.protocol", "SASL_SSL"));
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
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_STATSD_ADDRESS='localhost:99999'"))
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_FLUSH_INTERVAL='soon'"))
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_MAX_BATCH_SAMPLES='0'"))
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_HEARTBEAT='maybe'"))
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_TOPIC_PREFIX='bad prefix'"))
                    .anySatisfy(p -> assertThat(p).contains("FLEETSTATS_STATSD_MAX_PACKET_SIZE='100'")));
  }

  @Test
  void rejectsFlushIntervalBelowTenMilliseconds() {
    assertThatThrownBy(() -> EdgeConfig.fromEnv(Map.of("FLEETSTATS_FLUSH_INTERVAL", "1ms")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("at least 10ms");
  }
}
