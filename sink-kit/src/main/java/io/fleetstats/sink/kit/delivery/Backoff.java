package io.fleetstats.sink.kit.delivery;

import java.time.Duration;
import java.util.Optional;

/**
 * Capped exponential backoff with "equal jitter": the n-th retry (0-based) waits between half and
 * all of {@code min(max, initial * 2^n)}. Jitter keeps many sinks from retrying in step against a
 * recovering proxy; the half that is fixed keeps the wait from collapsing to zero. A server's
 * {@code Retry-After} is honoured as a lower bound. Pure: the random draw is passed in.
 *
 * @param initial wait before the first retry, before jitter
 * @param max cap of the exponential wait (FLEETSTATS_RETRY_MAX_BACKOFF)
 */
public record Backoff(Duration initial, Duration max) {
  /** Default first wait. */
  public static final Duration DEFAULT_INITIAL = Duration.ofMillis(200);

  /** Longest {@code Retry-After} we honour, so a bogus header cannot stall the sink for hours. */
  public static final Duration RETRY_AFTER_CAP = Duration.ofMinutes(5);

  public Backoff {
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "backoff needs 0 < initial <= max, got initial " + initial + ", max " + max);
    }
  }

  /** Backoff starting at {@link #DEFAULT_INITIAL} (or {@code max} if smaller). */
  public static Backoff upTo(Duration max) {
    return new Backoff(max.compareTo(DEFAULT_INITIAL) < 0 ? max : DEFAULT_INITIAL, max);
  }

  /**
   * @param attempt 0 for the first retry
   * @param random a uniform draw in [0, 1)
   * @param retryAfter the server's {@code Retry-After}, if any
   */
  public Duration delay(int attempt, double random, Optional<Duration> retryAfter) {
    long initialMs = initial.toMillis();
    long maxMs = max.toMillis();
    int shift = Math.min(Math.max(attempt, 0), 30);
    long ceiling = initialMs > (maxMs >> shift) ? maxMs : Math.min(maxMs, initialMs << shift);
    long jittered = ceiling / 2 + (long) (random * (ceiling - ceiling / 2));
    long floor = retryAfter.map(d -> Math.min(d.toMillis(), RETRY_AFTER_CAP.toMillis())).orElse(0L);
    return Duration.ofMillis(Math.max(jittered, floor));
  }
}
