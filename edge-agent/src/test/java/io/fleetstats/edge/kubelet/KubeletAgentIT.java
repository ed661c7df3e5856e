package io.fleetstats.edge.kubelet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.fleetstats.edge.EdgeAgent;
import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.edge.kubelet.KubeletInput.Result;
import io.fleetstats.schemas.KubeletEntity;
import io.fleetstats.schemas.KubeletSummary;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The agent with the kubelet input on, against a real KRaft broker and a kubelet's Summary API on
 * loopback HTTPS: summaries reach {@code fleetstats.raw.kubelet} with the bearer token read from
 * its file at every scrape; a kubelet that answers 401 or 403, a certificate that is not trusted
 * and a body that is no summary are each counted and logged with what to fix, and the agent keeps
 * scraping.
 */
class KubeletAgentIT {
  private static final String RAW_KUBELET = Topics.defaults().rawKubelet().name();
  private static KafkaClusterTestKit cluster;
  private ListAppender<ILoggingEvent> logs;
  @TempDir Path dir;

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

  @BeforeEach
  void captureLogs() {
    logs = new ListAppender<>();
    logs.start();
    Logger logger = (Logger) LoggerFactory.getLogger(KubeletInput.class);
    logger.setLevel(ch.qos.logback.classic.Level.INFO);
    logger.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    ((Logger) LoggerFactory.getLogger(KubeletInput.class)).detachAppender(logs);
  }

  /** A summary in the API's shape whose api-server pod has used {@code cpuNs} core-ns. */
  static String summary(long cpuNs) {
    return """
        {"node": {"nodeName": "node-a", "startTime": "2026-12-01T08:00:00Z",
          "cpu": {"time": "2026-12-06T09:00:00Z", "usageCoreNanoSeconds": 5000000000000},
          "memory": {"time": "2026-12-06T09:00:00Z", "workingSetBytes": 2147483648}},
         "pods": [{"podRef": {"name": "api-server-1", "namespace": "fitcycle", "uid": "u-1"},
          "startTime": "2026-12-06T08:00:00Z",
          "cpu": {"time": "2026-12-06T09:00:00Z", "usageCoreNanoSeconds": %d},
          "containers": [{"name": "api-server", "memory": {"workingSetBytes": 1000}}]}]}
        """
        .formatted(cpuNs);
  }

