package io.fleetstats.edge.mysql;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.edge.mysql.FieldKinds.Kind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FieldKindsTest {

  @ParameterizedTest(name = "{0} is a {1}")
  @CsvSource({
    "Questions, COUNTER",
    "Queries, COUNTER",
    "Bytes_received, COUNTER",
    "Com_select, COUNTER",
    "Handler_read_rnd_next, COUNTER",
    "Innodb_rows_read, COUNTER",
    "Innodb_data_read, COUNTER",
    "Innodb_buffer_pool_read_requests, COUNTER",
    "Slow_queries, COUNTER",
    "Threads_created, COUNTER",
    "Created_tmp_disk_tables, COUNTER",
    "Connection_errors_max_connections, COUNTER",
    "Threads_connected, GAUGE",
    "Threads_running, GAUGE",
    "Uptime, GAUGE",
    "Open_tables, GAUGE",
    "Innodb_buffer_pool_pages_data, GAUGE",
    "Innodb_buffer_pool_pages_free, GAUGE",
    "Innodb_row_lock_current_waits, GAUGE",
    "Innodb_row_lock_time_avg, GAUGE",
    "Innodb_num_open_files, GAUGE",
    "Innodb_lsn_current, GAUGE",
    "Max_used_connections, GAUGE",
    "Key_blocks_unused, GAUGE",
    "Qcache_free_memory, GAUGE",
    "Some_future_status, GAUGE"
  })
  void globalStatus(String variable, Kind expected) {
    assertThat(FieldKinds.globalStatus(variable)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} ({1}) is a {2}")
  @CsvSource({
    "buffer_pool_reads, status_counter, COUNTER",
    "dml_reads, counter, COUNTER",
    "buffer_pool_size, value, GAUGE",
    "lock_deadlocks, value, COUNTER",
    "adaptive_hash_searches, set_member, GAUGE"
  })
  void innodbMetrics(String name, String type, Kind expected) {
    assertThat(FieldKinds.innodbMetric(name, type)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{1} is in {2}")
  @CsvSource({
    "mysql, bytes_received, bytes",
    "mysql, uptime, seconds",
    "mysql, innodb_row_lock_time, milliseconds",
    "mysql_perf_schema, table_io_waits_seconds_total_fetch, seconds",
    "mysql, questions, count",
    "mysql_table_schema, data_length, bytes",
    "mysql_user_stats, cpu_time, seconds"
  })
  void units(String measurement, String field, String unit) {
    assertThat(FieldKinds.unit(measurement, field)).isEqualTo(unit);
  }
}
