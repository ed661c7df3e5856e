package io.fleetstats.stream.aggregate;

import io.fleetstats.schemas.MetricType;
import java.math.BigDecimal;

/** Names as Telegraf's statsd input gives them, so that Wavefront series keep their names. */
public final class Telegraf {
  private Telegraf() {}

  /**
   * Telegraf's {@code metric_type} tag value: counter, gauge, timing, histogram, set, distribution.
   */
  public static String metricType(MetricType type) {
    return switch (type) {
      case COUNTER -> "counter";
      case GAUGE -> "gauge";
      case TIMER -> "timing";
      case HISTOGRAM -> "histogram";
      case SET -> "set";
      case DISTRIBUTION -> "distribution";
    };
  }

  /**
   * {@code <p>_percentile} with {@code p} printed as Go's {@code strconv.FormatFloat(p, 'f', -1,
   * 64)} does: the shortest decimal that reads back as {@code p}, no exponent, no trailing zeros
   * ({@code 90} → {@code 90_percentile}, {@code 99.9} → {@code 99.9_percentile}).
   */
  public static String percentileField(double p) {
    // Double.toString is the shortest round-tripping decimal, as Go's -1 precision is
    String digits = BigDecimal.valueOf(p).stripTrailingZeros().toPlainString();
    return digits + "_percentile";
  }
}
