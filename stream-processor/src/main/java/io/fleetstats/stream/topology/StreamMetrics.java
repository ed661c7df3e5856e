package io.fleetstats.stream.topology;

import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Names of the processor's own Kafka Streams metrics (group {@value #GROUP}, one per task, tagged
 * {@code task-id}); cumulative totals since the task started on this instance.
 */
public final class StreamMetrics {
  public static final String GROUP = "fleetstats-stream-processor";

  /**
   * Samples dead-lettered because their window was no longer kept (beyond the allowed lateness).
   */
  public static final String LATE_SAMPLES = "late-samples-total";

  /** Samples with a NaN or infinite value, or a receive time before the epoch. */
  public static final String INVALID_SAMPLES = "invalid-samples-total";

  /** Aggregates sent: one per series per closed window. */
  public static final String AGGREGATES_EMITTED = "aggregates-emitted-total";

  /** Window states that could not be decoded and were dropped. */
  public static final String CORRUPT_STATES = "corrupt-states-total";

  /** Records written to the dead-letter topic (late samples, late roll-up partials). */
  public static final String DEAD_LETTERED = "dead-lettered-total";

  /** Samples folded into an overflow series by the cardinality guard. */
  public static final String OVERFLOW_SAMPLES = "overflow-samples-total";

  /**
   * The same per offending metric: tags {@code metric} (the metric name; the first 100 per task,
   * later ones as {@code (other)}) and {@code reason} ({@code series-per-source} or {@code
   * series-per-name}).
   */
  public static final String OVERFLOW_SAMPLES_BY_METRIC = "overflow-samples-by-metric-total";

  /**
   * Samples folded into {@code fleetstats.overflow} because their source passed {@code
   * FLEETSTATS_MAX_SERIES_PER_SOURCE}, per offending source: tag {@code source} (the source id,
   * cluster/namespace/pod/container; the first 100 per task, later ones as {@code (other)}).
   */
  public static final String OVERFLOW_SAMPLES_BY_SOURCE = "overflow-samples-by-source-total";

  /** Roll-up partials that reached stage 2 after their roll-up window had closed. */
  public static final String LATE_PARTIALS = "late-rollup-partials-total";

  /**
   * Windows emitted again because late samples (within the allowed lateness) corrected them, per
   * pod and roll-up; each such emission carries the window's complete value.
   */
  public static final String CORRECTIONS_EMITTED = "corrections-emitted-total";

  /** Samples whose time was beyond the allowed clock skew in the future, re-stamped. */
  public static final String SKEWED_SAMPLES = "skewed-samples-total";

  /**
   * Raw batches skipped because the task had aggregated the same batch (agent id and sequence)
   * before: a spool's copy, a send retried outside the producer's idempotence, a mirror's resend.
   */
  public static final String DUPLICATE_BATCHES = "duplicate-batches-total";

  /** Roll-up aggregates sent by stage 2. */
  public static final String ROLLUPS_EMITTED = "rollups-emitted-total";

  private StreamMetrics() {}

  /**
   * The sum over all tasks of metric {@code name} in {@code metrics} (from Kafka Streams or the
   * test driver).
   */
  public static double total(Map<MetricName, ? extends Metric> metrics, String name) {
    return total(metrics, name, Map.of());
  }

  /** The sum of metric {@code name} over all metrics whose tags include {@code tags}. */
  public static double total(
      Map<MetricName, ? extends Metric> metrics, String name, Map<String, String> tags) {
    double sum = 0;
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
      if (e.getKey().group().equals(GROUP)
          && e.getKey().name().equals(name)
          && e.getKey().tags().entrySet().containsAll(tags.entrySet())) {
        sum += ((Number) e.getValue().metricValue()).doubleValue();
      }
    }
    return sum;
  }

  /**
   * A cumulative per-task counter {@code name} in {@link #GROUP}, tagged with the task id, added to
   * {@code sensors} so the processor can remove them all on close.
   */
  public static org.apache.kafka.common.metrics.Sensor taskCounter(
      org.apache.kafka.streams.processor.api.ProcessorContext<?, ?> context,
      String name,
      String description,
      java.util.List<org.apache.kafka.common.metrics.Sensor> sensors) {
    String task = context.taskId().toString();
    org.apache.kafka.common.metrics.Sensor s =
        context
            .metrics()
            .addSensor(
                "fleetstats." + task + "." + name,
                org.apache.kafka.common.metrics.Sensor.RecordingLevel.INFO);
    s.add(
        new MetricName(name, GROUP, description, Map.of("task-id", task)),
        new org.apache.kafka.common.metrics.stats.CumulativeSum());
    sensors.add(s);
    return s;
  }
}
