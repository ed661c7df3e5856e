package io.fleetstats.edge.statsd;

import java.util.List;
import java.util.Objects;

/** The outcome of parsing one statsd line: its samples, or why it was rejected. Never null. */
public sealed interface ParseResult {

  /** The line was valid; it can carry several samples ({@code a:1|c:2|c}). */
  record Ok(List<StatsdSample> samples) implements ParseResult {
    public Ok {
      samples = List.copyOf(samples);
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

  static Rejected rejected(RejectReason reason, String line) {
    return new Rejected(reason, line);
  }
}
