package io.fleetstats.stream.topology;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/** The processors' own Kafka Streams metrics for one task; names in {@link StreamMetrics}. */
final class TaskMetrics implements AutoCloseable {
  /**
   * Distinct offending metric names given their own overflow metric per task; the rest share one.
   */
  static final int MAX_NAMED_OVERFLOWS = 100;

  static final String OTHER = "(other)";

  private final ProcessorContext<?, ?> context;
  private final String task;
  private final String prefix;
  private final List<Sensor> sensors = new ArrayList<>();
  private final Map<String, Sensor> overflows = new HashMap<>();
  private final Map<String, Sensor> sourceOverflows = new HashMap<>();

  final Sensor late;
  final Sensor invalid;
  final Sensor emitted;
  final Sensor corrupt;
  final Sensor deadLettered;
  final Sensor overflowSamples;
  final Sensor latePartials;
  final Sensor corrections;
  final Sensor skewed;
  final Sensor duplicates;

  TaskMetrics(ProcessorContext<?, ?> context) {
    this(context, "");
  }

  /** {@code stage} tells apart the sensors of two processors in one task (none today). */
  TaskMetrics(ProcessorContext<?, ?> context, String stage) {
    this.context = context;
    this.task = context.taskId().toString();
    this.prefix = "fleetstats." + stage + task + ".";
    late =
        sensor(
            StreamMetrics.LATE_SAMPLES,
            "samples dead-lettered because their window was no longer kept (allowed lateness)",
            Map.of());
    invalid =
        sensor(
            StreamMetrics.INVALID_SAMPLES,
            "samples with a NaN/infinite value or a negative time",
            Map.of());
    emitted =
        sensor(
            StreamMetrics.AGGREGATES_EMITTED,
            "aggregates sent, one per series per closed window",
            Map.of());
    corrupt =
        sensor(
            StreamMetrics.CORRUPT_STATES,
            "window states that could not be read and were dropped",
            Map.of());
    deadLettered =
        sensor(StreamMetrics.DEAD_LETTERED, "records written to the dead-letter topic", Map.of());
    overflowSamples =
        sensor(StreamMetrics.OVERFLOW_SAMPLES, "samples folded into overflow series", Map.of());
    latePartials =
        sensor(
            StreamMetrics.LATE_PARTIALS,
            "roll-up partials after their roll-up window closed",
            Map.of());
    corrections =
        sensor(
            StreamMetrics.CORRECTIONS_EMITTED,
            "windows emitted again, complete, after late samples corrected them",
            Map.of());
    skewed =
        sensor(
            StreamMetrics.SKEWED_SAMPLES,
            "samples dated beyond the allowed clock skew in the future, re-stamped",
            Map.of());
    duplicates =
        sensor(
            StreamMetrics.DUPLICATE_BATCHES,
            "raw batches aggregated before (same agent id and sequence), skipped",
            Map.of());
  }

  /**
   * Counts {@code samples} folded into an overflow series because of metric {@code name}, in the
   * total and in a metric tagged with the name ({@code metric}) and {@code reason}.
   */
  void overflow(String name, String reason, int samples) {
    overflowSamples.record(samples);
    String key = reason + '|' + name;
    Sensor s = overflows.get(key);
    if (s == null) {
      String shown = overflows.size() < MAX_NAMED_OVERFLOWS ? name : OTHER;
      key = reason + '|' + shown;
      s = overflows.get(key);
      if (s == null) {
        s =
            sensor(
                StreamMetrics.OVERFLOW_SAMPLES_BY_METRIC,
                "samples folded into overflow series, by offending metric name",
                Map.of("metric", shown, "reason", reason));
        overflows.put(key, s);
      }
    }
    s.record(samples);
  }

  /**
   * Counts {@code samples} of source {@code sourceId} folded into {@code fleetstats.overflow}
   * because the source passed its series limit, in a metric tagged with the source.
   */
  void sourceOverflow(String sourceId, int samples) {
    Sensor s = sourceOverflows.get(sourceId);
    if (s == null) {
      String shown = sourceOverflows.size() < MAX_NAMED_OVERFLOWS ? sourceId : OTHER;
      s = sourceOverflows.get(shown);
      if (s == null) {
        s =
            sensor(
                StreamMetrics.OVERFLOW_SAMPLES_BY_SOURCE,
                "samples folded into fleetstats.overflow, by offending source",
                Map.of("source", shown));
        sourceOverflows.put(shown, s);
      }
    }
    s.record(samples);
  }

  private Sensor sensor(String name, String description, Map<String, String> extraTags) {
    Map<String, String> tags = new HashMap<>(extraTags);
    tags.put("task-id", task);
    Sensor s = context.metrics().addSensor(prefix + name + extraTags, Sensor.RecordingLevel.INFO);
    s.add(new MetricName(name, StreamMetrics.GROUP, description, tags), new CumulativeSum());
    sensors.add(s);
    return s;
  }

  @Override
  public void close() {
    sensors.forEach(s -> context.metrics().removeSensor(s));
    sensors.clear();
    overflows.clear();
  }
}
