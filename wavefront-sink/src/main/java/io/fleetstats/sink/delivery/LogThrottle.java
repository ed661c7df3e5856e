package io.fleetstats.sink.delivery;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lets one log line through per interval and counts the ones it held back, so a flood of bad
 * input or a long outage gives a readable log with the totals instead of a line per item.
 */
public final class LogThrottle {
  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final AtomicLong nextAllowed;
  private final AtomicLong suppressed = new AtomicLong();

  public LogThrottle(Duration interval, LongSupplier nanoTime) {
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
    this.nextAllowed = new AtomicLong(nanoTime.getAsLong());
  }

  /** One line per {@code interval}, measured with {@link System#nanoTime()}. */
  public static LogThrottle every(Duration interval) {
    return new LogThrottle(interval, System::nanoTime);
  }

  /**
   * @return -1 if the caller must not log now; otherwise how many calls were held back since
   *     the last line that went through
   */
  public long acquire() {
    long now = nanoTime.getAsLong();
    long allowed = nextAllowed.get();
    if (now - allowed >= 0 && nextAllowed.compareAndSet(allowed, now + intervalNanos)) {
      return suppressed.getAndSet(0);
    }
    suppressed.incrementAndGet();
    return -1;
  }
}
