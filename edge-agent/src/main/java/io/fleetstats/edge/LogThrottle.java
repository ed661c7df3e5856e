package io.fleetstats.edge;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Lets one log line per key through per interval and counts the ones held back, so a flood of bad
 * input shows up as one WARN every few seconds rather than one per packet.
 */
public final class LogThrottle {
  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private final Map<Object, long[]> state = new HashMap<>();

  public LogThrottle(Duration interval) {
    this(interval, System::nanoTime);
  }

  /** @param nanoTime a monotonic clock in nanoseconds ({@link System#nanoTime} outside tests) */
  public LogThrottle(Duration interval, LongSupplier nanoTime) {
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
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
}
