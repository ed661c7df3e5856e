package io.fleetstats.kit;

/**
 * A monotonic clock in nanoseconds, injected wherever a service measures elapsed time (backoff
 * deadlines, "no answer for 15 s", throttled logs), so that tests can run an outage of minutes in
 * milliseconds of real time. Production code uses {@link #SYSTEM}.
 */
@FunctionalInterface
public interface Ticker {
  /** {@link System#nanoTime()}. */
  Ticker SYSTEM = System::nanoTime;

  /** Nanoseconds from an arbitrary origin; only differences mean anything. */
  long nanoTime();
}
