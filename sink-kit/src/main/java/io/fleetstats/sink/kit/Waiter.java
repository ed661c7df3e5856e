package io.fleetstats.sink.kit;

import java.time.Duration;

/**
 * How a delivery waits between retries. The loop hands one to every {@link Delivery}: its wait
 * keeps the Kafka consumer polling with every partition paused, so the consumer stays in its group
 * however long the receiver is down, and {@code close()} ends the wait at once. A delivery never
 * sleeps on its own.
 */
@FunctionalInterface
public interface Waiter {
  /**
   * Waits about {@code delay}.
   *
   * @return false if delivery must stop (the sink is closing); nothing may be committed then
   */
  boolean await(Duration delay) throws InterruptedException;
}
