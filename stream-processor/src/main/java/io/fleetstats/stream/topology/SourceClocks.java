package io.fleetstats.stream.topology;

import io.fleetstats.stream.aggregate.Windows;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;

/**
 * Stage 1's time: one clock per source, so that a source's windows close by its own progress and
 * never by another source's records. A partition carries sources of many clusters; one whose data
 * arrives late (a cluster cut off, a mirror catching up, an edge spool draining) is judged by its
 * own time, not by the others'.
 *
 * <p>A source's <b>horizon</b> is the largest record time it sent (clamped to the processor's clock
 * plus the allowed skew) and, while it sends nothing, that time plus the wall-clock time since its
 * last record. Its window {@code [s, s+W)} is <b>emitted</b> once the horizon reaches {@code s + W
 * + grace}, and <b>kept</b> until it reaches {@code s + W + grace + lateness}: a sample for a kept
 * window corrects it, a sample for a window no longer kept is late.
 *
 * <p>Per source, the horizon up to which windows were emitted is kept in the store ({@value
 * #PREFIX}{@code <source id>}, which sorts after every window key), so a restart neither re-emits
 * nor reopens a window. The open and kept windows of each source are indexed in memory (rebuilt
 * from the store's keys at start): closing is a walk of one source's index, never a scan of the
 * store.
 */
final class SourceClocks {
  static final String PREFIX = "~src|";
  static final long UNKNOWN = Long.MIN_VALUE;

  /**
   * A source silent this long (wall clock) with nothing kept is forgotten. Long enough that a
   * cluster cut off for days still finds its old horizon (so data older than the allowed lateness
   * is recognised as late, not aggregated a second time).
   */
  static final long FORGET_AFTER_MS = 7L * 24 * 3600 * 1000;

  /** What to do with a sample for window start {@code s}. */
  enum Verdict {
    /** The window was not emitted yet. */
    OPEN,
    /** The window was emitted and is kept: merge and emit it again. */
    CORRECTION,
    /** The window is no longer kept. */
    LATE
  }

  /** Receives one window of one source (its start and store key). */
  interface WindowAction {
    void apply(long windowStart, String key);
  }

  /** The clock of one source. */
  static final class Clock {
    final String sourceId;

    /** Largest record time seen (clamped). */
    long time = UNKNOWN;

    /** Wall-clock time of the last record. */
    long wallAnchor;

    /** Every window ending at or before {@code closed - grace} has been emitted. */
    long closed = UNKNOWN;

    /** Its entry in the task's progress counts: closed, or before any close its time. */
    long counted = UNKNOWN;

    /** Open and kept windows: start → store keys. */
    final TreeMap<Long, Set<String>> windows = new TreeMap<>();

    Clock(String sourceId) {
      this.sourceId = sourceId;
    }
  }

  private final long window;
  private final long grace;
  private final long lateness;
  private final boolean wallClockClose;
  private final LiveWindowStore<?> store;
  private final Map<String, Clock> clocks = new HashMap<>();

  /** How many sources have each closed horizon: the task's lowest and highest, cheaply. */
  private final TreeMap<Long, Integer> closedCounts = new TreeMap<>();

  /** Horizon of state written before time was per source (the task's one clock): a floor. */
  private final long legacyFloor;

  SourceClocks(
      long window,
      long grace,
      long lateness,
      boolean wallClockClose,
      LiveWindowStore<?> store,
      long now) {
    this.window = window;
    this.grace = grace;
    this.lateness = lateness;
    this.wallClockClose = wallClockClose;
    this.store = store;
    byte[] legacy = store.getMeta(WindowClock.HORIZON_KEY);
    legacyFloor =
        legacy != null && legacy.length == Long.BYTES ? ByteBuffer.wrap(legacy).getLong() : UNKNOWN;
    long anchor = now + WindowClock.STARTUP_ALLOWANCE_MS;
    for (KeyValue<String, byte[]> kv : store.metaWithPrefix(PREFIX)) {
      if (kv.value.length != 2 * Long.BYTES) {
        continue;
      }
      ByteBuffer b = ByteBuffer.wrap(kv.value);
      Clock c = new Clock(kv.key.substring(PREFIX.length()));
      c.time = b.getLong();
      setClosed(c, b.getLong());
      c.wallAnchor = anchor;
      clocks.put(c.sourceId, c);
    }
    for (String key : store.keys(WindowClock.hex(0), WindowClock.hex(Long.MAX_VALUE) + "}")) {
      String seriesId = key.substring(17);
      int bar = seriesId.indexOf('|');
      String sourceId = bar < 0 ? seriesId : seriesId.substring(0, bar);
      Clock c = clocks.get(sourceId);
      if (c == null) {
        c = newClock(sourceId);
        c.wallAnchor = anchor;
      }
      track(c, Long.parseUnsignedLong(key.substring(0, 16), 16), key);
    }
  }

  private Clock newClock(String sourceId) {
    Clock c = new Clock(sourceId);
    if (legacyFloor != UNKNOWN) {
      c.time = legacyFloor;
      setClosed(c, legacyFloor);
    }
    clocks.put(sourceId, c);
    return c;
  }

