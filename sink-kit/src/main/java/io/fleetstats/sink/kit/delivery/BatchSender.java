package io.fleetstats.sink.kit.delivery;

import io.fleetstats.kit.LogThrottle;
import io.fleetstats.kit.Ticker;
import io.fleetstats.sink.kit.Delivery;
import io.fleetstats.sink.kit.SinkLoop;
import io.fleetstats.sink.kit.Waiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one batch of items: retry {@link Outcome.Kind#RETRYABLE} answers with {@link Backoff}
 * until accepted (never giving up: the caller must not commit what was not delivered); split in
 * halves on 413; bisect on 400 until the items the receiver refuses on their own are found (those
 * are returned, for the dead-letter topic; every other item is delivered); stop on {@link
 * Outcome.Kind#FATAL}. The policy is the same for every HTTP sink; only the {@link Transport}
 * differs.
 *
 * <p>Waiting between retries is delegated to a {@link Waiter}, because the Kafka consumer must keep
 * polling (on paused partitions) to stay in its group while we wait. Time is read from an injected
 * {@link Ticker}, so an outage of minutes is a test of milliseconds.
 *
 * @param <T> one item of a request body
 */
public final class BatchSender<T> {
  private static final Logger log = LoggerFactory.getLogger(BatchSender.class);

  /** How a batch ended. */
  public enum Status {
    /** Every item was accepted, or refused on its own (see {@link Result#rejected()}). */
    DELIVERED,
    /** The waiter asked to stop before every item was accepted; nothing may be committed. */
    STOPPED,
    /** The receiver refuses us (401/403/...): stop the sink. */
    FATAL
  }

  /**
   * An item the receiver refused on its own.
   *
   * @param index position in the list given to {@link #send}
   * @param status 400 or 413
   * @param detail the receiver's answer
   */
  public record Rejected(int index, int status, String detail) {}

  /**
   * @param status how the batch ended
   * @param detail the cause for {@link Status#FATAL}, else empty
   * @param rejected items refused on their own (only with {@link Status#DELIVERED})
   */
  public record Result(Status status, String detail, List<Rejected> rejected) {
    public Result(Status status, String detail) {
      this(status, detail, List.of());
    }

    /**
     * The same ending as a {@link Delivery.Result}, for a delivery whose poll went out in one batch
     * (the items of {@link #rejected()} still need their dead letters).
     */
    public Delivery.Result toDelivery() {
      return switch (status) {
        case DELIVERED -> Delivery.Result.DELIVERED;
        case STOPPED -> Delivery.Result.STOPPED;
        case FATAL -> Delivery.Result.fatal(detail);
      };
    }
  }

  /** Last answer class seen, for readiness. */
  public enum Health {
    /** Nothing sent yet. */
    UNKNOWN,
    /** The last request was answered (2xx, 400, 413). */
    OK,
    /** The last request failed retryably: the receiver is down or overloaded. */
    FAILING,
    /** The receiver refuses us. */
    FATAL
  }

  private final Transport<T> transport;
  private final Backoff backoff;
  private final DoubleSupplier random;
  private final Ticker ticker;
  private final MeterRegistry registry;
  private final String prefix;
  private final LogThrottle retryLog;
  private final LogThrottle rejectLog;

  private final AtomicLong itemsSent = new AtomicLong();
  private final AtomicLong batchesSent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong itemsRejected = new AtomicLong();
  private final ConcurrentHashMap<String, Counter> retriesByCause = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Counter> pointsByFormat = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Timer> timers = new ConcurrentHashMap<>();
  private final Counter batchesCounter;
  private final Counter bytesCounter;
  private volatile Health health = Health.UNKNOWN;

  /** With a private registry and the system ticker (tests, benchmarks). */
  public BatchSender(Transport<T> transport, Backoff backoff, DoubleSupplier random) {
    this(
        transport,
        backoff,
        random,
        Ticker.SYSTEM,
        new SimpleMeterRegistry(),
        SinkLoop.DEFAULT_METER_PREFIX);
  }

  /**
   * @param random uniform draws in [0, 1) for jitter
   * @param ticker measures request durations and throttles the log
   * @param registry where the delivery meters are registered (see the module README)
   * @param meterPrefix first part of every meter name, {@code fleetstats.sink} for the Wavefront
   *     sink
   */
  public BatchSender(
      Transport<T> transport,
      Backoff backoff,
      DoubleSupplier random,
      Ticker ticker,
      MeterRegistry registry,
      String meterPrefix) {
    this.transport = transport;
    this.backoff = backoff;
    this.random = random;
    this.ticker = ticker;
    this.registry = registry;
    this.prefix = meterPrefix;
    this.retryLog = new LogThrottle(Duration.ofSeconds(10), ticker::nanoTime);
    this.rejectLog = new LogThrottle(Duration.ofSeconds(10), ticker::nanoTime);
    this.batchesCounter =
        Counter.builder(prefix + ".batches.sent")
            .description("requests the receiver accepted (2xx)")
            .register(registry);
    this.bytesCounter =
        Counter.builder(prefix + ".bytes.sent")
            .description("body bytes, as sent (compressed), of the requests the receiver accepted")
            .baseUnit("bytes")
            .register(registry);
  }

  /** {@link #send(List, String, Waiter)} without a format. */
  public Result send(List<T> items, Waiter waiter) throws InterruptedException {
    return send(items, null, waiter);
  }

  /**
   * Sends {@code items} (one request, or several if the receiver says 413 or 400) until delivered,
   * stopped or fatal.
   *
   * @param format passed to the transport (the Wavefront {@code f=}), or null for none
   */
  public Result send(List<T> items, String format, Waiter waiter) throws InterruptedException {
    // Ranges [from, to) of `items`; the front of the deque is sent next, so halves pushed in
    // reverse order keep the items in order.
    Deque<int[]> pending = new ArrayDeque<>();
    if (!items.isEmpty()) {
      pending.push(new int[] {0, items.size()});
    }
    List<Rejected> rejected = new ArrayList<>(0);
    while (!pending.isEmpty()) {
      int[] range = pending.pop();
      List<T> chunk = items.subList(range[0], range[1]);
      int attempt = 0;
      boolean done = false;
      while (!done) {
        long start = ticker.nanoTime();
        Transport.Sent sent = transport.send(chunk, format);
        Outcome outcome = sent.outcome();
        timer(outcome).record(ticker.nanoTime() - start, TimeUnit.NANOSECONDS);
        switch (outcome.kind()) {
          case ACCEPTED -> {
            health = Health.OK;
            itemsSent.addAndGet(chunk.size());
            batchesSent.incrementAndGet();
            bytesSent.addAndGet(sent.bodyBytes());
            batchesCounter.increment();
            bytesCounter.increment(sent.bodyBytes());
            pointsCounter(format).increment(chunk.size());
            if (attempt > 0) {
              log.info(
                  "{} accepted a batch of {} {}s after {} retries",
                  transport.peer(),
                  chunk.size(),
                  transport.itemName(),
                  attempt);
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
                  "{} did not accept a batch of {} {}s ({}); retry {} in {} ms, offsets not"
                      + " committed meanwhile ({} similar messages suppressed)",
                  transport.peer(),
                  chunk.size(),
                  transport.itemName(),
                  outcome.detail(),
                  attempt + 1,
                  delay.toMillis(),
                  held);
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
              // 413: the body is too large, halves fit sooner or later. 400: some item(s) of
              // this body are refused; bisecting isolates them in 2·log2(n) requests per bad one.
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

  private void reject(List<Rejected> rejected, int index, T item, Outcome outcome) {
    itemsRejected.incrementAndGet();
    rejected.add(new Rejected(index, outcome.status(), outcome.detail()));
    long held = rejectLog.tryAcquire();
    if (held >= 0) {
      log.warn(
          "{} refused a single {} ({}); the sink dead-letters or counts it: {} ({} similar"
              + " messages suppressed)",
          transport.peer(),
          transport.itemName(),
          outcome.detail(),
          item,
          held);
    }
  }

  private Counter retryCounter(String cause) {
    return Counter.builder(prefix + ".retries")
        .description("requests answered retryably and sent again, by cause")
        .tag("cause", cause)
        .register(registry);
  }

  private Counter pointsCounter(String format) {
    String f = format == null ? "auto" : format;
    return pointsByFormat.computeIfAbsent(
        f,
        k ->
            Counter.builder(prefix + ".points.sent")
                .description("items the receiver accepted (2xx), by format")
                .tag("format", k)
                .register(registry));
  }

  private Timer timer(Outcome outcome) {
    String kind = outcome.kind().name().toLowerCase(Locale.ROOT);
    return timers.computeIfAbsent(
        kind,
        k ->
            Timer.builder(prefix + ".send")
                .description(
                    "duration of one request to the receiver (body encoding included), by outcome")
                .tag("outcome", k)
                .publishPercentileHistogram(false)
                .register(registry));
  }

  /** Class of the last answer, for readiness. */
  public Health health() {
    return health;
  }

  /** Items the receiver accepted (2xx). */
  public long itemsSent() {
    return itemsSent.get();
  }

  /** Requests the receiver accepted. */
  public long batchesSent() {
    return batchesSent.get();
  }

  /** Body bytes, as sent, of the requests the receiver accepted. */
  public long bytesSent() {
    return bytesSent.get();
  }

  /** Requests that were answered retryably and sent again. */
  public long retries() {
    return retries.get();
  }

  /** Items the receiver refused on their own (400 or 413 for a single item). */
  public long itemsRejected() {
    return itemsRejected.get();
  }
}
