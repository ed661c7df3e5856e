package io.fleetstats.stream;

import io.fleetstats.stream.topology.StreamMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The processor's self-metrics under constant {@code fleetstats.stream.*} names: each sums one of
 * the per-task {@link StreamMetrics} over this instance's tasks when scraped, so the data path pays
 * nothing. The registry adds the instance's cluster, namespace and pod tags.
 */
final class SelfMetrics {
  private SelfMetrics() {}

  static void bind(MeterRegistry registry, KafkaStreams streams) {
    counter(
        registry,
        streams,
        "fleetstats.stream.samples.late",
        StreamMetrics.LATE_SAMPLES,
        "samples dead-lettered because their window was no longer kept (beyond"
            + " FLEETSTATS_ALLOWED_LATENESS)");
    counter(
        registry,
        streams,
        "fleetstats.stream.samples.skewed",
        StreamMetrics.SKEWED_SAMPLES,
        "samples dated beyond FLEETSTATS_MAX_CLOCK_SKEW in the future, re-stamped with the"
            + " batch's arrival time");
    counter(
        registry,
        streams,
        "fleetstats.stream.corrections.emitted",
        StreamMetrics.CORRECTIONS_EMITTED,
        "windows (per pod and roll-up) emitted again, complete, after late samples corrected"
            + " them");
    counter(
        registry,
        streams,
        "fleetstats.stream.batches.duplicate",
        StreamMetrics.DUPLICATE_BATCHES,
        "raw batches skipped as already aggregated (the same edge agent id and sequence: a"
            + " spool's copy, a retried send, a mirror's resend)");
    counter(
        registry,
        streams,
        "fleetstats.stream.samples.invalid",
        StreamMetrics.INVALID_SAMPLES,
        "samples with a NaN or infinite value or a pre-epoch time");
    counter(
        registry,
        streams,
        "fleetstats.stream.samples.overflow",
        StreamMetrics.OVERFLOW_SAMPLES,
        "samples folded into an overflow series by the cardinality guard");
    counter(
        registry,
        streams,
        "fleetstats.stream.aggregates.emitted",
        StreamMetrics.AGGREGATES_EMITTED,
        "per-pod aggregates sent (one per series per closed window)");
    counter(
        registry,
        streams,
        "fleetstats.stream.rollups.emitted",
        StreamMetrics.ROLLUPS_EMITTED,
        "roll-up aggregates sent");
    counter(
        registry,
        streams,
        "fleetstats.stream.rollup.partials.late",
        StreamMetrics.LATE_PARTIALS,
        "per-pod windows that reached a roll-up after it was emitted");
    counter(
        registry,
        streams,
        "fleetstats.stream.states.corrupt",
        StreamMetrics.CORRUPT_STATES,
        "window states or partials that could not be decoded and were dropped");
    counter(
        registry,
        streams,
        "fleetstats.stream.deadlettered",
        StreamMetrics.DEAD_LETTERED,
        "records written to the dead-letter topic");
    Gauge.builder(
            "fleetstats.stream.running",
            streams,
            s -> s.state() == KafkaStreams.State.RUNNING ? 1 : 0)
        .description("1 while Kafka Streams is RUNNING, else 0")
        .register(registry);
  }

  private static void counter(
      MeterRegistry registry,
      KafkaStreams streams,
      String name,
      String streamsMetric,
      String help) {
    FunctionCounter.builder(name, streams, s -> StreamMetrics.total(s.metrics(), streamsMetric))
        .description(help)
        .register(registry);
  }
}
