package io.fleetstats.edge.mysql;

import java.sql.SQLException;
import java.util.Locale;

/**
 * Turns a driver or server error into what went wrong and how to fix it. Pure: the exception's SQL
 * state, vendor code and message in, a {@link Problem} out. Server messages never contain the
 * password ("Access denied for user 'x'@'h' (using password: YES)"), so they are quoted.
 */
public final class Diagnosis {
  private Diagnosis() {}

  /** The kinds of failure the poller tells apart. */
  public enum Cause {
    /** No TCP connection or it broke: server down, wrong host/port, network. */
    UNREACHABLE,
    /** Login refused: wrong user or password. */
    ACCESS_DENIED,
    /** TLS could not be set up as {@code sslMode} asks. */
    TLS,
    /** Connected, but a group's query needs a privilege the user lacks. */
    PRIVILEGE,
    /** The server lacks the table, column or feature a group reads. */
    UNSUPPORTED,
    /** Anything else. */
    OTHER
  }

  /**
   * @param cause the kind of failure
   * @param message what happened and how to fix it, naming the settings
   */
  public record Problem(Cause cause, String message) {
    /** Failures that need a new connection. */
    public boolean connectionLost() {
      return cause == Cause.UNREACHABLE || cause == Cause.ACCESS_DENIED || cause == Cause.TLS;
    }
  }

  public static Cause cause(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    int code = e.getErrorCode();
    String text = chainText(e).toLowerCase(Locale.ROOT);
    if (code == 1045 || code == 1698 || state.startsWith("28")) {
      return Cause.ACCESS_DENIED;
    }
    if (text.contains("ssl") || text.contains("tls") || text.contains("certificate")) {
      if (state.startsWith("08") || code == 0 || code == 3159 || code == 2026) {
        return Cause.TLS;
      }
    }
    if (state.startsWith("08")
        || code == 2002
        || code == 2003
        || code == 2006
        || code == 2013
        || text.contains("communications link failure")) {
      return Cause.UNREACHABLE;
    }
    if (code == 1227
        || code == 1142
        || code == 1143
        || code == 1044
        || code == 1370
        || code == 1095) {
      return Cause.PRIVILEGE;
    }
    if (code == 1146
        || code == 1109
        || code == 1054
        || code == 1381
        || code == 1064
        || code == 1193
        || code == 1683
        || code == 1289) {
      return Cause.UNSUPPORTED;
    }
    return Cause.OTHER;
  }

  /** A failure to connect to or keep talking with the server. */
  public static Problem connection(SQLException e, MysqlConfig config) {
    String where = config.safeUrl();
    String server = firstLine(e);
    return switch (cause(e)) {
      case ACCESS_DENIED ->
          new Problem(
              Cause.ACCESS_DENIED,
              "MySQL at "
                  + where
                  + " refused user '"
                  + config.user()
                  + "' (wrong password or unknown user; server says: "
                  + server
                  + "); fix MYSQL_ID/FLEETSTATS_MYSQL_USER and MYSQL_PASSWORD,"
                  + " FLEETSTATS_MYSQL_PASSWORD or FLEETSTATS_MYSQL_PASSWORD_FILE");
      case TLS ->
          new Problem(
              Cause.TLS,
              "TLS to MySQL at "
                  + where
                  + " failed with sslMode "
                  + config.sslMode()
                  + " ("
                  + server
                  + "); enable TLS on the server, trust its CA with FLEETSTATS_MYSQL_TRUSTSTORE,"
                  + " or lower FLEETSTATS_MYSQL_SSL_MODE");
      case UNREACHABLE ->
          new Problem(
              Cause.UNREACHABLE,
              "cannot reach MySQL at "
                  + where
                  + " ("
                  + server
                  + "); check that the server is running and that MYSQL_SERVER or"
                  + " FLEETSTATS_MYSQL_URL point at it");
      default ->
          new Problem(
              cause(e),
              "MySQL at "
                  + where
                  + " failed: "
                  + server
                  + " (SQL state "
                  + e.getSQLState()
                  + ", error "
                  + e.getErrorCode()
                  + ")");
    };
  }

  /** A failure of one group's query; {@code user} is named in the GRANT hint. */
  public static Problem group(SQLException e, Group group, String user) {
    Cause cause = cause(e);
    String server = firstLine(e);
    return switch (cause) {
      case PRIVILEGE ->
          new Problem(
              cause,
              "group "
                  + group.label()
                  + " denied ("
                  + server
                  + "): it needs "
                  + group.privilege()
                  + ", e.g. GRANT "
                  + grantExample(group)
                  + " TO '"
                  + user
                  + "'@'%'; or switch it off with "
                  + group.envKey()
                  + "=false");
      case UNSUPPORTED ->
          new Problem(
              cause,
              "group "
                  + group.label()
                  + " is not supported by this server ("
                  + server
                  + "); switch it off with "
                  + group.envKey()
                  + "=false");
      default -> new Problem(cause, "group " + group.label() + " failed: " + server);
    };
  }

  private static String grantExample(Group group) {
    return switch (group) {
      case REPLICA_STATUS, BINARY_LOGS -> "REPLICATION CLIENT ON *.*";
      case PROCESS_LIST, USER_STATISTICS, INNODB_METRICS -> "PROCESS ON *.*";
      case TABLE_IO_WAITS,
          INDEX_IO_WAITS,
          TABLE_LOCK_WAITS,
          EVENT_WAITS,
          FILE_EVENTS,
          STATEMENT_DIGESTS ->
          "SELECT ON performance_schema.*";
      default -> "SELECT ON *.*";
    };
  }

  private static String firstLine(SQLException e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }

  private static String chainText(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null && b.length() < 4000; t = t.getCause()) {
      b.append(t.getClass().getName()).append(": ").append(t.getMessage()).append('\n');
    }
    return b.toString();
  }
}
