package io.fleetstats.edge.mysql;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the poller learnt about the server once per connection: flavour, version and the switches
 * that decide which groups can work.
 *
 * @param flavor {@code MySQL}, {@code MariaDB} or {@code Percona}
 * @param version {@code SELECT VERSION()} as returned, e.g. {@code 10.11.19-MariaDB-0+deb12u1}
 * @param major first version number
 * @param minor second version number
 * @param patch third version number
 * @param performanceSchema {@code @@performance_schema} is on
 * @param logBin {@code @@log_bin} is on
 * @param userstat MariaDB/Percona {@code @@userstat} is on (user_statistics is empty otherwise)
 */
public record ServerInfo(
    String flavor,
    String version,
    int major,
    int minor,
    int patch,
    boolean performanceSchema,
    boolean logBin,
    boolean userstat) {

  public static final String MYSQL = "MySQL";
  public static final String MARIADB = "MariaDB";
  public static final String PERCONA = "Percona";

  private static final Pattern NUMBERS = Pattern.compile("^(\\d+)\\.(\\d+)(?:\\.(\\d+))?");

  /**
   * Parses {@code SELECT VERSION()} and {@code @@version_comment}. MariaDB says so in its version
   * ({@code 10.11.19-MariaDB}; Connector/J's own metadata shows {@code 5.5.5-10.11.19-MariaDB},
   * whose replication-protocol prefix is skipped); Percona in its comment.
   */
  public static ServerInfo parse(
      String version,
      String versionComment,
      boolean performanceSchema,
      boolean logBin,
      boolean userstat) {
    String v = version == null ? "" : version.trim();
    if (v.startsWith("5.5.5-")) {
      v = v.substring(6);
    }
    String lower =
        (v + " " + (versionComment == null ? "" : versionComment)).toLowerCase(Locale.ROOT);
    String flavor =
        lower.contains("mariadb") ? MARIADB : lower.contains("percona") ? PERCONA : MYSQL;
    Matcher m = NUMBERS.matcher(v);
    int major = 0;
    int minor = 0;
    int patch = 0;
    if (m.find()) {
      major = Integer.parseInt(m.group(1));
      minor = Integer.parseInt(m.group(2));
      patch = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
    }
    return new ServerInfo(flavor, v, major, minor, patch, performanceSchema, logBin, userstat);
  }

  public boolean isMariaDb() {
    return MARIADB.equals(flavor);
  }

  /** At least {@code major.minor.patch}. */
  public boolean atLeast(int ma, int mi, int pa) {
    if (major != ma) {
      return major > ma;
    }
    if (minor != mi) {
      return minor > mi;
    }
    return patch >= pa;
  }

  /**
   * The replica status statement: MariaDB's {@code SHOW ALL SLAVES STATUS} (every connection; works
   * on all MariaDB versions), MySQL's {@code SHOW REPLICA STATUS} from 8.0.22 (8.4 removed the old
   * spelling), {@code SHOW SLAVE STATUS} before.
   */
  public String replicaStatusQuery() {
    if (isMariaDb()) {
      return "SHOW ALL SLAVES STATUS";
    }
    return atLeast(8, 0, 22) ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
  }

  /**
   * INNODB_METRICS's filter on enabled counters: MariaDB 10.5+ has an {@code ENABLED} column, MySQL
   * and older MariaDB a {@code STATUS} column.
   */
  public String innodbEnabledFilter() {
    if (isMariaDb() && !(major == 10 && minor < 5) && major >= 10) {
      return "ENABLED = 1";
    }
    return "STATUS = 'enabled'";
  }

  /**
   * Why {@code group} cannot work on this server, or null when it can. The reason names the setting
   * that would make it work.
   */
  public String lacks(Group group) {
    if (group.needsPerformanceSchema() && !performanceSchema) {
      return "performance_schema is OFF (start the server with --performance-schema=ON)";
    }
    return switch (group) {
      case BINARY_LOGS -> logBin ? null : "binary logging is off (start the server with --log-bin)";
      case USER_STATISTICS -> {
        if (MYSQL.equals(flavor)) {
          yield "MySQL has no INFORMATION_SCHEMA.USER_STATISTICS (MariaDB and Percona only)";
        }
        yield null;
      }
      default -> null;
    };
  }

  @Override
  public String toString() {
    return flavor + " " + version;
  }
}
