package io.fleetstats.stream.topology;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.ClusterMetadata;
import io.fleetstats.schemas.Correction;
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
import io.fleetstats.stream.aggregate.TimerFields;
import io.fleetstats.stream.aggregate.WindowState;
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
 * <p><b>Time is per source</b> ({@link SourceClocks}). A sample's event time is its agent receive
 * time (or the client's DogStatsD timestamp); a source's record timestamps (agent flush times) and,
 * while it is quiet, the wall clock close its windows, never another source's records. A time
 * further than the allowed skew in the future is re-stamped with the batch's arrival time and
 * counted. A window emitted is kept for the allowed lateness: a late sample for it is merged, and
 * the window is emitted again, complete, at the same timestamp (a plain Wavefront point with the
 * same identity overwrites); its roll-ups receive only what was added (a mergeable delta). What was
 * added since the window's last emission is kept apart under {@value #CORRECTION_PREFIX}{@code
 * <window key>} until it is emitted (once a second), so a restart loses no correction. Samples for
 * a window no longer kept are late: counted and, as a batch holding only them, written to the
 * dead-letter topic.
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
      TimerFields timerFields,
      StateOptions options,
      boolean wallClockClose,
      List<RollupRule> rollups,
      int maxSeriesPerSource,
      int maxSeriesPerName,
      boolean lateToDeadletter,
      long lateness,
      long maxSkew,
      long rollupGrace,
      boolean commitOnClose) {
    static Settings of(StreamConfig c) {
      return new Settings(
          c.window().toMillis(),
          c.grace().toMillis(),
          new TimerFields(c.timerFields(), c.percentiles()),
          new StateOptions(c.sketchAccuracy(), c.setExactLimit()),
          c.wallClockClose(),
          c.rollups(),
          c.maxSeriesPerSource(),
          c.maxSeriesPerName(),
          c.lateToDeadletter(),
          c.allowedLateness().toMillis(),
          c.maxClockSkew().toMillis(),
          c.rollupGrace().toMillis(),
          c.commitOnClose());
    }
  }

  /**
   * How often the batch ids of agents silent for longer than the allowed lateness (at least this)
   * are forgotten.
   */
  static final long ID_SWEEP_MS = 60_000;

  /** Store key prefix of what late samples added to an emitted window, until it is re-emitted. */
  static final String CORRECTION_PREFIX = "~fix|";

  private final Settings settings;
  private ProcessorContext<String, Emitted> context;
  private LiveWindowStore<SeriesWindow> store;
  private KeyValueStore<String, ClusterMetadata> clusters;
  private SourceClocks clocks;

  /** Window keys with a correction not emitted yet (each has a {@code ~fix|} entry). */
  private final java.util.Set<String> pending = new java.util.LinkedHashSet<>();

  /** The last watermark sent to stage 2. */
  private long watermarkSent = SourceClocks.UNKNOWN;

  private CardinalityGuard guard;
  private BatchIds batchIds;

  /** Wall-clock time the batch ids of silent agents were last forgotten. */
  private long idsSweptAt;

  private TaskMetrics metrics;
  private LiveCommits liveCommits;
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
    this.startedAt = context.currentSystemTimeMs();
    this.clocks =
        new SourceClocks(
            settings.window(),
            settings.grace(),
            settings.lateness(),
            settings.wallClockClose(),
            store,
            startedAt);
    for (String key : store.keys(CORRECTION_PREFIX, CORRECTION_PREFIX + '\uffff')) {
      pending.add(key.substring(CORRECTION_PREFIX.length()));
    }
    this.batchIds = new BatchIds(store);
    this.idsSweptAt = startedAt;
    this.guard = new CardinalityGuard(settings.maxSeriesPerSource(), settings.maxSeriesPerName());
    if (guard.enabled()) {
      restoreGuard();
    }
    if (settings.wallClockClose() || settings.lateness() > 0) {
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
    }
    this.liveCommits =
        new LiveCommits(
            context,
            settings.grace() + settings.window() + LiveCommits.SLACK_MS,
            settings.commitOnClose());
  }

  @Override
  public void process(Record<String, StatsdBatch> record) {
    if ((!announced || announcedEmpty) && !settings.rollups().isEmpty()) {
      announcedEmpty = false;
      // From its first record on, this task may hold roll-up windows open: make it known to every
      // stage-2 task before it closes anything, so none closes a window without waiting for it.
      forwardWatermark(clocks.watermark(settings.rollupGrace()));
      announced = true;
    }
    StatsdBatch batch = record.value();
    if (batch == null) {
      return;
    }
    long now = context.currentSystemTimeMs();
    if (!batchIds.firstTime(batch.getAgentId(), batch.getSequence(), now)) {
      // the same batch of the same agent again (a spool's copy, a retried send, a mirror's resend)
      metrics.duplicates.record();
      return;
    }
    if (now - idsSweptAt >= ID_SWEEP_MS) {
      batchIds.forgetSilentSince(now - Math.max(settings.lateness(), ID_SWEEP_MS) - ID_SWEEP_MS);
      idsSweptAt = now;
    }
    long latest = now + settings.maxSkew();
    // a batch from a clock running ahead arrived now, whatever it says
    long arrival = record.timestamp() > latest ? now : record.timestamp();
    Source source = batch.getSource();
    SourceClocks.Clock clock = clocks.onRecord(Sources.id(source), arrival, now);
    List<Series> late = null;
    for (Series series : batch.getSeries()) {
      String id = null;
      Windows.Split split =
          Windows.split(series, batch.getCreatedAt(), settings.window(), latest, arrival);
      if (split.restamped() > 0) {
        metrics.skewed.record(split.restamped());
      }
      for (Windows.Slice slice : split.slices()) {
        long start = slice.windowStart();
        SourceClocks.Verdict verdict = start < 0 ? null : clocks.verdict(clock, start);
        if (verdict == null) {
          metrics.invalid.record(slice.count());
        } else if (verdict == SourceClocks.Verdict.LATE) {
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
          add(clock, source, series, id, slice, verdict == SourceClocks.Verdict.CORRECTION);
        }
      }
    }
    if (late != null) {
      deadLetterLate(record, batch, late, clock.closed);
    }
    closeThrough(clock, clocks.horizon(clock, now));
  }

  /**
   * Closes the windows of one source up to {@code horizon}; with roll-ups, then tells every stage-2
   * task how far this task has closed (a watermark broadcast over the roll-up repartition topic),
   * after the partials of the windows it closed.
   */
  private void closeThrough(SourceClocks.Clock clock, long horizon) {
    if (clocks.closeThrough(clock, horizon, this::emit, this::purge)) {
      sendWatermark();
    }
  }

  /** Sends the task's watermark to stage 2 if it moved. */
  private void sendWatermark() {
    if (settings.rollups().isEmpty()) {
      return;
    }
    long wm = clocks.watermark(settings.rollupGrace());
    if (wm != SourceClocks.UNKNOWN && wm > watermarkSent) {
      forwardWatermark(wm);
    }
  }

  private void forwardWatermark(long closed) {
    if (closed != RollupAggregator.EMPTY) {
      watermarkSent = closed;
      // stage 2 closes roll-ups on it: live, it should not wait for the commit interval
      liveCommits.emitted(closed);
    }
    context.forward(
        new Record<String, Emitted>(
            RollupAggregator.WATERMARK_PREFIX + context.taskId().partition(),
            new Emitted.Partial(RollupAggregator.encodeWatermark(closed)),
            closed == RollupAggregator.EMPTY
                ? context.currentSystemTimeMs()
                : Math.max(0, closed)));
  }

  private void add(
      SourceClocks.Clock clock,
      Source source,
      Series series,
      String id,
      Windows.Slice slice,
      boolean correction) {
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
      clocks.track(clock, start, key);
    }
    int rejected = window.add(series, slice.indices(), slice.count());
    if (rejected > 0) {
      metrics.invalid.record(rejected);
    }
    store.put(key, window);
    if (correction) {
      String fixKey = CORRECTION_PREFIX + key;
      SeriesWindow delta = pending.contains(key) ? readDelta(fixKey) : null;
      if (delta == null) {
        delta = window.emptyCopy(settings.options());
      }
      delta.add(series, slice.indices(), slice.count());
      store.put(fixKey, delta);
      pending.add(key);
    }
  }

  private SeriesWindow readDelta(String fixKey) {
    try {
      return store.get(fixKey);
    } catch (IllegalArgumentException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable correction {}: {}", fixKey, e.getMessage());
      return null;
    }
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
    boolean byName = verdict == CardinalityGuard.Verdict.NAME_OVERFLOW;
    String reason = byName ? "series-per-name" : "series-per-source";
    String sourceId = Sources.id(source);
    metrics.overflow(series.getName(), reason, samples);
    if (!byName) {
      metrics.sourceOverflow(sourceId, samples);
    }
    // One warning a minute per offender: the metric name for the per-name limit, the source for
    // the per-source limit (a pod sending a million unique names is one offender, not a million).
    String key = reason + '|' + (byName ? series.getName() : sourceId);
    long now = context.currentSystemTimeMs();
    Long last = overflowLogged.get(key);
    if (last == null || now - last >= 60_000) {
      if (overflowLogged.size() > 1000) {
        overflowLogged.clear();
      }
      overflowLogged.put(key, now);
      if (byName) {
        log.warn(
            "series limit reached ({}): new series of metric '{}' from {} are folded into"
                + " '{}{overflow=true}'; raise {} if this cardinality is intended",
            reason,
            series.getName(),
            sourceId,
            series.getName(),
            StreamConfig.MAX_SERIES_PER_NAME.key());
      } else {
        log.warn(
            "series limit reached ({}): new series from {} are folded into '{}{overflow=true}'"
                + " (this one: metric '{}'); raise {} if this cardinality is intended",
            reason,
            sourceId,
            CardinalityGuard.OVERFLOW_NAME,
            series.getName(),
            StreamConfig.MAX_SERIES_PER_SOURCE.key());
      }
    }
  }

  private void deadLetterLate(
      Record<String, StatsdBatch> record, StatsdBatch batch, List<Series> late, long closed) {
    StatsdBatch slice = StatsdBatch.newBuilder(batch).setSeries(late).build();
    int samples = late.stream().mapToInt(Windows::sampleCount).sum();
    String sourceId = Sources.id(batch.getSource());
    RecordHeaders headers = new RecordHeaders();
    headers.add(REASON_HEADER, REASON_LATE.getBytes(StandardCharsets.UTF_8));
    headers.add(SOURCE_HEADER, sourceId.getBytes(StandardCharsets.UTF_8));
    headers.add(
        DETAIL_HEADER,
        (samples
                + " samples arrived after their window was emitted and no longer kept (the"
                + " source's windows are closed through "
                + Instant.ofEpochMilli(closed)
                + "); raise "
                + StreamConfig.ALLOWED_LATENESS.key()
                + " (now "
                + Duration.ofMillis(settings.lateness())
                + ") if such delays are normal, or replay them")
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
    if (clocks.sources() == 0
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
    boolean moved = false;
    if (settings.wallClockClose()) {
      for (SourceClocks.Clock c : clocks.all(now)) {
        moved |= clocks.closeThrough(c, clocks.horizon(c, now), this::emit, this::purge);
      }
    }
    emitCorrections();
    if (moved) {
      sendWatermark();
    }
  }

  /** Emits every window corrected since its last emission again, complete. */
  private void emitCorrections() {
    if (pending.isEmpty()) {
      return;
    }
    List<String> keys = new ArrayList<>(pending);
    pending.clear();
    for (String key : keys) {
      emitCorrection(key);
    }
  }

  /**
   * Emits the window under {@code key} again with its complete value, and its roll-ups what was
   * added since its last emission.
   */
  private void emitCorrection(String key) {
    String fixKey = CORRECTION_PREFIX + key;
    SeriesWindow delta = readDelta(fixKey);
    store.delete(fixKey);
    long start = Long.parseUnsignedLong(key.substring(0, 16), 16);
    String seriesId = key.substring(17);
    if (emit(start, seriesId, delta == null ? null : delta.state())) {
      metrics.corrections.record();
    }
  }

  /** A window no longer kept: a correction still pending is emitted first. */
  private void purge(long start, String key) {
    if (pending.remove(key)) {
      emitCorrection(key);
    }
    guard.forget(start);
    store.delete(key);
  }

  /** The first emission of a closed window; a correction made before it is part of it. */
  private void emit(long start, String key) {
    if (pending.remove(key)) {
      store.delete(CORRECTION_PREFIX + key);
    }
    emit(start, key.substring(17), null);
    if (settings.lateness() == 0) {
      guard.forget(start);
      store.delete(key);
    }
  }

  /**
   * Emits one window of one series: its complete aggregate, and its roll-up partials: the whole
   * window, or with {@code delta} only what was added since its last emission.
   *
   * @return whether anything was emitted
   */
  private boolean emit(long start, String seriesId, WindowState delta) {
    // The guard keeps counting an emitted window's series while the window is kept for
    // corrections (purge forgets them): new series of a corrected window count against the same
    // limit, or a pod would get a fresh limit with every correction.
    SeriesWindow window;
    try {
      window = store.get(WindowClock.key(start, seriesId));
    } catch (IllegalArgumentException e) {
      metrics.corrupt.record();
      log.warn("dropping unreadable window state {}|{}: {}", start, seriesId, e.getMessage());
      return false;
    }
    if (window == null || window.isEmpty()) {
      return false;
    }
    Map<String, String> clusterTags = clusterTags(window.cluster());
    long end = start + settings.window();
    Aggregate aggregate = window.toAggregate(start, end, settings.timerFields(), clusterTags);
    if (delta != null) {
      aggregate.setCorrection(
          Correction.newBuilder()
              .setFields(new java.util.LinkedHashMap<>(delta.fields(settings.timerFields())))
              .setSketch(delta.sketch())
              .build());
    }
    context.forward(new Record<>(seriesId, new Emitted.Final(aggregate), start));
    metrics.emitted.record();
    liveCommits.emitted(end);
    if (settings.rollups().isEmpty() || (delta != null && delta.isEmpty())) {
      return true;
    }
    String metricType = Telegraf.metricType(window.type());
    long horizon = Math.max(0, clocks.watermark(settings.rollupGrace()));
    for (RollupRule rule : settings.rollups()) {
      RollupRule.Target target = rule.target(window.node(), aggregate.getTags());
      RollupWindow partial =
          RollupWindow.partial(
              window.name(), window.type(), target, delta != null ? delta : window.state());
      // the key carries the window start so that stage 2 can place the partial without decoding
      String key = WindowClock.key(start, target.id(window.name(), metricType));
      context.forward(new Record<>(key, new Emitted.Partial(partial.toBytes()), horizon));
    }
    return true;
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
