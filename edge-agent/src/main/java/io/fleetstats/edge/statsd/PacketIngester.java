package io.fleetstats.edge.statsd;

import io.fleetstats.edge.LogThrottle;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits a statsd payload into lines, parses each, counts the outcome and hands accepted samples
 * to the sink. Free of Netty so that any transport (UDP datagrams now, newline-framed TCP later)
 * shares it. Not thread-safe beyond what the sink and stats allow: one caller thread.
 */
public final class PacketIngester {
  private static final Logger log = LoggerFactory.getLogger(PacketIngester.class);
  private static final int LOGGED_LINE_CHARS = 200;

  private final StatsdParser parser;
  private final SampleSink sink;
  private final StatsdStats stats;
  private final LogThrottle throttle;

  public PacketIngester(StatsdParser parser, SampleSink sink, StatsdStats stats) {
    this(parser, sink, stats, new LogThrottle(Duration.ofSeconds(10)));
  }

  /** @param throttle limits the WARN about rejected lines to one per reason per interval */
  public PacketIngester(StatsdParser parser, SampleSink sink, StatsdStats stats, LogThrottle throttle) {
    this.parser = parser;
    this.sink = sink;
    this.stats = stats;
    this.throttle = throttle;
  }

  /** One payload: lines separated by {@code \n}; empty lines and a trailing {@code \r} ignored. */
  public void ingest(String payload, long receivedAtMillis) {
    ingest(payload, false, receivedAtMillis);
  }

  /**
   * One payload.
   *
   * @param cut the payload is only the start of a datagram larger than the receive buffer: its
   *     last line (when not ended by {@code \n}) is incomplete and is rejected as
   *     {@link RejectReason#DATAGRAM_TOO_LARGE} instead of being read with a wrong value
   */
  public void ingest(String payload, boolean cut, long receivedAtMillis) {
    int start = 0;
    int length = payload.length();
    while (start < length) {
      int end = payload.indexOf('\n', start);
      boolean last = end < 0;
      if (last) {
        end = length;
      }
      int lineEnd = end > start && payload.charAt(end - 1) == '\r' ? end - 1 : end;
      if (lineEnd > start) {
        String line = payload.substring(start, lineEnd);
        if (last && cut) {
          stats.lineReceived();
          reject(RejectReason.DATAGRAM_TOO_LARGE, line);
        } else {
          ingestLine(line, receivedAtMillis);
        }
      }
      start = end + 1;
    }
  }

  private void ingestLine(String line, long receivedAtMillis) {
    stats.lineReceived();
    ParseResult result = parser.parse(line);
    if (result instanceof ParseResult.Ok ok) {
      for (StatsdSample sample : ok.samples()) {
        sink.accept(sample, receivedAtMillis);
      }
      stats.samplesAccepted(ok.samples().size());
    } else if (result instanceof ParseResult.Rejected rejected) {
      reject(rejected.reason(), rejected.line());
    }
  }

  /** Counts a line that was rejected before it could be read (e.g. too long for the TCP framer). */
  public void rejectUnread(RejectReason reason, String description) {
    stats.lineReceived();
    reject(reason, description);
  }

  private void reject(RejectReason reason, String line) {
    stats.lineRejected(reason);
    long heldBack = throttle.tryAcquire(reason);
    if (heldBack >= 0) {
      log.warn(
          "rejected statsd line ({}; {} more since the last report; {}): {}",
          reason,
          heldBack,
          reason.hint(),
          abbreviate(line));
    }
  }

  static String abbreviate(String line) {
    return line.length() <= LOGGED_LINE_CHARS
        ? line
        : line.substring(0, LOGGED_LINE_CHARS) + "... (" + line.length() + " chars)";
  }

  /** Counts a datagram (or a TCP line) of {@code bytes} bytes; hooks for the Netty handlers. */
  void packetReceived(int bytes, boolean truncated) {
    stats.packetReceived(bytes);
    if (truncated) {
      stats.packetTruncated();
    }
  }

  /** The counters this ingester updates. */
  public StatsdStats stats() {
    return stats;
  }
}
