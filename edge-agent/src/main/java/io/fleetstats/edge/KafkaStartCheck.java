package io.fleetstats.edge;

import io.fleetstats.kit.KafkaAccess;
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
 * Checks Kafka at start: that it answers, and, with {@code FLEETSTATS_CREATE_TOPICS} on, that the
 * topics exist (creating the missing ones). The first attempt has {@link #FIRST_ATTEMPT_TIMEOUT};
 * if it fails, the agent starts anyway and the check retries in the background with a doubling
 * pause (1 s up to 15 s) until one attempt succeeds.
 *
 * <p>Why not at start, before listening: a sidecar that exits because Kafka (or the WAN to it) is
 * down crash-loops with every application pod, and the statsd sent meanwhile is lost. The agent
 * listens at once instead, its publishers buffer (and spool) what Kafka does not take, and this
 * check says so in one WARN naming the bootstrap and the buffer, then once a minute while it lasts.
 */
final class KafkaStartCheck implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KafkaStartCheck.class);

  /** How long a background attempt may take: the admin client's API timeout, and each wait. */
  static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);

  static final Duration FIRST_PAUSE = Duration.ofSeconds(1);

  /**
   * The longest pause between attempts: without topics (a broker that does not create them on first
   * use) nothing is delivered until the next attempt, so the pause stays short.
   */
  static final Duration MAX_PAUSE = Duration.ofSeconds(15);

  /**
   * How long the first attempt may take, at start, before anything is sent: when Kafka answers, the
   * topics are created before the first send (a broker that creates topics on first use would
   * otherwise create them with its own partitions and retention); when it does not, the agent
   * listens after this long and the check goes on in the background.
   */
  static final Duration FIRST_ATTEMPT_TIMEOUT = Duration.ofSeconds(3);

  /** One attempt: returns when Kafka answered (and the topics exist), else throws why not. */
  @FunctionalInterface
  interface Attempt {
    void run(Duration timeout) throws Exception;
  }

  private final String bootstrap;
  private final String buffering;
  private final Attempt attempt;
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch done = new CountDownLatch(1);
  private final LogThrottle throttle = LogThrottle.every(Duration.ofMinutes(1));
  private final Thread thread;
  private volatile boolean ok;
  private long started;
  private int failures;

  private KafkaStartCheck(String bootstrap, String buffering, Attempt attempt) {
    this.bootstrap = bootstrap;
    this.buffering = buffering;
    this.attempt = attempt;
    this.thread = new Thread(this::run, "fleetstats-kafka-check");
    thread.setDaemon(true);
  }

  /**
   * Checks (and creates topics, when configured) for {@code config}: once now, for at most {@link
   * #FIRST_ATTEMPT_TIMEOUT}, then, if that failed, in the background until it succeeds.
   */
  static KafkaStartCheck start(EdgeConfig config) {
    Attempt attempt =
        config.createTopics()
            ? timeout ->
                TopicSetup.ensure(
                    admin(config, timeout),
                    config.topicNames(),
                    config.topicPartitions(),
                    Optional.empty(),
                    config.rawRetention(),
                    timeout)
            : timeout -> describeCluster(admin(config, timeout), timeout);
    return start(config.kafkaBootstrap(), buffering(config), attempt);
  }

  /**
   * Runs {@code attempt} once now, then in the background while it fails; {@code buffering} says
   * where batches wait meanwhile.
   */
  static KafkaStartCheck start(String bootstrap, String buffering, Attempt attempt) {
    KafkaStartCheck check = new KafkaStartCheck(bootstrap, buffering, attempt);
    check.started = System.nanoTime();
    try {
      attempt.run(FIRST_ATTEMPT_TIMEOUT);
      check.ok = true;
      check.done.countDown();
      return check;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      check.done.countDown();
      return check;
    } catch (Exception e) {
      check.failed(e);
    }
    check.thread.start();
    return check;
  }

  /**
   * Admin client settings whose every call ends within {@code timeout}, closing the client included
   * (its close waits for pending calls up to the API timeout, 60 s by default).
   */
  private static Map<String, Object> admin(EdgeConfig config, Duration timeout) {
    Map<String, Object> admin = new HashMap<>(config.adminProperties());
    admin.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    admin.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
    return admin;
  }

  private static void describeCluster(Map<String, Object> admin, Duration timeout)
      throws Exception {
    try (Admin client = Admin.create(admin)) {
      client.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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
    Duration pause = FIRST_PAUSE;
    try {
      while (!stop.await(pause.toMillis(), TimeUnit.MILLISECONDS)) {
        try {
          attempt.run(ATTEMPT_TIMEOUT);
          ok = true;
          log.info(
              "Kafka at {} answers after {} ({} failed checks): sending what was buffered",
              bootstrap,
              Durations.format(Duration.ofSeconds(secondsSince(started))),
              failures);
          return;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        } catch (Exception e) {
          failed(e);
        }
        pause = pause.multipliedBy(2).compareTo(MAX_PAUSE) > 0 ? MAX_PAUSE : pause.multipliedBy(2);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      done.countDown();
    }
  }

  private void failed(Exception e) {
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
          Durations.format(Duration.ofSeconds(secondsSince(started))),
          failures,
          why);
    }
  }

  private static long secondsSince(long nanos) {
    return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - nanos);
  }

  /**
   * What to fix when Kafka refused the login or a request; "no answer" for a timeout anywhere in
   * the chain; else the outermost message.
   */
  private static String reason(Exception e) {
    Optional<String> refused =
        KafkaAccess.explain(
            e, "Create and Describe on the topics, or set FLEETSTATS_CREATE_TOPICS=false");
    if (refused.isPresent()) {
      return refused.get();
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof TimeoutException
          || t instanceof org.apache.kafka.common.errors.TimeoutException) {
        return "no answer in time";
      }
    }
    Throwable t = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return t.getMessage() == null ? t.toString() : t.getMessage();
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
