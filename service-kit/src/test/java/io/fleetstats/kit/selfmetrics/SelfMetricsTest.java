package io.fleetstats.kit.selfmetrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.KafkaNames;
import io.fleetstats.kit.settings.Settings;
import io.fleetstats.kit.settings.SettingsReader;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SelfMetricsTest {
  static final Tags IDENTITY = Tags.of("cluster", "prod-eu", "namespace", "obs", "pod", "sink-7");

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "udp://127.0.0.1:8125, udp, 8125",
    "tcp://edge-agent:8126, tcp, 8126",
  })
  void readsUdpAndTcpTargets(String raw, String scheme, int port) {
    URI uri = SelfMetrics.target(raw).orElseThrow();
    assertThat(uri.getScheme()).isEqualTo(scheme);
    assertThat(uri.getPort()).isEqualTo(port);
  }

  @Test
  void offAndDefaultSendNothing() {
    assertThat(SelfMetrics.target("off")).isEmpty();
    SelfMetrics.Config config = read(Map.of());
    assertThat(config.target()).isEmpty();
    assertThat(config.step()).isEqualTo(Duration.ofSeconds(10));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {"http://127.0.0.1:8125", "udp://127.0.0.1", "127.0.0.1:8125", "udp://h:1/x"})
  void rejectsWhatIsNoStatsdTargetNamingTheKey(String raw) {
    assertThatThrownBy(() -> read(Map.of("FLEETSTATS_SELF_METRICS", raw)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_SELF_METRICS")
        .hasMessageContaining("udp://host:port");
  }

  @Test
  void sendsEveryMeterAsDogStatsdWithThePodAsPodName() {
    SimpleMeterRegistry service = new SimpleMeterRegistry();
    Counter before =
        Counter.builder("fleetstats.sink.points.sent").tags(IDENTITY).register(service);
    before.increment(3);
    ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    SelfMetrics.Config config =
        new SelfMetrics.Config(Optional.of(URI.create("udp://127.0.0.1:9")), Duration.ofSeconds(1));
    try (SelfMetrics self = SelfMetrics.startTo(config, service, IDENTITY, lines::add)) {
      // registered after the start: mirrored as well
      service.gauge("fleetstats.sink.consumer.lag", IDENTITY, 42.0);
      before.increment(2);
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  lines.stream().anyMatch(l -> l.startsWith("fleetstats.sink.points.sent:5|c"))
                      && lines.stream()
                          .anyMatch(l -> l.startsWith("fleetstats.sink.consumer.lag:42|g")));
    }
    String counter =
        lines.stream()
            .filter(l -> l.startsWith("fleetstats.sink.points.sent:"))
            .findFirst()
            .orElseThrow();
    assertThat(counter).contains("|#").contains("cluster:prod-eu").contains("namespace:obs");
    assertThat(counter).contains("pod_name:sink-7").doesNotContain(",pod:");
  }

  @Test
  void kafkaClientDetailStaysOnTheMetricsPageByDefault() {
    List<String> sent = sentNames(read(Map.of("FLEETSTATS_SELF_METRICS", "udp://127.0.0.1:9")));
    assertThat(sent)
        .contains("kafka.consumer.fetch.manager.records.lag.max", "fleetstats.sink.points.sent")
        .doesNotContain(
            "kafka.stream.task.process.total",
            "kafka.consumer.fetch.manager.records.lag",
            "kafka.producer.node.request.total");
  }

  @Test
  void noneSendsEveryMeterAndNamedropDropsByName() {
    List<String> all =
        sentNames(
            read(
                Map.of(
                    "FLEETSTATS_SELF_METRICS", "udp://127.0.0.1:9",
                    "FLEETSTATS_SELF_METRICS_TAGDROP", "none")));
    assertThat(all)
        .contains(
            "kafka.stream.task.process.total",
            "kafka.consumer.fetch.manager.records.lag",
            "kafka.producer.node.request.total");
    List<String> named =
        sentNames(
            read(
                Map.of(
                    "FLEETSTATS_SELF_METRICS", "udp://127.0.0.1:9",
                    "FLEETSTATS_SELF_METRICS_TAGDROP", "topic=fleetstats.?aw.*",
                    "FLEETSTATS_SELF_METRICS_NAMEDROP",
                        "kafka.stream.*, fleetstats.sink.poin?s.*")));
    assertThat(named)
        .contains(
            "kafka.producer.node.request.total", "kafka.consumer.fetch.manager.records.lag.max")
        .doesNotContain(
            "kafka.stream.task.process.total",
            "fleetstats.sink.points.sent",
            "kafka.consumer.fetch.manager.records.lag");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"task.id", "=x", "task.id="})
  void aTagdropWithoutKeyAndGlobIsAnErrorNamingTheKey(String raw) {
    assertThatThrownBy(() -> read(Map.of("FLEETSTATS_SELF_METRICS_TAGDROP", raw)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_SELF_METRICS_TAGDROP")
        .hasMessageContaining("key=glob");
  }

  /** The names of the lines sent for a registry holding a stream processor's kinds of meters. */
  private static List<String> sentNames(SelfMetrics.Config config) {
    SimpleMeterRegistry service = new SimpleMeterRegistry();
    Tags client = IDENTITY.and("client.id", "p-1");
    service.counter("fleetstats.sink.points.sent", IDENTITY).increment();
    service.gauge("kafka.consumer.fetch.manager.records.lag.max", client, 7.0);
    service.gauge(
        "kafka.consumer.fetch.manager.records.lag",
        client.and("topic", "fleetstats.raw.statsd", "partition", "0"),
        7.0);
    service.counter("kafka.stream.task.process.total", client.and("task.id", "0_1")).increment();
    service
        .counter("kafka.producer.node.request.total", client.and("node.id", "node-1"))
        .increment();
    ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    SelfMetrics.Config fast =
        new SelfMetrics.Config(
            config.target(), Duration.ofSeconds(1), config.namedrop(), config.tagdrop());
    // a marker meter registered last: once its line is out, every earlier meter's is too
    try (SelfMetrics self = SelfMetrics.startTo(fast, service, IDENTITY, lines::add)) {
      service.gauge("zz.marker", IDENTITY, 1.0);
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> lines.stream().anyMatch(l -> l.startsWith("zz.marker:")));
    }
    return lines.stream().map(l -> l.substring(0, l.indexOf(':'))).distinct().toList();
  }

  private static SelfMetrics.Config read(Map<String, String> env) {
    SettingsReader r =
        SettingsReader.forService(
            Settings.of("test", KafkaNames.of("none"), List.copyOf(SelfMetrics.SETTINGS)), env);
    SelfMetrics.Config config = SelfMetrics.Config.read(r);
    r.check();
    return config;
  }
}
