package io.fleetstats.edge.mysql;

import io.fleetstats.kit.settings.Durations;
import io.fleetstats.kit.settings.EnvReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Settings of the MySQL poller, read from the same environment as the rest of the agent. The
 * poller is on when {@code FLEETSTATS_MYSQL_URL} or the seed's {@code MYSQL_SERVER} is set.
 *
 * @param enabled whether a server is configured at all
 * @param jdbcUrl {@code FLEETSTATS_MYSQL_URL}: a Connector/J URL such as {@code
 *     jdbc:mysql://db:3306/}; or built from {@code MYSQL_SERVER} ({@code host} or {@code
 *     host:port}, port 3306 by default); no default
 * @param server the {@code server} tag as Telegraf sets it: {@code host:port} of the URL
 * @param user {@code FLEETSTATS_MYSQL_USER} or the seed's {@code MYSQL_ID}; default {@code root}
 *     (the seed's)
 * @param password {@code FLEETSTATS_MYSQL_PASSWORD} or the seed's {@code MYSQL_PASSWORD}, or the
 *     content of {@code FLEETSTATS_MYSQL_PASSWORD_FILE} (a mounted Secret; trailing newline
 *     ignored); default empty; never logged or printed ({@link #toString()} masks it)
 * @param sslMode {@code FLEETSTATS_MYSQL_SSL_MODE}: Connector/J {@code sslMode}: {@code DISABLED},
 *     {@code PREFERRED}, {@code REQUIRED}, {@code VERIFY_CA}, {@code VERIFY_IDENTITY}; default
 *     {@code PREFERRED}
 * @param trustStore {@code FLEETSTATS_MYSQL_TRUSTSTORE}: a PKCS12/JKS file with the CA that signed
 *     the server's certificate (for {@code VERIFY_CA}/{@code VERIFY_IDENTITY}); default none
 * @param trustStorePassword {@code FLEETSTATS_MYSQL_TRUSTSTORE_PASSWORD}; default none
 * @param interval {@code FLEETSTATS_MYSQL_INTERVAL}, else the seed's {@code INTERVAL}; time
 *     between polls; default {@code 10s} (Telegraf's agent default), at least {@code 100ms}
 * @param slowInterval {@code FLEETSTATS_MYSQL_SLOW_INTERVAL}: Telegraf's {@code interval_slow},
 *     for global variables; default {@code 30m} (the seed's), at least the interval
 * @param connectTimeout {@code FLEETSTATS_MYSQL_CONNECT_TIMEOUT}: connect and socket read timeout;
 *     default {@code 5s} (Telegraf's)
 * @param maxBackoff {@code FLEETSTATS_MYSQL_MAX_BACKOFF}: retries after a failure wait 1s, 2s, 4s
 *     … up to this; default {@code 1m}
 * @param groups the enabled {@link Group}s ({@code FLEETSTATS_MYSQL_GATHER_*}); global status
 *     always
 * @param metricVersion {@code FLEETSTATS_MYSQL_METRIC_VERSION}: Telegraf's {@code
 *     metric_version}, 1 or 2; default 1, because the seed left it unset and so got version 1
 *     names ({@code commands_select}, not {@code com_select})
 * @param tableSchemaDatabases {@code FLEETSTATS_MYSQL_TABLE_SCHEMA_DATABASES}: comma-separated
 *     schemas for table_schema; default all but the system ones
 * @param digestTextLimit {@code FLEETSTATS_MYSQL_PERF_EVENTS_STATEMENTS_DIGEST_TEXT_LIMIT};
 *     default 120
 * @param statementsLimit {@code FLEETSTATS_MYSQL_PERF_EVENTS_STATEMENTS_LIMIT}; default 250
 * @param statementsTimeLimit {@code FLEETSTATS_MYSQL_PERF_EVENTS_STATEMENTS_TIME_LIMIT}: seconds;
 *     default 86400
 */
public record MysqlConfig(
    boolean enabled,
    String jdbcUrl,
    String server,
    String user,
    String password,
    String sslMode,
    String trustStore,
    String trustStorePassword,
    Duration interval,
    Duration slowInterval,
    Duration connectTimeout,
    Duration maxBackoff,
    Set<Group> groups,
    int metricVersion,
    List<String> tableSchemaDatabases,
    int digestTextLimit,
    int statementsLimit,
    int statementsTimeLimit) {

  public static final String URL = "FLEETSTATS_MYSQL_URL";
  public static final String USER = "FLEETSTATS_MYSQL_USER";
  public static final String PASSWORD = "FLEETSTATS_MYSQL_PASSWORD";
  public static final String PASSWORD_FILE = "FLEETSTATS_MYSQL_PASSWORD_FILE";
  public static final String SSL_MODE = "FLEETSTATS_MYSQL_SSL_MODE";
  public static final String TRUSTSTORE = "FLEETSTATS_MYSQL_TRUSTSTORE";
  public static final String TRUSTSTORE_PASSWORD = "FLEETSTATS_MYSQL_TRUSTSTORE_PASSWORD";
  public static final String INTERVAL = "FLEETSTATS_MYSQL_INTERVAL";
  public static final String SLOW_INTERVAL = "FLEETSTATS_MYSQL_SLOW_INTERVAL";
  public static final String CONNECT_TIMEOUT = "FLEETSTATS_MYSQL_CONNECT_TIMEOUT";
  public static final String MAX_BACKOFF = "FLEETSTATS_MYSQL_MAX_BACKOFF";
  public static final String METRIC_VERSION = "FLEETSTATS_MYSQL_METRIC_VERSION";
  public static final String TABLE_SCHEMA_DATABASES = "FLEETSTATS_MYSQL_TABLE_SCHEMA_DATABASES";

  private static final Set<String> SSL_MODES =
      Set.of("DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY");
  private static final Pattern JDBC =
      Pattern.compile("jdbc:(?:mysql|mariadb)://(?:[^@/?]*@)?(\\[[^\\]]+\\]|[^/:?,@]+)(?::(\\d+))?(?:[/?].*)?");
  private static final Pattern SCHEMA_NAME = Pattern.compile("[A-Za-z0-9_$]{1,64}");

  public MysqlConfig {
    groups = Collections.unmodifiableSet(EnumSet.copyOf(groups));
    tableSchemaDatabases = List.copyOf(tableSchemaDatabases);
  }

  /** The poller switched off. */
  public static MysqlConfig disabled() {
    return fromEnv(Map.of());
  }

  /** Reads and validates the settings on their own ({@link #read(EnvReader)} then check). */
  public static MysqlConfig fromEnv(Map<String, String> env) {
    EnvReader r = new EnvReader(env);
    MysqlConfig c = read(r);
    r.check();
    return c;
  }

  /**
   * Reads the settings, recording problems in {@code r} so that the caller reports them together
   * with its own.
   */
  public static MysqlConfig read(EnvReader r) {
    String url = r.string(null, URL);
    String host = r.string(null, "MYSQL_SERVER");
    boolean enabled = url != null || host != null;
    String server = "";
    if (url != null) {
      Matcher m = JDBC.matcher(url);
      if (m.matches()) {
        server = m.group(1) + ":" + (m.group(2) == null ? "3306" : m.group(2));
      } else {
        // The URL may hold a password: never echo it back.
        r.problem(URL, "<hidden>", "a JDBC URL such as jdbc:mysql://db:3306/ (one host)");
      }
    } else if (host != null) {
      server = host.contains(":") && !host.startsWith("[") ? host : host + ":3306";
      url = "jdbc:mysql://" + server + "/";
    }
    String user = r.string("root", USER, "MYSQL_ID");
    String password = r.string(null, PASSWORD, "MYSQL_PASSWORD");
    String passwordFile = r.string(null, PASSWORD_FILE);
    if (passwordFile != null) {
      try {
        password = Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).strip();
      } catch (IOException | RuntimeException e) {
        r.problem(PASSWORD_FILE, passwordFile, "a readable file holding the password (" + e.getClass().getSimpleName() + ")");
      }
    }
    String sslMode = r.string("PREFERRED", SSL_MODE).toUpperCase(Locale.ROOT);
    if (!SSL_MODES.contains(sslMode)) {
      r.problem(SSL_MODE, sslMode, "one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY");
    }
    String trustStore = r.string(null, TRUSTSTORE);
    if (trustStore != null && !Files.isReadable(Path.of(trustStore))) {
      r.problem(TRUSTSTORE, trustStore, "a readable PKCS12 or JKS file");
    }
    String trustStorePassword = r.string(null, TRUSTSTORE_PASSWORD);
    Duration interval = r.duration(Duration.ofSeconds(10), Duration.ofMillis(100), INTERVAL, "INTERVAL");
    Duration slow = r.duration(Duration.ofMinutes(30), Duration.ofMillis(100), SLOW_INTERVAL);
    if (slow.compareTo(interval) < 0) {
      r.problem(SLOW_INTERVAL, Durations.format(slow), "at least the interval (" + Durations.format(interval) + ")");
    }
    Duration connectTimeout = r.duration(Duration.ofSeconds(5), Duration.ofMillis(100), CONNECT_TIMEOUT);
    Duration maxBackoff = r.duration(Duration.ofMinutes(1), Duration.ofSeconds(1), MAX_BACKOFF);
    EnumSet<Group> groups = EnumSet.of(Group.GLOBAL_STATUS);
    for (Group g : Group.values()) {
      if (g.envKey() != null) {
        boolean on =
            g == Group.REPLICA_STATUS
                ? r.bool(g.enabledByDefault(), g.envKey(), "FLEETSTATS_MYSQL_GATHER_REPLICA_STATUS")
                : r.bool(g.enabledByDefault(), g.envKey());
        if (on) {
          groups.add(g);
        }
      }
    }
    int metricVersion = r.integer(1, 1, 2, METRIC_VERSION);
    List<String> databases = List.of();
    String dbs = r.string(null, TABLE_SCHEMA_DATABASES);
    if (dbs != null) {
      databases = List.of(dbs.split("\\s*,\\s*"));
      for (String db : databases) {
        // The names go into SQL text (as in Telegraf), so only plain identifiers are allowed.
        if (!SCHEMA_NAME.matcher(db).matches()) {
          r.problem(TABLE_SCHEMA_DATABASES, db, "plain schema names: letters, digits, '_' and '$'");
        }
      }
    }
    int digestText = r.integer(120, 1, 65536, "FLEETSTATS_MYSQL_PERF_EVENTS_STATEMENTS_DIGEST_TEXT_LIMIT");
    int limit = r.integer(250, 1, 100_000, "FLEETSTATS_MYSQL_PERF_EVENTS_STATEMENTS_LIMIT");
    int timeLimit = r.integer(86400, 1, Integer.MAX_VALUE, "FLEETSTATS_MYSQL_PERF_EVENTS_STATEMENTS_TIME_LIMIT");
    return new MysqlConfig(
        enabled,
        url == null ? "" : url,
        server,
        user,
        password == null ? "" : password,
        sslMode,
        trustStore,
        trustStorePassword,
        interval,
        slow,
        connectTimeout,
        maxBackoff,
        groups,
        metricVersion,
        databases,
        digestText,
        limit,
        timeLimit);
  }

  /**
   * Connector/J properties: credentials, TLS, timeouts; settings in the URL win for everything
   * but credentials. Connection attributes are off so nothing about the agent is stored
   * server-side.
   */
  public Properties connectionProperties() {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty("sslMode", sslMode);
    if (trustStore != null) {
      p.setProperty("trustCertificateKeyStoreUrl", Path.of(trustStore).toUri().toString());
      if (trustStorePassword != null) {
        p.setProperty("trustCertificateKeyStorePassword", trustStorePassword);
      }
    }
    p.setProperty("connectTimeout", Long.toString(connectTimeout.toMillis()));
    // Reads wait at most a few polls' worth; a hung server then surfaces as an error, not a stall.
    p.setProperty("socketTimeout", Long.toString(Math.max(connectTimeout.toMillis(), 3 * interval.toMillis())));
    // caching_sha2_password (MySQL 8 default) needs the server's RSA key when there is no TLS;
    // with TLS required the password travels encrypted and the key is not fetched.
    p.setProperty("allowPublicKeyRetrieval", Boolean.toString("DISABLED".equals(sslMode) || "PREFERRED".equals(sslMode)));
    p.setProperty("connectionAttributes", "none");
    p.setProperty("zeroDateTimeBehavior", "CONVERT_TO_NULL");
    p.setProperty("useInformationSchema", "false");
    return p;
  }

  /** The URL without user info or query parameters, safe to log. */
  public String safeUrl() {
    return server.isEmpty() ? "(none)" : "mysql://" + server;
  }

  /** One line for the start-up log; no secrets. */
  public String summary() {
    if (!enabled) {
      return "mysql poller off";
    }
    Map<String, Boolean> on = new TreeMap<>();
    for (Group g : groups) {
      on.put(g.label(), true);
    }
    return "mysql poller on "
        + safeUrl()
        + " as "
        + user
        + " every "
        + Durations.format(interval)
        + " (slow "
        + Durations.format(slowInterval)
        + "), sslMode "
        + sslMode
        + ", metric_version "
        + metricVersion
        + ", groups "
        + on.keySet();
  }

  @Override
  public String toString() {
    return "MysqlConfig[" + summary() + ", password=" + (password.isEmpty() ? "<empty>" : "<hidden>") + "]";
  }
}
