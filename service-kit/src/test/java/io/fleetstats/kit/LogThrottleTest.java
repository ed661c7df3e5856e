package io.fleetstats.kit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LogThrottleTest {
  private final AtomicLong nanos = new AtomicLong();
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10), nanos::get);

  @Test
  void letsOnePerKeyPerIntervalThroughAndCountsTheRest() {
    assertThat(throttle.tryAcquire("a")).isZero();
    assertThat(throttle.tryAcquire("a")).isEqualTo(-1);
    assertThat(throttle.tryAcquire("b")).isZero();
    assertThat(throttle.tryAcquire("a")).isEqualTo(-1);

    nanos.addAndGet(Duration.ofSeconds(10).toNanos());

    assertThat(throttle.tryAcquire("a")).isEqualTo(2);
    assertThat(throttle.tryAcquire("a")).isEqualTo(-1);
  }

  @Test
  void aSingleKindThrottleCountsWhatItHeldBack() {
    assertThat(throttle.tryAcquire()).isZero();
    assertThat(throttle.tryAcquire()).isEqualTo(-1);
    assertThat(throttle.tryAcquire()).isEqualTo(-1);

    nanos.set(Duration.ofSeconds(10).toNanos());

    assertThat(throttle.tryAcquire()).isEqualTo(2);
  }
}
