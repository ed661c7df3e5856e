package io.fleetstats.edge.mysql;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
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
      env.put(MysqlConfig.URL.key(), "jdbc:mysql://" + host + ":" + port + "/");
      env.put(MysqlConfig.USER.key(), asUser);
      env.put(MysqlConfig.PASSWORD.key(), asPassword);
      env.put(MysqlConfig.INTERVAL.key(), "200ms");
      env.put(MysqlConfig.SLOW_INTERVAL.key(), "1s");
      env.put(MysqlConfig.MAX_BACKOFF.key(), "1s");
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
    out.add(
        Named.of(
            "MariaDB (private: --log-bin --performance-schema=ON)",
            new Server(PRIVATE, "", 0, "", "")));
    out.add(Named.of("MySQL 8.4 (Testcontainers)", new Server("MySQL 8.4", "", 0, "", "")));
    return out;
  }

  /**
   * The server to use for a row of {@link #all()}: starts the container lazily, or aborts the row.
   */
  static synchronized Server resolve(Server row) {
    if (row.name().equals(PRIVATE)) {
      return privateMariaDb();
    }
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
    mysql =
        new Server(
            "MySQL 8.4", container.getHost(), container.getMappedPort(3306), "root", "fleetstats");
    return mysql;
  }

  private static final String PRIVATE = "MariaDB (private)";
  private static Server privateServer;
  private static String noPrivate;

  /**
   * A throw-away MariaDB with binary logging and performance_schema on (the machine's own runs with
   * both off, so the binary-log and perf-schema groups could not be tested against it): a fresh
   * data directory from mariadb-install-db, a free port, root over its own socket only. It dies
   * with the test JVM.
   */
  private static Server privateMariaDb() {
    if (privateServer != null) {
      return privateServer;
    }
    Path installDb = Path.of("/usr/bin/mariadb-install-db");
    Path daemon = Path.of("/usr/sbin/mariadbd");
    if (noPrivate == null && !(Files.isExecutable(installDb) && Files.isExecutable(daemon))) {
      noPrivate = "mariadb-install-db/mariadbd not installed (apt-get install mariadb-server)";
    }
    Assumptions.assumeTrue(noPrivate == null, noPrivate);
    try {
      Path dir = Files.createTempDirectory("fleetstats-mariadb");
      run(
          List.of(
              installDb.toString(),
              "--no-defaults",
              "--datadir=" + dir.resolve("data"),
              "--user=root",
              "--auth-root-authentication-method=socket",
              "--skip-test-db"),
          dir.resolve("install.log"));
      int port;
      try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        port = probe.getLocalPort();
      }
      Path socket = dir.resolve("sock");
      Process p =
          new ProcessBuilder(
                  daemon.toString(),
                  "--no-defaults",
                  "--datadir=" + dir.resolve("data"),
                  "--socket=" + socket,
                  "--port=" + port,
                  "--bind-address=127.0.0.1",
                  "--user=root",
                  "--log-bin=" + dir.resolve("data/binlog"),
                  "--server-id=1",
                  "--performance-schema=ON",
                  "--innodb-buffer-pool-size=16M",
                  "--pid-file=" + dir.resolve("pid"),
                  "--log-error=" + dir.resolve("error.log"))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("stdout.log").toFile())
              .start();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    p.destroy();
                    try {
                      p.waitFor(10, TimeUnit.SECONDS);
                    } catch (InterruptedException ignored) {
                      Thread.currentThread().interrupt();
                    }
                    deleteQuietly(dir);
                  }));
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> Files.exists(socket) || !p.isAlive());
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "private mariadbd exited: " + Files.readString(dir.resolve("error.log")));
      }
      run(
          List.of(
              "mariadb",
              "-S",
              socket.toString(),
              "-uroot",
              "-e",
              "CREATE USER 'fleetstats'@'127.0.0.1' IDENTIFIED BY 'fleetstats';"
                  + " CREATE USER 'fleetstats'@'localhost' IDENTIFIED BY 'fleetstats';"
                  + " GRANT ALL ON *.* TO 'fleetstats'@'127.0.0.1' WITH GRANT OPTION;"
                  + " GRANT ALL ON *.* TO 'fleetstats'@'localhost' WITH GRANT OPTION;"
                  + " CREATE DATABASE test;"),
          dir.resolve("users.log"));
      privateServer =
          new Server("MariaDB (private)", "127.0.0.1", port, "fleetstats", "fleetstats");
      return privateServer;
    } catch (IOException | InterruptedException e) {
      noPrivate = "cannot start a private MariaDB: " + e;
      Assumptions.abort(noPrivate);
      return null;
    }
  }

  private static void run(List<String> command, Path log) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(command.get(0) + " failed: " + Files.readString(log));
    }
  }

  private static void deleteQuietly(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temp directory; the OS cleans it eventually
    }
  }

  private TestServers() {}
}
