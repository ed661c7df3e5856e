package io.fleetstats.edge.mysql;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Runs Telegraf's queries, one group at a time, on an open connection and puts what they return
 * into a {@link SnapshotBuilder} with Telegraf's measurement, tag and field names. The thin JDBC
 * shell around {@link TelegrafValues} and {@link FieldKinds}.
 */
final class Gatherer {
  private static final double PICOSECONDS = 1e12;

  private final MysqlConfig config;
  private final int version;

  Gatherer(MysqlConfig config) {
    this.config = config;
    this.version = config.metricVersion();
  }

  /** Reads flavour, version and the switches {@link ServerInfo#lacks} looks at. */
  static ServerInfo detect(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT VERSION(), @@version_comment, @@performance_schema, @@log_bin")) {
      rs.next();
      String version = rs.getString(1);
      String comment = rs.getString(2);
      boolean ps = rs.getInt(3) == 1;
      boolean logBin = rs.getInt(4) == 1;
      boolean userstat = false;
      try (ResultSet u = s.executeQuery("SHOW GLOBAL VARIABLES LIKE 'userstat'")) {
        userstat = u.next() && TelegrafValues.v2Value(u.getString(2)).orElse(0) == 1;
      }
      return ServerInfo.parse(version, comment, ps, logBin, userstat);
    }
  }

  void gather(Group group, Connection c, ServerInfo info, SnapshotBuilder out) throws SQLException {
    try (Statement s = c.createStatement()) {
      switch (group) {
        case GLOBAL_STATUS -> globalStatus(s, out);
        case GLOBAL_VARIABLES -> globalVariables(s, out);
        case REPLICA_STATUS -> replicaStatus(s, info, out);
        case BINARY_LOGS -> binaryLogs(s, out);
        case PROCESS_LIST -> processList(s, out);
        case USER_STATISTICS -> userStatistics(s, out);
        case AUTO_INCREMENT -> autoIncrement(s, out);
        case INNODB_METRICS -> innodbMetrics(s, info, out);
        case TABLE_IO_WAITS -> tableIoWaits(s, out);
        case INDEX_IO_WAITS -> indexIoWaits(s, out);
        case TABLE_LOCK_WAITS -> tableLockWaits(s, out);
        case EVENT_WAITS -> eventWaits(s, out);
        case FILE_EVENTS -> fileEvents(s, out);
        case STATEMENT_DIGESTS -> statementDigests(s, out);
        case TABLE_SCHEMA -> tableSchema(s, out);
      }
    }
  }

  private void globalStatus(Statement s, SnapshotBuilder out) throws SQLException {
    SnapshotBuilder.Fields f = out.mysql();
    try (ResultSet rs = s.executeQuery("SHOW GLOBAL STATUS")) {
      while (rs.next()) {
        String name = rs.getString(1);
        FieldKinds.Kind kind = FieldKinds.globalStatus(name);
        TelegrafValues.globalStatus(name, nullToEmpty(rs.getString(2)), version)
            .forEach((field, value) -> f.put(field, value, kind));
      }
    }
  }

  private void globalVariables(Statement s, SnapshotBuilder out) throws SQLException {
    Map<String, String> tags = new LinkedHashMap<>();
    Map<String, Double> values = new LinkedHashMap<>();
    try (ResultSet rs = s.executeQuery("SHOW GLOBAL VARIABLES")) {
      while (rs.next()) {
        String name = rs.getString(1);
        String raw = nullToEmpty(rs.getString(2));
        if (TelegrafValues.variableIsTag(name) && !raw.isEmpty()) {
          tags.put(name.toLowerCase(Locale.ROOT), raw);
        }
        values.putAll(TelegrafValues.globalVariable(name, raw, version));
      }
    }
    SnapshotBuilder.Fields f = out.series("mysql_variables", tags);
    values.forEach(f::gauge);
  }

  private void replicaStatus(Statement s, ServerInfo info, SnapshotBuilder out)
      throws SQLException {
    try (ResultSet rs = s.executeQuery(info.replicaStatusQuery())) {
      // Telegraf reads the first row only unless gather_all_slave_channels is set.
      if (!rs.next()) {
        return;
      }
      SnapshotBuilder.Fields f = out.mysql();
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        String column = md.getColumnLabel(i);
        String raw = rs.getString(i);
        if (raw == null || raw.isEmpty()) {
          continue;
        }
        OptionalDouble v;
        if (version < 2) {
          v = TelegrafValues.v1Value(raw);
        } else {
          column = column.toLowerCase(Locale.ROOT);
          int type = md.getColumnType(i);
          // v2 parses by the column's type: text columns stay strings, which Wavefront never saw.
          v =
              (type == Types.VARCHAR || type == Types.CHAR || type == Types.LONGVARCHAR)
                  ? OptionalDouble.empty()
                  : TelegrafValues.v2Value(raw);
        }
        String field = "slave_" + column;
        v.ifPresent(d -> f.gauge(field, d));
      }
    }
  }

  private void binaryLogs(Statement s, SnapshotBuilder out) throws SQLException {
    double size = 0;
    long count = 0;
    try (ResultSet rs = s.executeQuery("SHOW BINARY LOGS")) {
      while (rs.next()) {
        size += rs.getLong(2);
        count++;
      }
    }
    out.mysql().gauge("binary_size_bytes", size).gauge("binary_files_count", count);
  }

  private void processList(Statement s, SnapshotBuilder out) throws SQLException {
    Map<String, Long> states = new LinkedHashMap<>();
    for (String state : TelegrafValues.THREAD_STATES) {
      states.put(state, 0L);
    }
    try (ResultSet rs =
        s.executeQuery(
            "SELECT COALESCE(command,''), COALESCE(state,''), count(*) FROM information_schema.processlist"
                + " WHERE ID != connection_id() GROUP BY command, state")) {
      while (rs.next()) {
        states.merge(
            TelegrafValues.threadState(rs.getString(1), rs.getString(2)), rs.getLong(3), Long::sum);
      }
    }
    SnapshotBuilder.Fields f =
        out.series(version < 2 ? "mysql_info_schema" : "mysql_process_list", Map.of());
    states.forEach((state, n) -> f.gauge(TelegrafValues.namespace("threads", state), n));
    try (ResultSet rs =
        s.executeQuery(
            "SELECT user, sum(1) AS connections FROM information_schema.processlist GROUP BY user")) {
      while (rs.next()) {
        out.series("mysql_users", Map.of("user", nullToEmpty(rs.getString(1))))
            .gauge("connections", rs.getLong(2));
      }
    }
  }

  private void userStatistics(Statement s, SnapshotBuilder out) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT * FROM information_schema.user_statistics")) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        SnapshotBuilder.Fields f =
            out.series("mysql_user_stats", Map.of("user", nullToEmpty(rs.getString(1))));
        for (int i = 2; i <= md.getColumnCount(); i++) {
          String column = md.getColumnLabel(i).toLowerCase(Locale.ROOT);
          OptionalDouble v = TelegrafValues.number(rs.getString(i));
          if (v.isPresent()) {
            f.put(column, v.getAsDouble(), FieldKinds.userStatistics(column));
          }
        }
      }
    }
  }

  private void autoIncrement(Statement s, SnapshotBuilder out) throws SQLException {
    String sql =
        "SELECT table_schema, table_name, column_name, auto_increment,"
            + " CAST(pow(2, case data_type when 'tinyint' then 7 when 'smallint' then 15"
            + " when 'mediumint' then 23 when 'int' then 31 when 'bigint' then 63 end"
            + " + (column_type like '% unsigned')) - 1 as decimal(19)) as max_int"
            + " FROM information_schema.tables t JOIN information_schema.columns c USING (table_schema, table_name)"
            + " WHERE c.extra = 'auto_increment' AND t.auto_increment IS NOT NULL";
    try (ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        Map<String, String> tags =
            Map.of("schema", rs.getString(1), "table", rs.getString(2), "column", rs.getString(3));
        SnapshotBuilder.Fields f =
            out.series(version < 2 ? "mysql_info_schema" : "mysql_table_schema", tags);
        TelegrafValues.number(rs.getString(4)).ifPresent(d -> f.gauge("auto_increment_column", d));
        TelegrafValues.number(rs.getString(5))
            .ifPresent(d -> f.gauge("auto_increment_column_max", d));
      }
    }
  }

  private void innodbMetrics(Statement s, ServerInfo info, SnapshotBuilder out)
      throws SQLException {
    SnapshotBuilder.Fields f = out.series("mysql_innodb", Map.of());
    try (ResultSet rs =
        s.executeQuery(
            "SELECT NAME, COUNT, TYPE FROM information_schema.INNODB_METRICS WHERE "
                + info.innodbEnabledFilter())) {
      while (rs.next()) {
        String name = rs.getString(1).toLowerCase(Locale.ROOT);
        f.put(name, rs.getDouble(2), FieldKinds.innodbMetric(name, rs.getString(3)));
      }
    }
  }

  private void tableIoWaits(Statement s, SnapshotBuilder out) throws SQLException {
    try (ResultSet rs =
        s.executeQuery(
            "SELECT OBJECT_SCHEMA, OBJECT_NAME, COUNT_FETCH, COUNT_INSERT, COUNT_UPDATE, COUNT_DELETE,"
                + " SUM_TIMER_FETCH, SUM_TIMER_INSERT, SUM_TIMER_UPDATE, SUM_TIMER_DELETE"
                + " FROM performance_schema.table_io_waits_summary_by_table"
                + " WHERE OBJECT_SCHEMA NOT IN ('mysql', 'performance_schema')")) {
      while (rs.next()) {
        SnapshotBuilder.Fields f =
            out.series(
                "mysql_perf_schema", Map.of("schema", rs.getString(1), "name", rs.getString(2)));
        String[] ops = {"fetch", "insert", "update", "delete"};
        for (int i = 0; i < 4; i++) {
          f.counter("table_io_waits_total_" + ops[i], rs.getDouble(3 + i));
          f.counter("table_io_waits_seconds_total_" + ops[i], rs.getDouble(7 + i) / PICOSECONDS);
        }
      }
    }
  }

  private void indexIoWaits(Statement s, SnapshotBuilder out) throws SQLException {
    try (ResultSet rs =
        s.executeQuery(
            "SELECT OBJECT_SCHEMA, OBJECT_NAME, ifnull(INDEX_NAME, 'NONE') as INDEX_NAME,"
                + " COUNT_FETCH, COUNT_INSERT, COUNT_UPDATE, COUNT_DELETE,"
                + " SUM_TIMER_FETCH, SUM_TIMER_INSERT, SUM_TIMER_UPDATE, SUM_TIMER_DELETE"
                + " FROM performance_schema.table_io_waits_summary_by_index_usage"
                + " WHERE OBJECT_SCHEMA NOT IN ('mysql', 'performance_schema')")) {
      while (rs.next()) {
        String index = rs.getString(3);
        SnapshotBuilder.Fields f =
            out.series(
                "mysql_perf_schema",
                Map.of("schema", rs.getString(1), "name", rs.getString(2), "index", index));
        f.counter("index_io_waits_total_fetch", rs.getDouble(4));
        f.counter("index_io_waits_seconds_total_fetch", rs.getDouble(8) / PICOSECONDS);
        // As Telegraf: writes are attributed to the table (index NONE), not to each index.
        if (index.equals("NONE")) {
          String[] ops = {"insert", "update", "delete"};
          for (int i = 0; i < 3; i++) {
            f.counter("index_io_waits_total_" + ops[i], rs.getDouble(5 + i));
            f.counter("index_io_waits_seconds_total_" + ops[i], rs.getDouble(9 + i) / PICOSECONDS);
          }
        }
      }
    }
  }

  private void tableLockWaits(Statement s, SnapshotBuilder out) throws SQLException {
    String[] sql = {
      "read_normal", "read_with_shared_locks", "read_high_priority", "read_no_insert",
      "write_normal", "write_allow_write", "write_concurrent_insert", "write_low_priority"
    };
    StringBuilder q = new StringBuilder("SELECT OBJECT_SCHEMA, OBJECT_NAME");
    for (String c : sql) {
      q.append(", COUNT_").append(c.toUpperCase(Locale.ROOT));
    }
    q.append(", COUNT_READ_EXTERNAL, COUNT_WRITE_EXTERNAL");
    for (String c : sql) {
      q.append(", SUM_TIMER_").append(c.toUpperCase(Locale.ROOT));
    }
    q.append(", SUM_TIMER_READ_EXTERNAL, SUM_TIMER_WRITE_EXTERNAL")
        .append(" FROM performance_schema.table_lock_waits_summary_by_table")
        .append(
            " WHERE OBJECT_SCHEMA NOT IN ('mysql', 'performance_schema', 'information_schema')");
    try (ResultSet rs = s.executeQuery(q.toString())) {
      while (rs.next()) {
        String schema = rs.getString(1);
        String table = rs.getString(2);
        SnapshotBuilder.Fields count =
            out.series("mysql_perf_schema", lockTags(schema, table, "sql_lock_waits_total"));
        SnapshotBuilder.Fields time =
            out.series(
                "mysql_perf_schema", lockTags(schema, table, "sql_lock_waits_seconds_total"));
        for (int i = 0; i < sql.length; i++) {
          count.counter(sql[i], rs.getDouble(3 + i));
          time.counter(sql[i], rs.getDouble(13 + i) / PICOSECONDS);
        }
        out.series("mysql_perf_schema", lockTags(schema, table, "external_lock_waits_total"))
            .counter("read", rs.getDouble(11))
            .counter("write", rs.getDouble(12));
        out.series(
                "mysql_perf_schema", lockTags(schema, table, "external_lock_waits_seconds_total"))
            .counter("read", rs.getDouble(21) / PICOSECONDS)
            .counter("write", rs.getDouble(22) / PICOSECONDS);
      }
    }
  }

  private static Map<String, String> lockTags(String schema, String table, String query) {
    return Map.of("schema", schema, "table", table, "perf_query", query);
  }

  private void eventWaits(Statement s, SnapshotBuilder out) throws SQLException {
    try (ResultSet rs =
        s.executeQuery(
            "SELECT EVENT_NAME, COUNT_STAR, SUM_TIMER_WAIT FROM performance_schema.events_waits_summary_global_by_event_name")) {
      while (rs.next()) {
        out.series("mysql_perf_schema", Map.of("event_name", rs.getString(1)))
            .counter("events_waits_total", rs.getDouble(2))
            .counter("events_waits_seconds_total", rs.getDouble(3) / PICOSECONDS);
      }
    }
  }

  private void fileEvents(Statement s, SnapshotBuilder out) throws SQLException {
    try (ResultSet rs =
        s.executeQuery(
            "SELECT EVENT_NAME, COUNT_READ, SUM_TIMER_READ, SUM_NUMBER_OF_BYTES_READ,"
                + " COUNT_WRITE, SUM_TIMER_WRITE, SUM_NUMBER_OF_BYTES_WRITE, COUNT_MISC, SUM_TIMER_MISC"
                + " FROM performance_schema.file_summary_by_event_name")) {
      while (rs.next()) {
        String event = rs.getString(1);
        // Telegraf reports COUNT_WRITE as the misc count (a bug); the misc count is used here.
        out.series("mysql_perf_schema", Map.of("event_name", event, "mode", "misc"))
            .counter("file_events_total", rs.getDouble(8))
            .counter("file_events_seconds_total", rs.getDouble(9) / PICOSECONDS);
        out.series("mysql_perf_schema", Map.of("event_name", event, "mode", "read"))
            .counter("file_events_total", rs.getDouble(2))
            .counter("file_events_seconds_total", rs.getDouble(3) / PICOSECONDS)
            .counter("file_events_bytes_totals", rs.getDouble(4));
        out.series("mysql_perf_schema", Map.of("event_name", event, "mode", "write"))
            .counter("file_events_total", rs.getDouble(5))
            .counter("file_events_seconds_total", rs.getDouble(6) / PICOSECONDS)
            .counter("file_events_bytes_totals", rs.getDouble(7));
      }
    }
  }

  private void statementDigests(Statement s, SnapshotBuilder out) throws SQLException {
    String sql =
        "SELECT ifnull(SCHEMA_NAME, 'NONE') as SCHEMA_NAME, DIGEST, LEFT(DIGEST_TEXT, "
            + config.digestTextLimit()
            + ") as DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, SUM_ERRORS, SUM_WARNINGS,"
            + " SUM_ROWS_AFFECTED, SUM_ROWS_SENT, SUM_ROWS_EXAMINED, SUM_CREATED_TMP_DISK_TABLES,"
            + " SUM_CREATED_TMP_TABLES, SUM_SORT_MERGE_PASSES, SUM_SORT_ROWS, SUM_NO_INDEX_USED"
            + " FROM performance_schema.events_statements_summary_by_digest"
            + " WHERE SCHEMA_NAME NOT IN ('mysql', 'performance_schema', 'information_schema')"
            + " AND last_seen > DATE_SUB(NOW(), INTERVAL "
            + config.statementsTimeLimit()
            + " SECOND) ORDER BY SUM_TIMER_WAIT DESC LIMIT "
            + config.statementsLimit();
    String[] fields = {
      "events_statements_total",
      "events_statements_seconds_total",
      "events_statements_errors_total",
      "events_statements_warnings_total",
      "events_statements_rows_affected_total",
      "events_statements_rows_sent_total",
      "events_statements_rows_examined_total",
      "events_statements_tmp_tables_total",
      "events_statements_tmp_disk_tables_total",
      "events_statements_sort_merge_passes_total",
      "events_statements_sort_rows_total",
      "events_statements_no_index_used_total"
    };
    // Telegraf scans SUM_CREATED_TMP_DISK_TABLES into its tmp_tables field and vice versa (a bug);
    // here each field gets its own column.
    int[] columns = {4, 5, 6, 7, 8, 9, 10, 12, 11, 13, 14, 15};
    try (ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        Map<String, String> tags = new HashMap<>();
        tags.put("schema", rs.getString(1));
        tags.put("digest", nullToEmpty(rs.getString(2)));
        tags.put("digest_text", nullToEmpty(rs.getString(3)));
        SnapshotBuilder.Fields f = out.series("mysql_perf_schema", tags);
        for (int i = 0; i < fields.length; i++) {
          double v = rs.getDouble(columns[i]);
          f.counter(fields[i], i == 1 ? v / PICOSECONDS : v);
        }
      }
    }
  }

  private void tableSchema(Statement s, SnapshotBuilder out) throws SQLException {
    List<String> databases = new ArrayList<>(config.tableSchemaDatabases());
    if (databases.isEmpty()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT SCHEMA_NAME FROM information_schema.schemata"
                  + " WHERE SCHEMA_NAME NOT IN ('mysql', 'performance_schema', 'information_schema')")) {
        while (rs.next()) {
          databases.add(rs.getString(1));
        }
      }
    }
    for (String db : databases) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ifnull(ENGINE, 'NONE'), ifnull(VERSION, '0'),"
                  + " ifnull(ROW_FORMAT, 'NONE'), ifnull(TABLE_ROWS, '0'), ifnull(DATA_LENGTH, '0'),"
                  + " ifnull(INDEX_LENGTH, '0'), ifnull(DATA_FREE, '0'), ifnull(CREATE_OPTIONS, 'NONE')"
                  + " FROM information_schema.tables WHERE TABLE_SCHEMA = '"
                  + db.replace("'", "''")
                  + "'")) {
        while (rs.next()) {
          Map<String, String> tags = Map.of("schema", rs.getString(1), "table", rs.getString(2));
          double rows = rs.getDouble(7);
          double data = rs.getDouble(8);
          double index = rs.getDouble(9);
          double free = rs.getDouble(10);
          Map<String, String> versionTags = new HashMap<>(tags);
          versionTags.put("type", rs.getString(3));
          versionTags.put("engine", rs.getString(4));
          versionTags.put("row_format", rs.getString(6));
          versionTags.put("create_options", rs.getString(11));
          if (version < 2) {
            out.series("mysql_info_schema_table_rows", tags).gauge("value", rows);
            out.series(
                    "mysql_info_schema_table_size_data_length",
                    with(tags, "component", "data_length"))
                .gauge("value", data);
            out.series(
                    "mysql_info_schema_table_size_index_length",
                    with(tags, "component", "index_length"))
                .gauge("value", index);
            out.series(
                    "mysql_info_schema_table_size_data_free", with(tags, "component", "data_free"))
                .gauge("value", free);
            out.series("mysql_info_schema_table_version", versionTags)
                .gauge("value", rs.getDouble(5));
          } else {
            out.series("mysql_table_schema", tags)
                .gauge("rows", rows)
                .gauge("data_length", data)
                .gauge("index_length", index)
                .gauge("data_free", free);
            out.series("mysql_table_schema_version", versionTags)
                .gauge("table_version", rs.getDouble(5));
          }
        }
      }
    }
  }

  private static Map<String, String> with(Map<String, String> tags, String key, String value) {
    Map<String, String> out = new HashMap<>(tags);
    out.put(key, value);
    return out;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }
}
