package io.fleetstats.edge.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.MysqlSeries;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The poller against real servers: every group the server supports, both naming versions. */
class MysqlPollerIT {
  static final Source SOURCE =
      Source.newBuilder()
          .setCluster("it")
          .setNamespace("db")
          .setNode("node-1")
          .setPod("mysql-0")
          .setContainer("mysql")
          .setApp("")
          .build();

  static Stream<Named<TestServers.Server>> servers() {
    return TestServers.all().stream();
  }

  /** Every group switched on, metric_version as given. */
  static Map<String, String> allGroups(int metricVersion) {
    Map<String, String> env = new HashMap<>();
    for (Group g : Group.values()) {
      if (g.envKey() != null) {
        env.put(g.envKey(), "true");
      }
    }
    env.put(MysqlConfig.METRIC_VERSION.key(), Integer.toString(metricVersion));
    env.put(MysqlConfig.TABLE_SCHEMA_DATABASES.key(), "test");
    return env;
  }

  static MysqlSnapshot firstSnapshot(MysqlConfig config) {
    LinkedBlockingQueue<MysqlSnapshot> out = new LinkedBlockingQueue<>();
    try (MysqlPoller poller =
        new MysqlPoller(config, SOURCE, out::add, Clock.systemUTC()).start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> !out.isEmpty());
      assertThat(poller.groupsFailed()).as("group failures: %s", poller.lastProblem()).isZero();
      return out.poll();
    }
  }

  static MysqlSeries series(MysqlSnapshot s, String measurement, Map<String, String> tags) {
    return s.getSeries().stream()
        .filter(x -> x.getMeasurement().equals(measurement) && x.getTags().equals(tags))
        .findFirst()
        .orElseThrow(
            () -> new AssertionError("no " + measurement + " " + tags + " in " + measurements(s)));
  }

  static List<String> measurements(MysqlSnapshot s) {
    return s.getSeries().stream()
        .map(x -> x.getMeasurement() + x.getTags())
        .distinct()
        .limit(40)
        .toList();
  }

  static void prepare(TestServers.Server server) throws Exception {
    server.execute(
        "CREATE DATABASE IF NOT EXISTS test",
        "CREATE TABLE IF NOT EXISTS test.fleetstats_autoinc (id INT AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB",
        "INSERT INTO test.fleetstats_autoinc (v) VALUES (1), (2), (3)",
        "ANALYZE TABLE test.fleetstats_autoinc");
    try (Connection c = server.admin();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT VERSION()")) {
      rs.next();
      if (rs.getString(1).contains("MariaDB")) {
        // user_statistics is empty until the server collects it (a dynamic global switch)
        s.execute("SET GLOBAL userstat = 1");
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("servers")
  void gathersEveryGroupTheServerSupportsWithTelegrafV2Names(TestServers.Server row)
      throws Exception {
    TestServers.Server server = TestServers.resolve(row);
    prepare(server);
    MysqlConfig config =
        MysqlConfig.fromEnv(server.env(server.user(), server.password(), allGroups(2)));

    MysqlSnapshot s = firstSnapshot(config);

    assertThat(s.getServer()).isEqualTo(server.server());
    assertThat(s.getSource()).isEqualTo(SOURCE);
    assertThat(s.getFlavor()).isIn(ServerInfo.MARIADB, ServerInfo.MYSQL);
    // global status: always, counters and gauges classified
    assertThat(s.getCounters())
        .containsKeys(
            "questions", "queries", "bytes_received", "bytes_sent", "com_select", "connections");
    assertThat(s.getGauges())
        .containsKeys("threads_connected", "threads_running", "uptime", "open_tables");
    assertThat(s.getCounters().get("questions")).isPositive();
    // global variables (slow group, first poll), version strings as tags
    MysqlSeries vars =
        s.getSeries().stream()
            .filter(x -> x.getMeasurement().equals("mysql_variables"))
            .findFirst()
            .orElseThrow();
    assertThat(vars.getTags()).containsKey("version");
    assertThat(vars.getGauges()).containsKeys("max_connections", "innodb_buffer_pool_size");
    // process list by state and per user
    MysqlSeries threads = series(s, "mysql_process_list", Map.of());
    assertThat(threads.getGauges())
        .hasSize(TelegrafValues.THREAD_STATES.size())
        .containsKeys("threads_idle", "threads_other");
    assertThat(
            series(s, "mysql_users", Map.of("user", server.user())).getGauges().get("connections"))
        .isGreaterThanOrEqualTo(1);
    // auto-increment usage
    MysqlSeries autoinc =
        series(
            s,
            "mysql_table_schema",
            Map.of("schema", "test", "table", "fleetstats_autoinc", "column", "id"));
    assertThat(autoinc.getGauges().get("auto_increment_column")).isGreaterThanOrEqualTo(4);
    assertThat(autoinc.getGauges().get("auto_increment_column_max")).isEqualTo(2147483647.0);
    // InnoDB metrics, with counters and gauges told apart by TYPE
    MysqlSeries innodb = series(s, "mysql_innodb", Map.of());
    assertThat(innodb.getCounters()).isNotEmpty();
    assertThat(innodb.getGauges()).isNotEmpty();
    // table schema sizes
    MysqlSeries table =
        series(s, "mysql_table_schema", Map.of("schema", "test", "table", "fleetstats_autoinc"));
    assertThat(table.getGauges()).containsKeys("rows", "data_length", "index_length", "data_free");
    assertThat(
            s.getSeries().stream()
                .filter(
                    x ->
                        x.getMeasurement().equals("mysql_table_schema_version")
                            && "fleetstats_autoinc".equals(x.getTags().get("table"))
                            && "InnoDB".equals(x.getTags().get("engine")))
                .findFirst()
                .orElseThrow()
                .getGauges())
        .containsKey("table_version");

    ServerInfo info = ServerInfo.parse(s.getVersion(), "", false, false, false);
    if (info.isMariaDb()) {
      MysqlSeries stats = series(s, "mysql_user_stats", Map.of("user", server.user()));
      assertThat(stats.getCounters())
          .containsKeys("total_connections", "bytes_received", "select_commands");
      assertThat(stats.getGauges()).containsKeys("concurrent_connections");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("servers")
  void usesTelegrafV1NamesByDefaultAsTheSeedDid(TestServers.Server row) throws Exception {
    TestServers.Server server = TestServers.resolve(row);
    prepare(server);
    Map<String, String> groups = allGroups(1);
    groups.remove(MysqlConfig.METRIC_VERSION.key());
    MysqlConfig config = MysqlConfig.fromEnv(server.env(server.user(), server.password(), groups));
    assertThat(config.metricVersion()).isEqualTo(1);

    MysqlSnapshot s = firstSnapshot(config);

    assertThat(s.getCounters())
        .containsKeys("questions", "bytes_received", "commands_select", "handler_read_rnd_next");
    assertThat(s.getCounters()).doesNotContainKey("com_select");
    assertThat(s.getGauges()).containsKeys("threads_connected", "uptime");
    assertThat(series(s, "mysql_info_schema", Map.of()).getGauges()).containsKey("threads_idle");
    assertThat(
            series(
                    s,
                    "mysql_info_schema",
                    Map.of("schema", "test", "table", "fleetstats_autoinc", "column", "id"))
                .getGauges())
        .containsKey("auto_increment_column");
    assertThat(
            series(
                    s,
                    "mysql_info_schema_table_rows",
                    Map.of("schema", "test", "table", "fleetstats_autoinc"))
                .getGauges())
        .containsKey("value");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("servers")
  void skipsWhatTheServerLacksAndGathersItWhereItIsOn(TestServers.Server row) throws Exception {
    TestServers.Server server = TestServers.resolve(row);
    prepare(server);
    MysqlConfig config =
        MysqlConfig.fromEnv(server.env(server.user(), server.password(), allGroups(2)));
    LinkedBlockingQueue<MysqlSnapshot> out = new LinkedBlockingQueue<>();
    try (MysqlPoller poller =
        new MysqlPoller(config, SOURCE, out::add, Clock.systemUTC()).start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> !out.isEmpty());
      ServerInfo info = poller.serverInfo();
      MysqlSnapshot s = out.poll();
      if (server.name().equals("MariaDB (private)")) {
        assertThat(info.performanceSchema())
            .as("private server runs with performance_schema")
            .isTrue();
        assertThat(info.logBin()).as("private server runs with --log-bin").isTrue();
      }
      assertThat(poller.groupsFailed()).isZero();
      if (info.logBin()) {
        assertThat(s.getGauges().get("binary_files_count")).isGreaterThanOrEqualTo(1);
        assertThat(s.getGauges().get("binary_size_bytes")).isPositive();
      } else {
        assertThat(info.lacks(Group.BINARY_LOGS)).contains("--log-bin");
        assertThat(s.getGauges()).doesNotContainKey("binary_files_count");
      }
      if (info.performanceSchema()) {
        assertThat(
                series(
                        s,
                        "mysql_perf_schema",
                        Map.of(
                            "event_name", "wait/io/file/innodb/innodb_data_file", "mode", "read"))
                    .getCounters())
            .containsKeys(
                "file_events_total", "file_events_seconds_total", "file_events_bytes_totals");
        assertThat(s.getSeries()).anyMatch(x -> x.getCounters().containsKey("events_waits_total"));
        assertThat(s.getSeries())
            .anyMatch(x -> x.getCounters().containsKey("table_io_waits_total_fetch"));
        assertThat(s.getSeries())
            .anyMatch(x -> x.getCounters().containsKey("index_io_waits_total_fetch"));
        assertThat(s.getSeries())
            .anyMatch(x -> "sql_lock_waits_total".equals(x.getTags().get("perf_query")));
        assertThat(s.getSeries())
            .anyMatch(x -> x.getCounters().containsKey("events_statements_total"));
      } else {
        for (Group g : Group.values()) {
          if (g.needsPerformanceSchema()) {
            assertThat(info.lacks(g)).contains("performance_schema is OFF");
          }
        }
        assertThat(s.getSeries()).noneMatch(x -> x.getMeasurement().equals("mysql_perf_schema"));
      }
      // replica status runs (SHOW ALL SLAVES STATUS / SHOW REPLICA STATUS) without error; this
      // server is no replica, so it adds no slave_* field
      assertThat(s.getGauges())
          .doesNotContainKeys("slave_seconds_behind_master", "slave_exec_master_log_pos");
    }
  }

  @org.junit.jupiter.api.Test
  void tlsRequiredAgainstAServerWithoutTlsNamesTheSslSettings() {
    TestServers.Server server = TestServers.MARIADB;
    MysqlConfig config =
        MysqlConfig.fromEnv(
            server.env(
                server.user(), server.password(), Map.of(MysqlConfig.SSL_MODE.key(), "REQUIRED")));
    LinkedBlockingQueue<MysqlSnapshot> out = new LinkedBlockingQueue<>();
    try (MysqlPoller poller =
        new MysqlPoller(config, SOURCE, out::add, Clock.systemUTC()).start()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> poller.pollsFailed() >= 1);
      assertThat(poller.lastProblem().cause()).isEqualTo(Diagnosis.Cause.TLS);
      assertThat(poller.lastProblem().message())
          .contains("sslMode REQUIRED")
          .contains("FLEETSTATS_MYSQL_SSL_MODE");
      assertThat(out).isEmpty();
    }
  }
}
