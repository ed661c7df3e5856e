package io.fleetstats.edge.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Rows are SHOW GLOBAL STATUS / VARIABLES rows as MariaDB 10.11 and MySQL 8 return them. */
class TelegrafValuesTest {

  static Stream<Arguments> globalStatus() {
    return Stream.of(
        Arguments.of("counter v2", "Bytes_received", "1234", 2, Map.of("bytes_received", 1234.0)),
        Arguments.of(
            "counter v1 prefix", "Bytes_received", "1234", 1, Map.of("bytes_received", 1234.0)),
        Arguments.of("Com_ v2 keeps com", "Com_select", "7", 2, Map.of("com_select", 7.0)),
        Arguments.of(
            "Com_ v1 becomes commands", "Com_select", "7", 1, Map.of("commands_select", 7.0)),
        Arguments.of(
            "v1 keeps case after prefix",
            "Innodb_buffer_pool_pages_LRU_flushed",
            "3",
            1,
            Map.of("innodb_buffer_pool_pages_LRU_flushed", 3.0)),
        Arguments.of("v1 special Questions", "Questions", "99", 1, Map.of("questions", 99.0)),
        Arguments.of("v1 special Uptime", "Uptime", "100", 1, Map.of("uptime", 100.0)),
        Arguments.of(
            "v1 drops unmapped", "Memory_used_initial", "5", 1, Map.of("memory_used_initial", 5.0)),
        Arguments.of("v1 drops unmapped names", "Acl_users", "4", 1, Map.of()),
        Arguments.of("v2 keeps unmapped names", "Acl_users", "4", 2, Map.of("acl_users", 4.0)),
        Arguments.of(
            "v1 Binlog_ not mapped (Telegraf's Binlog__)", "Binlog_cache_use", "1", 1, Map.of()),
        Arguments.of("ON is 1", "Slave_running", "ON", 2, Map.of("slave_running", 1.0)),
        Arguments.of("OFF is 0 in v1", "Slave_running", "OFF", 1, Map.of("slave_running", 0.0)),
        Arguments.of("float", "Last_query_cost", "0.000000", 2, Map.of("last_query_cost", 0.0)),
        Arguments.of(
            "text dropped",
            "Innodb_buffer_pool_dump_status",
            "Dumping of buffer pool not started",
            2,
            Map.of()),
        Arguments.of("empty dropped", "Rpl_status", "", 2, Map.of()),
        Arguments.of("NaN text dropped", "Some_status", "NaN", 2, Map.of()),
        Arguments.of(
            "wsrep latency split",
            "wsrep_evs_repl_latency",
            "0.1/0.2/0.3/0.05/7",
            2,
            Map.of(
                "wsrep_evs_repl_latency_min",
                0.1,
                "wsrep_evs_repl_latency_avg",
                0.2,
                "wsrep_evs_repl_latency_max",
                0.3,
                "wsrep_evs_repl_latency_stdev",
                0.05,
                "wsrep_evs_repl_latency_sample_size",
                7.0)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void globalStatus(
      String row, String variable, String raw, int version, Map<String, Double> expected) {
    assertThat(TelegrafValues.globalStatus(variable, raw, version)).isEqualTo(expected);
  }

  static Stream<Arguments> globalVariables() {
    return Stream.of(
        Arguments.of("number", "max_connections", "151", 2, Map.of("max_connections", 151.0)),
        Arguments.of("have_ssl DISABLED is 0", "have_ssl", "DISABLED", 2, Map.of("have_ssl", 0.0)),
        Arguments.of("have_ssl YES is 1", "have_ssl", "YES", 2, Map.of("have_ssl", 1.0)),
        Arguments.of(
            "gtid_mode ON_PERMISSIVE", "gtid_mode", "ON_PERMISSIVE", 2, Map.of("gtid_mode", 1.0)),
        Arguments.of(
            "string kept by Telegraf, dropped for Wavefront",
            "event_scheduler",
            "OFF",
            2,
            Map.of()),
        Arguments.of("yes in any case (v2)", "some_switch", "yes", 2, Map.of("some_switch", 1.0)),
        Arguments.of("v1 only Yes/ON", "some_switch", "yes", 1, Map.of()),
        Arguments.of(
            "v1 float", "long_query_time", "10.000000", 1, Map.of("long_query_time", 10.0)),
        Arguments.of("path dropped", "datadir", "/var/lib/mysql/", 2, Map.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource
  void globalVariables(
      String row, String variable, String raw, int version, Map<String, Double> expected) {
    assertThat(TelegrafValues.globalVariable(variable, raw, version)).isEqualTo(expected);
  }

  static Stream<Arguments> threadStates() {
    return Stream.of(
        Arguments.of("Sleep", "", "idle"),
        Arguments.of("Query", "Sending data", "sending data"),
        Arguments.of("Query", "System lock", "waiting for lock"),
        Arguments.of("Query", "Waiting for table metadata lock", "waiting for lock"),
        Arguments.of("Query", "query end", "end"),
        Arguments.of("Query", "Some new state", "executing"),
        Arguments.of("Binlog Dump", "Master has sent all binlog to slave", "replication master"),
        Arguments.of("Daemon", "InnoDB purge worker", "other"),
        Arguments.of("Connect", "copy to tmp table", "copying to tmp table"));
  }

  @ParameterizedTest(name = "{0}/{1} → {2}")
  @MethodSource
  void threadStates(String command, String state, String expected) {
    assertThat(TelegrafValues.threadState(command, state)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] \"{0}\" → {1}")
  @MethodSource
  void numbers(String raw, Double expected) {
    assertThat(
            TelegrafValues.number(raw).isPresent()
                ? TelegrafValues.number(raw).getAsDouble()
                : null)
        .isEqualTo(expected);
  }

  static Stream<Arguments> numbers() {
    return Stream.of(
        Arguments.of("42", 42.0),
        Arguments.of("-3", -3.0),
        Arguments.of("1.5e3", 1500.0),
        Arguments.of("18446744073709551615", 1.8446744073709552E19),
        Arguments.of("Infinity", null),
        Arguments.of("0x10", null),
        Arguments.of("1d", null),
        Arguments.of("", null),
        Arguments.of(null, null),
        Arguments.of("abc", null));
  }
}
