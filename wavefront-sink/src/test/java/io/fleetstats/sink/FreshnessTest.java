package io.fleetstats.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FreshnessTest {
  static final long T0 = 1_764_086_400_000L;

  @Test
  void ageIsNowMinusTheNewestDeliveredWindowEndPerCluster() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MutableClock clock = new MutableClock(T0 + 25_000);
    Freshness freshness = new Freshness(registry, clock);
    assertThat(freshness.ageSeconds("prod-eu")).isEmpty();

    freshness.delivered(Map.of("prod-eu", T0 + 10_000, "prod-us", T0));
    // an older window delivered later (a replay) does not make the cluster look fresher or staler
    freshness.delivered(Map.of("prod-eu", T0));
    assertThat(freshness.ageSeconds("prod-eu")).hasValue(15.0);
    assertThat(freshness.ageSeconds("prod-us")).hasValue(25.0);

    clock.now = T0 + 85_000;
    assertThat(registry.get(Freshness.METER).tag("data_cluster", "prod-eu").gauge().value())
        .isEqualTo(75.0);
    assertThat(registry.get(Freshness.METER).gauges()).hasSize(2);
  }

  static final class MutableClock extends Clock {
    long now;

    MutableClock(long now) {
      this.now = now;
    }

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(now);
    }
  }
}
