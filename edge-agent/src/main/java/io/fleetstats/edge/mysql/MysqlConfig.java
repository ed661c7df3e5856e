package io.fleetstats.edge.mysql;

import io.fleetstats.kit.settings.Durations;
import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.SettingsReader;
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
 * Settings of the MySQL poller, read from the same environment as the rest of the agent. The poller
 * is on when {@code FLEETSTATS_MYSQL_URL} or the seed's {@code MYSQL_SERVER} is set.
 *
 * <p>Each component comes from the setting of the same name below (key, default and meaning are
 * declared there once).
 *
 * @param enabled whether a server is configured at all ({@link #URL} or {@link #SERVER})
 * @param jdbcUrl {@link #URL}, or built from {@link #SERVER}
 * @param server the {@code server} tag as Telegraf sets it: {@code host:port} of the URL
 * @param password {@link #PASSWORD} or the content of {@link #PASSWORD_FILE}; never logged or
 *     printed ({@link #toString()} masks it)
 * @param groups the enabled {@link Group}s ({@code FLEETSTATS_MYSQL_GATHER_*}); global status
 *     always
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

  public static final Setting<String> URL =
      Setting.string("FLEETSTATS_MYSQL_URL", null)
          .shownDefault("off")
          .asSecret()
          .doc("poll this MySQL/MariaDB server: a Connector/J URL such as jdbc:mysql://db:3306/");
  public static final Setting<String> SERVER =
      Setting.string("MYSQL_SERVER", null)
          .shownDefault("off")
          .doc(
              "the seed's variable: host or host:port (3306) to poll, when FLEETSTATS_MYSQL_URL is unset");
  public static final Setting<String> USER =
      Setting.string("FLEETSTATS_MYSQL_USER", "root")
          .aliases("MYSQL_ID")
          .doc("user name (the seed's default)");
  public static final Setting<String> PASSWORD =
      Setting.string("FLEETSTATS_MYSQL_PASSWORD", null)
          .aliases("MYSQL_PASSWORD")
          .shownDefault("(empty)")
          .asSecret()
          .doc("password; never logged");
  public static final Setting<String> PASSWORD_FILE =
      Setting.string("FLEETSTATS_MYSQL_PASSWORD_FILE", null)
          .doc(
              "file holding the password (a mounted Secret; trailing newline ignored); wins over the variable");
  public static final Setting<String> SSL_MODE =
      Setting.string("FLEETSTATS_MYSQL_SSL_MODE", "PREFERRED")
          .doc("Connector/J sslMode: DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY");
  public static final Setting<String> TRUSTSTORE =
      Setting.string("FLEETSTATS_MYSQL_TRUSTSTORE", null)
          .doc(
              "PKCS12/JKS file with the CA of the server's certificate (VERIFY_CA, VERIFY_IDENTITY)");
  public static final Setting<String> TRUSTSTORE_PASSWORD =
      Setting.string("FLEETSTATS_MYSQL_TRUSTSTORE_PASSWORD", null)
          .asSecret()
          .doc("password of the trust store");
  public static final Setting<Duration> INTERVAL =
      Setting.duration("FLEETSTATS_MYSQL_INTERVAL", Duration.ofSeconds(10), Duration.ofMillis(100))
          .aliases("INTERVAL")
          .doc("time between polls (Telegraf's agent default)");
  public static final Setting<Duration> SLOW_INTERVAL =
      Setting.duration(
              "FLEETSTATS_MYSQL_SLOW_INTERVAL", Duration.ofMinutes(30), Duration.ofMillis(100))
          .doc("Telegraf's interval_slow, for global variables; at least the interval");
  public static final Setting<Duration> CONNECT_TIMEOUT =
      Setting.duration(
              "FLEETSTATS_MYSQL_CONNECT_TIMEOUT", Duration.ofSeconds(5), Duration.ofMillis(100))
          .doc("connect and socket read timeout (Telegraf's)");
  public static final Setting<Duration> MAX_BACKOFF =
      Setting.duration("FLEETSTATS_MYSQL_MAX_BACKOFF", Duration.ofMinutes(1), Duration.ofSeconds(1))
          .doc("retries after a failure wait 1s, 2s, 4s ... up to this");
  public static final Setting<Integer> METRIC_VERSION =
      Setting.integer("FLEETSTATS_MYSQL_METRIC_VERSION", 1, 1, 2)
          .doc("Telegraf's metric_version (the seed left it unset, so version 1 names)");
  public static final Setting<String> TABLE_SCHEMA_DATABASES =
      Setting.string("FLEETSTATS_MYSQL_TABLE_SCHEMA_DATABASES", null)
          .shownDefault("all but the system schemas")
          .doc("comma-separated schemas for table_schema");
  public static final Setting<Integer> DIGEST_TEXT_LIMIT =
      Setting.integer("FLEETSTATS_MYSQL_PERF_EVENTS_STATEMENTS_DIGEST_TEXT_LIMIT", 120, 1, 65536)
          .doc("characters of a statement digest's text kept as its tag");
  public static final Setting<Integer> STATEMENTS_LIMIT =
      Setting.integer("FLEETSTATS_MYSQL_PERF_EVENTS_STATEMENTS_LIMIT", 250, 1, 100_000)
          .doc("statement digests read per poll");
  public static final Setting<Integer> STATEMENTS_TIME_LIMIT =
      Setting.integer(
              "FLEETSTATS_MYSQL_PERF_EVENTS_STATEMENTS_TIME_LIMIT", 86400, 1, Integer.MAX_VALUE)
          .doc("only digests seen in the last this many seconds");

  /** The group switches, {@code FLEETSTATS_MYSQL_GATHER_<GROUP>}, in {@link Group} order. */
  static final Map<Group, Setting<Boolean>> GATHER = gatherSettings();

  /** Every MySQL setting, in doc order. */
  public static final List<Setting<?>> SETTINGS = settings();

  private static Map<Group, Setting<Boolean>> gatherSettings() {
    Map<Group, Setting<Boolean>> out = new java.util.EnumMap<>(Group.class);
    for (Group g : Group.values()) {
      if (g.envKey() != null) {
        Setting<Boolean> s =
            Setting.bool(g.envKey(), g.enabledByDefault())
                .doc(
                    "gather "
                        + g.label().replace('_', ' ')
                        + " (Telegraf's "
                        + g.telegrafOption()
                        + ")");
        // Telegraf renamed gather_slave_status; both names are read.
        out.put(
            g, g == Group.REPLICA_STATUS ? s.aliases("FLEETSTATS_MYSQL_GATHER_REPLICA_STATUS") : s);
      }
    }
    return out;
  }

  private static List<Setting<?>> settings() {
    List<Setting<?>> all =
        new java.util.ArrayList<>(
            List.of(
                URL,
                SERVER,
                USER,
                PASSWORD,
                PASSWORD_FILE,
                SSL_MODE,
                TRUSTSTORE,
                TRUSTSTORE_PASSWORD,
                INTERVAL,
                SLOW_INTERVAL,
                CONNECT_TIMEOUT,
                MAX_BACKOFF,
                METRIC_VERSION,
                TABLE_SCHEMA_DATABASES,
                DIGEST_TEXT_LIMIT,
                STATEMENTS_LIMIT,
                STATEMENTS_TIME_LIMIT));
    all.addAll(GATHER.values());
    return List.copyOf(all);
  }

  private static final Set<String> SSL_MODES =
      Set.of("DISABLED", "PREFERRED", "REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY");
  private static final Pattern JDBC =
      Pattern.compile(
          "jdbc:(?:mysql|mariadb)://(?:[^@/?]*@)?(\\[[^\\]]+\\]|[^/:?,@]+)(?::(\\d+))?(?:[/?].*)?");
  private static final Pattern SCHEMA_NAME = Pattern.compile("[A-Za-z0-9_$]{1,64}");

  public MysqlConfig {
    groups = Collections.unmodifiableSet(EnumSet.copyOf(groups));
    tableSchemaDatabases = List.copyOf(tableSchemaDatabases);
  }

  /** The poller switched off. */
  public static MysqlConfig disabled() {
    return fromEnv(Map.of());
  }

  /** Reads and validates the settings on their own ({@link #read(SettingsReader)} then check). */
  public static MysqlConfig fromEnv(Map<String, String> env) {
    SettingsReader r = new SettingsReader(env);
    MysqlConfig c = read(r);
    r.check();
    return c;
  }

  /**
   * Reads the settings, recording problems in {@code r} so that the caller reports them together
   * with its own.
   */
  public static MysqlConfig read(SettingsReader r) {
    String url = r.get(URL);
    String host = r.get(SERVER);
    boolean enabled = url != null || host != null;
    String server = "";
    if (url != null) {
      Matcher m = JDBC.matcher(url);
      if (m.matches()) {
        server = m.group(1) + ":" + (m.group(2) == null ? "3306" : m.group(2));
      } else {
        // The URL may hold a password: never echo it back.
        r.problem(URL.key(), "<hidden>", "a JDBC URL such as jdbc:mysql://db:3306/ (one host)");
      }
    } else if (host != null) {
      server = host.contains(":") && !host.startsWith("[") ? host : host + ":3306";
      url = "jdbc:mysql://" + server + "/";
    }
    String user = r.get(USER);
    String password = r.get(PASSWORD);
    String passwordFile = r.get(PASSWORD_FILE);
    if (passwordFile != null) {
      try {
        password = Files.readString(Path.of(passwordFile), StandardCharsets.UTF_8).strip();
      } catch (IOException | RuntimeException e) {
        r.problem(
            PASSWORD_FILE.key(),
            passwordFile,
            "a readable file holding the password (" + e.getClass().getSimpleName() + ")");
      }
    }
    String sslMode = r.get(SSL_MODE).toUpperCase(Locale.ROOT);
    if (!SSL_MODES.contains(sslMode)) {
      r.problem(
          SSL_MODE.key(),
          sslMode,
          "one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY");
    }
    String trustStore = r.get(TRUSTSTORE);
    if (trustStore != null && !Files.isReadable(Path.of(trustStore))) {
      r.problem(TRUSTSTORE.key(), trustStore, "a readable PKCS12 or JKS file");
    }
    String trustStorePassword = r.get(TRUSTSTORE_PASSWORD);
    Duration interval = r.get(INTERVAL);
    Duration slow = r.get(SLOW_INTERVAL);
    if (slow.compareTo(interval) < 0) {
      r.problem(
          SLOW_INTERVAL.key(),
          Durations.format(slow),
          "at least the interval (" + Durations.format(interval) + ")");
    }
    Duration connectTimeout = r.get(CONNECT_TIMEOUT);
    Duration maxBackoff = r.get(MAX_BACKOFF);
    EnumSet<Group> groups = EnumSet.of(Group.GLOBAL_STATUS);
    GATHER.forEach(
        (g, setting) -> {
          if (r.get(setting)) {
            groups.add(g);
          }
        });
    int metricVersion = r.get(METRIC_VERSION);
    List<String> databases = List.of();
    String dbs = r.get(TABLE_SCHEMA_DATABASES);
    if (dbs != null) {
      databases = List.of(dbs.split("\\s*,\\s*"));
      for (String db : databases) {
        // The names go into SQL text (as in Telegraf), so only plain identifiers are allowed.
        if (!SCHEMA_NAME.matcher(db).matches()) {
          r.problem(
              TABLE_SCHEMA_DATABASES.key(), db, "plain schema names: letters, digits, '_' and '$'");
        }
      }
    }
    int digestText = r.get(DIGEST_TEXT_LIMIT);
    int limit = r.get(STATEMENTS_LIMIT);
    int timeLimit = r.get(STATEMENTS_TIME_LIMIT);
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
   * Connector/J properties: credentials, TLS, timeouts; settings in the URL win for everything but
   * credentials. Connection attributes are off so nothing about the agent is stored server-side.
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
    p.setProperty(
        "socketTimeout",
        Long.toString(Math.max(connectTimeout.toMillis(), 3 * interval.toMillis())));
    // caching_sha2_password (MySQL 8 default) needs the server's RSA key when there is no TLS;
    // with TLS required the password travels encrypted and the key is not fetched.
    p.setProperty(
        "allowPublicKeyRetrieval",
        Boolean.toString("DISABLED".equals(sslMode) || "PREFERRED".equals(sslMode)));
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
    return "MysqlConfig["
        + summary()
        + ", password="
        + (password.isEmpty() ? "<empty>" : "<hidden>")
        + "]";
  }
}
