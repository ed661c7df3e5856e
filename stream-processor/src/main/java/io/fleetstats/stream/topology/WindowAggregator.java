package io.fleetstats.stream.topology;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.aggregate.SeriesWindow;
import io.fleetstats.stream.aggregate.Windows;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeSum;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-source tumbling windows over raw statsd batches. One instance runs per task, i.e. per
 * partition of the raw topic, so its fields describe one partition.
 *
 * <p><b>Time.</b> A sample's event time is its agent receive time. The partition's stream time is
 * the largest batch timestamp (agent flush time) seen. A window {@code [s, s+W)} closes once the
 * close horizon reaches {@code s + W + grace}; samples for a closed window are late: counted and
 * dropped. The horizon is the stream time, and, with wall-clock close on, while the partition
 * receives nothing, the stream time of its last record plus the wall-clock time since then. The
 * wall clock thus only stands in for missing records: a processor catching up on a backlog still
 * closes windows by the records' own times and drops nothing as late that was on time.
 *
 * <p><b>State.</b> Open windows live in {@link TopologyFactory#STORE} under {@code <16 hex digit
 * window start>|<series id>}, which sorts by window start, so closable windows are one range
 * scan. The horizon up to which windows were emitted is kept there too ({@value #HORIZON_KEY},
 * which sorts after every hex digit): with the store's changelog in the same exactly-once
 * transaction as the output, a restart neither re-emits a window nor reopens one.
 */
final class WindowAggregator implements Processor<String, StatsdBatch, String, Aggregate> {
  private static final Logger log = LoggerFactory.getLogger(WindowAggregator.class);

  static final String HORIZON_KEY = "~horizon";
  private static final long UNKNOWN = Long.MIN_VALUE;

  /** What the processor needs from the config. */
  record Settings(
      long window, long grace, List<Double> percentiles, double accuracy, boolean wallClockClose) {
    static Settings of(StreamConfig c) {
      return new Settings(
          c.window().toMillis(),
          c.grace().toMillis(),
          c.percentiles(),
          c.sketchAccuracy(),
          c.wallClockClose());
    }
  }

  private final Settings settings;
  private ProcessorContext<String, Aggregate> context;
  private KeyValueStore<String, byte[]> store;
  private final List<Sensor> sensors = new ArrayList<>();
  private Sensor late;
  private Sensor invalid;
  private Sensor emitted;
  private Sensor corrupt;

  private long streamTime = UNKNOWN;
  /** Wall-clock time when the last record arrived or the stream time was first known. */
  private long wallAnchor;
  /** Every window ending at or before {@code closedHorizon - grace} has been emitted. */
  private long closedHorizon = UNKNOWN;
  /** Start of the latest window the last scan looked for; no need to scan again before it moves. */
  private long scannedThrough = UNKNOWN;

  WindowAggregator(Settings settings) {
    this.settings = settings;
  }

  @Override
  public void init(ProcessorContext<String, Aggregate> context) {
    this.context = context;
    this.store = context.getStateStore(TopologyFactory.STORE);
    String task = context.taskId().toString();
    late = sensor(task, StreamMetrics.LATE_SAMPLES, "samples dropped because their window had closed");
    invalid = sensor(task, StreamMetrics.INVALID_SAMPLES, "samples with a NaN/infinite value or a negative time");
    emitted = sensor(task, StreamMetrics.AGGREGATES_EMITTED, "aggregates sent, one per series per closed window");
    corrupt = sensor(task, StreamMetrics.CORRUPT_STATES, "window states that could not be read and were dropped");
    byte[] h = store.get(HORIZON_KEY);
    if (h != null && h.length == Long.BYTES) {
      closedHorizon = ByteBuffer.wrap(h).getLong();
    }
    wallAnchor = context.currentSystemTimeMs();
    streamTime = Math.max(knownStreamTime(), closedHorizon);
    if (settings.wallClockClose()) {
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
    }
  }

  @Override
  public void process(Record<String, StatsdBatch> record) {
    streamTime = Math.max(Math.max(streamTime, record.timestamp()), knownStreamTime());
    wallAnchor = context.currentSystemTimeMs();
    StatsdBatch batch = record.value();
    if (batch == null) {
      return;
    }
    long horizon = Math.max(closedHorizon, streamTime);
    Source source = batch.getSource();
    for (Series series : batch.getSeries()) {
      String id = SeriesWindow.id(source, series);
      for (Windows.Slice slice : Windows.slices(series, batch.getCreatedAt(), settings.window())) {
        long start = slice.windowStart();
        if (start < 0) {
          invalid.record(slice.count());
        } else if (closes(start) <= horizon) {
          late.record(slice.count());
        } else {
          add(source, series, id, slice);
        }
      }
    }
    closeThrough(horizon);
  }

  private void add(Source source, Series series, String id, Windows.Slice slice) {
    String key = key(slice.windowStart(), id);
    byte[] old = store.get(key);
    SeriesWindow window = null;
    if (old != null) {
      try {
        window = SeriesWindow.fromBytes(old);
      } catch (IllegalArgumentException e) {
        corrupt.record();
        log.warn("dropping unreadable window state {}: {}", key, e.getMessage());
      }
    }
    if (window == null) {
      window = SeriesWindow.empty(source, series, settings.accuracy());
    }
    int rejected = window.add(series, slice.indices(), slice.count());
    if (rejected > 0) {
      invalid.record(rejected);
    }
    store.put(key, window.toBytes());
  }

  private void onWallClock(long now) {
    long known = knownStreamTime();
    if (known > streamTime) {
      streamTime = known;
      wallAnchor = now;
    }
    if (streamTime == UNKNOWN) {
      return; // nothing seen, nothing restored: no window can be open
    }
    long idle = Math.max(0, now - wallAnchor);
    closeThrough(Math.max(closedHorizon, streamTime + idle));
  }

  /** Emits and forgets every window that closes at or before {@code horizon}. */
  private void closeThrough(long horizon) {
    long last = horizon - settings.grace() - settings.window();
    if (last < 0) {
      return;
    }
    long lastStart = Windows.start(last, settings.window());
    if (scannedThrough != UNKNOWN && lastStart <= scannedThrough) {
      return;
    }
    List<KeyValue<String, byte[]>> closing = new ArrayList<>();
    // '}' sorts right after '|', so this takes every key of windows starting up to lastStart
    try (KeyValueIterator<String, byte[]> it = store.range(hex(0), hex(lastStart) + "}")) {
      it.forEachRemaining(closing::add);
    }
    for (KeyValue<String, byte[]> kv : closing) {
      long start = Long.parseUnsignedLong(kv.key.substring(0, 16), 16);
      String seriesId = kv.key.substring(17);
      try {
        SeriesWindow window = SeriesWindow.fromBytes(kv.value);
        if (!window.isEmpty()) {
          Aggregate aggregate =
              window.toAggregate(start, start + settings.window(), settings.percentiles());
          context.forward(new Record<>(seriesId, aggregate, start));
          emitted.record();
        }
      } catch (IllegalArgumentException e) {
        corrupt.record();
        log.warn("dropping unreadable window state {}: {}", kv.key, e.getMessage());
      }
      store.delete(kv.key);
    }
    scannedThrough = lastStart;
    if (horizon > closedHorizon) {
      closedHorizon = horizon;
      store.put(HORIZON_KEY, ByteBuffer.allocate(Long.BYTES).putLong(horizon).array());
    }
  }

  /** When the window starting at {@code start} closes. */
  private long closes(long start) {
    return start + settings.window() + settings.grace();
  }

  /** The task's stream time as Kafka Streams tracks it (restored from commit metadata). */
  private long knownStreamTime() {
    long t = context.currentStreamTimeMs();
    return t < 0 ? UNKNOWN : t;
  }

  static String key(long windowStart, String seriesId) {
    return hex(windowStart) + '|' + seriesId;
  }

  private static String hex(long v) {
    return String.format("%016x", v);
  }

  private Sensor sensor(String task, String name, String description) {
    Sensor s =
        context
            .metrics()
            .addSensor("fleetstats." + task + "." + name, Sensor.RecordingLevel.INFO);
    s.add(
        new MetricName(name, StreamMetrics.GROUP, description, Map.of("task-id", task)),
        new CumulativeSum());
    sensors.add(s);
    return s;
  }

  @Override
  public void close() {
    sensors.forEach(s -> context.metrics().removeSensor(s));
    sensors.clear();
  }
}
