package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.timgroup.statsd.NonBlockingStatsDClientBuilder;
import com.timgroup.statsd.StatsDClient;
import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent against a real in-JVM KRaft broker, fed by a real statsd client library over UDP. */
class EdgeAgentIT {
  private static final String TOPIC = Topics.defaults().rawStatsd().name();
  private static KafkaClusterTestKit cluster;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster = TestKafka.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Map<String, String> env(String pod, String flushInterval) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers());
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_FLUSH_INTERVAL", flushInterval);
    env.put("FLEETSTATS_TOPIC_PARTITIONS", "2");
    env.put("CLUSTER_NAME", "it");
    env.put("NAMESPACE", "fitcycle");
    env.put("NODE_HOSTNAME", "node-1");
    env.put("POD_NAME", pod);
    env.put("CONTAINER_NAME", "app");
    env.put("APP_NAME", "api-server");
    return env;
  }

  private static Source source(String pod) {
    return Source.newBuilder()
        .setCluster("it")
        .setNamespace("fitcycle")
        .setNode("node-1")
        .setPod(pod)
        .setContainer("app")
        .setApp("api-server")
        .build();
  }

  private static StatsDClient client(EdgeAgent agent) {
    return new NonBlockingStatsDClientBuilder()
        .hostname("127.0.0.1")
        .port(agent.statsdAddress().getPort())
        .prefix("app")
        .constantTags("env:test")
        .enableAggregation(false)
        .enableTelemetry(false)
        .originDetectionEnabled(false)
        .build();
  }

  @Test
  void publishesClientSamplesGroupedBySeriesKeyedBySource() {
    try (EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env("api-server-0", "200ms")));
        Batches batches = new Batches(Sources.id(source("api-server-0")))) {
      StatsDClient statsd = client(agent);
      for (int i = 0; i < 5; i++) {
        statsd.count("jobs.done", 1, "queue:q1");
      }
      for (long ms = 40; ms < 45; ms++) {
        statsd.recordExecutionTime("req.latency", ms, "uri:/api");
      }
      statsd.gauge("queue.size", 7);
      statsd.histogram("h", 1.5);
      statsd.distribution("dist", 9.0);
      statsd.recordSetValue("users", "alice");
      // The client sends from its own thread, and close() discards what it has not sent yet.
      await().atMost(Duration.ofSeconds(10)).until(() -> agent.samplesReceived() == 14);
      statsd.close();

      Map<String, List<Object>> expected = new TreeMap<>();
      expected.put("app.jobs.done|COUNTER|{env=test, queue=q1}", List.of(1.0, 1.0, 1.0, 1.0, 1.0));
      expected.put(
          "app.req.latency|TIMER|{env=test, uri=/api}", List.of(40.0, 41.0, 42.0, 43.0, 44.0));
      expected.put("app.queue.size|GAUGE|{env=test}", List.of(7.0));
      expected.put("app.h|HISTOGRAM|{env=test}", List.of(1.5));
      expected.put("app.dist|DISTRIBUTION|{env=test}", List.of(9.0));
      expected.put("app.users|SET|{env=test}", List.of("alice"));

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(batches.poll().sampleCount()).isEqualTo(14));

      assertThat(batches.series()).isEqualTo(expected);
      for (ConsumerRecord<String, StatsdBatch> record : batches.records) {
        StatsdBatch batch = record.value();
        assertThat(batch.getSource()).isEqualTo(source("api-server-0"));
        assertThat(record.timestamp()).isEqualTo(batch.getCreatedAt());
        assertThat(batch.getSeries())
            .extracting(EdgeAgentIT::seriesKey)
            .as("one entry per series within a batch")
            .doesNotHaveDuplicates();
        for (Series s : batch.getSeries()) {
          assertThat(s.getSampleRates()).isEmpty();
          assertThat(s.getReceivedAt())
              .allSatisfy(t -> assertThat(t).isLessThanOrEqualTo(batch.getCreatedAt()));
        }
      }
      assertThat(agent.samplesReceived()).isEqualTo(14);
      assertThat(agent.linesRejected()).isZero();
      await().atMost(Duration.ofSeconds(10)).until(() -> agent.samplesPublished() == 14);
    }
  }

  @Test
  void sendsHeartbeatBatchesWhileIdle() {
    try (EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env("quiet-0", "100ms")));
        Batches batches = new Batches(Sources.id(source("quiet-0")))) {
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(batches.poll().records).hasSizeGreaterThanOrEqualTo(3));

      List<StatsdBatch> heartbeats = batches.records.stream().map(ConsumerRecord::value).toList();
      assertThat(heartbeats).allSatisfy(b -> assertThat(b.getSeries()).isEmpty());
      assertThat(heartbeats)
          .extracting(StatsdBatch::getAgentId)
          .containsOnly(heartbeats.get(0).getAgentId());
      List<Long> sequences = heartbeats.stream().map(StatsdBatch::getSequence).toList();
      for (int i = 1; i < sequences.size(); i++) {
        assertThat(sequences.get(i)).isEqualTo(sequences.get(i - 1) + 1);
      }
      assertThat(agent.packetsReceived()).isZero();
    }
  }

  @Test
  void closePublishesWhatIsPending() {
    Map<String, String> env = env("closing-0", "1h");
    env.put("FLEETSTATS_HEARTBEAT", "false");
    EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env));
    try (Batches batches = new Batches(Sources.id(source("closing-0")))) {
      StatsDClient statsd = client(agent);
      for (int i = 0; i < 3; i++) {
        statsd.count("signups", 1);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> agent.samplesReceived() == 3);
      statsd.close();

      agent.close();
      agent.close(); // idempotent

      assertThat(agent.samplesPublished()).isEqualTo(3);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(batches.poll().sampleCount()).isEqualTo(3));
      assertThat(batches.records).hasSize(1);
      assertThat(batches.series())
          .containsExactly(Map.entry("app.signups|COUNTER|{env=test}", List.of(1.0, 1.0, 1.0)));
    } finally {
      agent.close();
    }
  }

  @Test
  void readsTcpAndServesMetricsAndReadinessOnTheAdminPort() throws Exception {
    Map<String, String> env = env("tcp-0", "200ms");
    env.put("FLEETSTATS_STATSD_TCP_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS", "1");
    try (EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env));
        AdminServer admin =
            AdminServer.start(
                new InetSocketAddress("127.0.0.1", 0),
                agent.meterRegistry(),
                agent::notReadyReason);
        Socket tcp = new Socket()) {
      tcp.connect(agent.statsdTcpAddress(), 5_000);
      tcp.getOutputStream()
          .write("tcp.c:1|c\ntcp.t:5|ms|#k:v\nbad:x|c\n".getBytes(StandardCharsets.UTF_8));
      tcp.getOutputStream().flush();
      await().atMost(Duration.ofSeconds(10)).until(() -> agent.samplesReceived() == 2);

      // Max connections is 1: a second connection is accepted by the kernel, then closed at once.
      try (Socket second = new Socket()) {
        second.connect(agent.statsdTcpAddress(), 5_000);
        second.setSoTimeout(5_000);
        assertThat(second.getInputStream().read()).isEqualTo(-1);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> agent.samplesPublished() == 2);

      HttpClient http = HttpClient.newHttpClient();
      URI base = URI.create("http://127.0.0.1:" + admin.address().getPort());
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          http.send(
                                  HttpRequest.newBuilder(base.resolve("/readyz")).build(),
                                  BodyHandlers.ofString())
                              .statusCode())
                      .isEqualTo(200));
      String metrics =
          http.send(
                  HttpRequest.newBuilder(base.resolve("/metrics")).build(), BodyHandlers.ofString())
              .body();
      String tags = "cluster=\"it\",namespace=\"fitcycle\",pod=\"tcp-0\"";
      assertThat(metrics)
          .contains("fleetstats_edge_statsd_samples_total{" + tags + "} 2.0")
          .contains("fleetstats_edge_statsd_lines_total{" + tags + "} 3.0")
          .contains("fleetstats_edge_statsd_tcp_lines_total{" + tags + "} 3.0")
          .contains("fleetstats_edge_statsd_rejected_total{" + tags + ",reason=\"bad_value\"} 1.0")
          .contains("fleetstats_edge_statsd_tcp_connections_refused_total{" + tags + "} 1.0")
          .contains("fleetstats_edge_samples_produced_total{" + tags + "} 2.0")
          .contains("fleetstats_edge_samples_dropped_total{" + tags + "} 0.0")
          .contains("fleetstats_edge_buffer_bytes{" + tags + "}");
      assertThat(
              http.send(
                      HttpRequest.newBuilder(base.resolve("/healthz")).build(),
                      BodyHandlers.ofString())
                  .statusCode())
          .isEqualTo(200);
    }
  }

  private static String seriesKey(Series s) {
    return s.getName() + "|" + s.getType() + "|" + new TreeMap<>(s.getTags());
  }

  /** Reads every batch of one source from the raw topic, from the beginning, without a group. */
  private static final class Batches implements AutoCloseable {
    private final String key;
    private final KafkaConsumer<String, StatsdBatch> consumer;
    final List<ConsumerRecord<String, StatsdBatch>> records = new ArrayList<>();

    Batches(String key) {
      this.key = key;
      this.consumer =
          new KafkaConsumer<>(
              Map.of(
                  ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                  cluster.bootstrapServers(),
                  ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                  "earliest"),
              new StringDeserializer(),
              Topics.STATSD_BATCH.deserializer());
    }

    Batches poll() {
      if (consumer.assignment().isEmpty()) {
        TestKafka.readFromStart(consumer, TOPIC);
      }
      for (ConsumerRecord<String, StatsdBatch> r : consumer.poll(Duration.ofMillis(200))) {
        if (key.equals(r.key())) {
          records.add(r);
        }
      }
      return this;
    }

    int sampleCount() {
      int n = 0;
      for (ConsumerRecord<String, StatsdBatch> r : records) {
        for (Series s : r.value().getSeries()) {
          n += s.getReceivedAt().size();
        }
      }
      return n;
    }

    /** Every series across batches, its values (or set members) sorted: series key → values. */
    Map<String, List<Object>> series() {
      Map<String, List<Object>> out = new TreeMap<>();
      for (ConsumerRecord<String, StatsdBatch> r : records) {
        for (Series s : r.value().getSeries()) {
          List<Object> values = out.computeIfAbsent(seriesKey(s), k -> new ArrayList<>());
          values.addAll(s.getType() == MetricType.SET ? s.getMembers() : s.getValues());
        }
      }
      out.values().forEach(v -> v.sort(Comparator.comparing(Object::toString)));
      return out;
    }

    @Override
    public void close() {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
    }
  }
}
