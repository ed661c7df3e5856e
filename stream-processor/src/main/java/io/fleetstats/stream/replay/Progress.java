package io.fleetstats.stream.replay;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/**
 * Progress lines while a replay runs: records and samples per second, the event-time position
 * within the range and an estimate of the time left (from the share of offsets read). One line
 * every interval (10 s by default), so that a log collector gets a readable history.
 */
final class Progress {
  private final PrintStream log;
  private final long intervalNanos;
  private final RangeReader reader;
  private final long from;
  private final long to;
  private final long startedAt = System.nanoTime();
  private final long samplesAtStart;
  private final long offsetsAtStart;
  private long lastAt = System.nanoTime();
  private long lastRecords;
  private final long recordsAtStart;
  private long lastSamples;
  private int calls;

  Progress(
      PrintStream log,
      Duration interval,
      RangeReader reader,
      long from,
      long to,
      long records,
      long samples) {
    this.log = log;
    this.intervalNanos = interval.toNanos();
    this.reader = reader;
    this.from = from;
    this.to = to;
    this.samplesAtStart = samples;
    this.lastSamples = samples;
    this.lastRecords = records;
    this.recordsAtStart = records;
    this.offsetsAtStart = reader.done();
  }

  void maybeReport(long records, long samples, long eventTime) {
    if ((++calls & 1023) != 0) {
      return;
    }
    if (System.nanoTime() - lastAt >= intervalNanos) {
      report(records, samples, eventTime, false);
    }
  }

  void report(long records, long samples, long eventTime, boolean last) {
    long now = System.nanoTime();
    double secs = Math.max(1e-9, (now - lastAt) / 1e9);
    double total = (now - startedAt) / 1e9;
    long done = reader.done();
    long all = reader.total();
    double share = all == 0 ? 1 : (double) done / all;
    String eta = "-";
    if (!last && done > offsetsAtStart && total > 0) {
      double rate = (done - offsetsAtStart) / total;
      eta = human(Duration.ofSeconds((long) ((all - done) / Math.max(rate, 1e-9))));
    }
    String position =
        eventTime < from
            ? "before the range"
            : eventTime > to
                ? "after the range (late data)"
                : Instant.ofEpochMilli(eventTime).toString();
    if (last) {
      log.printf(
          "fleetstats-replay: read %d records, %d samples in %.1f s (%.0f records/s, %.0f"
              + " samples/s)%n",
          records,
          samples,
          total,
          (records - recordsAtStart) / Math.max(total, 1e-9),
          (samples - samplesAtStart) / Math.max(total, 1e-9));
    } else {
      log.printf(
          "fleetstats-replay: %d records (%.0f/s), %d samples (%.0f/s), event time %s, %.0f %% read,"
              + " ETA %s%n",
          records,
          (records - lastRecords) / secs,
          samples,
          (samples - lastSamples) / secs,
          position,
          share * 100,
          eta);
    }
    lastAt = now;
    lastRecords = records;
    lastSamples = samples;
  }

  private static String human(Duration d) {
    long s = d.getSeconds();
    if (s >= 3600) {
      return (s / 3600) + "h" + (s % 3600 / 60) + "m";
    }
    if (s >= 60) {
      return (s / 60) + "m" + (s % 60) + "s";
    }
    return s + "s";
  }
}
