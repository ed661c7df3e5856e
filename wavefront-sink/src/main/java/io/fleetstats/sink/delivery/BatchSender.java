package io.fleetstats.sink.delivery;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one batch of lines with the retry policy of the skeleton: retry {@link
 * Outcome.Kind#RETRYABLE} answers with {@link Backoff} until accepted (never giving up: the
 * caller must not commit what was not delivered); split on 413; count the lines of a 400 as
 * rejected; stop on {@link Outcome.Kind#FATAL}.
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
    /** Every line was accepted by the proxy or counted as rejected by it (400/413 per line). */
    DELIVERED,
    /** The waiter asked to stop before every line was accepted; nothing may be committed. */
    STOPPED,
    /** The proxy refuses us (401/403/...): stop the sink. */
    FATAL
  }

  /**
   * @param status how the batch ended
   * @param detail the cause for {@link Status#FATAL}, else empty
   */
  public record Result(Status status, String detail) {}

  private final ProxyClient client;
  private final Backoff backoff;
  private final DoubleSupplier random;
  private final LogThrottle retryLog = LogThrottle.every(Duration.ofSeconds(10));
  private final LogThrottle rejectLog = LogThrottle.every(Duration.ofSeconds(10));

  private final AtomicLong linesSent = new AtomicLong();
  private final AtomicLong batchesSent = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong linesRejectedByProxy = new AtomicLong();

  /**
   * @param random uniform draws in [0, 1) for jitter
   */
  public BatchSender(ProxyClient client, Backoff backoff, DoubleSupplier random) {
    this.client = client;
    this.backoff = backoff;
    this.random = random;
  }

  /**
   * Sends {@code lines} (one HTTP request, or several if the proxy says 413) until delivered,
   * stopped or fatal.
   */
  public Result send(List<String> lines, Waiter waiter) throws InterruptedException {
    Deque<List<String>> pending = new ArrayDeque<>();
    if (!lines.isEmpty()) {
      pending.push(lines);
    }
    while (!pending.isEmpty()) {
      List<String> chunk = pending.pop();
      int attempt = 0;
      boolean done = false;
      while (!done) {
        Outcome outcome = client.send(chunk);
        switch (outcome.kind()) {
          case ACCEPTED -> {
            linesSent.addAndGet(chunk.size());
            batchesSent.incrementAndGet();
            if (attempt > 0) {
              log.info("proxy {} accepted a batch of {} lines after {} retries", client.endpoint(), chunk.size(), attempt);
            }
            done = true;
          }
          case RETRYABLE -> {
            retries.incrementAndGet();
            Duration delay = backoff.delay(attempt, random.getAsDouble(), outcome.retryAfter());
            long held = retryLog.acquire();
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
          case TOO_LARGE -> {
            if (chunk.size() == 1) {
              reject(chunk, outcome, "a single line is larger than the proxy accepts");
            } else {
              // Halves go back to the front of the queue in order, so lines keep their order.
              int half = chunk.size() / 2;
              pending.push(chunk.subList(half, chunk.size()));
              pending.push(chunk.subList(0, half));
            }
            done = true;
          }
          case BAD_REQUEST -> {
            reject(chunk, outcome, "isolating the bad line by bisection is not implemented yet");
            done = true;
          }
          case FATAL -> {
            return new Result(Status.FATAL, outcome.detail());
          }
        }
      }
    }
    return new Result(Status.DELIVERED, "");
  }

  private void reject(List<String> chunk, Outcome outcome, String why) {
    linesRejectedByProxy.addAndGet(chunk.size());
    long held = rejectLog.acquire();
    if (held >= 0) {
      log.warn(
          "proxy {} rejected a batch of {} lines ({}); counted as rejected and skipped, {}; first line: {} ({} similar messages suppressed)",
          client.endpoint(), chunk.size(), outcome.detail(), why, chunk.get(0), held);
    }
  }

  /** Lines the proxy accepted (2xx). */
  public long linesSent() {
    return linesSent.get();
  }

  /** HTTP requests the proxy accepted. */
  public long batchesSent() {
    return batchesSent.get();
  }

  /** Requests that were answered retryably and sent again. */
  public long retries() {
    return retries.get();
  }

  /** Lines dropped because the proxy answered 400, or 413 for a single line. */
  public long linesRejectedByProxy() {
    return linesRejectedByProxy.get();
  }
}
