package io.fleetstats.sink.format;

import java.math.BigDecimal;

/** Number formatting for Wavefront lines. */
final class Numbers {
  private static final double PLAIN_MIN = 1e-6;
  private static final double PLAIN_MAX = 1e15;

  private Numbers() {}

  /**
   * The shortest decimal that reads back as the same double, written plainly when it is of a human
   * size: {@code 500}, {@code 212.5}, {@code -0.25}, {@code 0.000123}. Outside [1e-6, 1e15) Java's
   * scientific form ({@code 1.5E20}) is kept, which the proxy parses with {@code
   * Double.parseDouble} as well; a plain form there would be dozens of digits. Telegraf's Go SDK
   * writes plain decimals too ({@code 'f', -1}), so dashboards see the same values.
   */
  static String format(double value) {
    if (!Double.isFinite(value)) {
      return Double.toString(value); // NaN, Infinity: only for logs, never sent
    }
    if (value == 0) {
      return "0"; // also for -0.0: the sign carries no meaning for a metric
    }
    double abs = Math.abs(value);
    String shortest = Double.toString(value);
    if (abs < PLAIN_MIN || abs >= PLAIN_MAX) {
      return shortest;
    }
    if (shortest.indexOf('E') < 0) {
      // Double.toString is plain in [1e-3, 1e7): only a trailing ".0" to drop (the hot path)
      return shortest.endsWith(".0") ? shortest.substring(0, shortest.length() - 2) : shortest;
    }
    return new BigDecimal(shortest).stripTrailingZeros().toPlainString();
  }
}
