package io.fleetstats.stream.topology;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.ClusterMetadata;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.aggregate.CardinalityGuard;
import io.fleetstats.stream.aggregate.SeriesWindow;
import io.fleetstats.stream.aggregate.StateOptions;
import io.fleetstats.stream.aggregate.Telegraf;
import io.fleetstats.stream.aggregate.Windows;
import io.fleetstats.stream.rollup.RollupRule;
import io.fleetstats.stream.rollup.RollupWindow;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stage 1: per-source tumbling windows over raw statsd batches. One instance runs per task, i.e.
 * per partition of the raw topic, so its fields describe one partition. Work is per series per
 * batch (one store read and write), never per sample.
 *
 * <p><b>Time.</b> A sample's event time is its agent receive time; the task's record timestamps
 * (agent flush times) drive the {@link WindowClock} with close delay = grace. Samples for a closed
 * window are late: counted and, as a batch holding only them, written to the dead-letter topic.
 *
 * <p><b>Output.</b> A closed window emits one {@link Aggregate} per series, tagged with its
 * cluster's metadata, and one roll-up partial per series and {@link RollupRule}; then a watermark
 * (how far this task has closed) to every stage-2 task, which closes a roll-up window once every
 * live stage-1 task has closed it.
 *
 * <p><b>Cardinality.</b> New series beyond the limits are folded into overflow series by a {@link
 * CardinalityGuard}, rebuilt from the store at start.
 */
final class WindowAggregator implements Processor<String, StatsdBatch, String, Emitted> {
  private static final Logger log = LoggerFactory.getLogger(WindowAggregator.class);

  /** Dead-letter header: why the record is there ({@value #REASON_LATE}, ...). */
  static final String REASON_HEADER = "fleetstats.reason";

  /** Dead-letter header: the source id the data came from. */
  static final String SOURCE_HEADER = "fleetstats.source";

  /** Dead-letter header: a human-readable explanation with the setting to change. */
  static final String DETAIL_HEADER = "fleetstats.detail";

  static final String REASON_LATE = "late";

  /** What the processor needs from the config. */
  record Settings(
      long window,
      long grace,
      List<Double> percentiles,
      StateOptions options,
      boolean wallClockClose,
      List<RollupRule> rollups,
      int maxSeriesPerSource,
      int maxSeriesPerName,
      boolean lateToDeadletter) {
    static Settings of(StreamConfig c) {
      return new Settings(
          c.window().toMillis(),
          c.grace().toMillis(),
          c.percentiles(),
          new StateOptions(c.sketchAccuracy(), c.setExactLimit()),
          c.wallClockClose(),
          c.rollups(),
          c.maxSeriesPerSource(),
          c.maxSeriesPerName(),
          c.lateToDeadletter());
    }
  }

  private final Settings settings;
  private ProcessorContext<String, Emitted> context;
  private LiveWindowStore<SeriesWindow> store;
  private KeyValueStore<String, ClusterMetadata> clusters;
  private WindowClock clock;
  private CardinalityGuard guard;
  private TaskMetrics metrics;
  private final Map<String, Long> overflowLogged = new HashMap<>();

  /**
   * Most windows a task keeps live (see {@link LiveWindowStore}): a few KB each, up to 8 KB for a
   * set at its exact bound. Beyond it the least recently used are written out (a later batch of
   * theirs costs a decode).
   */
  static final int LIVE_MAX = 10_000;

  /** Whether this task has told stage 2 it exists since it started. */
  private boolean announced;

  /** Whether the last announcement said this task holds no data. */
  private boolean announcedEmpty;

  private long startedAt;

  WindowAggregator(Settings settings) {
    this.settings = settings;
  }

  @Override
  public void init(ProcessorContext<String, Emitted> context) {
    this.context = context;
    this.store = context.getStateStore(TopologyFactory.STORE);
    this.clusters = context.getStateStore(TopologyFactory.CLUSTERS_STORE);
    this.metrics = new TaskMetrics(context);
    this.clock = new WindowClock(settings.window(), settings.grace(), context, store);
    this.startedAt = context.currentSystemTimeMs();
    this.guard = new CardinalityGuard(settings.maxSeriesPerSource(), settings.maxSeriesPerName());
    if (guard.enabled()) {
      restoreGuard();
    }
    if (settings.wallClockClose()) {
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
    }
  }

