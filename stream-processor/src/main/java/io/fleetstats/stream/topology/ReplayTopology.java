package io.fleetstats.stream.topology;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.ClusterMetadata;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.aggregate.SeriesWindow;
import io.fleetstats.stream.aggregate.StateOptions;
import io.fleetstats.stream.rollup.RollupWindow;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The live topology's statsd branch run in-process over a bounded read: one {@link
 * WindowAggregator} per raw partition (as the live tasks), and, with roll-up rules, one {@link
 * RollupAggregator} that receives their partials and watermarks directly instead of through the
 * repartition topic. The processors are the live classes with the live settings; only their
 * surroundings differ: in-memory stores and a clock that is the event-time position of the read.
 *
 * <p><b>Time.</b> The live processors see the wall clock run alongside the records' times (they
 * aggregate as data arrives). Here the clock is the largest record time fed so far, and the
 * processors' once-a-second punctuations fire whenever that clock enters a new second, so a quiet
 * source's windows close, and corrections are emitted, at the same event-time points as live.
 * Wall-clock close is always on for that reason. {@link #finish()} then moves the clock past every
 * window's lateness, so every window is emitted.
 *
 * <p><b>State.</b> {@link #state()} writes the live windows into their byte stores and returns them
 * with the clock: a {@link State} given back to the constructor continues exactly there, as the
 * live processor restores from its changelog.
 */
public final class ReplayTopology {

  /** Where emitted records go. */
  public interface Output {
    /**
     * A closed window (per source, or a roll-up) with its record key on {@code
     * fleetstats.aggregates}.
     */
    void aggregate(String key, Aggregate aggregate);

    /**
     * What the live processor would write to the dead-letter topic, with its reason ({@code late},
     * {@code late-rollup}).
     */
    void deadLetter(String reason, String key, byte[] value);
  }

  /**
   * The replay's state at a point between two records.
   *
   * @param now the clock
   * @param stores per task ({@code stage1/<partition>}, {@code stage2}) the byte store's entries
   */
  public record State(long now, Map<String, SortedMap<String, byte[]>> stores) {}

  private static final String STAGE2 = "stage2";

  /** One processor with its context and stores. */
  private static final class Task {
    final String name;
    final ReplayContext context;
    final Processor<String, ?, String, Emitted> processor;
    final LiveWindowStore<?> store;
    final MapStore<byte[]> bytes;

    Task(
        String name,
        ReplayContext context,
        Processor<String, ?, String, Emitted> processor,
        LiveWindowStore<?> store,
        MapStore<byte[]> bytes) {
      this.name = name;
      this.context = context;
      this.processor = processor;
      this.store = store;
      this.bytes = bytes;
    }

    void punctuate(long now) {
      for (Punctuator p : context.punctuators.toArray(new Punctuator[0])) {
        p.punctuate(now);
      }
    }
  }

  private final StreamConfig config;
  private final Output output;
  private final Metrics metrics = new Metrics();
  private final Map<Integer, Task> stage1 = new TreeMap<>();
  private final Task stage2;
  private long now;
  private long nextTick;

  /**
   * @param partitions the raw partitions (live tasks) that have records to replay
   * @param clusters the cluster metadata as the live processor's global store holds it
   * @param start the clock before the first record (the replay's read start)
   * @param restored a state from {@link #state()}, or null to start empty
   */
  public ReplayTopology(
      StreamConfig config,
      Collection<Integer> partitions,
      Map<String, ClusterMetadata> clusters,
      long start,
      Output output,
      State restored) {
    this.config = config;
    this.output = output;
    this.now = restored == null ? start : restored.now();
    this.nextTick = Math.floorDiv(now, 1000) * 1000 + 1000;
    MapStore<ClusterMetadata> clusterStore = new MapStore<>(TopologyFactory.CLUSTERS_STORE);
    clusters.forEach(clusterStore::put);
    if (config.rollups().isEmpty()) {
      stage2 = null;
    } else {
      RollupAggregator.Settings s = RollupAggregator.Settings.of(config, 0);
      RollupAggregator.Settings settings =
          new RollupAggregator.Settings(
              s.window(),
              s.grace(),
              s.rollupGrace(),
              s.timerFields(),
              s.options(),
              true,
              0,
              s.lateness(),
              false);
      StateOptions options = settings.options();
      MapStore<byte[]> bytes = bytes(TopologyFactory.ROLLUP_STORE, restored, STAGE2);
      LiveWindowStore<RollupWindow> store =
          new LiveWindowStore<>(
              bytes,
              RollupWindow::toBytes,
              b -> RollupWindow.fromBytes(b, options),
              WindowAggregator.LIVE_MAX);
      ReplayContext context =
          new ReplayContext(
              new TaskId(1, 0),
              Map.of(TopologyFactory.ROLLUP_STORE, store),
              () -> this.now,
              metrics,
              r -> route(r, false));
      RollupAggregator processor = new RollupAggregator(settings);
      processor.init(context);
      stage2 = new Task(STAGE2, context, processor, store, bytes);
      if (restored == null) {
        // every task with records is waited for from the start, as the live processor waits for
        // every raw partition
        for (int p : partitions) {
          processor.process(
              new Record<>(
                  RollupAggregator.WATERMARK_PREFIX + p,
                  RollupAggregator.encodeWatermark(WindowClock.UNKNOWN),
                  now));
        }
      }
    }
    WindowAggregator.Settings s = WindowAggregator.Settings.of(config);
    WindowAggregator.Settings settings =
        new WindowAggregator.Settings(
            s.window(),
            s.grace(),
            s.timerFields(),
            s.options(),
            true,
            s.rollups(),
            s.maxSeriesPerSource(),
            s.maxSeriesPerName(),
            true,
            s.lateness(),
            s.maxSkew(),
            s.rollupGrace(),
            false);
    StateOptions options = settings.options();
    for (int p : partitions) {
      String name = "stage1/" + p;
      MapStore<byte[]> bytes = bytes(TopologyFactory.STORE, restored, name);
      LiveWindowStore<SeriesWindow> store =
          new LiveWindowStore<>(
              bytes,
              SeriesWindow::toBytes,
              b -> SeriesWindow.fromBytes(b, options),
              WindowAggregator.LIVE_MAX);
      Map<String, StateStore> stores = new HashMap<>();
      stores.put(TopologyFactory.STORE, store);
      stores.put(TopologyFactory.CLUSTERS_STORE, clusterStore);
      ReplayContext context =
          new ReplayContext(new TaskId(0, p), stores, () -> this.now, metrics, r -> route(r, true));
      WindowAggregator processor = new WindowAggregator(settings);
      processor.init(context);
      stage1.put(p, new Task(name, context, processor, store, bytes));
    }
  }

  private static MapStore<byte[]> bytes(String storeName, State restored, String task) {
    MapStore<byte[]> bytes = new MapStore<>(storeName);
    if (restored != null) {
      SortedMap<String, byte[]> saved = restored.stores().get(task);
      if (saved != null) {
        saved.forEach(bytes::put);
      }
    }
    return bytes;
  }

  /** The clock: the largest record time fed so far. */
  public long now() {
    return now;
  }

  /**
   * Feeds one raw record of {@code partition} (a partition given to the constructor): first the
   * clock moves to its time (firing the punctuations of every second entered), then stage 1 takes
   * it.
   */
  @SuppressWarnings("unchecked")
  public void process(int partition, String key, StatsdBatch batch, long timestamp) {
    advance(timestamp);
    Task task = stage1.get(partition);
    if (task == null) {
      throw new IllegalArgumentException("partition " + partition + " was not announced");
    }
    ((Processor<String, StatsdBatch, String, Emitted>) task.processor)
        .process(new Record<>(key, batch, timestamp));
  }

  /**
   * Moves the clock to {@code time} if that is later, firing the punctuations once if a second
   * boundary was crossed.
   */
  public void advance(long time) {
    if (time <= now) {
      return;
    }
    now = time;
    if (now >= nextTick) {
      nextTick = Math.floorDiv(now, 1000) * 1000 + 1000;
      punctuate();
    }
  }

  private void punctuate() {
    if (stage2 != null) {
      // Every stage-1 task is alive here, however far the clock jumped: stage 2 must not close a
      // roll-up window without a task just because that task punctuates after another. A
      // watermark of "nothing yet" marks each as heard from now and moves nothing.
      @SuppressWarnings("unchecked")
      Processor<String, byte[], String, Emitted> rollups =
          (Processor<String, byte[], String, Emitted>) stage2.processor;
      for (int p : stage1.keySet()) {
        rollups.process(
            new Record<>(
                RollupAggregator.WATERMARK_PREFIX + p,
                RollupAggregator.encodeWatermark(WindowClock.UNKNOWN),
                now));
      }
    }
    for (Task t : stage1.values()) {
      t.punctuate(now);
    }
    if (stage2 != null) {
      stage2.punctuate(now);
    }
  }

  /**
   * Closes every window: moves the clock past the last window's close plus the allowed lateness and
   * the roll-up grace, so that every window is emitted and every correction sent.
   */
  public void finish() {
    long beyond =
        config.window().toMillis()
            + config.grace().toMillis()
            + config.allowedLateness().toMillis()
            + config.rollupGrace().toMillis()
            + 2_000;
    // twice: windows close on the first pass; what they sent to stage 2 closes on the second
    for (int i = 0; i < 2; i++) {
      now += beyond;
      nextTick = Math.floorDiv(now, 1000) * 1000 + 1000;
      punctuate();
    }
  }

  /** The state at this point, for a checkpoint (live windows are written to their stores). */
  public State state() {
    Map<String, SortedMap<String, byte[]>> stores = new TreeMap<>();
    for (Task t : stage1.values()) {
      t.store.flushCache();
      stores.put(t.name, new TreeMap<>(t.bytes.entries()));
    }
    if (stage2 != null) {
      stage2.store.flushCache();
      stores.put(stage2.name, new TreeMap<>(stage2.bytes.entries()));
    }
    return new State(now, stores);
  }

  /** The processors' counter {@code name} ({@link StreamMetrics}) summed over tasks. */
  public long counter(String name) {
    double sum = 0;
    for (Map.Entry<MetricName, ? extends org.apache.kafka.common.Metric> e :
        metrics.metrics().entrySet()) {
      if (e.getKey().name().equals(name) && e.getKey().group().equals(StreamMetrics.GROUP)) {
        sum += ((Number) e.getValue().metricValue()).doubleValue();
      }
    }
    return (long) sum;
  }

  private void route(Record<String, Emitted> r, boolean fromStage1) {
    Emitted v = r.value();
    if (v instanceof Emitted.Final f) {
      output.aggregate(r.key(), f.aggregate());
    } else if (v instanceof Emitted.DeadLetter d) {
      Header reason = r.headers().lastHeader(WindowAggregator.REASON_HEADER);
      output.deadLetter(
          reason == null ? "unknown" : new String(reason.value(), StandardCharsets.UTF_8),
          r.key(),
          d.value());
    } else if (v instanceof Emitted.Partial p && fromStage1 && stage2 != null) {
      @SuppressWarnings("unchecked")
      Processor<String, byte[], String, Emitted> rollups =
          (Processor<String, byte[], String, Emitted>) stage2.processor;
      rollups.process(new Record<>(r.key(), p.rollupWindow(), r.timestamp()));
    }
  }
}
