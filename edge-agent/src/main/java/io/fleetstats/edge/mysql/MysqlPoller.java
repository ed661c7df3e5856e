package io.fleetstats.edge.mysql;

import io.fleetstats.kit.settings.Durations;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls one MySQL/MariaDB server on its own thread over one reused connection and hands each poll's
 * {@link MysqlSnapshot} to a sink (the Kafka publisher).
 *
 * <p>On connecting it detects flavour and version and logs, in one line, which groups it gathers
 * and which it skips because the server lacks them (and how to enable them). A group denied for
 * want of a privilege is logged once with the privilege and the GRANT, then retried every slow
 * interval; the other groups go on. A lost or refused connection is logged with its cause and fix
 * (each distinct cause once per change, so an outage is not a log flood) and retried after 1 s, 2
 * s, 4 s … up to {@code FLEETSTATS_MYSQL_MAX_BACKOFF}. Nothing here touches the statsd path.
 */
public final class MysqlPoller implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MysqlPoller.class);
  private static final long FIRST_BACKOFF_MS = 1_000;

  private final MysqlConfig config;
  private final Source source;
  private final Consumer<MysqlSnapshot> sink;
  private final Clock clock;
  private final Gatherer gatherer;
  private final Thread thread;
  private final CountDownLatch stop = new CountDownLatch(1);

  private final AtomicLong pollsSucceeded = new AtomicLong();
  private final AtomicLong pollsFailed = new AtomicLong();
  private final AtomicLong groupsFailed = new AtomicLong();
  private final AtomicReference<Diagnosis.Problem> lastProblem = new AtomicReference<>();
  private final AtomicReference<ServerInfo> server = new AtomicReference<>();
  private final Map<Group, String> skipped = new EnumMap<>(Group.class);

  /** Denied groups → monotonic time (ms) at which to try again. */
  private final Map<Group, Long> deniedUntil = new EnumMap<>(Group.class);

  private Connection connection;
  private long lastSlowMs = Long.MIN_VALUE;
  private int failures;
  private Diagnosis.Cause lastLoggedCause;

  /**
   * @param source the identity stamped on every snapshot
   * @param sink receives each poll's snapshot, on the poller's thread
   */
  public MysqlPoller(MysqlConfig config, Source source, Consumer<MysqlSnapshot> sink, Clock clock) {
    this.config = config;
    this.source = source;
    this.sink = sink;
    this.clock = clock;
    this.gatherer = new Gatherer(config);
    this.thread = new Thread(this::run, "fleetstats-mysql");
    this.thread.setDaemon(true);
  }

  /** Starts polling at once, then every interval. */
  public MysqlPoller start() {
    thread.start();
    return this;
  }

  private void run() {
    log.info("{}", config.summary());
    long next = System.nanoTime();
    while (true) {
      long delayMs;
      try {
        pollOnce();
        failures = 0;
        if (lastLoggedCause != null) {
          log.info("{}: polling again after {}", config.safeUrl(), lastLoggedCause);
          lastLoggedCause = null;
        }
        next += config.interval().toNanos();
        delayMs = Math.max(0, TimeUnit.NANOSECONDS.toMillis(next - System.nanoTime()));
      } catch (SQLException e) {
        closeConnection();
        pollsFailed.incrementAndGet();
        Diagnosis.Problem p = Diagnosis.connection(e, config);
        lastProblem.set(p);
        delayMs = backoffMs(failures++);
        if (p.cause() != lastLoggedCause) {
          // One line per change of cause: an outage of hours is one ERROR, not thousands.
          log.error(
              "{}; retrying with backoff (next in {})",
              p.message(),
              Durations.format(Duration.ofMillis(delayMs)));
          lastLoggedCause = p.cause();
        } else {
          log.debug("{}; retrying in {} ms", p.message(), delayMs);
        }
        next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs);
      } catch (RuntimeException e) {
        // A sink or driver bug must not end the poller: count, log, keep the schedule.
        pollsFailed.incrementAndGet();
        lastProblem.set(new Diagnosis.Problem(Diagnosis.Cause.OTHER, e.toString()));
        log.error("mysql poll failed unexpectedly; retrying", e);
        closeConnection();
        delayMs = backoffMs(failures++);
        next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs);
      }
      try {
        if (stop.await(delayMs, TimeUnit.MILLISECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    closeConnection();
  }

  /** 1 s, 2 s, 4 s … capped. */
  long backoffMs(int failuresSoFar) {
    long cap = config.maxBackoff().toMillis();
    return Math.min(cap, FIRST_BACKOFF_MS << Math.min(failuresSoFar, 20));
  }

  private void pollOnce() throws SQLException {
    if (connection == null) {
      connect();
    }
    long takenAt = clock.millis();
    long nowMono = TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    boolean slowDue =
        lastSlowMs == Long.MIN_VALUE || nowMono - lastSlowMs >= config.slowInterval().toMillis();
    ServerInfo info = server.get();
    SnapshotBuilder out = new SnapshotBuilder();
    for (Group g : config.groups()) {
      if (skipped.containsKey(g) || (g.slow() && !slowDue)) {
        continue;
      }
      Long retryAt = deniedUntil.get(g);
      if (retryAt != null && nowMono < retryAt) {
        continue;
      }
      try {
        gatherer.gather(g, connection, info, out);
        if (deniedUntil.remove(g) != null) {
          log.info("{}: group {} works again", config.safeUrl(), g.label());
        }
      } catch (SQLException e) {
        Diagnosis.Problem p = Diagnosis.group(e, g, config.user());
        if (g == Group.GLOBAL_STATUS || p.connectionLost()) {
          throw e;
        }
        groupsFailed.incrementAndGet();
        lastProblem.set(p);
        if (p.cause() == Diagnosis.Cause.UNSUPPORTED) {
          skipped.put(g, p.message());
          log.warn("{}: {}; skipped from now on", config.safeUrl(), p.message());
        } else {
          boolean first = !deniedUntil.containsKey(g);
          deniedUntil.put(g, nowMono + config.slowInterval().toMillis());
          if (first) {
            log.warn(
                "{}: {}; retrying it every {}",
                config.safeUrl(),
                p.message(),
                Durations.format(config.slowInterval()));
          }
        }
      }
    }
    if (slowDue) {
      lastSlowMs = nowMono;
    }
    sink.accept(out.build(source, config.server(), takenAt, info));
    pollsSucceeded.incrementAndGet();
  }

  private void connect() throws SQLException {
    Connection c = DriverManager.getConnection(config.jdbcUrl(), config.connectionProperties());
    try {
      ServerInfo info = Gatherer.detect(c);
      server.set(info);
      skipped.clear();
      deniedUntil.clear();
      List<String> lacking = new ArrayList<>();
      for (Group g : config.groups()) {
        String why = info.lacks(g);
        if (why != null) {
          skipped.put(g, why);
          lacking.add(g.label() + " (" + why + ")");
        }
      }
      List<String> gathering = new ArrayList<>();
      for (Group g : config.groups()) {
        if (!skipped.containsKey(g)) {
          gathering.add(g.label());
        }
      }
      if (!info.userstat()
          && config.groups().contains(Group.USER_STATISTICS)
          && !skipped.containsKey(Group.USER_STATISTICS)) {
        lacking.add("user_statistics stays empty while userstat is OFF (SET GLOBAL userstat=1)");
      }
      log.info(
          "{}: connected to {} as {}; gathering {}{}",
          config.safeUrl(),
          info,
          config.user(),
          gathering,
          lacking.isEmpty()
              ? ""
              : "; skipping what the server lacks: " + String.join(", ", lacking));
      connection = c;
    } catch (SQLException | RuntimeException e) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already failing; the first error is the one to report
      }
      throw e;
    }
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // the connection is being dropped anyway
      }
      connection = null;
    }
  }

  /** Polls that produced a snapshot. */
  public long pollsSucceeded() {
    return pollsSucceeded.get();
  }

  /** Polls that failed as a whole (connection lost or refused). */
  public long pollsFailed() {
    return pollsFailed.get();
  }

  /** Group queries that failed inside otherwise good polls (denied, unsupported). */
  public long groupsFailed() {
    return groupsFailed.get();
  }

  /** The most recent problem, or null. */
  public Diagnosis.Problem lastProblem() {
    return lastProblem.get();
  }

  /** The server as detected on the current or last connection, or null before the first. */
  public ServerInfo serverInfo() {
    return server.get();
  }

  /** Stops the thread (waiting up to 10 s for a poll in progress) and closes the connection. */
  @Override
  public void close() {
    stop.countDown();
    if (thread.isAlive()) {
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