  /** A record of {@code sourceId} with time {@code ts} arrived at wall-clock time {@code now}. */
  Clock onRecord(String sourceId, long ts, long now) {
    Clock c = clocks.get(sourceId);
    if (c == null) {
      c = newClock(sourceId);
    }
    c.time = Math.max(c.time, ts);
    c.wallAnchor = now;
    if (c.closed == UNKNOWN) {
      recount(c);
    }
    return c;
  }

  /** The horizon of {@code c} at wall-clock time {@code now}. */
  long horizon(Clock c, long now) {
    long h = c.time;
    if (wallClockClose && h != UNKNOWN) {
      h += Math.max(0, now - c.wallAnchor);
    }
    return Math.max(c.closed, h);
  }

  /** How a sample of {@code c} for the window starting at {@code start} is taken. */
  Verdict verdict(Clock c, long start) {
    if (c.closed == UNKNOWN || start + window + grace > c.closed) {
      return Verdict.OPEN;
    }
    return start + window + grace + lateness > c.closed ? Verdict.CORRECTION : Verdict.LATE;
  }

  /** Records that {@code c} holds the window {@code key} starting at {@code start}. */
  void track(Clock c, long start, String key) {
    c.windows.computeIfAbsent(start, s -> new LinkedHashSet<>(4)).add(key);
  }

  /**
   * Emits the windows of {@code c} that close at {@code horizon} and were not emitted yet, then
   * removes those no longer kept.
   *
   * @return true when the source's closed horizon moved (at most once per window)
   */
  boolean closeThrough(Clock c, long horizon, WindowAction emit, WindowAction purge) {
    if (horizon == UNKNOWN || horizon - grace - window < 0) {
      return false;
    }
    long lastStart = Windows.start(horizon - grace - window, window);
    long emittedThrough =
        c.closed == UNKNOWN || c.closed - grace - window < 0
            ? UNKNOWN
            : Windows.start(c.closed - grace - window, window);
    if (emittedThrough != UNKNOWN && lastStart <= emittedThrough) {
      return false;
    }
    boolean held = !c.windows.isEmpty();
    NavigableMap<Long, Set<String>> closing =
        emittedThrough == UNKNOWN
            ? c.windows.headMap(lastStart, true)
            : c.windows.subMap(emittedThrough, false, lastStart, true);
    for (Map.Entry<Long, Set<String>> e : closing.entrySet()) {
      for (String key : e.getValue()) {
        emit.apply(e.getKey(), key);
      }
    }
    // kept while start + W + grace + lateness > horizon
    long keepFrom = horizon - grace - window - lateness;
    Iterator<Map.Entry<Long, Set<String>>> it =
        c.windows.headMap(keepFrom, true).entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Set<String>> e = it.next();
      for (String key : e.getValue()) {
        purge.apply(e.getKey(), key);
      }
      it.remove();
    }
    setClosed(c, horizon);
    if (held) {
      store.putMeta(
          PREFIX + c.sourceId,
          ByteBuffer.allocate(2 * Long.BYTES).putLong(c.time).putLong(horizon).array());
    }
    return true;
  }

  /** Every clock, for the wall-clock pass; forgets sources silent and empty for a long time. */
  List<Clock> all(long now) {
    List<Clock> out = new ArrayList<>(clocks.size());
    Iterator<Clock> it = clocks.values().iterator();
    while (it.hasNext()) {
      Clock c = it.next();
      if (c.windows.isEmpty() && now - c.wallAnchor > FORGET_AFTER_MS) {
        it.remove();
        uncount(c.counted);
        store.deleteMeta(PREFIX + c.sourceId);
      } else {
        out.add(c);
      }
    }
    return out;
  }

  /**
   * How far this task has closed, for roll-ups: the lowest closed horizon of its sources, but not
   * more than {@code maxLag} behind the highest, so that one source far behind (a cluster catching
   * up) does not hold every roll-up back; its windows then reach the roll-ups as corrections.
   */
  long watermark(long maxLag) {
    if (closedCounts.isEmpty()) {
      return UNKNOWN;
    }
    long low = closedCounts.firstKey();
    long high = closedCounts.lastKey();
    return Math.max(low, high - maxLag);
  }

  int sources() {
    return clocks.size();
  }

  private void setClosed(Clock c, long closed) {
    c.closed = closed;
    recount(c);
  }

  /**
   * Keeps {@code c}'s entry in the progress counts: its closed horizon, or, before it closed
   * anything, its time, so that a source that has just started holds roll-ups back too.
   */
  private void recount(Clock c) {
    long progress = c.closed != UNKNOWN ? c.closed : c.time;
    if (progress == c.counted) {
      return;
    }
    uncount(c.counted);
    c.counted = progress;
    if (progress != UNKNOWN) {
      closedCounts.merge(progress, 1, Integer::sum);
    }
  }

  private void uncount(long closed) {
    if (closed != UNKNOWN) {
      closedCounts.computeIfPresent(closed, (k, n) -> n == 1 ? null : n - 1);
    }
  }
}
