package io.fleetstats.edge.statsd;

import io.fleetstats.kit.LogThrottle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits a statsd payload into lines, parses each, counts the outcome and hands accepted samples to
 * the sink. Free of Netty so that both transports (UDP datagrams, newline-framed TCP) share it. Not
 * thread-safe beyond what the sink and stats allow: one caller thread.
 *
 * <p>Most lines in practice are one value of a series seen before: those are read from the bytes by
 * {@link FastLineReader} and matched to their series by {@link SeriesCache}, with no String and no
 * allocation per line; everything else goes through the full {@link StatsdParser}.
 */
public final class PacketIngester {
  private static final Logger log = LoggerFactory.getLogger(PacketIngester.class);
  private static final int LOGGED_LINE_CHARS = 200;

  private final StatsdParser parser;
  private final SampleSink sink;
  private final StatsdStats stats;
  private final LogThrottle throttle;
  private final FastLineReader reader;
  private final SeriesCache cache = new SeriesCache();
  private long commonLines;

  /** The last line handed to the sink named its sender ({@link SampleSink#origin}). */
  private boolean originSet;

  public PacketIngester(StatsdParser parser, SampleSink sink, StatsdStats stats) {
    this(parser, sink, stats, new LogThrottle(Duration.ofSeconds(10)));
  }

  /**
   * @param throttle limits the WARN about rejected lines to one per reason per interval
   */
  public PacketIngester(
      StatsdParser parser, SampleSink sink, StatsdStats stats, LogThrottle throttle) {
    this.parser = parser;
    this.sink = sink;
    this.stats = stats;
    this.throttle = throttle;
    this.reader = new FastLineReader(parser.options().maxLineLength());
  }

  /** The sender of the payloads that follow (see {@link SampleSink#sender}). */
  public void sender(java.net.InetSocketAddress address) {
    originSet = false;
    sink.sender(address);
  }

  /** Lines after one that named its sender are the packet sender's again. */
  private void clearOrigin() {
    if (originSet) {
      originSet = false;
      sink.origin(null);
    }
  }

  /** One payload: lines separated by {@code \n}; empty lines and a trailing {@code \r} ignored. */
  public void ingest(String payload, long receivedAtMillis) {
    ingest(payload, false, receivedAtMillis);
  }

  /**
   * {@link #ingest(byte[], int, int, boolean, long)} of the payload's UTF-8 bytes, as a socket gets
   * them.
   */
  public void ingest(String payload, boolean cut, long receivedAtMillis) {
    byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
    ingest(bytes, 0, bytes.length, cut, receivedAtMillis);
  }

  /**
   * One payload of UTF-8 bytes: lines separated by {@code \n}; empty lines and a trailing {@code
   * \r} ignored. A line of the common shape is read from the bytes and, when its series is known,
   * goes to the sink without any allocation; every other line is decoded and read by the full
   * {@link StatsdParser}, with the same outcome.
   *
   * @param cut the payload is only the start of a datagram larger than the receive buffer: its last
   *     line (when not ended by {@code \n}) is incomplete and is rejected as {@link
   *     RejectReason#DATAGRAM_TOO_LARGE} instead of being read with a wrong value
   */
  public void ingest(byte[] payload, int offset, int length, boolean cut, long receivedAtMillis) {
    int start = offset;
    int end = offset + length;
    int lines = 0;
    int samples = 0;
    while (start < end) {
      // the common line, read in one pass that also finds its end
      int eol = reader.read(payload, start, end);
      if (eol >= 0 && !(cut && eol == end)) {
        lines++;
        samples += ingestCommon(payload, start, eol, receivedAtMillis);
        start = eol + 1;
        continue;
      }
      eol = indexOfNewline(payload, start, end);
      boolean last = eol < 0;
      if (last) {
        eol = end;
      }
      int lineEnd = eol > start && payload[eol - 1] == '\r' ? eol - 1 : eol;
      if (lineEnd > start) {
        lines++;
        if (last && cut) {
          reject(RejectReason.DATAGRAM_TOO_LARGE, decode(payload, start, lineEnd));
        } else {
          samples += ingestLine(decode(payload, start, lineEnd), receivedAtMillis);
        }
      }
      start = eol + 1;
    }
    stats.linesReceived(lines);
    stats.samplesAccepted(samples);
  }

  private static int indexOfNewline(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static String decode(byte[] bytes, int from, int to) {
    return new String(bytes, from, to - from, StandardCharsets.UTF_8);
  }

  /** A line {@link FastLineReader} has read; returns the samples it gave (0 when rejected). */
  private int ingestCommon(byte[] line, int from, int to, long receivedAtMillis) {
    FastLineReader r = reader;
    int hash = r.hash;
    SeriesId series =
        cache.find(line, hash, r.bucketFrom, r.bucketTo, r.tagsFrom, r.tagsTo, r.type);
    if (series != null) {
      commonLines++;
      clearOrigin();
      sink.accept(series, r.value, r.sampleRate, r.relative, receivedAtMillis);
      return 1;
    }
    // Not seen yet: the full parser decides, and names the series for the next lines.
    ParseResult result = parser.parse(decode(line, from, to));
    if (result instanceof ParseResult.Ok ok
        && ok.samples().size() == 1
        && ok.clientTimeMillis() == ParseResult.NO_TIME
        && ok.origin() == null
        && agrees(ok.samples().get(0), r)) {
      // a line that names its sender (an entity id tag) is never remembered: it always comes
      // through the full parser, which hands the sender over
      StatsdSample s = ok.samples().get(0);
      SeriesId id = new SeriesId(s.name(), s.type(), s.tags());
      cache.put(line, hash, r.bucketFrom, r.bucketTo, r.tagsFrom, r.tagsTo, id);
      clearOrigin();
      sink.accept(id, s.value(), s.sampleRate(), s.relative(), receivedAtMillis);
      return 1;
    }
    return outcome(result, receivedAtMillis);
  }

  /** The full parser read the line as the fast reader did (else nothing is remembered). */
  private static boolean agrees(StatsdSample s, FastLineReader r) {
    return s.type() == r.type
        && Double.doubleToRawLongBits(s.value()) == Double.doubleToRawLongBits(r.value)
        && s.sampleRate() == r.sampleRate
        && s.relative() == r.relative;
  }

  private int ingestLine(String line, long receivedAtMillis) {
    return outcome(parser.parse(line), receivedAtMillis);
  }

  private int outcome(ParseResult result, long receivedAtMillis) {
    if (result instanceof ParseResult.Ok ok) {
      if (ok.origin() != null) {
        originSet = true;
        sink.origin(ok.origin());
      } else {
        clearOrigin();
      }
      long at = ok.eventTime(receivedAtMillis);
      for (StatsdSample sample : ok.samples()) {
        sink.accept(sample, at);
      }
      return ok.samples().size();
    }
    ParseResult.Rejected rejected = (ParseResult.Rejected) result;
    reject(rejected.reason(), rejected.line());
    return 0;
  }

  /** Lines that took the fast path to a known series (for tests). */
  long commonLines() {
    return commonLines;
  }

  /** Counts a line that was rejected before it could be read (e.g. too long for the TCP framer). */
  public void rejectUnread(RejectReason reason, String description) {
    stats.linesReceived(1);
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
