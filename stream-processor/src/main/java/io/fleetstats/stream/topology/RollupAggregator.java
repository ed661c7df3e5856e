package io.fleetstats.stream.topology;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.aggregate.StateOptions;
import io.fleetstats.stream.rollup.RollupWindow;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2: merges the roll-up partials that stage 1 sends through the roll-up repartition topic
 * (key {@code <hex window start>|<roll-up series id>}, so all partials of one roll-up series and
 * window meet in one task) and emits each roll-up window once it is closed.
 *
 * <p><b>Time.</b> A partial's timestamp is the horizon of the stage-1 task that closed its
 * per-source window. A roll-up window {@code [s, s+W)} closes when this task's horizon reaches
 * {@code s + W + grace + rollupGrace}: every source has had its own grace, then {@code
 * rollupGrace} for the slowest stage-1 task to close the window too. With wall-clock close on, an
 * idle task's horizon moves with the wall clock as in stage 1. A partial for a closed roll-up
 * window is late: counted and dead-lettered as its per-source aggregate; the roll-up is never
 * re-emitted.
 */
final class RollupAggregator implements Processor<String, byte[], String, Emitted> {
  private static final Logger log = LoggerFactory.getLogger(RollupAggregator.class);
  static final String REASON_LATE_PARTIAL = "late-rollup";

  /** What the processor needs from the config. */
  record Settings(
      long window, long closeDelay, List<Double> percentiles, StateOptions options, boolean wallClockClose) {
    static Settings of(StreamConfig c) {
      return new Settings(
          c.window().toMillis(),
          c.grace().toMillis() + c.rollupGrace().toMillis(),
          c.percentiles(),
          new StateOptions(c.sketchAccuracy(), c.setExactLimit()),
          c.wallClockClose());
    }
  }

  private final Settings settings;
  private ProcessorContext<String, Emitted> context;
  private KeyValueStore<String, byte[]> store;
  private WindowClock clock;
  private TaskMetrics metrics;

  RollupAggregator(Settings settings) {
    this.settings = settings;
  }

  @Override
  public void init(ProcessorContext<String, Emitted> context) {
    this.context = context;
    this.store = context.getStateStore(TopologyFactory.ROLLUP_STORE);
    this.metrics = new TaskMetrics(context);
    this.clock = new WindowClock(settings.window(), settings.closeDelay(), context, store);
    if (settings.wallClockClose()) {
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
    }
  }

  @Override
  public void process(Record<String, byte[]> record) {
    long horizon = clock.onRecord(record.timestamp());
    String key = record.key();
    if (key == null || key.length() < 17 || record.value() == null) {
      metrics.corrupt.record();
      return;
    }
    long start;
    RollupWindow partial;
    try {
      start = Long.parseUnsignedLong(key.substring(0, 16), 16);
      partial = RollupWindow.fromBytes(record.value(), settings.options());
    } catch (IllegalArgumentException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable roll-up partial {}: {}", key, e.getMessage());
      return;
    }
    if (clock.closed(start, horizon)) {
      metrics.latePartials.record();
      deadLetter(record, partial, start);
    } else {
      byte[] old = store.get(key);
      RollupWindow merged = partial;
      if (old != null) {
        try {
          merged = RollupWindow.fromBytes(old, settings.options());
          merged.merge(partial);
        } catch (IllegalArgumentException e) {
          metrics.corrupt.record();
          log.warn("dropping unreadable or unmergeable roll-up state {}: {}", key, e.getMessage());
          merged = partial;
        }
      }
      store.put(key, merged.toBytes());
    }
    clock.closeThrough(horizon, this::emit);
  }

  private void deadLetter(Record<String, byte[]> record, RollupWindow partial, long start) {
    Aggregate a = partial.toAggregate(start, start + settings.window(), settings.percentiles());
    RecordHeaders headers = new RecordHeaders();
    headers.add(WindowAggregator.REASON_HEADER, REASON_LATE_PARTIAL.getBytes(StandardCharsets.UTF_8));
    headers.add(WindowAggregator.SOURCE_HEADER, partial.source().getBytes(StandardCharsets.UTF_8));
    headers.add(
        WindowAggregator.DETAIL_HEADER,
        ("a source's window reached the roll-up after the roll-up window had closed; raise "
                + StreamConfig.ROLLUP_GRACE
                + " if stage-1 tasks often close windows this far apart")
            .getBytes(StandardCharsets.UTF_8));
    context.forward(
        new Record<String, Emitted>(
            record.key().substring(17),
            new Emitted.DeadLetter(io.fleetstats.schemas.Topics.AGGREGATE.encode(a)),
            record.timestamp(),
            headers));
    metrics.deadLettered.record();
  }

  private void onWallClock(long now) {
    clock.closeThrough(clock.onWallClock(now), this::emit);
  }

  private void emit(long start, String id, byte[] value) {
    RollupWindow window;
    try {
      window = RollupWindow.fromBytes(value, settings.options());
    } catch (IllegalArgumentException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable roll-up state {}|{}: {}", start, id, e.getMessage());
      return;
    }
    if (window.isEmpty()) {
      return;
    }
    Aggregate a = window.toAggregate(start, start + settings.window(), settings.percentiles());
    context.forward(new Record<>(id, new Emitted.Final(a), start));
    metrics.emitted.record();
  }

  @Override
  public void close() {
    metrics.close();
  }
}
