package io.fleetstats.sink.delivery;

import io.fleetstats.kit.LogThrottle;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one batch of lines: retry {@link Outcome.Kind#RETRYABLE} answers with {@link Backoff}
 * until accepted (never giving up: the caller must not commit what was not delivered); split in
 * halves on 413; bisect on 400 until the lines the proxy refuses on their own are found (those
 * are returned, for the dead-letter topic; every other line is delivered); stop on {@link
 * Outcome.Kind#FATAL}.
 *
 * <p>Waiting between retries is delegated to a {@link Waiter}, because the Kafka consumer must
 * keep polling (on paused partitions) to stay in its group while we wait.
 */
public final class BatchSender {
  private static final Logger log = LoggerFactory.getLogger(BatchSender.class);

  /** How the sender waits between retries. */
  @FunctionalInterface
  public interface Waiter {
    /**
     * Waits about {@code delay}.
     *
     * @return false if delivery must stop (the sink is closing)
     */
    boolean await(Duration delay) throws InterruptedException;
  }

  /** How a batch ended. */
  public enum Status {
    /** Every line was accepted by the proxy, or refused on its own (see {@link Result#rejected()}). */
    DELIVERED,
    /** The waiter asked to stop before every line was accepted; nothing may be committed. */
    STOPPED,
    /** The proxy refuses us (401/403/...): stop the sink. */
    FATAL
  }

  /**
   * A line the proxy refused on its own.
   *
   * @param index position in the list given to {@link #send}
   * @param status 400 or 413
   * @param detail the proxy's answer
   */
  public record Rejected(int index, int status, String detail) {}

  /**
   * @param status how the batch ended
   * @param detail the cause for {@link Status#FATAL}, else empty
   * @param rejected lines refused on their own (only with {@link Status#DELIVERED})
   */
  public record Result(Status status, String detail, List<Rejected> rejected) {
    public Result(Status status, String detail) {
      this(status, detail, List.of());
    }
  }

  /** Last answer class seen, for readiness. */
  public enum Health {
    /** Nothing sent yet. */
    UNKNOWN,
    /** The last request was answered (2xx, 400, 413). */
    OK,
    /** The last request failed retryably: the proxy is down or overloaded. */
    FAILING,
    /** The proxy refuses us. */
    FATAL
  }

  private final ProxyClient client;
  private final Backoff backoff;
  private final DoubleSupplier random;
  private final MeterRegistry registry;
  private final LogThrottle retryLog = LogThrottle.every(Duration.ofSeconds(10));
  private final LogThrottle rejectLog = LogThrottle.every(Duration.ofSeconds(10));

  private final AtomicLong linesSent = new AtomicLong();
  private final AtomicLong batchesSent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong linesRejectedByProxy = new AtomicLong();
  private final ConcurrentHashMap<String, Counter> retriesByCause = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> pointsByFormat = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final Counter batchesCounter;
  private final Counter bytesCounter;
  private volatile Health health = Health.UNKNOWN;

  /** With a private registry (tests, benchmarks). */
  public BatchSender(ProxyClient client, Backoff backoff, DoubleSupplier random) {
    this(client, backoff, random, new SimpleMeterRegistry());
  }

  /**
   * @param random uniform draws in [0, 1) for jitter
   * @param registry where the delivery meters are registered (see the module README)
   */
  public BatchSender(ProxyClient client, Backoff backoff, DoubleSupplier random, MeterRegistry registry) {
    this.client = client;
    this.backoff = backoff;
    this.random = random;
    this.registry = registry;
    this.batchesCounter =
        Counter.builder("fleetstats.sink.batches.sent").description("HTTP requests the proxy accepted (2xx)").register(registry);
    this.bytesCounter =
        Counter.builder("fleetstats.sink.bytes.sent")
            .description("gzip-compressed body bytes of the requests the proxy accepted")
            .baseUnit("bytes")
            .register(registry);
  }

  /** {@link #send(List, String, Waiter)} without {@code f=}. */
  public Result send(List<String> lines, Waiter waiter) throws InterruptedException {
    return send(lines, null, waiter);
  }

  /**
   * Sends {@code lines} (one HTTP request, or several if the proxy says 413 or 400) until
   * delivered, stopped or fatal.
   *
   * @param format the {@code f=} parameter, or null for none
   */
  public Result send(List<String> lines, String format, Waiter waiter) throws InterruptedException {
    // Ranges [from, to) of `lines`; the front of the deque is sent next, so halves pushed in
    // reverse order keep the lines in order.
    Deque<int[]> pending = new ArrayDeque<>();
    if (!lines.isEmpty()) {
      pending.push(new int[] {0, lines.size()});
    }
    List<Rejected> rejected = new ArrayList<>(0);
    while (!pending.isEmpty()) {
      int[] range = pending.pop();
      List<String> chunk = lines.subList(range[0], range[1]);
      int attempt = 0;
      boolean done = false;
      while (!done) {
        long start = System.nanoTime();
        ProxyClient.Sent sent = client.send(chunk, format);
        Outcome outcome = sent.outcome();
        timer(outcome).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        switch (outcome.kind()) {
          case ACCEPTED -> {
            health = Health.OK;
            linesSent.addAndGet(chunk.size());
            batchesSent.incrementAndGet();
            bytesSent.addAndGet(sent.bodyBytes());
            batchesCounter.increment();
            bytesCounter.increment(sent.bodyBytes());
            pointsCounter(format).increment(chunk.size());
            if (attempt > 0) {
              log.info("proxy {} accepted a batch of {} lines after {} retries", client.endpoint(), chunk.size(), attempt);
            }
            done = true;
          }
          case RETRYABLE -> {
            health = Health.FAILING;
            retries.incrementAndGet();
            retriesByCause.computeIfAbsent(outcome.cause(), this::retryCounter).increment();
            Duration delay = backoff.delay(attempt, random.getAsDouble(), outcome.retryAfter());
            long held = retryLog.tryAcquire();
            if (held >= 0) {
              log.warn(
                  "proxy {} did not accept a batch of {} lines ({}); retry {} in {} ms, offsets not committed meanwhile ({} similar messages suppressed)",
                  client.endpoint(), chunk.size(), outcome.detail(), attempt + 1, delay.toMillis(), held);
            }
            attempt++;
            if (!waiter.await(delay)) {
              return new Result(Status.STOPPED, "");
            }
          }
          case TOO_LARGE, BAD_REQUEST -> {
            health = Health.OK;
            if (chunk.size() == 1) {
              reject(rejected, range[0], chunk.get(0), outcome);
            } else {
              // 413: the body is too large, halves fit sooner or later. 400: some line(s) of
              // this body are refused; bisecting isolates them in 2·log2(n) requests per bad line.
              int mid = range[0] + chunk.size() / 2;
              pending.push(new int[] {mid, range[1]});
              pending.push(new int[] {range[0], mid});
            }
            done = true;
          }
          case FATAL -> {
            health = Health.FATAL;
            return new Result(Status.FATAL, outcome.detail());
          }
        }
      }
    }
    return new Result(Status.DELIVERED, "", List.copyOf(rejected));
  }

  private void reject(List<Rejected> rejected, int index, String line, Outcome outcome) {
    linesRejectedByProxy.incrementAndGet();
    rejected.add(new Rejected(index, outcome.status(), outcome.detail()));
    long held = rejectLog.tryAcquire();
    if (held >= 0) {
      log.warn(
          "proxy {} refused a single line ({}); it goes to the dead-letter topic: {} ({} similar messages suppressed)",
          client.endpoint(), outcome.detail(), line, held);
    }
  }

  private Counter retryCounter(String cause) {
    return Counter.builder("fleetstats.sink.retries")
        .description("requests answered retryably and sent again, by cause")
        .tag("cause", cause)
        .register(registry);
  }

  private Counter pointsCounter(String format) {
    String f = format == null ? "auto" : format;
    return pointsByFormat.computeIfAbsent(
        f,
        k ->
            Counter.builder("fleetstats.sink.points.sent")
                .description("lines the proxy accepted (2xx), by format: wavefront (points, delta counters) or histogram")
                .tag("format", k)
                .register(registry));
  }

  private Timer timer(Outcome outcome) {
    String kind = outcome.kind().name().toLowerCase(java.util.Locale.ROOT);
    return timers.computeIfAbsent(
        kind,
        k ->
            Timer.builder("fleetstats.sink.send")
                .description("duration of one HTTP request to the proxy (gzip excluded), by outcome")
                .tag("outcome", k)
                .publishPercentileHistogram(false)
                .register(registry));
  }

  /** Class of the last answer, for readiness. */
  public Health health() {
    return health;
  }

  /** Lines the proxy accepted (2xx). */
  public long linesSent() {
    return linesSent.get();
  }

  /** HTTP requests the proxy accepted. */
  public long batchesSent() {
    return batchesSent.get();
  }

  /** Compressed bytes of the requests the proxy accepted. */
  public long bytesSent() {
    return bytesSent.get();
  }

  /** Requests that were answered retryably and sent again. */
  public long retries() {
    return retries.get();
  }

  /** Lines the proxy refused on their own (400 or 413 for a single line). */
  public long linesRejectedByProxy() {
    return linesRejectedByProxy.get();
  }
}
