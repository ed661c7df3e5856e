package io.fleetstats.edge.mysql;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Telegraf {@code inputs.mysql} value conversion and field naming (its {@code v1} and {@code v2}
 * packages), reduced to what reaches Wavefront: numbers. Telegraf also produced string fields
 * (versions, file names); its Wavefront output dropped them, so they are not kept here.
 *
 * <p>Pure: strings in, numbers and names out.
 */
public final class TelegrafValues {
  private TelegrafValues() {}

  /** v1's prefix mappings for SHOW GLOBAL STATUS, in Telegraf's order ({@code v1/mysql.go}). */
  static final List<String[]> V1_MAPPINGS =
      List.of(
          m("Aborted_", "aborted_"),
          m("Bytes_", "bytes_"),
          m("Com_", "commands_"),
          m("Created_", "created_"),
          m("Handler_", "handler_"),
          m("Innodb_", "innodb_"),
          m("Key_", "key_"),
          m("Open_", "open_"),
          m("Opened_", "opened_"),
          m("Qcache_", "qcache_"),
          m("Table_", "table_"),
          m("Tokudb_", "tokudb_"),
          m("Threads_", "threads_"),
          m("Access_", "access_"),
          m("Aria__", "aria_"),
          m("Binlog__", "binlog_"),
          m("Busy_", "busy_"),
          m("Connection_", "connection_"),
          m("Delayed_", "delayed_"),
          m("Empty_", "empty_"),
          m("Executed_", "executed_"),
          m("Feature_", "feature_"),
          m("Flush_", "flush_"),
          m("Last_", "last_"),
          m("Master_", "master_"),
          m("Max_", "max_"),
          m("Memory_", "memory_"),
          m("Not_", "not_"),
          m("Performance_", "performance_"),
          m("Prepared_", "prepared_"),
          m("Rows_", "rows_"),
          m("Rpl_", "rpl_"),
          m("Select_", "select_"),
          m("Slave_", "slave_"),
          m("Slow_", "slow_"),
          m("Sort_", "sort_"),
          m("Subquery_", "subquery_"),
          m("Tc_", "tc_"),
          m("Threadpool_", "threadpool_"),
          m("wsrep_", "wsrep_"),
          m("Uptime_", "uptime_"));

  /** v1 exported these six unprefixed variables too, lower-cased. */
  static final Set<String> V1_SPECIAL =
      Set.of("Queries", "Questions", "Slow_queries", "Connections", "Syncs", "Uptime");

  private static String[] m(String onServer, String inExport) {
    return new String[] {onServer, inExport};
  }

  /**
   * The fields one SHOW GLOBAL STATUS row becomes: none, one, or several ({@code
   * wsrep_evs_repl_latency} in v2). Keys are Telegraf's field names.
   */
  public static Map<String, Double> globalStatus(String variable, String raw, int metricVersion) {
    Map<String, Double> out = new LinkedHashMap<>(2);
    if (metricVersion < 2) {
      OptionalDouble v = v1Status(raw);
      boolean found = false;
      for (String[] mapping : V1_MAPPINGS) {
        if (variable.startsWith(mapping[0])) {
          found = true;
          v.ifPresent(d -> out.put(mapping[1] + variable.substring(mapping[0].length()), d));
        }
      }
      if (!found && V1_SPECIAL.contains(variable)) {
        v.ifPresent(d -> out.put(variable.toLowerCase(Locale.ROOT), d));
      }
      return out;
    }
    String key = variable.toLowerCase(Locale.ROOT);
    if (key.equals("wsrep_evs_repl_latency")) {
      String[] parts = raw.split("/");
      String[] names = {"min", "avg", "max", "stdev", "sample_size"};
      if (parts.length == names.length) {
        for (int i = 0; i < names.length; i++) {
          OptionalDouble d = number(parts[i]);
          if (d.isEmpty()) {
            return Map.of();
          }
          out.put(key + "_" + names[i], d.getAsDouble());
        }
      }
      return out;
    }
    v2Value(raw).ifPresent(d -> out.put(key, d));
    return out;
  }

  /**
   * A SHOW GLOBAL VARIABLES row: its Telegraf field (v2: lower-cased name; v1: the same) and value,
   * if numeric after Telegraf's conversions.
   */
  public static Map<String, Double> globalVariable(String variable, String raw, int metricVersion) {
    String key = variable.toLowerCase(Locale.ROOT);
    OptionalDouble v;
    if (metricVersion < 2) {
      v = v1Value(raw);
    } else {
      v =
          switch (key) {
            case "have_openssl", "have_ssl", "have_symlink" ->
                OptionalDouble.of(
                    raw.equalsIgnoreCase("YES") || raw.equalsIgnoreCase("ON") ? 1 : 0);
            case "gtid_mode" ->
                switch (raw) {
                  case "OFF", "OFF_PERMISSIVE" -> OptionalDouble.of(0);
                  case "ON", "ON_PERMISSIVE" -> OptionalDouble.of(1);
                  default -> OptionalDouble.empty();
                };
            // Telegraf keeps these as strings (ON/OFF/WARN/ALL...): not sent to Wavefront.
            case "delay_key_write",
                "enforce_gtid_consistency",
                "event_scheduler",
                "session_track_gtids",
                "session_track_transaction_info",
                "ssl_fips_mode",
                "use_secondary_engine",
                "transaction_write_set_extraction",
                "slave_skip_errors" ->
                OptionalDouble.empty();
            case "wsrep_provider_options" -> OptionalDouble.empty();
            default -> v2Value(raw);
          };
    }
    return v.isPresent() ? Map.of(key, v.getAsDouble()) : Map.of();
  }

