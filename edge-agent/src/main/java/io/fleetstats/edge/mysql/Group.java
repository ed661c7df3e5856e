package io.fleetstats.edge.mysql;

/**
 * The metric groups of Telegraf's {@code inputs.mysql}, each switchable by {@code
 * FLEETSTATS_MYSQL_<OPTION>} where the option is Telegraf's own name upper-cased ({@code
 * gather_process_list} → {@code FLEETSTATS_MYSQL_GATHER_PROCESS_LIST}).
 *
 * <p>Defaults follow the seed's Telegraf MySQL sidecar (process list, user statistics,
 * auto-increment, InnoDB metrics and slave status on; global variables on, every {@code
 * FLEETSTATS_MYSQL_SLOW_INTERVAL}); the rest is off as in Telegraf.
 */
public enum Group {
  GLOBAL_STATUS("(always on)", true, "none (SHOW GLOBAL STATUS needs no privilege)", false),
  GLOBAL_VARIABLES("gather_global_variables", true, "none", true),
  REPLICA_STATUS(
      "gather_slave_status",
      true,
      "REPLICATION CLIENT (MySQL), SLAVE MONITOR (alias REPLICA MONITOR) or SUPER (MariaDB ≥ 10.5)",
      false),
  BINARY_LOGS(
      "gather_binary_logs",
      false,
      "REPLICATION CLIENT (MySQL), BINLOG MONITOR or SUPER (MariaDB ≥ 10.5)",
      false),
  PROCESS_LIST(
      "gather_process_list",
      true,
      "PROCESS (without it only the agent's own threads are seen)",
      false),
  USER_STATISTICS("gather_user_statistics", true, "PROCESS", false),
  AUTO_INCREMENT("gather_info_schema_auto_inc", true, "SELECT on the tables to watch", false),
  INNODB_METRICS("gather_innodb_metrics", true, "PROCESS", false),
  TABLE_IO_WAITS("gather_table_io_waits", false, "SELECT ON performance_schema.*", false),
  INDEX_IO_WAITS("gather_index_io_waits", false, "SELECT ON performance_schema.*", false),
  TABLE_LOCK_WAITS("gather_table_lock_waits", false, "SELECT ON performance_schema.*", false),
  EVENT_WAITS("gather_event_waits", false, "SELECT ON performance_schema.*", false),
  FILE_EVENTS("gather_file_events_stats", false, "SELECT ON performance_schema.*", false),
  STATEMENT_DIGESTS(
      "gather_perf_events_statements", false, "SELECT ON performance_schema.*", false),
  TABLE_SCHEMA("gather_table_schema", false, "SELECT on the schemas to measure", false);

  private final String telegrafOption;
  private final boolean enabledByDefault;
  private final String privilege;
  private final boolean slow;

  Group(String telegrafOption, boolean enabledByDefault, String privilege, boolean slow) {
    this.telegrafOption = telegrafOption;
    this.enabledByDefault = enabledByDefault;
    this.privilege = privilege;
    this.slow = slow;
  }

  /** Telegraf's option name, e.g. {@code gather_process_list}. */
  public String telegrafOption() {
    return telegrafOption;
  }

  /** {@code FLEETSTATS_MYSQL_GATHER_...}; null for global status, which is always on. */
  public String envKey() {
    return this == GLOBAL_STATUS
        ? null
        : "FLEETSTATS_MYSQL_" + telegrafOption.toUpperCase(java.util.Locale.ROOT);
  }

  public boolean enabledByDefault() {
    return enabledByDefault;
  }

  /** The privilege a denied query needs, for the error message. */
  public String privilege() {
    return privilege;
  }

  /** Gathered every slow interval rather than every interval (values that rarely change). */
  public boolean slow() {
    return slow;
  }

  /** Lower-case name used in logs and docs, e.g. {@code process_list}. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Reads a group of performance_schema, which exists only when the server runs with it on. */
  public boolean needsPerformanceSchema() {
    return switch (this) {
      case TABLE_IO_WAITS,
          INDEX_IO_WAITS,
          TABLE_LOCK_WAITS,
          EVENT_WAITS,
          FILE_EVENTS,
          STATEMENT_DIGESTS ->
          true;
      default -> false;
    };
  }
}
