package io.fleetstats.edge.statsd;

import io.fleetstats.schemas.MetricType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Parses one statsd line into samples; pure and thread-safe. Never throws, never returns null:
 * anything it cannot read is a {@link ParseResult.Rejected} with a {@link RejectReason}.
 *
 * <p>Accepted, following Telegraf's {@code inputs.statsd} where the protocol is loose:
 *
 * <ul>
 *   <li>{@code <bucket>:<value>|<type>[|@<rate>][|#<tags>]}, types {@code c g ms h s d};
 *   <li>several values per line, Telegraf style: {@code a:1|c:2|c} and {@code a:1|c|@0.5:2|c};
 *   <li>DogStatsD tags {@code |#k:v,k2:v2,flag}: split at the first {@code :}; a tag without a
 *       value (a flag) gets the value {@code true}, as Telegraf does (Influx has no empty tags);
 *   <li>Influx tags in the bucket, {@code users.current,service=payroll:32|g}: split at the first
 *       {@code =}; a piece without {@code =} is ignored, as in Telegraf;
 *   <li>Sysdig tags in the bucket, {@code queue.size#queue=q1,statistic=value:7|g} (Micrometer's
 *       sysdig flavor);
 *   <li>gauges with a leading {@code +} or {@code -} are relative ({@code value} is the signed
 *       delta); counters may be negative or fractional; timers, histograms and distributions
 *       accept any finite number;
 *   <li>DogStatsD fields this agent does not use are skipped: container id {@code |c:<id>},
 *       timestamp {@code |T<epoch>}, external data {@code |e:<data>}, and any other field after
 *       the type.
 * </ul>
 *
 * A trailing {@code \r} is removed. Names are kept raw; the sink sanitises them for Wavefront.
 * When one value of a multi-value line is bad, the whole line is rejected.
 */
public final class StatsdParser {
  /** Default limit on a line's length in characters. */
  public static final int DEFAULT_MAX_LINE_LENGTH = 8192;

  private final int maxLineLength;

  public StatsdParser() {
    this(DEFAULT_MAX_LINE_LENGTH);
  }

  /** @param maxLineLength longer lines are rejected with {@link RejectReason#LINE_TOO_LONG} */
  public StatsdParser(int maxLineLength) {
    if (maxLineLength < 1) {
      throw new IllegalArgumentException("maxLineLength must be positive: " + maxLineLength);
    }
    this.maxLineLength = maxLineLength;
  }

  public ParseResult parse(CharSequence input) {
    String line = input == null ? "" : input.toString();
    if (line.endsWith("\r")) {
      line = line.substring(0, line.length() - 1);
    }
    if (line.length() > maxLineLength) {
      return ParseResult.rejected(RejectReason.LINE_TOO_LONG, line);
    }
    // DogStatsD tag fields may sit anywhere after the first field and contain ':' and ','; take
    // them out first so that the ':' of a multi-value line is unambiguous (Telegraf does the same).
    List<String> fields = new ArrayList<>(4);
    Map<String, String> dogTags = null;
    int start = 0;
    boolean first = true;
    while (true) {
      int pipe = line.indexOf('|', start);
      String field = pipe < 0 ? line.substring(start) : line.substring(start, pipe);
      if (!first && field.startsWith("#")) {
        if (dogTags == null) {
          dogTags = new TreeMap<>();
        }
        parseDogStatsdTags(field, dogTags);
      } else {
        fields.add(field);
      }
      first = false;
      if (pipe < 0) {
        break;
      }
      start = pipe + 1;
    }

    String head = fields.get(0);
    int colon = head.indexOf(':');
    if (colon < 0) {
      return head.isEmpty()
          ? ParseResult.rejected(RejectReason.EMPTY_NAME, line)
          : ParseResult.rejected(RejectReason.MISSING_VALUE, line);
    }
    Map<String, String> tags = new TreeMap<>();
    String name = parseBucket(head.substring(0, colon), tags);
    if (name.isEmpty()) {
      return ParseResult.rejected(RejectReason.EMPTY_NAME, line);
    }
    if (dogTags != null) {
      tags.putAll(dogTags);
    }
    Map<String, String> lineTags = Map.copyOf(tags);

    List<StatsdSample> samples = new ArrayList<>(1);
    String valueText = head.substring(colon + 1);
    int i = 1;
    while (true) {
      if (valueText.isEmpty()) {
        return ParseResult.rejected(RejectReason.MISSING_VALUE, line);
      }
      if (i >= fields.size()) {
        return ParseResult.rejected(RejectReason.MISSING_TYPE, line);
      }
      String typeField = fields.get(i++);
      int next = typeField.indexOf(':');
      String typeText = next < 0 ? typeField : typeField.substring(0, next);
      String nextValue = next < 0 ? null : typeField.substring(next + 1);
      MetricType type = type(typeText);
      if (type == null) {
        return ParseResult.rejected(RejectReason.BAD_TYPE, line);
      }
      double rate = 1.0;
      while (nextValue == null && i < fields.size()) {
        String field = fields.get(i++);
        if (field.startsWith("@")) {
          int c = field.indexOf(':');
          String rateText = c < 0 ? field.substring(1) : field.substring(1, c);
          nextValue = c < 0 ? null : field.substring(c + 1);
          rate = decimal(rateText);
          if (!(rate > 0 && rate <= 1)) {
            return ParseResult.rejected(RejectReason.BAD_SAMPLE_RATE, line);
          }
        }
        // c:<container id>, T<timestamp>, e:<external data> and unknown fields carry nothing we
        // aggregate on; newer clients add such fields, and they must not cost the sample.
      }

      if (type == MetricType.SET) {
        samples.add(new StatsdSample(name, type, lineTags, 0.0, valueText, rate, false));
      } else {
        double value = decimal(valueText);
        if (Double.isNaN(value)) {
          return ParseResult.rejected(RejectReason.BAD_VALUE, line);
        }
        char sign = valueText.charAt(0);
        boolean relative = type == MetricType.GAUGE && (sign == '+' || sign == '-');
        samples.add(new StatsdSample(name, type, lineTags, value, "", rate, relative));
      }
      if (nextValue == null) {
        return ParseResult.ok(samples);
      }
      valueText = nextValue;
    }
  }

  private static MetricType type(String text) {
    return switch (text) {
      case "c" -> MetricType.COUNTER;
      case "g" -> MetricType.GAUGE;
      case "ms" -> MetricType.TIMER;
      case "h" -> MetricType.HISTOGRAM;
      case "s" -> MetricType.SET;
      case "d" -> MetricType.DISTRIBUTION;
      default -> null;
    };
  }

  /** Bucket name with Influx ({@code name,k=v}) or Sysdig ({@code name#k=v,k2=v2}) tags. */
  private static String parseBucket(String bucket, Map<String, String> tags) {
    int hash = bucket.indexOf('#');
    int comma = bucket.indexOf(',');
    int cut;
    if (hash >= 0 && (comma < 0 || hash < comma)) {
      cut = hash;
    } else {
      cut = comma;
    }
    if (cut < 0) {
      return bucket;
    }
    int start = cut + 1;
    while (start <= bucket.length()) {
      int end = bucket.indexOf(',', start);
      if (end < 0) {
        end = bucket.length();
      }
      int eq = bucket.indexOf('=', start);
      if (eq > start && eq < end) {
        tags.put(bucket.substring(start, eq), bucket.substring(eq + 1, end));
      }
      start = end + 1;
    }
    return bucket.substring(0, cut);
  }

  /** {@code #k:v,flag,k2:}: a flag or an empty value becomes {@code true}, as in Telegraf. */
  private static void parseDogStatsdTags(String field, Map<String, String> tags) {
    int start = 1;
    while (start <= field.length()) {
      int end = field.indexOf(',', start);
      if (end < 0) {
        end = field.length();
      }
      if (end > start) {
        int colon = field.indexOf(':', start);
        if (colon < 0 || colon >= end) {
          tags.put(field.substring(start, end), "true");
        } else if (colon > start) {
          String value = field.substring(colon + 1, end);
          tags.put(field.substring(start, colon), value.isEmpty() ? "true" : value);
        }
      }
      start = end + 1;
    }
  }

  /**
   * A finite decimal number ({@code -1}, {@code +2.5}, {@code .5}, {@code 1e-3}), or NaN when the
   * text is anything else. {@link Double#parseDouble} alone would also take {@code NaN},
   * {@code Infinity}, {@code 0x1p3}, {@code 1d}, {@code 1f} and surrounding blanks.
   */
  static double decimal(String text) {
    int n = text.length();
    int i = 0;
    if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
      i++;
    }
    int digits = 0;
    while (i < n && isDigit(text.charAt(i))) {
      i++;
      digits++;
    }
    if (i < n && text.charAt(i) == '.') {
      i++;
      while (i < n && isDigit(text.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      return Double.NaN;
    }
    if (i < n && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
      i++;
      if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
        i++;
      }
      int exponentDigits = 0;
      while (i < n && isDigit(text.charAt(i))) {
        i++;
        exponentDigits++;
      }
      if (exponentDigits == 0) {
        return Double.NaN;
      }
    }
    if (i != n) {
      return Double.NaN;
    }
    double value = Double.parseDouble(text);
    return Double.isInfinite(value) ? Double.NaN : value;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
