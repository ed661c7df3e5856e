package io.fleetstats.edge.statsd;

import java.util.List;
import java.util.Objects;

/** The outcome of parsing one statsd line: its samples, or why it was rejected. Never null. */
public sealed interface ParseResult {

  /** {@link Ok#clientTimeMillis} of a line without a DogStatsD timestamp. */
  long NO_TIME = Long.MIN_VALUE;

  /**
   * Who the client says sent the line (DogStatsD origin detection), read only by a parser made to
   * read origins (node mode); either part may be null, not both.
   *
   * @param containerId the container id of the DogStatsD 1.2 field {@code |c:<id>} or its {@code
   *     ci-<id>} entry
   * @param podUid the pod uid of the tag {@code dd.internal.entity_id:<uid>} or of the {@code
   *     pu-<uid>} entry of the external data field {@code |e:}
   */
  record Origin(String containerId, String podUid) {}

  /**
   * The line was valid; it can carry several samples ({@code a:1|c:2|c}).
   *
   * @param clientTimeMillis the line's DogStatsD timestamp ({@code |T<unix seconds>}) in epoch
   *     milliseconds, the event time of its samples; {@link #NO_TIME} when it has none (the receive
   *     time is used)
   * @param origin the sender the line names, or null
   */
  record Ok(List<StatsdSample> samples, long clientTimeMillis, Origin origin)
      implements ParseResult {
    public Ok {
      samples = List.copyOf(samples);
    }

    public Ok(List<StatsdSample> samples, long clientTimeMillis) {
      this(samples, clientTimeMillis, null);
    }

    public Ok(List<StatsdSample> samples) {
      this(samples, NO_TIME, null);
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
