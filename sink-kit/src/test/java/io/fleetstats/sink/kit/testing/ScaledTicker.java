package io.fleetstats.sink.kit.testing;

import io.fleetstats.kit.Ticker;
import java.time.Duration;

/**
 * A ticker that runs {@code factor} times faster than the system clock, from the moment it is
 * created: an outage of 30 virtual seconds passes in 300 ms at 100×. Everything real stays real
 * (the broker, the HTTP server, the consumer's polls); only the waits the sink measures with its
 * ticker (backoff, readiness checks, log throttles) shrink.
 */
public final class ScaledTicker implements Ticker {
  private final long origin = System.nanoTime();
  private final long factor;

  private ScaledTicker(long factor) {
    this.factor = factor;
  }

  /** A ticker {@code factor} times faster than {@link System#nanoTime()}. */
  public static ScaledTicker times(long factor) {
    return new ScaledTicker(factor);
  }

  @Override
  public long nanoTime() {
    return (System.nanoTime() - origin) * factor;
  }

  /** Virtual time since this ticker was created. */
  public Duration elapsed() {
    return Duration.ofNanos(nanoTime());
  }

  /** Virtual time since {@code start}, a reading of {@link #nanoTime()}. */
  public Duration since(long start) {
    return Duration.ofNanos(nanoTime() - start);
  }
}
