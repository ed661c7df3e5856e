package io.fleetstats.edge.mysql;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Named;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.mysql.MySQLContainer;

/**
 * The real servers the MySQL ITs run against: always the MariaDB on this machine (127.0.0.1:3306,
 * user {@code fleetstats}/{@code fleetstats}, which {@code .ci/run} creates); and MySQL 8.4 in a
 * container when a Docker engine is present.
 */
final class TestServers {
  /** Where a test server is and an account with every privilege (it creates users and tables). */
  record Server(String name, String host, int port, String user, String password) {
    String url() {
      return "jdbc:mysql://" + host + ":" + port + "/test";
    }

    String server() {
      return host + ":" + port;
    }

    Connection admin() throws SQLException {
      Properties p = new Properties();
      p.setProperty("user", user);
      p.setProperty("password", password);
      p.setProperty("allowPublicKeyRetrieval", "true");
      p.setProperty("sslMode", "PREFERRED");
      try {
        return DriverManager.getConnection(url(), p);
      } catch (SQLException e) {
        throw new SQLException(
            name
                + " at "
                + server()
                + " refused the test account '"
                + user
                + "' ("
                + e.getMessage()
                + "). Run .ci/run, which starts MariaDB and creates it, or as root over the socket:"
                + " mariadb -uroot -e \"CREATE USER 'fleetstats'@'localhost' IDENTIFIED BY 'fleetstats';"
                + " CREATE USER 'fleetstats'@'127.0.0.1' IDENTIFIED BY 'fleetstats'; GRANT ALL ON *.* TO"
                + " 'fleetstats'@'localhost' WITH GRANT OPTION; GRANT ALL ON *.* TO 'fleetstats'@'127.0.0.1'"
                + " WITH GRANT OPTION\"",
            e.getSQLState(),
            e.getErrorCode(),
            e);
      }
    }

    void execute(String... sql) throws SQLException {
      try (Connection c = admin();
          Statement s = c.createStatement()) {
        for (String q : sql) {
          s.execute(q);
        }
      }
    }

    /** Poller settings for this server as {@code user}; {@code extra} adds or overrides keys. */
    Map<String, String> env(String asUser, String asPassword, Map<String, String> extra) {
      Map<String, String> env = new HashMap<>();
      env.put(MysqlConfig.URL, "jdbc:mysql://" + host + ":" + port + "/");
      env.put(MysqlConfig.USER, asUser);
      env.put(MysqlConfig.PASSWORD, asPassword);
      env.put(MysqlConfig.INTERVAL, "200ms");
      env.put(MysqlConfig.SLOW_INTERVAL, "1s");
      env.put(MysqlConfig.MAX_BACKOFF, "1s");
      env.putAll(extra);
      return env;
    }
  }

  static final Server MARIADB =
      new Server(
          "MariaDB (local)",
          env("FLEETSTATS_IT_MYSQL_HOST", "127.0.0.1"),
          Integer.parseInt(env("FLEETSTATS_IT_MYSQL_PORT", "3306")),
          env("FLEETSTATS_IT_MYSQL_USER", "fleetstats"),
          env("FLEETSTATS_IT_MYSQL_PASSWORD", "fleetstats"));

  private static final String MYSQL_IMAGE = "mysql:8.4";
  private static Server mysql;
  private static String noDocker;

  private static String env(String key, String fallback) {
    String v = System.getenv(key);
    return v == null || v.isBlank() ? fallback : v;
  }

  /** MariaDB, then MySQL 8.4 (which skips itself, saying why, without Docker). */
  static List<Named<Server>> all() {
    List<Named<Server>> out = new ArrayList<>();
    out.add(Named.of(MARIADB.name(), MARIADB));
    out.add(Named.of("MySQL 8.4 (Testcontainers)", new Server("MySQL 8.4", "", 0, "", "")));
    return out;
  }

  /** The server to use for a row of {@link #all()}: starts the container lazily, or aborts the row. */
  static synchronized Server resolve(Server row) {
    if (!row.name().equals("MySQL 8.4")) {
      return row;
    }
    if (mysql != null) {
      return mysql;
    }
    if (noDocker == null && !DockerClientFactory.instance().isDockerAvailable()) {
      noDocker = "no Docker engine on this machine, so MySQL 8.4 via Testcontainers is skipped";
    }
    Assumptions.assumeTrue(noDocker == null, noDocker);
    @SuppressWarnings("resource") // stopped by Ryuk when the JVM exits
    MySQLContainer container =
        new MySQLContainer(MYSQL_IMAGE)
            .withUsername("fleetstats")
            .withPassword("fleetstats")
            .withDatabaseName("test")
            .withCommand("--performance-schema=ON", "--log-bin=binlog", "--server-id=1");
    container.start();
    mysql = new Server("MySQL 8.4", container.getHost(), container.getMappedPort(3306), "root", "fleetstats");
    return mysql;
  }

  private TestServers() {}
}
