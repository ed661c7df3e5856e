package io.fleetstats.stream.topology;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.Correction;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.aggregate.StateOptions;
import io.fleetstats.stream.aggregate.TimerFields;
import io.fleetstats.stream.rollup.RollupWindow;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 2: merges the roll-up partials that stage 1 sends through the roll-up repartition topic
 * (key {@code <hex window start>|<roll-up series id>}, so all partials of one roll-up series and
 * window meet in one task) and emits each roll-up window once every contributing stage-1 task has
 * closed it.
 *
 * <p><b>Time: a low watermark.</b> Each stage-1 task (an <i>origin</i>, named by its raw partition)
 * broadcasts a watermark to every partition of the repartition topic when it processes its first
 * record and each time it closes a window, after that window's partials, so on each partition a
 * watermark follows the partials it covers. A stage-1 task that has never had a record says so once
 * (watermark "empty") and holds nothing back. When the number of raw partitions is known (the
 * processor looks it up at start), every stage-1 task is waited for from the start, also before it
 * has said anything. This task keeps the latest watermark per origin (in its store, so a restart
 * keeps them) and closes a roll-up window {@code [s, s+W)} once the lowest watermark of the live
 * origins reaches {@code s + W + grace}. Stage-1 tasks that catch up at different speeds after a
 * restart therefore never make each other's partials late. An origin silent for longer than {@code
 * rollupGrace} of wall-clock time (its instance died and its tasks have not moved yet) stops
 * holding roll-ups back; a partial it sends later for an emitted roll-up window is late: counted
 * and dead-lettered as its per-source aggregate.
 *
 * <p><b>Corrections.</b> An emitted roll-up window is kept for the allowed lateness. A partial for
 * it (a source behind the others, or a per-source window corrected by late samples, which sends
 * only what was added) is merged, and the roll-up window is emitted again with its complete value
 * at the same timestamp, once a second at most ({@value #CORRECTION_PREFIX}{@code <window key>}
 * marks it until then, so a restart loses no correction). Partials for windows no longer kept are
 * late.
 */
final class RollupAggregator implements Processor<String, byte[], String, Emitted> {
  private static final Logger log = LoggerFactory.getLogger(RollupAggregator.class);
  static final String REASON_LATE_PARTIAL = "late-rollup";

  /** Key prefix of watermarks on the repartition topic and in the store; sorts after hex digits. */
  static final String WATERMARK_PREFIX = "~wm|";

  /** What the processor needs from the config. */
  record Settings(
      long window,
      long grace,
      long rollupGrace,
      TimerFields timerFields,
      StateOptions options,
      boolean wallClockClose,
      int expectedOrigins,
      long lateness,
      boolean commitOnClose) {
    static Settings of(StreamConfig c, int expectedOrigins) {
      return new Settings(
          c.window().toMillis(),
          c.grace().toMillis(),
          c.rollupGrace().toMillis(),
          new TimerFields(c.rollupTimerFields(), c.percentiles()),
          new StateOptions(c.sketchAccuracy(), c.setExactLimit()),
          c.wallClockClose(),
          expectedOrigins,
          c.allowedLateness().toMillis(),
          c.commitOnClose());
    }
  }

  /** Store key prefix marking a roll-up window corrected since it was last emitted. */
  static final String CORRECTION_PREFIX = "~fix|";

  /** A watermark that says "this stage-1 task holds no data at all". */
  static final long EMPTY = Long.MAX_VALUE;

  /** The latest watermark of one origin and when (wall clock) it arrived. */
  private static final class Origin {
    long watermark;
    long seenAt;

    Origin(long watermark, long seenAt) {
      this.watermark = watermark;
      this.seenAt = seenAt;
    }
  }

  private final Settings settings;
  private ProcessorContext<String, Emitted> context;
  private LiveWindowStore<RollupWindow> store;
  private WindowClock clock;
  private TaskMetrics metrics;
  private LiveCommits liveCommits;
  private final Map<String, Origin> origins = new HashMap<>();

  /** Window keys corrected since their last emission. */
  private final java.util.Set<String> pending = new java.util.LinkedHashSet<>();

  RollupAggregator(Settings settings) {
    this.settings = settings;
  }

  static byte[] encodeWatermark(long horizon) {
    return ByteBuffer.allocate(Long.BYTES).putLong(horizon).array();
  }

  @Override
  public void init(ProcessorContext<String, Emitted> context) {
    this.context = context;
    this.store = context.getStateStore(TopologyFactory.ROLLUP_STORE);
    this.metrics = new TaskMetrics(context);
    this.clock =
        new WindowClock(settings.window(), settings.grace(), settings.lateness(), context, store);
    long now = context.currentSystemTimeMs();
    for (String key : store.keys(CORRECTION_PREFIX, CORRECTION_PREFIX + '\uffff')) {
      pending.add(key.substring(CORRECTION_PREFIX.length()));
    }
    List<KeyValue<String, byte[]>> saved = store.metaWithPrefix(WATERMARK_PREFIX);
    // after a restart every origin gets a full rollupGrace to show up again
    saved.forEach(
        kv ->
            origins.put(
                kv.key.substring(WATERMARK_PREFIX.length()),
                new Origin(ByteBuffer.wrap(kv.value).getLong(), now)));
    // every stage-1 task (one per raw partition) is waited for, even before it has said anything
    for (int p = 0; p < settings.expectedOrigins(); p++) {
      origins.putIfAbsent(Integer.toString(p), new Origin(WindowClock.UNKNOWN, now));
    }
    if (settings.wallClockClose() || settings.lateness() > 0) {
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
    }
    // a roll-up window closes once every stage-1 task's watermark passed it, which can take up to
    // the roll-up grace when a task is silent
    this.liveCommits =
        new LiveCommits(
            context,
            settings.grace() + settings.rollupGrace() + settings.window() + LiveCommits.SLACK_MS,
            settings.commitOnClose());
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String key = record.key();
    if (key == null || record.value() == null) {
      metrics.corrupt.record();
      return;
    }
    if (key.startsWith(WATERMARK_PREFIX)) {
      onWatermark(key, record.value());
      return;
    }
    long start;
    RollupWindow partial;
    try {
      start = Long.parseUnsignedLong(key.substring(0, 16), 16);
      partial = RollupWindow.fromBytes(record.value(), settings.options());
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable roll-up partial {}: {}", key, e.getMessage());
      return;
    }
    long emitted = clock.emittedHorizon();
    boolean correction = emitted != WindowClock.UNKNOWN && clock.closed(start, emitted);
    if (correction && clock.expired(start, emitted)) {
      metrics.latePartials.record();
      deadLetter(record, partial, start);
      return;
    }
    RollupWindow merged;
    try {
      merged = store.get(key);
      if (merged == null) {
        merged = partial;
      } else {
        merged.merge(partial);
      }
    } catch (IllegalArgumentException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable or unmergeable roll-up state {}: {}", key, e.getMessage());
      merged = partial;
    }
    store.put(key, merged);
    if (correction) {
      // what the correction adds, apart: the roll-up's Correction (delta counters, distributions)
      String fixKey = CORRECTION_PREFIX + key;
      RollupWindow delta = null;
      try {
        delta = pending.contains(key) ? store.get(fixKey) : null;
      } catch (IllegalArgumentException e) {
        metrics.corrupt.record();
        log.warn("dropping unreadable roll-up correction {}: {}", fixKey, e.getMessage());
      }
      RollupWindow added = RollupWindow.fromBytes(record.value(), settings.options());
      if (delta == null) {
        delta = added;
      } else {
        delta.merge(added);
      }
      store.put(fixKey, delta);
      pending.add(key);
    }
  }

  private void onWatermark(String key, byte[] value) {
    if (value.length != Long.BYTES) {
      metrics.corrupt.record();
      return;
    }
    long watermark = ByteBuffer.wrap(value).getLong();
    long now = context.currentSystemTimeMs();
    Origin o = origins.get(key.substring(WATERMARK_PREFIX.length()));
    if (o == null) {
      origins.put(key.substring(WATERMARK_PREFIX.length()), new Origin(watermark, now));
    } else {
      o.seenAt = now;
      // only an empty task's first data may move its watermark back
      if (watermark <= o.watermark && o.watermark != EMPTY) {
        return;
      }
      o.watermark = watermark;
    }
    store.putMeta(key, value);
    clock.closeThrough(lowWatermark(now), this::emit, this::purge);
  }

  /**
   * The lowest watermark among origins heard from within {@code rollupGrace}; when all are silent,
   * the highest: nothing more is coming, so nothing should stay open.
   */
  private long lowWatermark(long now) {
    long low = Long.MAX_VALUE;
    long high = WindowClock.UNKNOWN;
    for (Origin o : origins.values()) {
      if (o.watermark == EMPTY) {
        continue; // holds nothing back
      }
      high = Math.max(high, o.watermark);
      boolean live = !settings.wallClockClose() || now - o.seenAt <= settings.rollupGrace();
      if (live) {
        low = Math.min(low, o.watermark);
      }
    }
    return low == Long.MAX_VALUE ? high : low;
  }

  private void onWallClock(long now) {
    if (settings.wallClockClose()) {
      clock.closeThrough(lowWatermark(now), this::emit, this::purge);
    }
    if (!pending.isEmpty()) {
      List<String> keys = new java.util.ArrayList<>(pending);
      pending.clear();
      for (String key : keys) {
        emitCorrection(key);
      }
    }
  }

  /** A roll-up window no longer kept: a correction still pending is emitted first. */
  private void purge(long start, String id) {
    String key = WindowClock.key(start, id);
    if (pending.remove(key)) {
      emitCorrection(key);
    }
  }

  /** Emits a corrected roll-up window again, complete, with what was added as its correction. */
  private void emitCorrection(String key) {
    String fixKey = CORRECTION_PREFIX + key;
    RollupWindow delta = null;
    try {
      delta = store.get(fixKey);
    } catch (IllegalArgumentException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable roll-up correction {}: {}", fixKey, e.getMessage());
    }
    store.delete(fixKey);
    if (emit(Long.parseUnsignedLong(key.substring(0, 16), 16), key.substring(17), delta)) {
      metrics.corrections.record();
    }
  }

  private void deadLetter(Record<String, byte[]> record, RollupWindow partial, long start) {
    Aggregate a = partial.toAggregate(start, start + settings.window(), settings.timerFields());
    RecordHeaders headers = new RecordHeaders();
    headers.add(
        WindowAggregator.REASON_HEADER, REASON_LATE_PARTIAL.getBytes(StandardCharsets.UTF_8));
    headers.add(WindowAggregator.SOURCE_HEADER, partial.source().getBytes(StandardCharsets.UTF_8));
    headers.add(
        WindowAggregator.DETAIL_HEADER,
        ("a partition's per-source window reached the roll-up after the roll-up window was emitted"
                + " without it (its task was silent longer than "
                + StreamConfig.ROLLUP_GRACE.key()
                + "); raise it if task moves take longer")
            .getBytes(StandardCharsets.UTF_8));
    context.forward(
        new Record<String, Emitted>(
            record.key().substring(17),
            new Emitted.DeadLetter(Topics.AGGREGATE.encode(a)),
            record.timestamp(),
            headers));
    metrics.deadLettered.record();
  }

  /** A roll-up window's first emission (a correction made before it is part of it). */
  private void emit(long start, String id) {
    String key = WindowClock.key(start, id);
    if (pending.remove(key)) {
      store.delete(CORRECTION_PREFIX + key);
    }
    emit(start, id, null);
  }

  /**
   * Emits a roll-up window's complete value, with {@code delta} (what was added since its last
   * emission) as its correction; false when there was nothing to emit.
   */
  private boolean emit(long start, String id, RollupWindow delta) {
    String key = WindowClock.key(start, id);
    RollupWindow window;
    try {
      window = store.get(key);
    } catch (IllegalArgumentException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable roll-up state {}|{}: {}", start, id, e.getMessage());
      return false;
    }
    if (window == null || window.isEmpty()) {
      return false;
    }
    Aggregate a = window.toAggregate(start, start + settings.window(), settings.timerFields());
    if (delta != null) {
      Aggregate d = delta.toAggregate(start, start + settings.window(), settings.timerFields());
      a.setCorrection(
          Correction.newBuilder().setFields(d.getFields()).setSketch(d.getSketch()).build());
    }
    context.forward(new Record<>(id, new Emitted.Final(a), start));
    metrics.emitted.record();
    liveCommits.emitted(start + settings.window());
    return true;
  }

  @Override
  public void close() {
    metrics.close();
  }
}