  @Override
  public void process(Record<String, StatsdBatch> record) {
    long horizon = clock.onRecord(record.timestamp());
    if ((!announced || announcedEmpty) && !settings.rollups().isEmpty()) {
      announcedEmpty = false;
      // From its first record on, this task may hold roll-up windows open: make it known to every
      // stage-2 task before it closes anything, so none closes a window without waiting for it.
      forwardWatermark(clock.emittedHorizon());
      announced = true;
    }
    StatsdBatch batch = record.value();
    if (batch == null) {
      return;
    }
    Source source = batch.getSource();
    List<Series> late = null;
    for (Series series : batch.getSeries()) {
      String id = null;
      for (Windows.Slice slice : Windows.slices(series, batch.getCreatedAt(), settings.window())) {
        long start = slice.windowStart();
        if (start < 0) {
          metrics.invalid.record(slice.count());
        } else if (clock.closed(start, horizon)) {
          metrics.late.record(slice.count());
          if (settings.lateToDeadletter()) {
            if (late == null) {
              late = new ArrayList<>();
            }
            late.add(Windows.subset(series, slice.indices(), slice.count()));
          }
        } else {
          if (id == null) {
            id = SeriesWindow.id(source, series);
          }
          add(source, series, id, slice);
        }
      }
    }
    if (late != null) {
      deadLetterLate(record, batch, late, horizon);
    }
    closeThrough(horizon);
  }

  /**
   * Closes windows up to {@code horizon}; with roll-ups, then tells every stage-2 task how far this
   * task has closed (a watermark broadcast over the roll-up repartition topic), after the partials
   * of the windows it closed.
   */
  private void closeThrough(long horizon) {
    if (clock.closeThrough(horizon, this::emit) && !settings.rollups().isEmpty()) {
      forwardWatermark(clock.emittedHorizon());
    }
  }

  private void forwardWatermark(long closed) {
    context.forward(
        new Record<String, Emitted>(
            RollupAggregator.WATERMARK_PREFIX + context.taskId().partition(),
            new Emitted.Partial(RollupAggregator.encodeWatermark(closed)),
            closed == RollupAggregator.EMPTY
                ? context.currentSystemTimeMs()
                : Math.max(0, closed)));
  }

  private void add(Source source, Series series, String id, Windows.Slice slice) {
    long start = slice.windowStart();
    String key = WindowClock.key(start, id);
    SeriesWindow window = read(key, source, series);
    Series identity = series;
    if (window == null && guard.enabled()) {
      CardinalityGuard.Verdict verdict = guard.admit(start, Sources.id(source), series.getName());
      if (verdict == CardinalityGuard.Verdict.NAME_OVERFLOW) {
        identity = overflowSeries(series.getName(), series);
        key = WindowClock.key(start, SeriesWindow.id(source, identity));
        window = read(key, source, identity);
        if (window == null && !guard.admitNameOverflow(start, Sources.id(source))) {
          verdict = CardinalityGuard.Verdict.SOURCE_OVERFLOW;
        }
      }
      if (verdict == CardinalityGuard.Verdict.SOURCE_OVERFLOW) {
        identity = overflowSeries(CardinalityGuard.OVERFLOW_NAME, series);
        key = WindowClock.key(start, SeriesWindow.id(source, identity));
        window = read(key, source, identity);
      }
      if (verdict != CardinalityGuard.Verdict.KEEP) {
        overflowed(verdict, source, series, slice.count());
      }
    }
    if (window == null) {
      window = SeriesWindow.empty(source, identity, settings.options());
    }
    int rejected = window.add(series, slice.indices(), slice.count());
    if (rejected > 0) {
      metrics.invalid.record(rejected);
    }
    store.put(key, window);
  }

  /**
   * The open window under {@code key}, or null when the series has none yet; an unreadable one is
   * counted, logged and replaced by an empty window of {@code identity}.
   */
  private SeriesWindow read(String key, Source source, Series identity) {
    try {
      return store.get(key);
    } catch (IllegalArgumentException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable window state {}: {}", key, e.getMessage());
      return SeriesWindow.empty(source, identity, settings.options());
    }
  }

  /** The identity of an overflow series: {@code name} with only {@code overflow=true}. */
  private static Series overflowSeries(String name, Series of) {
    return Series.newBuilder()
        .setName(name)
        .setType(of.getType())
        .setTags(Map.of(CardinalityGuard.OVERFLOW_TAG, "true"))
        .build();
  }

