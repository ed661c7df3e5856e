package io.fleetstats.edge.mysql;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The one table saying which values are counters (cumulative since the server started: turned into
 * per-second rates downstream) and which are gauges (a level now), and in which unit. The rules are
 * documented, row for row, in {@code docs/metrics-mysql.md}.
 *
 * <p>Global status is classified by the server's variable name (lower-cased), before Telegraf's
 * renaming, so one rule serves both metric versions. A variable no rule names is a gauge: a gauge
 * is sent as it was read, so a wrong guess costs a missing rate, never a bogus one.
 */
public final class FieldKinds {
  private FieldKinds() {}

  /** Counter or gauge. */
  public enum Kind {
    COUNTER,
    GAUGE
  }

  /** Global status prefixes whose every variable is cumulative. */
  static final List<String> COUNTER_PREFIXES =
      List.of(
          "aborted_",
          "bytes_",
          "com_",
          "connection_errors_",
          "created_",
          "handler_",
          "opened_",
          "select_",
          "sort_",
          "table_locks_",
          "innodb_rows_",
          "feature_",
          "performance_schema_",
          "ssl_session_cache_",
          "aria_pagecache_read",
          "aria_pagecache_write",
          "binlog_group_commit",
          "innodb_buffer_pool_read_ahead",
          "innodb_onlineddl_",
          "innodb_encryption_n_",
          "innodb_defragment_",
          "innodb_page_compression_",
          "innodb_ibuf_merged_",
          "innodb_ibuf_discarded_",
          "innodb_encryption_rotation_pages_",
          "innodb_num_page",
          "innodb_num_pages_",
          "key_read",
          "key_write",
          "qcache_hits",
          "qcache_inserts",
          "qcache_not_cached",
          "qcache_lowmem_prunes",
          "rpl_semi_sync_master_no_",
          "rpl_semi_sync_master_yes_",
          "rpl_semi_sync_master_net_waits",
          "rpl_semi_sync_master_tx_waits",
          "rpl_semi_sync_master_wait_sessions",
          "table_open_cache_",
          "mysqlx_bytes_",
          "mysqlx_stmt_",
          "mysqlx_crud_",
          "mysqlx_errors_",
          "mysqlx_rows_",
          "wsrep_local_bf_aborts",
          "wsrep_local_cert_failures",
          "wsrep_received",
          "wsrep_replicated");

  /** Global status variables outside those prefixes that are cumulative. */
  static final Set<String> COUNTERS =
      Set.of(
          "access_denied_errors",
          "binlog_bytes_written",
          "binlog_cache_disk_use",
          "binlog_cache_use",
          "binlog_commits",
          "binlog_stmt_cache_disk_use",
          "binlog_stmt_cache_use",
          "busy_time",
          "connections",
          "cpu_time",
          "delayed_errors",
          "delayed_writes",
          "empty_queries",
          "executed_events",
          "executed_triggers",
          "flush_commands",
          "innodb_buffer_pool_pages_flushed",
          "innodb_buffer_pool_pages_lru_flushed",
          "innodb_buffer_pool_pages_lru_freed",
          "innodb_buffer_pool_read_requests",
          "innodb_buffer_pool_reads",
          "innodb_buffer_pool_wait_free",
          "innodb_buffer_pool_write_requests",
          "innodb_checkpoint_age_total",
          "innodb_data_fsyncs",
          "innodb_data_read",
          "innodb_data_reads",
          "innodb_data_writes",
          "innodb_data_written",
          "innodb_dblwr_pages_written",
          "innodb_dblwr_writes",
          "innodb_deadlocks",
          "innodb_log_waits",
          "innodb_log_write_requests",
          "innodb_log_writes",
          "innodb_os_log_fsyncs",
          "innodb_os_log_written",
          "innodb_pages_created",
          "innodb_pages_read",
          "innodb_pages_written",
          "innodb_row_lock_time",
          "innodb_row_lock_waits",
          "innodb_secondary_index_triggered_cluster_reads",
          "innodb_secondary_index_triggered_cluster_reads_avoided",
          "innodb_redo_log_bytes_committed",
          "innodb_redo_log_bytes_flushed",
          "innodb_sampled_pages_read",
          "innodb_sampled_pages_skipped",
          "innodb_ahi_drop_lookups",
          "innodb_async_reads_total_count",
          "innodb_async_writes_total_count",
          "max_statement_time_exceeded",
          "max_execution_time_exceeded",
          "max_execution_time_set",
          "max_execution_time_set_failed",
          "queries",
          "questions",
          "rows_read",
          "rows_sent",
          "rows_tmp_read",
          "slow_launch_threads",
          "slow_queries",
          "ssl_accept_renegotiates",
          "ssl_accepts",
          "ssl_client_connects",
          "ssl_connect_renegotiates",
          "ssl_finished_accepts",
          "ssl_finished_connects",
          "subquery_cache_hit",
          "subquery_cache_miss",
          "syncs",
          "tc_log_page_waits",
          "threads_created",
          "transactions_gtid_foreign_engine",
          "transactions_multi_engine",
          "rpl_transactions_multi_engine",
          "update_scripts",
          "resultset_metadata_skipped",
          "com_stmt_reprepare",
          "aria_transaction_log_syncs",
          "column_compressions",
          "column_decompressions",
          "delete_scan",
          "update_scan",
          "innodb_adaptive_hash_hash_searches",
          "innodb_adaptive_hash_non_hash_searches",
          "innodb_background_log_sync",
          "innodb_buffer_pool_pages_made_not_young",
          "innodb_buffer_pool_pages_made_young",
          "innodb_ibuf_merges",
          "innodb_master_thread_active_loops",
          "innodb_master_thread_idle_loops",
          "innodb_truncated_status_writes",
          "innodb_undo_truncations",
          "innodb_bulk_operations",
          "innodb_instant_alter_column",
          "innodb_encryption_num_key_requests",
          "master_gtid_wait_count",
          "master_gtid_wait_time",
          "master_gtid_wait_timeouts",
          "optimizer_join_prefixes_check_calls",
          "rpl_semi_sync_master_get_ack",
          "rpl_semi_sync_master_request_ack",
          "rpl_semi_sync_master_timefunc_failures",
          "rpl_semi_sync_master_wait_pos_backtraverse",
          "rpl_semi_sync_master_tx_wait_time",
          "rpl_semi_sync_master_net_wait_time",
          "rpl_semi_sync_slave_send_ack",
          "slave_received_heartbeats",
          "slave_retried_transactions",
          "slave_skipped_errors",
          "ssl_callback_cache_hits",
          "innodb_buffer_pool_pages_split");

