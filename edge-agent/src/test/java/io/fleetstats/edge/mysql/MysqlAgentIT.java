package io.fleetstats.edge.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.timgroup.statsd.NonBlockingStatsDClientBuilder;
import com.timgroup.statsd.StatsDClient;
import io.fleetstats.edge.EdgeAgent;
import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The whole agent with the MySQL poller on, against a real KRaft broker and the real MariaDB:
 * snapshots reach Kafka; and with the server down, a wrong password or a missing privilege the
 * agent stays up, statsd still reaches Kafka, and the error names the problem and the fix.
 */
class MysqlAgentIT {
  private static final String RAW_MYSQL = Topics.defaults().rawMysql().name();
  private static final String WRONG_PASSWORD = "not-the-password-42";
  private static KafkaClusterTestKit cluster;
  private ListAppender<ILoggingEvent> logs;

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
    ((Logger) LoggerFactory.getLogger(MysqlPoller.class)).addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    ((Logger) LoggerFactory.getLogger(MysqlPoller.class)).detachAppender(logs);
  }

  private static Map<String, String> env(String pod, Map<String, String> mysql) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers());
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_FLUSH_INTERVAL", "200ms");
    env.put("FLEETSTATS_TOPIC_PARTITIONS", "2");
    env.put("CLUSTER_NAME", "it");
    env.put("NAMESPACE", "db");
    env.put("NODE_HOSTNAME", "node-1");
    env.put("POD_NAME", pod);
    env.put("CONTAINER_NAME", "mysql");
    env.putAll(mysql);
    return env;
  }

  private static void sendStatsd(EdgeAgent agent, int n) {
    StatsDClient statsd =
        new NonBlockingStatsDClientBuilder()
            .hostname("127.0.0.1")
            .port(agent.statsdAddress().getPort())
            .enableAggregation(false)
            .enableTelemetry(false)
            .originDetectionEnabled(false)
            .build();
    long before = agent.samplesReceived();
    for (int i = 0; i < n; i++) {
      statsd.count("app.requests", 1);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> agent.samplesReceived() >= before + n);
    statsd.close();
  }

  /** statsd keeps flowing to Kafka whatever the poller is going through. */
  private static void assertStatsdStillDelivers(EdgeAgent agent) {
    long published = agent.samplesPublished();
    sendStatsd(agent, 20);
    await().atMost(Duration.ofSeconds(20)).until(() -> agent.samplesPublished() >= published + 20);
  }

  private String logText() {
    StringBuilder b = new StringBuilder();
    for (ILoggingEvent e : logs.list) {
      b.append(e.getLevel()).append(' ').append(e.getFormattedMessage()).append('\n');
    }
    return b.toString();
  }

  @Test
  void publishesSnapshotsToTheRawMysqlTopicKeyedBySource() {
    TestServers.Server db = TestServers.MARIADB;
    try (EdgeAgent agent =
        EdgeAgent.start(
            EdgeConfig.fromEnv(env("mysql-ok", db.env(db.user(), db.password(), Map.of()))))) {
      MysqlInput mysql = agent.mysql().orElseThrow();
      await().atMost(Duration.ofSeconds(30)).until(() -> mysql.snapshotsPublished() >= 3);
      List<ConsumerRecord<String, MysqlSnapshot>> records = read("it/db/mysql-ok/mysql", 3);
      MysqlSnapshot last = records.get(records.size() - 1).value();
      assertThat(last.getServer()).isEqualTo(db.server());
      assertThat(last.getCounters()).containsKey("questions");
      assertThat(records)
          .allSatisfy(r -> assertThat(r.timestamp()).isEqualTo(r.value().getTakenAt()));
      assertStatsdStillDelivers(agent);
      assertThat(logText()).contains("connected to MariaDB").contains("gathering");
    }
  }

  @Test
  void serverDownKeepsTheAgentUpRetriesAndSaysWhatToCheck() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    Map<String, String> mysql =
        Map.of(
            "MYSQL_SERVER",
            "127.0.0.1:" + closedPort,
            "MYSQL_ID",
            "fleetstats",
            "MYSQL_PASSWORD",
            "fleetstats",
            MysqlConfig.INTERVAL.key(),
            "200ms",
            MysqlConfig.MAX_BACKOFF.key(),
            "1s");
    try (EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env("mysql-down", mysql)))) {
      MysqlPoller poller = agent.mysql().orElseThrow().poller();
      await().atMost(Duration.ofSeconds(30)).until(() -> poller.pollsFailed() >= 3);
      assertThat(poller.lastProblem().cause()).isEqualTo(Diagnosis.Cause.UNREACHABLE);
      assertThat(poller.lastProblem().message())
          .contains("cannot reach MySQL at mysql://127.0.0.1:" + closedPort)
          .contains("MYSQL_SERVER");
      assertStatsdStillDelivers(agent);
      // one ERROR for the outage, not one per retry
      assertThat(logs.list.stream().filter(e -> e.getLevel().toString().equals("ERROR")).count())
          .isEqualTo(1);
      assertThat(logText()).contains("cannot reach MySQL").contains("retrying with backoff");
    }
  }

  @Test
  void wrongPasswordKeepsTheAgentUpAndNamesTheCredentialSettingsWithoutTheSecret() {
    TestServers.Server db = TestServers.MARIADB;
    try (EdgeAgent agent =
        EdgeAgent.start(
            EdgeConfig.fromEnv(env("mysql-badpw", db.env(db.user(), WRONG_PASSWORD, Map.of()))))) {
      MysqlPoller poller = agent.mysql().orElseThrow().poller();
      await().atMost(Duration.ofSeconds(30)).until(() -> poller.pollsFailed() >= 2);
      assertThat(poller.lastProblem().cause()).isEqualTo(Diagnosis.Cause.ACCESS_DENIED);
      assertThat(poller.lastProblem().message())
          .contains("refused user '" + db.user() + "'")
          .contains("MYSQL_PASSWORD")
          .doesNotContain(WRONG_PASSWORD);
      assertStatsdStillDelivers(agent);
      assertThat(logText()).contains("refused user").doesNotContain(WRONG_PASSWORD);
      assertThat(agent.config().toString()).doesNotContain(WRONG_PASSWORD);
    }
  }

  @Test
  void missingPrivilegeSkipsOnlyThatGroupAndNamesThePrivilege() throws Exception {
    TestServers.Server db = TestServers.MARIADB;
    db.execute(
        "DROP USER IF EXISTS 'fleetstats_limited'@'127.0.0.1'",
        "DROP USER IF EXISTS 'fleetstats_limited'@'localhost'",
        "CREATE USER 'fleetstats_limited'@'127.0.0.1' IDENTIFIED BY 'limited'",
        "CREATE USER 'fleetstats_limited'@'localhost' IDENTIFIED BY 'limited'");
    Map<String, String> groups = new HashMap<>(Map.of(Group.INNODB_METRICS.envKey(), "true"));
    try (EdgeAgent agent =
        EdgeAgent.start(
            EdgeConfig.fromEnv(
                env("mysql-limited", db.env("fleetstats_limited", "limited", groups))))) {
      MysqlInput mysql = agent.mysql().orElseThrow();
      MysqlPoller poller = mysql.poller();
      await().atMost(Duration.ofSeconds(30)).until(() -> mysql.snapshotsPublished() >= 2);
      assertThat(poller.pollsFailed()).isZero();
      assertThat(poller.groupsFailed()).isPositive();
      assertThat(logText())
          .contains("group innodb_metrics denied")
          .contains("it needs PROCESS")
          .contains("GRANT PROCESS ON *.* TO 'fleetstats_limited'@'%'")
          .contains(Group.INNODB_METRICS.envKey() + "=false");
      // the denied group is logged once, not on every poll
      assertThat(
              logs.list.stream()
                  .filter(e -> e.getFormattedMessage().contains("group innodb_metrics denied"))
                  .count())
          .isEqualTo(1);
      MysqlSnapshot last = read("it/db/mysql-limited/mysql", 2).get(1).value();
      assertThat(last.getCounters()).containsKey("questions");
      assertThat(last.getSeries()).noneMatch(s -> s.getMeasurement().equals("mysql_innodb"));
      assertStatsdStillDelivers(agent);
    } finally {
      db.execute(
          "DROP USER IF EXISTS 'fleetstats_limited'@'127.0.0.1'",
          "DROP USER IF EXISTS 'fleetstats_limited'@'localhost'");
    }
  }

  /** At least {@code atLeast} snapshots of one source from the raw topic, in order. */
  private static List<ConsumerRecord<String, MysqlSnapshot>> read(String key, int atLeast) {
    List<ConsumerRecord<String, MysqlSnapshot>> out = new ArrayList<>();
    try (KafkaConsumer<String, MysqlSnapshot> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                cluster.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            Topics.MYSQL_SNAPSHOT.deserializer())) {
      TestKafka.readFromStart(consumer, RAW_MYSQL);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<String, MysqlSnapshot> r :
                    consumer.poll(Duration.ofMillis(200))) {
                  if (key.equals(r.key())) {
                    out.add(r);
                  }
                }
                return out.size() >= atLeast;
              });
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
    }
    return out;
  }
}
