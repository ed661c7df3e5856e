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
    int start = 0;
    int length = payload.length();
    while (start < length) {
      int end = payload.indexOf('\n', start);
      if (end < 0) {
        end = length;
      }
      int lineEnd = end > start && payload.charAt(end - 1) == '\r' ? end - 1 : end;
      if (lineEnd > start) {
        ingestLine(payload.substring(start, lineEnd), receivedAtMillis);
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
      stats.lineRejected(rejected.reason());
      long heldBack = throttle.tryAcquire(rejected.reason());
      if (heldBack >= 0) {
        log.warn(
            "rejected statsd line ({}; {} more since the last report; {}): {}",
            rejected.reason(),
            heldBack,
            rejected.reason().hint(),
            abbreviate(rejected.line()));
      }
    }
  }

  static String abbreviate(String line) {
    return line.length() <= LOGGED_LINE_CHARS
        ? line
        : line.substring(0, LOGGED_LINE_CHARS) + "... (" + line.length() + " chars)";
  }

  /** Counts a datagram; package-private hooks for the Netty handler. */
  void packetReceived(boolean probablyTruncated) {
    stats.packetReceived();
    if (probablyTruncated) {
      stats.packetTruncated();
    }
  }
}