  /** Gauges that a counter prefix above would catch. */
  static final Set<String> GAUGE_EXCEPTIONS =
      Set.of(
          "innodb_num_open_files",
          "global_connection_memory",
          "uptime_since_flush_status",
          "performance_schema_session_connect_attrs_longest_seen",
          "ssl_session_cache_mode",
          "ssl_session_cache_size",
          "innodb_lsn_current",
          "innodb_lsn_flushed",
          "innodb_lsn_last_checkpoint");

  /**
   * Classification of a SHOW GLOBAL STATUS variable.
   *
   * @param variable the server's name, any case
   */
  public static Kind globalStatus(String variable) {
    String v = variable.toLowerCase(Locale.ROOT);
    if (GAUGE_EXCEPTIONS.contains(v)) {
      // Log sequence numbers only grow, but are positions; their differences are what matter, and
      // Wavefront can take those with deriv(): keep them gauges so no rate is invented.
      return Kind.GAUGE;
    }
    if (COUNTERS.contains(v)) {
      return Kind.COUNTER;
    }
    for (String p : COUNTER_PREFIXES) {
      if (v.startsWith(p)) {
        return Kind.COUNTER;
      }
    }
    return Kind.GAUGE;
  }

  /** user_statistics columns: cumulative, except the connections open now. */
  public static Kind userStatistics(String column) {
    return column.equalsIgnoreCase("concurrent_connections") ? Kind.GAUGE : Kind.COUNTER;
  }

  /**
   * INNODB_METRICS by its {@code TYPE} column: {@code counter} and {@code status_counter} are
   * cumulative; {@code value}, {@code set_owner} and {@code set_member} are levels. A few MariaDB
   * reports as {@code value} are cumulative all the same.
   */
  public static Kind innodbMetric(String name, String type) {
    String n = name.toLowerCase(Locale.ROOT);
    if (n.equals("lock_deadlocks")
        || n.equals("lock_timeouts")
        || n.equals("lock_row_lock_waits")) {
      return Kind.COUNTER;
    }
    String t = type == null ? "" : type.toLowerCase(Locale.ROOT);
    return t.equals("counter") || t.equals("status_counter") ? Kind.COUNTER : Kind.GAUGE;
  }

  /**
   * The unit of a field, for the docs and the per-second rate's meaning: {@code bytes}, {@code
   * seconds}, {@code milliseconds}, {@code microseconds}, or {@code count}.
   */
  public static String unit(String measurement, String field) {
    String f = field.toLowerCase(Locale.ROOT);
    if (f.contains("seconds")
        || f.equals("uptime")
        || f.startsWith("uptime_")
        || f.equals("busy_time")
        || f.equals("cpu_time")
        || f.equals("connected_time")
        || f.endsWith("_timeout")
        || f.endsWith("_time_limit")) {
      return "seconds";
    }
    if (f.startsWith("innodb_row_lock_time")) {
      return "milliseconds";
    }
    if (f.contains("bytes")
        || f.endsWith("_size")
        || f.endsWith("_length")
        || f.equals("data_free")
        || f.contains("memory")
        || f.endsWith("_buffer_size")
        || f.equals("innodb_data_read")
        || f.equals("innodb_data_written")
        || f.equals("innodb_os_log_written")) {
      return "bytes";
    }
    return "count";
  }
}
