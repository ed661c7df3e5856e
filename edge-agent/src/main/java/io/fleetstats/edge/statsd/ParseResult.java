package io.fleetstats.edge.statsd;

import java.util.List;
import java.util.Objects;

/** The outcome of parsing one statsd line: its samples, or why it was rejected. Never null. */
public sealed interface ParseResult {

  /** {@link Ok#clientTimeMillis} of a line without a DogStatsD timestamp. */
  long NO_TIME = Long.MIN_VALUE;

  /**
   * The line was valid; it can carry several samples ({@code a:1|c:2|c}).
   *
   * @param clientTimeMillis the line's DogStatsD timestamp ({@code |T<unix seconds>}) in epoch
   *     milliseconds, the event time of its samples; {@link #NO_TIME} when it has none (the receive
   *     time is used)
   */
  record Ok(List<StatsdSample> samples, long clientTimeMillis) implements ParseResult {
    public Ok {
      samples = List.copyOf(samples);
    }

    public Ok(List<StatsdSample> samples) {
      this(samples, NO_TIME);
    }

    /** The event time of the samples: the client's timestamp, else {@code receivedAtMillis}. */
    public long eventTime(long receivedAtMillis) {
      return clientTimeMillis == NO_TIME ? receivedAtMillis : clientTimeMillis;
    }
  }

  /** The line was rejected as a whole: no sample of it is used. */
  record Rejected(RejectReason reason, String line) implements ParseResult {
    public Rejected {
      Objects.requireNonNull(reason, "reason");
      Objects.requireNonNull(line, "line");
    }
  }

  static Ok ok(List<StatsdSample> samples) {
    return new Ok(samples);
  }

  static Ok ok(List<StatsdSample> samples, long clientTimeMillis) {
    return new Ok(samples, clientTimeMillis);
  }

  static Rejected rejected(RejectReason reason, String line) {
    return new Rejected(reason, line);
  }
}