  private void overflowed(
      CardinalityGuard.Verdict verdict, Source source, Series series, int samples) {
    String reason =
        verdict == CardinalityGuard.Verdict.NAME_OVERFLOW ? "series-per-name" : "series-per-source";
    metrics.overflow(series.getName(), reason, samples);
    String key = reason + '|' + series.getName();
    long now = context.currentSystemTimeMs();
    Long last = overflowLogged.get(key);
    if (last == null || now - last >= 60_000) {
      if (overflowLogged.size() > 1000) {
        overflowLogged.clear();
      }
      overflowLogged.put(key, now);
      log.warn(
          "series limit reached ({}): new series of metric '{}' from {} are folded into an overflow"
              + " series; raise {} if this cardinality is intended",
          reason,
          series.getName(),
          Sources.id(source),
          verdict == CardinalityGuard.Verdict.NAME_OVERFLOW
              ? StreamConfig.MAX_SERIES_PER_NAME.key()
              : StreamConfig.MAX_SERIES_PER_SOURCE.key());
    }
  }

  private void deadLetterLate(
      Record<String, StatsdBatch> record, StatsdBatch batch, List<Series> late, long horizon) {
    StatsdBatch slice = StatsdBatch.newBuilder(batch).setSeries(late).build();
    int samples = late.stream().mapToInt(Windows::sampleCount).sum();
    String sourceId = Sources.id(batch.getSource());
    RecordHeaders headers = new RecordHeaders();
    headers.add(REASON_HEADER, REASON_LATE.getBytes(StandardCharsets.UTF_8));
    headers.add(SOURCE_HEADER, sourceId.getBytes(StandardCharsets.UTF_8));
    headers.add(
        DETAIL_HEADER,
        (samples
                + " samples arrived after their window closed (horizon "
                + Instant.ofEpochMilli(horizon)
                + "); raise "
                + StreamConfig.GRACE.key()
                + " (now "
                + Duration.ofMillis(settings.grace())
                + ") if such delays are normal")
            .getBytes(StandardCharsets.UTF_8));
    context.forward(
        new Record<String, Emitted>(
            record.key(),
            new Emitted.DeadLetter(Topics.STATSD_BATCH.encode(slice)),
            record.timestamp(),
            headers));
    metrics.deadLettered.record();
  }

  private void onWallClock(long now) {
    long horizon = clock.onWallClock(now);
    if (horizon == WindowClock.UNKNOWN
        && !announced
        && !settings.rollups().isEmpty()
        && now - startedAt >= WindowClock.STARTUP_ALLOWANCE_MS) {
      // no record since start, not even a backlog: tell stage 2 not to wait for this task (its
      // first record will announce it again)
      forwardWatermark(RollupAggregator.EMPTY);
      announced = true;
      announcedEmpty = true;
      return;
    }
    closeThrough(horizon);
  }

  /** Emits one closed window of one series: its aggregate and its roll-up partials. */
  private void emit(long start, String seriesId) {
    guard.forget(start);
    SeriesWindow window;
    try {
      window = store.get(WindowClock.key(start, seriesId));
    } catch (IllegalArgumentException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable window state {}|{}: {}", start, seriesId, e.getMessage());
      return;
    }
    if (window == null || window.isEmpty()) {
      return;
    }
    Map<String, String> clusterTags = clusterTags(window.cluster());
    long end = start + settings.window();
    Aggregate aggregate = window.toAggregate(start, end, settings.percentiles(), clusterTags);
    context.forward(new Record<>(seriesId, new Emitted.Final(aggregate), start));
    metrics.emitted.record();
    if (settings.rollups().isEmpty()) {
      return;
    }
    String metricType = Telegraf.metricType(window.type());
    long horizon = clock.horizon();
    for (RollupRule rule : settings.rollups()) {
      RollupRule.Target target = rule.target(window.node(), aggregate.getTags());
      RollupWindow partial =
          RollupWindow.partial(window.name(), window.type(), target, window.state());
      // the key carries the window start so that stage 2 can place the partial without decoding
      String key = WindowClock.key(start, target.id(window.name(), metricType));
      context.forward(new Record<>(key, new Emitted.Partial(partial.toBytes()), horizon));
    }
  }

  private Map<String, String> clusterTags(String cluster) {
    if (clusters == null) {
      return Map.of();
    }
    ClusterMetadata m = clusters.get(cluster);
    return m == null ? Map.of() : m.getTags();
  }

  /** Counts the live series of the open windows after a restart. */
  private void restoreGuard() {
    for (String key : store.keys(WindowClock.hex(0), WindowClock.hex(Long.MAX_VALUE) + "}")) {
      long start = Long.parseUnsignedLong(key.substring(0, 16), 16);
      // series id: <source id>|<name>|<type>|<tags>; source ids and statsd names hold no '|'
      String[] parts = key.substring(17).split("\\|", 4);
      if (parts.length == 4) {
        boolean nameOverflow = parts[3].equals(CardinalityGuard.OVERFLOW_TAG + "=true");
        guard.restore(start, parts[0], parts[1], nameOverflow);
      }
    }
  }

  @Override
  public void close() {
    metrics.close();
  }
}
