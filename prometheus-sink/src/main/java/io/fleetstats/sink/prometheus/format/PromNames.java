package io.fleetstats.sink.prometheus.format;

import java.util.Optional;

/**
 * The naming rules of Telegraf's Prometheus output ({@code outputs.prometheus_client} with its
 * default {@code metric_version = 1}), so that a statsd series gets the name it had when Telegraf
 * sent it to Prometheus: measurement and field joined by {@code _} (the field {@code value} adds
 * nothing), then every character outside {@code [a-zA-Z0-9_:]} replaced by {@code _}, one {@code _}
 * per character (a code point, as Go's regexp sees runes: {@code café} → {@code caf_}).
 *
 * <p>Pure: no I/O.
 */
public final class PromNames {
  /** Telegraf's field of single-valued metrics (counter, gauge, set): not appended to the name. */
  public static final String VALUE_FIELD = "value";

  private PromNames() {}

  /**
   * The metric name of one field of a series, or empty when Telegraf would not send it: a name must
   * then start with a letter or {@code _} (its check {@code ^[a-zA-Z_]}), so {@code 5xx.count} or
   * {@code :x} have none (a prefix such as {@code FLEETSTATS_METRIC_PREFIX=app_} gives them one).
   *
   * @param prefix prepended before sanitising (may be empty)
   * @param measurement the series name as received, e.g. {@code
   *     fitcycle-api-server.prospectPullTime}
   * @param field the Telegraf field, e.g. {@code mean}, {@code 90_percentile}, {@code value}
   */
  public static Optional<String> metricName(String prefix, String measurement, String field) {
    String raw =
        VALUE_FIELD.equals(field) ? prefix + measurement : prefix + measurement + "_" + field;
    String name = sanitizeMetricName(raw);
    return isValidStart(name) ? Optional.of(name) : Optional.empty();
  }

  /** Whether a sanitised metric name starts as Telegraf requires ({@code ^[a-zA-Z_]}). */
  public static boolean isValidStart(String name) {
    return !name.isEmpty() && startsLikeAName(name.charAt(0));
  }

  /** Every code point outside {@code [a-zA-Z0-9_:]} becomes one {@code _}. */
  public static String sanitizeMetricName(String raw) {
    if (isAll(raw, true)) {
      return raw;
    }
    StringBuilder b = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); ) {
      int cp = raw.codePointAt(i);
      b.append(cp < 128 && isNameChar((char) cp, true) ? (char) cp : '_');
      i += Character.charCount(cp);
    }
    return b.toString();
  }

  /**
   * A tag key as a label name, or empty when nothing is left of it. A valid name ({@code
   * [a-zA-Z_][a-zA-Z0-9_]*}) stays as it is. Otherwise, as Telegraf's {@code SanitizeLabelName}: a
   * first character that cannot start a name is dropped, every other character outside {@code
   * [a-zA-Z0-9_]} becomes {@code _}, and leading and trailing {@code _} are trimmed ({@code
   * pod-name} → {@code pod_name}, {@code 1zone} → {@code zone}, {@code -x-} → {@code x}).
   */
  public static Optional<String> labelName(String key) {
    if (!key.isEmpty() && startsLikeAName(key.charAt(0)) && isAll(key, false)) {
      return Optional.of(key);
    }
    StringBuilder b = new StringBuilder(key.length());
    boolean first = true;
    for (int i = 0; i < key.length(); ) {
      int cp = key.codePointAt(i);
      boolean ascii = cp < 128;
      if (first) {
        if (ascii && startsLikeAName((char) cp)) {
          b.append((char) cp);
        }
        first = false;
      } else {
        b.append(ascii && isNameChar((char) cp, false) ? (char) cp : '_');
      }
      i += Character.charCount(cp);
    }
    int from = 0;
    int to = b.length();
    while (from < to && b.charAt(from) == '_') {
      from++;
    }
    while (to > from && b.charAt(to - 1) == '_') {
      to--;
    }
    return from == to ? Optional.empty() : Optional.of(b.substring(from, to));
  }

  private static boolean isAll(String s, boolean colon) {
    for (int i = 0; i < s.length(); i++) {
      if (!isNameChar(s.charAt(i), colon)) {
        return false;
      }
    }
    return true;
  }

  private static boolean startsLikeAName(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  private static boolean isNameChar(char c, boolean colon) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '_'
        || (colon && c == ':');
  }
}
