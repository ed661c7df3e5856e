package io.fleetstats.edge.statsd;

/** Why a statsd line was not accepted. Each reason is counted separately by the agent. */
public enum RejectReason {
  /** No {@code :value} after the bucket ({@code users.online}), or an empty value ({@code a:|c}). */
  MISSING_VALUE(null),
  /** A value without a {@code |type} ({@code a:1}). */
  MISSING_TYPE(null),
  /** The value is not a finite decimal number ({@code a:abc|c}, {@code a:NaN|g}, {@code a:1d|ms}). */
  BAD_VALUE(null),
  /** The type is none of {@code c g ms h s d} ({@code a:1|x}). */
  BAD_TYPE(null),
  /** The {@code @rate} is not a decimal number in (0, 1] ({@code a:1|c|@0}, {@code a:1|c|@x}). */
  BAD_SAMPLE_RATE(null),
  /** The bucket name is empty ({@code :1|c}, {@code ,k=v:1|c}). */
  EMPTY_NAME(null),
  /** The line is longer than the configured limit. */
  LINE_TOO_LONG("FLEETSTATS_STATSD_MAX_LINE_LENGTH");

  private final String setting;

  RejectReason(String setting) {
    this.setting = setting;
  }

  /**
   * What an operator can do about it: the setting to raise, or a hint that the sending client
   * must be fixed.
   */
  public String hint() {
    return setting == null ? "fix the client that sends it" : "raise " + setting + " if such lines are legitimate";
  }
}
