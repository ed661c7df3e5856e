package io.fleetstats.kit;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Lets one log line per key through per interval and counts the ones held back, so a flood of bad
 * input or a long outage shows up as one WARN every few seconds with the totals, rather than one
 * line per packet or per retry.
 */
public final class LogThrottle {
  private static final Object SINGLE = new Object();

  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final Map<Object, long[]> state = new HashMap<>();

  /** One line per key per {@code interval}, measured with {@link System#nanoTime()}. */
  public LogThrottle(Duration interval) {
    this(interval, System::nanoTime);
  }

  /**
   * @param nanoTime a monotonic clock in nanoseconds ({@link System#nanoTime} outside tests)
   */
  public LogThrottle(Duration interval, LongSupplier nanoTime) {
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
  }

  /** One line per key per {@code interval}, measured with {@link System#nanoTime()}. */
  public static LogThrottle every(Duration interval) {
    return new LogThrottle(interval);
  }

  /**
   * @return -1 when this event must not be logged; otherwise how many events of {@code key} were
   *     held back since the last one logged
   */
  public synchronized long tryAcquire(Object key) {
    long now = nanoTime.getAsLong();
    long[] s = state.get(key); // {last logged at, held back since}
    if (s == null) {
      state.put(key, new long[] {now, 0});
      return 0;
    }
    if (now - s[0] >= intervalNanos) {
      long heldBack = s[1];
      s[0] = now;
      s[1] = 0;
      return heldBack;
    }
    s[1]++;
    return -1;
  }

  /** {@link #tryAcquire(Object)} for a throttle that guards one kind of message. */
  public long tryAcquire() {
    return tryAcquire(SINGLE);
  }
}
