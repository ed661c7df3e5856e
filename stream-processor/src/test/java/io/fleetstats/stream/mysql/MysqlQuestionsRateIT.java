package io.fleetstats.stream.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.edge.mysql.MysqlConfig;
import io.fleetstats.edge.mysql.MysqlPoller;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.topology.TopologyFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * Known load in, rate out: the real poller against the real MariaDB (127.0.0.1:3306, user
 * fleetstats, see .ci/run) feeds the real topology; between two polls the test sends exactly N
 * statements, and the {@code questions_rate} the topology emits must be N per interval within 5 %.
 */
class MysqlQuestionsRateIT {
  static final int N = 500;
  static final Duration INTERVAL = Duration.ofSeconds(3);
  static final int INTERVALS = 3;

  @Test
  void questionsRateIsTheKnownQueriesPerInterval() throws Exception {
    String host = env("FLEETSTATS_IT_MYSQL_HOST", "127.0.0.1");
    String port = env("FLEETSTATS_IT_MYSQL_PORT", "3306");
    String user = env("FLEETSTATS_IT_MYSQL_USER", "fleetstats");
    String password = env("FLEETSTATS_IT_MYSQL_PASSWORD", "fleetstats");
    // Global status only: then each poll itself adds exactly one question (SHOW GLOBAL STATUS).
    Map<String, String> env = new java.util.HashMap<>();
    env.put(MysqlConfig.URL.key(), "jdbc:mysql://" + host + ":" + port + "/");
    env.put(MysqlConfig.USER.key(), user);
    env.put(MysqlConfig.PASSWORD.key(), password);
    env.put(MysqlConfig.INTERVAL.key(), INTERVAL.toMillis() + "ms");
    env.put(MysqlConfig.SLOW_INTERVAL.key(), "1h");
    for (String g :
        List.of(
            "GLOBAL_VARIABLES",
            "SLAVE_STATUS",
            "PROCESS_LIST",
            "USER_STATISTICS",
            "INFO_SCHEMA_AUTO_INC",
            "INNODB_METRICS")) {
      env.put("FLEETSTATS_MYSQL_GATHER_" + g, "false");
    }
    MysqlConfig config = MysqlConfig.fromEnv(env);
    Source source =
        Source.newBuilder()
            .setCluster("it")
            .setNamespace("db")
            .setNode("node-1")
            .setPod("mysql-0")
            .setContainer("mysql")
            .setApp("")
            .build();
    Topics topics = Topics.defaults();
    Properties streams = new Properties();
    streams.put(StreamsConfig.APPLICATION_ID_CONFIG, "questions-it");
    streams.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    Properties client = new Properties();
    client.setProperty("user", user);
    client.setProperty("password", password);
    client.setProperty("allowPublicKeyRetrieval", "true");

    LinkedBlockingQueue<MysqlSnapshot> snapshots = new LinkedBlockingQueue<>();
    List<Double> perInterval = new ArrayList<>();
    try (TopologyTestDriver driver =
            new TopologyTestDriver(
                TopologyFactory.build(StreamConfig.fromEnv(Map.of()), topics), streams);
        Connection load =
            DriverManager.getConnection("jdbc:mysql://" + host + ":" + port + "/", client);
        Statement st = load.createStatement();
        MysqlPoller poller =
            new MysqlPoller(config, source, snapshots::add, Clock.systemUTC()).start()) {
      TestInputTopic<String, MysqlSnapshot> in =
          driver.createInputTopic(
              topics.rawMysql().name(),
              topics.rawMysql().keySerde().serializer(),
              topics.rawMysql().valueSerde().serializer());
      TestOutputTopic<String, Aggregate> out =
          driver.createOutputTopic(
              topics.aggregates().name(),
              topics.aggregates().keySerde().deserializer(),
              topics.aggregates().valueSerde().deserializer());

      MysqlSnapshot previous = snapshots.poll(30, TimeUnit.SECONDS);
      assertThat(previous).as("first snapshot; last problem: %s", poller.lastProblem()).isNotNull();
      in.pipeInput(Sources.id(source), previous, previous.getTakenAt());
      for (int i = 0; i < INTERVALS; i++) {
        // The burst starts right after a poll and takes a fraction of the interval, so all of it
        // falls between this poll and the next.
        long burstStart = System.currentTimeMillis();
        for (int q = 0; q < N; q++) {
          try (ResultSet rs = st.executeQuery("SELECT 1")) {
            rs.next();
          }
        }
        long burstEnd = System.currentTimeMillis();
        MysqlSnapshot next = snapshots.poll(30, TimeUnit.SECONDS);
        assertThat(next).isNotNull();
        assertThat(burstEnd - burstStart)
            .as("burst must fit in one interval")
            .isLessThan(INTERVAL.toMillis() / 2);
        assertThat(next.getTakenAt()).isGreaterThanOrEqualTo(burstEnd);
        in.pipeInput(Sources.id(source), next, next.getTakenAt());
        double rate =
            out.readValuesToList().stream()
                .filter(a -> a.getName().equals("mysql"))
                .reduce((a, b) -> b)
                .orElseThrow()
                .getFields()
                .get("questions_rate");
        // the rate is per second between the two polls; scale by the time that really passed
        // between them (the first poll after start may land off the nominal schedule)
        perInterval.add(rate * (next.getTakenAt() - previous.getTakenAt()) / 1000.0);
        previous = next;
      }
    }
    System.out.printf(
        "questions per %s interval from questions_rate, N=%d: %s%n", INTERVAL, N, perInterval);
    assertThat(perInterval)
        .hasSize(INTERVALS)
        .allSatisfy(q -> assertThat(q).isBetween(0.95 * N, 1.05 * N));
  }

  private static String env(String key, String fallback) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? fallback : v;
  }
}
