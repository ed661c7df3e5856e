package io.fleetstats.edge.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.sql.SQLException;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SQL states, codes and messages as Connector/J and MariaDB/MySQL report them. */
class DiagnosisTest {
  static final MysqlConfig CONFIG =
      MysqlConfig.fromEnv(
          Map.of("MYSQL_SERVER", "db:3306", "MYSQL_ID", "app", "MYSQL_PASSWORD", "s3cret"));

  static SQLException ex(String message, String state, int code) {
    return new SQLException(message, state, code);
  }

  static Stream<Arguments> connectionFailures() {
    SQLException down = ex("Communications link failure", "08S01", 0);
    down.initCause(new ConnectException("Connection refused"));
    return Stream.of(
        Arguments.of(
            "server down",
            down,
            Diagnosis.Cause.UNREACHABLE,
            "cannot reach MySQL at mysql://db:3306"),
        Arguments.of(
            "unknown host",
            ex("Communications link failure", "08001", 0),
            Diagnosis.Cause.UNREACHABLE,
            "MYSQL_SERVER"),
        Arguments.of(
            "wrong password",
            ex("Access denied for user 'app'@'10.0.0.1' (using password: YES)", "28000", 1045),
            Diagnosis.Cause.ACCESS_DENIED,
            "refused user 'app'"),
        Arguments.of(
            "unix_socket root",
            ex("Access denied for user 'root'@'localhost'", "28000", 1698),
            Diagnosis.Cause.ACCESS_DENIED,
            "FLEETSTATS_MYSQL_PASSWORD_FILE"),
        Arguments.of(
            "TLS required but not offered",
            ex("SSL connection required, but not supported by server", "08001", 0),
            Diagnosis.Cause.TLS,
            "FLEETSTATS_MYSQL_SSL_MODE"),
        Arguments.of(
            "other",
            ex("Too many connections", "08004", 1040),
            Diagnosis.Cause.UNREACHABLE,
            "cannot reach"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void connectionFailures(String row, SQLException e, Diagnosis.Cause cause, String fragment) {
    Diagnosis.Problem p = Diagnosis.connection(e, CONFIG);
    assertThat(p.cause()).isEqualTo(cause);
    assertThat(p.message()).contains(fragment).doesNotContain("s3cret");
    assertThat(p.connectionLost()).isTrue();
  }

  static Stream<Arguments> groupFailures() {
    return Stream.of(
        Arguments.of(
            "PROCESS missing",
            Group.INNODB_METRICS,
            ex(
                "Access denied; you need (at least one of) the PROCESS privilege(s) for this operation",
                "42000",
                1227),
            Diagnosis.Cause.PRIVILEGE,
            "GRANT PROCESS ON *.* TO 'app'@'%'"),
        Arguments.of(
            "replica monitor missing",
            Group.REPLICA_STATUS,
            ex(
                "Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation",
                "42000",
                1227),
            Diagnosis.Cause.PRIVILEGE,
            "GRANT REPLICATION CLIENT ON *.*"),
        Arguments.of(
            "perf schema table denied",
            Group.EVENT_WAITS,
            ex(
                "SELECT command denied to user 'app'@'%' for table 'events_waits_summary_global_by_event_name'",
                "42000", 1142),
            Diagnosis.Cause.PRIVILEGE,
            "SELECT ON performance_schema.*"),
        Arguments.of(
            "no binary logging",
            Group.BINARY_LOGS,
            ex("You are not using binary logging", "HY000", 1381),
            Diagnosis.Cause.UNSUPPORTED,
            "FLEETSTATS_MYSQL_GATHER_BINARY_LOGS=false"),
        Arguments.of(
            "MySQL lacks user_statistics",
            Group.USER_STATISTICS,
            ex("Unknown table 'USER_STATISTICS' in information_schema", "42S02", 1109),
            Diagnosis.Cause.UNSUPPORTED,
            "not supported by this server"),
        Arguments.of(
            "column renamed",
            Group.INNODB_METRICS,
            ex("Unknown column 'STATUS' in 'where clause'", "42S22", 1054),
            Diagnosis.Cause.UNSUPPORTED,
            "FLEETSTATS_MYSQL_GATHER_INNODB_METRICS=false"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void groupFailures(
      String row, Group group, SQLException e, Diagnosis.Cause cause, String fragment) {
    Diagnosis.Problem p = Diagnosis.group(e, group, "app");
    assertThat(p.cause()).isEqualTo(cause);
    assertThat(p.message()).contains("group " + group.label()).contains(fragment);
    assertThat(p.connectionLost()).isFalse();
  }
}
