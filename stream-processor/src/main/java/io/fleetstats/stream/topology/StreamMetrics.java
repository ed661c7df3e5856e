package io.fleetstats.stream.topology;

import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Names of the processor's own Kafka Streams metrics (group {@value #GROUP}, one per task,
 * tagged {@code task-id}); cumulative totals since the task started on this instance.
 */
public final class StreamMetrics {
  public static final String GROUP = "fleetstats-stream-processor";
  /** Samples dropped because their window had already closed (beyond grace). */
  public static final String LATE_SAMPLES = "late-samples-total";
  /** Samples with a NaN or infinite value, or a receive time before the epoch. */
  public static final String INVALID_SAMPLES = "invalid-samples-total";
  /** Aggregates sent: one per series per closed window. */
  public static final String AGGREGATES_EMITTED = "aggregates-emitted-total";
  /** Window states that could not be decoded and were dropped. */
  public static final String CORRUPT_STATES = "corrupt-states-total";

  private StreamMetrics() {}

  /** The sum over all tasks of metric {@code name} in {@code metrics} (from Kafka Streams or the test driver). */
  public static double total(Map<MetricName, ? extends Metric> metrics, String name) {
    double sum = 0;
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
      if (e.getKey().group().equals(GROUP) && e.getKey().name().equals(name)) {
        sum += ((Number) e.getValue().metricValue()).doubleValue();
      }
    }
    return sum;
  }
}