  /**
   * Whether a global variable becomes a tag of {@code mysql_variables} (Telegraf: name contains
   * "version").
   */
  public static boolean variableIsTag(String variable) {
    return variable.toLowerCase(Locale.ROOT).contains("version");
  }

  /** v1 global status: ON/true → 1, OFF/false → 0, else a number (Telegraf's Atoi). */
  static OptionalDouble v1Status(String raw) {
    return switch (raw) {
      case "ON", "true" -> OptionalDouble.of(1);
      case "OFF", "false" -> OptionalDouble.of(0);
      default -> number(raw);
    };
  }

  /** v1.ParseValue: Yes/ON → 1, No/OFF → 0, else a float. */
  public static OptionalDouble v1Value(String raw) {
    return switch (raw) {
      case "Yes", "ON" -> OptionalDouble.of(1);
      case "No", "OFF" -> OptionalDouble.of(0);
      default -> number(raw);
    };
  }

  /**
   * v2.ParseValue: YES (any case)/ON → 1, NO (any case)/OFF → 0, else a number; strings dropped.
   */
  public static OptionalDouble v2Value(String raw) {
    if (raw == null || raw.isEmpty()) {
      return OptionalDouble.empty();
    }
    if (raw.equalsIgnoreCase("YES") || raw.equals("ON")) {
      return OptionalDouble.of(1);
    }
    if (raw.equalsIgnoreCase("NO") || raw.equals("OFF")) {
      return OptionalDouble.of(0);
    }
    return number(raw);
  }

  /** A finite decimal number, or empty (never throws). */
  public static OptionalDouble number(String raw) {
    if (raw == null) {
      return OptionalDouble.empty();
    }
    String s = raw.trim();
    if (s.isEmpty() || s.length() > 64) {
      return OptionalDouble.empty();
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      // Double.parseDouble also reads "NaN", "Infinity", hex and a trailing 'd'/'f': not numbers
      // here.
      if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
        return OptionalDouble.empty();
      }
    }
    try {
      double d = Double.parseDouble(s);
      return Double.isFinite(d) ? OptionalDouble.of(d) : OptionalDouble.empty();
    } catch (NumberFormatException e) {
      return OptionalDouble.empty();
    }
  }

  /** Telegraf's thread states, every one reported (zero when absent) as {@code threads_<state>}. */
  public static final List<String> THREAD_STATES =
      List.of(
          "after create",
          "altering table",
          "analyzing",
          "checking permissions",
          "checking table",
          "cleaning up",
          "closing tables",
          "converting heap to myisam",
          "copying to tmp table",
          "creating sort index",
          "creating table",
          "creating tmp table",
          "deleting",
          "executing",
          "execution of init_command",
          "end",
          "freeing items",
          "flushing tables",
          "fulltext initialization",
          "idle",
          "init",
          "killed",
          "waiting for lock",
          "logging slow query",
          "login",
          "manage keys",
          "opening tables",
          "optimizing",
          "preparing",
          "reading from net",
          "removing duplicates",
          "removing tmp table",
          "reopen tables",
          "repair by sorting",
          "repair done",
          "repair with keycache",
          "replication master",
          "rolling back",
          "searching rows for update",
          "sending data",
          "sorting for group",
          "sorting for order",
          "sorting index",
          "sorting result",
          "statistics",
          "updating",
          "waiting for tables",
          "waiting for table flush",
          "waiting on cond",
          "writing to net",
          "other");

  private static final Set<String> STATE_SET = Set.copyOf(THREAD_STATES);

  private static final Map<String, String> STATE_MAPPINGS =
      Map.ofEntries(
          Map.entry("user sleep", "idle"),
          Map.entry("creating index", "altering table"),
          Map.entry("committing alter table to storage engine", "altering table"),
          Map.entry("discard or import tablespace", "altering table"),
          Map.entry("rename", "altering table"),
          Map.entry("setup", "altering table"),
          Map.entry("renaming result table", "altering table"),
          Map.entry("preparing for alter table", "altering table"),
          Map.entry("copying to group table", "copying to tmp table"),
          Map.entry("copy to tmp table", "copying to tmp table"),
          Map.entry("query end", "end"),
          Map.entry("update", "updating"),
          Map.entry("updating main table", "updating"),
          Map.entry("updating reference tables", "updating"),
          Map.entry("system lock", "waiting for lock"),
          Map.entry("user lock", "waiting for lock"),
          Map.entry("table lock", "waiting for lock"),
          Map.entry("deleting from main table", "deleting"),
          Map.entry("deleting from reference tables", "deleting"));

  /**
   * Telegraf's {@code findThreadState}: a processlist row's command and state → its state bucket.
   */
  public static String threadState(String rawCommand, String rawState) {
    String command = rawCommand.toLowerCase(Locale.ROOT).replace('_', ' ');
    String state = rawState.toLowerCase(Locale.ROOT).replace('_', ' ');
    if (STATE_SET.contains(state)) {
      return state;
    }
    String mapped = STATE_MAPPINGS.get(state);
    if (mapped != null) {
      return mapped;
    }
    if (state.contains("waiting for") && state.contains("lock")) {
      return "waiting for lock";
    }
    if (command.equals("sleep") && state.isEmpty()) {
      return "idle";
    }
    if (command.equals("query")) {
      return "executing";
    }
    if (command.equals("binlog dump")) {
      return "replication master";
    }
    return "other";
  }

  /** Telegraf's {@code newNamespace}: words joined by '_', spaces → '_'. */
  public static String namespace(String... words) {
    return String.join("_", words).replace(' ', '_');
  }
}
