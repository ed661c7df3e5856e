package io.fleetstats.kit.settings;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Telegraf-style durations: {@code 500ms}, {@code 10s}, {@code 1m}, {@code 2h}; also ISO-8601
 * {@code PT10S}.
 */
public final class Durations {
  private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h|d)");

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @throws IllegalArgumentException with a message saying what is allowed
   */
  public static Duration parse(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    Matcher m = SIMPLE.matcher(t);
    if (m.matches()) {
      double amount = Double.parseDouble(m.group(1));
      double millis =
          switch (m.group(2)) {
            case "ms" -> amount;
            case "s" -> amount * 1_000;
            case "m" -> amount * 60_000;
            case "h" -> amount * 3_600_000;
            default -> amount * 86_400_000;
          };
      return Duration.ofMillis(Math.round(millis));
    }
    if (t.startsWith("pt") || t.startsWith("p")) {
      try {
        return Duration.parse(text.trim());
      } catch (RuntimeException ignored) {
        // fall through to the common message
      }
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not a duration; use a number with a unit: 500ms, 10s, 1m, 2h");
  }

  /** The shortest form that {@link #parse} reads back: {@code 10s}, {@code 1500ms}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1_000 == 0) {
      return ms / 1_000 + "s";
    }
    return ms + "ms";
  }
}
