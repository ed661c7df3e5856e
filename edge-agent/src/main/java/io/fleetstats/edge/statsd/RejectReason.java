package io.fleetstats.edge.statsd;

/** Why a statsd line was not accepted. Each reason is counted separately by the agent. */
public enum RejectReason {
  /**
   * No {@code :value} after the bucket ({@code users.online}), or an empty value ({@code a:|c}).
   */
  MISSING_VALUE(null),
  /** A value without a {@code |type} ({@code a:1}). */
  MISSING_TYPE(null),
  /**
   * The value is not a finite decimal number ({@code a:abc|c}, {@code a:NaN|g}, {@code a:1d|ms}),
   * or has a leading {@code +} on a type other than gauge or counter ({@code a:+1|ms}), as Telegraf
   * rejects.
   */
  BAD_VALUE(null),
  /** The type is none of {@code c g ms h s d} ({@code a:1|x}). */
  BAD_TYPE(null),
  /** The {@code @rate} is not a decimal number in (0, 1] ({@code a:1|c|@0}, {@code a:1|c|@x}). */
  BAD_SAMPLE_RATE(null),
  /** The bucket name is empty ({@code :1|c}, {@code ,k=v:1|c}). */
  EMPTY_NAME(null),
  /** The line is longer than the configured limit. */
  LINE_TOO_LONG("FLEETSTATS_STATSD_MAX_LINE_LENGTH"),
  /** The metric name (after tags, templates and sanitising) is longer than the limit. */
  NAME_TOO_LONG("FLEETSTATS_STATSD_MAX_NAME_LENGTH"),
  /** The line carries more tags than the limit (all dialects together). */
  TOO_MANY_TAGS("FLEETSTATS_STATSD_MAX_TAGS"),
  /** A tag key or value is longer than the limit. */
  TAG_TOO_LONG("FLEETSTATS_STATSD_MAX_TAG_LENGTH"),
  /**
   * The last line of a datagram larger than the receive buffer: it was cut, so it is not used (a
   * cut {@code @0.125} would silently read as {@code @0.1}).
   */
  DATAGRAM_TOO_LARGE("FLEETSTATS_STATSD_MAX_PACKET_SIZE"),
  /**
   * A DogStatsD event ({@code _e{...}}) or service check ({@code _sc|...}): not a metric; the agent
   * does not forward them.
   */
  EVENT_NOT_SUPPORTED(null);

  private final String setting;

  /** The setting that bounds this reason, or null when only the client can fix it. */
  public String setting() {
    return setting;
  }

  RejectReason(String setting) {
    this.setting = setting;
  }

  /**
   * What an operator can do about it: the setting to raise, or a hint that the sending client must
   * be fixed.
   */
  public String hint() {
    if (this == EVENT_NOT_SUPPORTED) {
      return "DogStatsD events and service checks are not forwarded; send them to the Datadog agent";
    }
    return setting == null
        ? "fix the client that sends it"
        : "raise " + setting + " if such lines are legitimate";
  }
}
