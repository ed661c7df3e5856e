package io.fleetstats.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetstats.kit.settings.ConfigException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SinkConfigTest {

  @Test
  void defaultsWithEmptyEnvironment() {
    SinkConfig c = SinkConfig.fromEnv(Map.of());
    assertThat(c.kafkaBootstrap()).isEqualTo("localhost:9092");
    assertThat(c.kafkaProperties()).isEmpty();
    assertThat(c.proxyUrl()).isEqualTo(URI.create("http://localhost:2878"));
    assertThat(c.groupId()).isEqualTo("fleetstats-wavefront-sink");
    assertThat(c.topicPrefix()).isEqualTo("fleetstats");
    assertThat(c.topics().aggregates().name()).isEqualTo("fleetstats.aggregates");
    assertThat(c.batchLines()).isEqualTo(10_000);
    assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.retryMaxBackoff()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.metricPrefix()).isEmpty();
    assertThat(c.createTopics()).isTrue();
    assertThat(c.token()).isEmpty();
    assertThat(c.batchBytes()).isEqualTo(4 * 1024 * 1024);
    assertThat(c.distributions())
        .isEqualTo(io.fleetstats.sink.format.WavefrontFormatter.Distributions.OFF);
    assertThat(c.deltaCounters()).isFalse();
    assertThat(c.adminAddress()).hasValueSatisfying(a -> assertThat(a.getPort()).isEqualTo(9127));
  }

  @Test
  void readsTheOptionsOfIssue7(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path tokenFile = dir.resolve("token");
    java.nio.file.Files.writeString(tokenFile, "\n  file-token  \nignored\n");
    SinkConfig c =
        SinkConfig.fromEnv(
            Map.of(
                "FLEETSTATS_PROXY_URL", "https://example.wavefront.com",
                "FLEETSTATS_WAVEFRONT_TOKEN_FILE", tokenFile.toString(),
                "FLEETSTATS_DISTRIBUTIONS", "Hour",
                "FLEETSTATS_DELTA_COUNTERS", "true",
                "FLEETSTATS_BATCH_BYTES", "65536",
                "FLEETSTATS_ADMIN_ADDRESS", "off"));
    assertThat(c.token()).contains("file-token");
    assertThat(c.distributions())
        .isEqualTo(io.fleetstats.sink.format.WavefrontFormatter.Distributions.HOUR);
    assertThat(c.deltaCounters()).isTrue();
    assertThat(c.batchBytes()).isEqualTo(65536);
    assertThat(c.adminAddress()).isEmpty();
    assertThat(c.toString()).doesNotContain("file-token").contains("token=(set)");
    assertThat(SinkConfig.fromEnv(Map.of("FLEETSTATS_WAVEFRONT_TOKEN", "abc")).token())
        .contains("abc");
  }

  @Test
  void reportsBadOptionsOfIssue7AtOnce() {
    assertThatThrownBy(
            () ->
                SinkConfig.fromEnv(
                    Map.of(
                        "FLEETSTATS_DISTRIBUTIONS", "daily",
                        "FLEETSTATS_WAVEFRONT_TOKEN_FILE", "/nonexistent/token",
                        "FLEETSTATS_ADMIN_ADDRESS", "nowhere",
                        "FLEETSTATS_BATCH_BYTES", "10")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_DISTRIBUTIONS='daily'")
        .hasMessageContaining("off, minute or hour")
        .hasMessageContaining("FLEETSTATS_WAVEFRONT_TOKEN_FILE='/nonexistent/token'")
        .hasMessageContaining("FLEETSTATS_ADMIN_ADDRESS='nowhere'")
        .hasMessageContaining("FLEETSTATS_BATCH_BYTES='10'");
  }

  @Test
  void readsEveryKey() {
    SinkConfig c =
        SinkConfig.fromEnv(
            Map.of(
                "FLEETSTATS_KAFKA_BOOTSTRAP", "k1:9092,k2:9092",
                "FLEETSTATS_KAFKA_SECURITY_PROTOCOL", "SSL",
                "FLEETSTATS_PROXY_URL", "https://proxy.example:443",
                "FLEETSTATS_GROUP_ID", "g",
                "FLEETSTATS_TOPIC_PREFIX", "p",
                "FLEETSTATS_BATCH_LINES", "500",
                "FLEETSTATS_REQUEST_TIMEOUT", "2s",
                "FLEETSTATS_RETRY_MAX_BACKOFF", "1m",
                "FLEETSTATS_METRIC_PREFIX", "fleet.",
                "FLEETSTATS_CREATE_TOPICS", "false"));
    assertThat(c.kafkaBootstrap()).isEqualTo("k1:9092,k2:9092");
    assertThat(c.kafkaProperties()).containsExactly(Map.entry("security.protocol", "SSL"));
    assertThat(c.proxyUrl()).isEqualTo(URI.create("https://proxy.example:443"));
    assertThat(c.groupId()).isEqualTo("g");
    assertThat(c.topics().aggregates().name()).isEqualTo("p.aggregates");
    assertThat(c.batchLines()).isEqualTo(500);
    assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.retryMaxBackoff()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.metricPrefix()).isEqualTo("fleet.");
    assertThat(c.createTopics()).isFalse();
    assertThat(c.adminConfig())
        .containsEntry("bootstrap.servers", "k1:9092,k2:9092")
        .containsEntry("security.protocol", "SSL");
  }

  static Stream<Arguments> seedProxy() {
    return Stream.of(
        Arguments.of(
            "bare host gets the seed's port 2878",
            "wavefront-proxy",
            "http://wavefront-proxy:2878"),
        Arguments.of("host:port kept", "wavefront-proxy:4242", "http://wavefront-proxy:4242"),
        Arguments.of("URL kept", "https://wf.example", "https://wf.example"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("seedProxy")
  void derivesProxyUrlFromTheSeedsWavefrontProxy(String name, String seed, String expected) {
    assertThat(SinkConfig.fromEnv(Map.of("WAVEFRONT_PROXY", seed)).proxyUrl())
        .isEqualTo(URI.create(expected));
  }

  @Test
  void explicitProxyUrlWinsOverTheSeedsHost() {
    SinkConfig c =
        SinkConfig.fromEnv(
            Map.of("WAVEFRONT_PROXY", "old", "FLEETSTATS_PROXY_URL", "http://new:2878"));
    assertThat(c.proxyUrl()).isEqualTo(URI.create("http://new:2878"));
  }

  @Test
  void reportsEveryProblemAtOnce() {
    assertThatThrownBy(
            () ->
                SinkConfig.fromEnv(
                    Map.of(
                        "FLEETSTATS_PROXY_URL", "ftp://proxy",
                        "FLEETSTATS_BATCH_LINES", "0",
                        "FLEETSTATS_REQUEST_TIMEOUT", "soon",
                        "FLEETSTATS_RETRY_MAX_BACKOFF", "10ms",
                        "FLEETSTATS_CREATE_TOPICS", "maybe")))
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .hasSize(5)
                    .anySatisfy(
                        p ->
                            assertThat(p)
                                .startsWith("FLEETSTATS_PROXY_URL='ftp://proxy'")
                                .contains("http(s) URL"))
                    .anySatisfy(p -> assertThat(p).startsWith("FLEETSTATS_BATCH_LINES='0'"))
                    .anySatisfy(p -> assertThat(p).startsWith("FLEETSTATS_REQUEST_TIMEOUT='soon'"))
                    .anySatisfy(
                        p -> assertThat(p).startsWith("FLEETSTATS_RETRY_MAX_BACKOFF='10ms'"))
                    .anySatisfy(p -> assertThat(p).startsWith("FLEETSTATS_CREATE_TOPICS='maybe'")));
  }

  @Test
  void rejectsProxyUrlWithoutHost() {
    assertThatThrownBy(() -> SinkConfig.fromEnv(Map.of("FLEETSTATS_PROXY_URL", "http:///report")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_PROXY_URL");
  }

  @Test
  void bootstrapServersAloneReachesEveryClientTheSinkCreates() {
    SinkConfig c = SinkConfig.fromEnv(Map.of("FLEETSTATS_KAFKA_BOOTSTRAP_SERVERS", "b:9092"));

    assertThat(c.kafkaBootstrap()).isEqualTo("b:9092");
    assertThat(c.kafkaProperties()).isEmpty();
    assertThat(
            java.util.List.of(WavefrontSink.consumerConfig(c), c.producerConfig(), c.adminConfig()))
        .allSatisfy(client -> assertThat(client).containsEntry("bootstrap.servers", "b:9092"));
  }

  @Test
  void groupIdAloneSetsTheConsumerGroupAndBothAtOnceIsAnError() {
    SinkConfig c = SinkConfig.fromEnv(Map.of("FLEETSTATS_KAFKA_GROUP_ID", "sinks"));

    assertThat(c.groupId()).isEqualTo("sinks");
    assertThat(WavefrontSink.consumerConfig(c)).containsEntry("group.id", "sinks");
    assertThatThrownBy(
            () ->
                SinkConfig.fromEnv(
                    Map.of("FLEETSTATS_KAFKA_GROUP_ID", "a", "FLEETSTATS_GROUP_ID", "b")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(
            "FLEETSTATS_KAFKA_GROUP_ID and FLEETSTATS_GROUP_ID both set the Kafka property group.id");
  }

  @Test
  void eachClientGetsTheKafkaPropertiesItKnows() {
    SinkConfig c =
        SinkConfig.fromEnv(
            Map.of(
                "FLEETSTATS_KAFKA_SECURITY_PROTOCOL", "SSL",
                "FLEETSTATS_KAFKA_MAX_POLL_RECORDS", "100",
                "FLEETSTATS_KAFKA_LINGER_MS", "5",
                "FLEETSTATS_KAFKA_LINGER_MSS", "5"));

    assertThat(c.kafkaProperties())
        .containsOnlyKeys("security.protocol", "max.poll.records", "linger.ms");
    assertThat(WavefrontSink.consumerConfig(c))
        .containsEntry("max.poll.records", "100")
        .containsEntry("security.protocol", "SSL")
        .doesNotContainKey("linger.ms");
    assertThat(c.producerConfig())
        .containsEntry("linger.ms", "5")
        .containsEntry("security.protocol", "SSL")
        .doesNotContainKey("max.poll.records");
    assertThat(c.adminConfig()).containsOnlyKeys("security.protocol", "bootstrap.servers");
  }

  @Test
  void consumerIsReadCommittedWithManualCommits() {
    Map<String, Object> props =
        WavefrontSink.consumerConfig(
            SinkConfig.fromEnv(Map.of("FLEETSTATS_KAFKA_ENABLE_AUTO_COMMIT", "true")));
    assertThat(props)
        .containsEntry("enable.auto.commit", "false")
        .containsEntry("isolation.level", "read_committed")
        .containsEntry("auto.offset.reset", "earliest")
        .containsEntry("group.id", "fleetstats-wavefront-sink");
  }
}
