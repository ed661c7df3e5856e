package io.fleetstats.stream.topology;

import io.fleetstats.stream.aggregate.Windows;
import java.nio.ByteBuffer;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * When the windows of one task close: stage 2's clock (stage 1's time is per source, {@link
 * SourceClocks}). Open windows live in a store under {@code <16 hex digit window start>|<series
 * id>}, which sorts by window start, so closable windows are one range scan. The horizon up to
 * which windows were emitted is kept in the same store ({@value #HORIZON_KEY}, which sorts after
 * every hex digit): with the store's changelog in the same exactly-once transaction as the output,
 * a restart neither re-emits a window nor reopens one.
 *
 * <p>A window {@code [s, s+W)} closes once the horizon reaches {@code s + W + closeDelay}. The
 * horizon is the task's stream time (the largest record timestamp seen) and, with wall-clock close
 * on, while the task receives nothing, the stream time of its last record plus the wall-clock time
 * since then. The wall clock thus only stands in for missing records: a task catching up on a
 * backlog still closes windows by the records' own times.
 */
final class WindowClock {
  static final String HORIZON_KEY = "~horizon";
  static final long UNKNOWN = Long.MIN_VALUE;

  /**
   * After a (re)start the wall clock stands in for records only after this long without any, so
   * that a backlog that built up while the processor was down is read before idle time closes its
   * windows.
   */
  static final long STARTUP_ALLOWANCE_MS = 10_000;

  /** Receives each closing window (its start and series id); the clock deletes it afterwards. */
  interface Closer {
    void close(long windowStart, String id);
  }

  private final long window;
  private final long closeDelay;
  private final ProcessorContext<?, ?> context;
  private final LiveWindowStore<?> store;

  private long streamTime = UNKNOWN;

  /** Wall-clock time when the last record arrived or the stream time was first known. */
  private long wallAnchor;

  /** Every window ending at or before {@code closedHorizon - closeDelay} has been emitted. */
  private long closedHorizon = UNKNOWN;

  /** How long an emitted window is kept for corrections after it closed. */
  private final long lateness;

  WindowClock(
      long window,
      long closeDelay,
      long lateness,
      ProcessorContext<?, ?> context,
      LiveWindowStore<?> store) {
    this.window = window;
    this.closeDelay = closeDelay;
    this.lateness = lateness;
    this.context = context;
    this.store = store;
    byte[] h = store.getMeta(HORIZON_KEY);
    if (h != null && h.length == Long.BYTES) {
      closedHorizon = ByteBuffer.wrap(h).getLong();
    }
    wallAnchor = context.currentSystemTimeMs() + STARTUP_ALLOWANCE_MS;
    streamTime = Math.max(knownStreamTime(), closedHorizon);
  }

  /** A record with timestamp {@code ts} arrived; returns the horizon to judge its samples by. */
  long onRecord(long ts) {
    streamTime = Math.max(Math.max(streamTime, ts), knownStreamTime());
    wallAnchor = context.currentSystemTimeMs();
    return horizon();
  }

  long horizon() {
    return Math.max(closedHorizon, streamTime);
  }

  /** True when the window starting at {@code start} is closed at {@code horizon}. */
  boolean closed(long start, long horizon) {
    return start + window + closeDelay <= horizon;
  }

  /** True when the window starting at {@code start} is no longer kept at {@code horizon}. */
  boolean expired(long start, long horizon) {
    return start + window + closeDelay + lateness <= horizon;
  }

  /**
   * The horizon the wall clock allows at {@code now}, or {@link #UNKNOWN} when nothing was ever
   * seen (no window can be open then).
   */
  long onWallClock(long now) {
    long known = knownStreamTime();
    if (known > streamTime) {
      streamTime = known;
      wallAnchor = Math.max(wallAnchor, now);
    }
    if (streamTime == UNKNOWN) {
      return UNKNOWN;
    }
    long idle = Math.max(0, now - wallAnchor);
    return Math.max(closedHorizon, streamTime + idle);
  }

  /** Every window ending at or before {@code emittedHorizon() - closeDelay} has been emitted. */
  long emittedHorizon() {
    return closedHorizon;
  }

  /**
   * Hands every window that closes at or before {@code horizon} and was not handed before to {@code
   * closer}, then every window no longer kept (closed longer than the lateness ago) to {@code
   * purger} and forgets it.
   *
   * @return true when the horizon passed the close of a window not passed before (at most once per
   *     window): the moment to tell downstream how far this task has closed
   */
  boolean closeThrough(long horizon, Closer closer, Closer purger) {
    if (horizon == UNKNOWN) {
      return false;
    }
    long last = horizon - closeDelay - window;
    if (last < 0) {
      return false;
    }
    long lastStart = Windows.start(last, window);
    long emittedThrough =
        closedHorizon == UNKNOWN || closedHorizon - closeDelay - window < 0
            ? UNKNOWN
            : Windows.start(closedHorizon - closeDelay - window, window);
    if (emittedThrough != UNKNOWN && lastStart <= emittedThrough) {
      return false;
    }
    // '}' sorts right after '|', so this takes every key of windows starting up to lastStart
    String from = emittedThrough == UNKNOWN ? hex(0) : hex(emittedThrough + 1);
    for (String key : store.keys(from, hex(lastStart) + "}")) {
      closer.close(Long.parseUnsignedLong(key.substring(0, 16), 16), key.substring(17));
    }
    long keepFrom = horizon - closeDelay - window - lateness;
    if (keepFrom >= 0) {
      for (String key : store.keys(hex(0), hex(keepFrom) + "}")) {
        purger.close(Long.parseUnsignedLong(key.substring(0, 16), 16), key.substring(17));
        store.delete(key);
      }
    }
    closedHorizon = horizon;
    store.putMeta(HORIZON_KEY, ByteBuffer.allocate(Long.BYTES).putLong(horizon).array());
    return true;
  }

  /** The task's stream time as Kafka Streams tracks it (restored from commit metadata). */
  private long knownStreamTime() {
    long t = context.currentStreamTimeMs();
    return t < 0 ? UNKNOWN : t;
  }

  static String key(long windowStart, String seriesId) {
    return hex(windowStart) + '|' + seriesId;
  }

  static String hex(long v) {
    String h = Long.toHexString(v);
    return "0000000000000000".substring(h.length()) + h;
  }
}