  private Map<String, String> env(LoopbackKubelet kubelet, Path token, Map<String, String> more) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers());
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_FLUSH_INTERVAL", "200ms");
    env.put("FLEETSTATS_TOPIC_PARTITIONS", "2");
    env.put("FLEETSTATS_ADMIN_ADDRESS", "off");
    env.put("CLUSTER_NAME", "east");
    env.put("NAMESPACE", "fleetstats");
    env.put("NODE_HOSTNAME", "node-a");
    env.put("POD_NAME", "fleetstats-node-abcde");
    env.put("FLEETSTATS_KUBELET_URL", kubelet.url());
    env.put("FLEETSTATS_KUBELET_INTERVAL", "1s");
    env.put("FLEETSTATS_KUBELET_TOKEN_FILE", token.toString());
    if (kubelet.caFile() != null) {
      env.put("FLEETSTATS_KUBELET_CA_FILE", kubelet.caFile().toString());
    }
    env.putAll(more);
    return env;
  }

  private String logText() {
    StringBuilder b = new StringBuilder();
    for (ILoggingEvent e : List.copyOf(logs.list)) {
      b.append(e.getLevel()).append(' ').append(e.getFormattedMessage()).append('\n');
    }
    return b.toString();
  }

  @Test
  void summariesReachTheRawTopicWithTheRotatedTokenAndRefusalsSayWhatToFix() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), LoopbackKubelet.GOOD_TOKEN + "\n");
    AtomicInteger scrapes = new AtomicInteger();
    try (LoopbackKubelet kubelet =
            LoopbackKubelet.https(
                dir, () -> summary(120_000_000_000L + 2_500_000_000L * scrapes.getAndIncrement()));
        EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env(kubelet, token, Map.of())))) {
      KubeletInput input = agent.kubelet().orElseThrow();
      List<KubeletSummary> read = consume(2);
      KubeletSummary first = read.get(0);
      assertThat(first.getNode()).isEqualTo("node-a");
      assertThat(first.getSource().getCluster()).isEqualTo("east");
      KubeletEntity pod =
          first.getEntities().stream().filter(e -> e.getType().equals("pod")).findFirst().get();
      assertThat(pod.getPod()).isEqualTo("api-server-1");
      assertThat(pod.getCounters()).containsKey("cpu.usageCoreNanoSeconds");
      assertThat(read.get(1).getTakenAt()).isGreaterThan(first.getTakenAt());
      assertThat(kubelet.authorizations).contains("Bearer " + LoopbackKubelet.GOOD_TOKEN);

      // the token is rotated to one whose service account lacks nodes/stats
      Files.writeString(token, LoopbackKubelet.NO_RBAC_TOKEN);
      await().atMost(Duration.ofSeconds(10)).until(() -> input.scrapes(Result.FORBIDDEN) >= 2);
      assertThat(input.lastProblem())
          .contains("403")
          .contains("nodes/stats")
          .contains("subresource(s)=[stats]");
      // one ERROR for the cause, not one per scrape
      assertThat(logText().lines().filter(l -> l.startsWith("ERROR") && l.contains("403")))
          .hasSize(1);

      // no token at all: 401 names the token file
      Files.delete(token);
      await().atMost(Duration.ofSeconds(10)).until(() -> input.scrapes(Result.UNAUTHORIZED) >= 1);
      assertThat(input.lastProblem())
          .contains("401")
          .contains("FLEETSTATS_KUBELET_TOKEN_FILE=" + token);

      // a good token again: scraping resumes and says so
      long ok = input.scrapes(Result.OK);
      Files.writeString(token, LoopbackKubelet.GOOD_TOKEN);
      await().atMost(Duration.ofSeconds(10)).until(() -> input.scrapes(Result.OK) > ok);
      assertThat(input.lastProblem()).isEmpty();
      assertThat(logText()).contains("scraping again");
    }
  }

  @Test
  void anUntrustedCertificateNamesTheSettingsAndSkipVerifyAcceptsIt() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), LoopbackKubelet.GOOD_TOKEN);
    try (LoopbackKubelet kubelet = LoopbackKubelet.https(dir, () -> summary(1))) {
      Map<String, String> untrusted = env(kubelet, token, Map.of());
      untrusted.remove("FLEETSTATS_KUBELET_CA_FILE");
      try (EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(untrusted))) {
        KubeletInput input = agent.kubelet().orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> input.scrapes(Result.UNREACHABLE) >= 1);
        assertThat(input.lastProblem())
            .contains("FLEETSTATS_KUBELET_CA_FILE")
            .contains("FLEETSTATS_KUBELET_INSECURE_SKIP_VERIFY=true");
        assertThat(input.scrapes(Result.OK)).isZero();
      }
      Map<String, String> insecure = new HashMap<>(untrusted);
      insecure.put("FLEETSTATS_KUBELET_INSECURE_SKIP_VERIFY", "true");
      try (EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(insecure))) {
        KubeletInput input = agent.kubelet().orElseThrow();
        await().atMost(Duration.ofSeconds(10)).until(() -> input.scrapes(Result.OK) >= 1);
      }
    }
  }

  @Test
  void aBodyThatIsNoSummaryIsCountedAndTheNextGoodOneStillArrives() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), LoopbackKubelet.GOOD_TOKEN);
    try (LoopbackKubelet kubelet = LoopbackKubelet.http(() -> "<html>not a summary</html>");
        EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env(kubelet, token, Map.of())))) {
      KubeletInput input = agent.kubelet().orElseThrow();
      await().atMost(Duration.ofSeconds(10)).until(() -> input.scrapes(Result.BAD_SUMMARY) >= 1);
      assertThat(input.lastProblem()).contains("bad summary").contains("not JSON");
      assertThat(logText()).contains("plain http");
      kubelet.answer(() -> summary(7));
      await().atMost(Duration.ofSeconds(10)).until(() -> input.scrapes(Result.OK) >= 1);
    }
  }

  private static List<KubeletSummary> consume(int n) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "kubelet-it-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<KubeletSummary> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(List.of(RAW_KUBELET));
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < n && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(Topics.KUBELET_SUMMARY.decode(r.value()));
        }
      }
    }
    assertThat(out).as("summaries on " + RAW_KUBELET).hasSizeGreaterThanOrEqualTo(n);
    return out;
  }
}
