package io.fleetstats.sink;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How old the newest window the proxy accepted is, per cluster of the data: gauge {@code
 * fleetstats.sink.freshness} (seconds, tag {@code data_cluster}; the {@code cluster} tag is the
 * sink's own). Age = now − the window's end, so with a 10 s window and 5 s grace a healthy pipeline
 * reads about 15–25 s; a cluster whose agents, Kafka or processor stall keeps growing. Aggregates
 * without a {@code cluster} tag (fleet-wide roll-ups) are not counted.
 */
public final class Freshness {
  /** The meter's name (Prometheus: {@code fleetstats_sink_freshness_seconds}). */
  public static final String METER = "fleetstats.sink.freshness";

  private final Map<String, AtomicLong> newestEnd = new ConcurrentHashMap<>();
  private final MeterRegistry registry;
  private final Clock clock;

  /**
   * @param registry where each cluster's gauge is registered when its first window is delivered
   * @param clock wall clock the age is measured on
   */
  public Freshness(MeterRegistry registry, Clock clock) {
    this.registry = registry;
    this.clock = clock;
  }

  /** Records delivered windows: cluster → the largest window end (epoch ms) among them. */
  void delivered(Map<String, Long> windowEndByCluster) {
    windowEndByCluster.forEach(
        (cluster, end) ->
            newestEnd.computeIfAbsent(cluster, this::register).accumulateAndGet(end, Math::max));
  }

  private AtomicLong register(String cluster) {
    AtomicLong end = new AtomicLong(Long.MIN_VALUE);
    Gauge.builder(METER, end, e -> (clock.millis() - e.get()) / 1000.0)
        .description("age of the newest window the proxy accepted, per cluster of the data")
        .baseUnit("seconds")
        .tag("data_cluster", cluster)
        .strongReference(true)
        .register(registry);
    return end;
  }

  /** Seconds since the end of the newest delivered window of {@code cluster}, if any. */
  public OptionalDouble ageSeconds(String cluster) {
    AtomicLong end = newestEnd.get(cluster);
    return end == null || end.get() == Long.MIN_VALUE
        ? OptionalDouble.empty()
        : OptionalDouble.of((clock.millis() - end.get()) / 1000.0);
  }
}
