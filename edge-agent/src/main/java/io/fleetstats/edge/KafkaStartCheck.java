package io.fleetstats.edge;

import io.fleetstats.kit.LogThrottle;
import io.fleetstats.kit.settings.Durations;
import io.fleetstats.schemas.TopicSetup;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks Kafka once the agent listens, off the start-up path: that it answers, and, with {@code
 * FLEETSTATS_CREATE_TOPICS} on, that the topics exist (creating the missing ones). It retries with
 * a doubling pause (1 s up to 15 s) until one attempt succeeds, then stops.
 *
 * <p>Why not at start, before listening: a sidecar that exits because Kafka (or the WAN to it) is
 * down crash-loops with every application pod, and the statsd sent meanwhile is lost. The agent
 * listens at once instead, its publishers buffer (and spool) what Kafka does not take, and this
 * check says so in one WARN naming the bootstrap and the buffer, then once a minute while it lasts.
 */
final class KafkaStartCheck implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaStartCheck.class);

  /** How long one attempt may take: the admin client's API timeout, and each wait. */
  static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

  static final Duration FIRST_PAUSE = Duration.ofSeconds(1);

  /**
   * The longest pause between attempts: without topics (a broker that does not create them on first
   * use) nothing is delivered until the next attempt, so the pause stays short.
   */
  static final Duration MAX_PAUSE = Duration.ofSeconds(15);

  /** One attempt: returns when Kafka answered (and the topics exist), else throws why not. */
  @FunctionalInterface
  interface Attempt {
    void run() throws Exception;
  }

  private final String bootstrap;
  private final String buffering;
  private final Attempt attempt;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch done = new CountDownLatch(1);
  private final LogThrottle throttle = LogThrottle.every(Duration.ofMinutes(1));
  private final Thread thread;
  private volatile boolean ok;

  private KafkaStartCheck(String bootstrap, String buffering, Attempt attempt) {
    this.bootstrap = bootstrap;
    this.buffering = buffering;
    this.attempt = attempt;
    this.thread = new Thread(this::run, "fleetstats-kafka-check");
    thread.setDaemon(true);
  }

  /**
   * Starts checking (and creating topics, when configured) for {@code config} in the background.
   */
  static KafkaStartCheck start(EdgeConfig config) {
    Map<String, Object> admin = new HashMap<>(config.adminProperties());
    // an attempt ends within ATTEMPT_TIMEOUT, closing the client included (its close waits for
    // pending calls up to the API timeout, 60 s by default)
    admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) ATTEMPT_TIMEOUT.toMillis());
    admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ATTEMPT_TIMEOUT.toMillis() / 2);
    Attempt attempt =
        config.createTopics()
            ? () ->
                TopicSetup.ensure(
                    admin,
                    config.topicNames(),
                    config.topicPartitions(),
                    Optional.empty(),
                    config.rawRetention(),
                    ATTEMPT_TIMEOUT)
            : () -> describeCluster(admin);
    return start(config.kafkaBootstrap(), buffering(config), attempt);
  }

  /** Starts {@code attempt} in the background; {@code buffering} says where batches wait. */
  static KafkaStartCheck start(String bootstrap, String buffering, Attempt attempt) {
    KafkaStartCheck check = new KafkaStartCheck(bootstrap, buffering, attempt);
    check.thread.start();
    return check;
  }

  private static void describeCluster(Map<String, Object> admin) throws Exception {
    try (Admin client = Admin.create(admin)) {
      client.describeCluster().clusterId().get(ATTEMPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static String buffering(EdgeConfig config) {
    IngestSettings ingest = config.ingest();
    String memory = "up to " + (ingest.bufferMaxBytes() >> 20) + " MiB in memory per input";
    return ingest.spoolDirectory() == null
        ? memory + ", no spool (FLEETSTATS_SPOOL_DIR)"
        : memory
            + ", then up to "
            + (ingest.spoolMaxBytes() >> 20)
            + " MiB spooled to "
            + ingest.spoolDirectory();
  }

  private void run() {
    long started = System.nanoTime();
    Duration pause = FIRST_PAUSE;
    int failures = 0;
    try {
      while (stop.getCount() > 0) {
        try {
          attempt.run();
          ok = true;
          if (failures > 0) {
            log.info(
                "Kafka at {} answers after {} ({} failed checks): sending what was buffered",
                bootstrap,
                Durations.format(
                    Duration.ofSeconds(
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started))),
                failures);
          }
          return;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (Exception e) {
          failures++;
          String why = reason(e);
          if (failures == 1) {
            log.warn(
                "Kafka at {} is not usable yet ({}); the agent keeps receiving and buffers its"
                    + " batches ({}) until it is, checking again with a pause of up to {}",
                bootstrap,
                why,
                buffering,
                Durations.format(MAX_PAUSE));
          } else if (throttle.tryAcquire() >= 0) {
            log.warn(
                "Kafka at {} still not usable after {} ({} checks): {}; buffering",
                bootstrap,
                Durations.format(
                    Duration.ofSeconds(
                        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started))),
                failures,
                why);
          }
        }
        if (stop.await(pause.toMillis(), TimeUnit.MILLISECONDS)) {
          return;
        }
        pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      done.countDown();
    }
  }

  /** "no answer" for a timeout anywhere in the chain, else the outermost message. */
  private static String reason(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException
          || t instanceof org.apache.kafka.common.errors.TimeoutException) {
        return "no answer within " + Durations.format(ATTEMPT_TIMEOUT);
      }
    }
    Throwable t = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /** Whether an attempt succeeded: Kafka answered (and the topics exist). */
  boolean succeeded() {
    return ok;
  }

  /** Waits until the check has succeeded or stopped; for tests. */
  boolean awaitDone(Duration timeout) throws InterruptedException {
    return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Stops retrying; waits at most a second for an attempt under way (the thread is a daemon). */
  @Override
  public void close() {
    stop.countDown();
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
