package io.fleetstats.edge.statsd;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses one statsd line into samples; pure and thread-safe. Never throws, never returns null:
 * anything it cannot read is a {@link ParseResult.Rejected} with a {@link RejectReason}.
 *
 * <p>Accepted (everything Telegraf's {@code inputs.statsd} accepts, and the tag styles of
 * Prometheus' statsd_exporter), each tag dialect switchable in {@link StatsdOptions}:
 *
 * <ul>
 *   <li>{@code <bucket>:<value>|<type>[|@<rate>][|#<tags>]}, types {@code c g ms h s d};
 *   <li>several values per line, Telegraf style: {@code a:1|c:2|c}, {@code a:1|c|@0.5:2|ms}, also
 *       after an empty field ({@code a:0|ms|:1|ms}); DogStatsD 1.1 packed values for {@code ms h d}
 *       ({@code a:1:2:3|d}); a set member may contain {@code :};
 *   <li>DogStatsD tags {@code |#k:v,k2:v2,flag}: split at the first {@code :}; a flag or an empty
 *       value gets the value {@code true}, as Telegraf does;
 *   <li>tags in the bucket: SignalFx {@code name[k=v,k2=v2]} (brackets anywhere), then Librato
 *       {@code name#k=v,k2=v2} or Influx {@code name,k=v,k2=v2}, whichever comes first; split at
 *       the first {@code =}; a piece without {@code =} is ignored, as in Telegraf;
 *   <li>precedence on a clash: bucket tags, then template tags, then DogStatsD tags (Telegraf's);
 *   <li>gauges with a leading {@code +} or {@code -} are relative; counters may be negative or
 *       fractional; a leading {@code +} on other types is rejected (Telegraf does), a leading
 *       {@code -} is a negative value (Telegraf rejects it; DogStatsD histograms allow it);
 *   <li>DogStatsD fields: container id {@code |c:<id>} (a {@code container} tag when configured);
 *       timestamp {@code |T<unix seconds>}: the event time of every value of the line ({@link
 *       ParseResult.Ok#clientTimeMillis}) instead of the receive time, judged downstream by the
 *       same clock-skew and lateness rules (a {@code T} with more than 15 digits is skipped as
 *       unknown); external data {@code |e:<data>} and any other field after the type are skipped;
 *   <li>origin detection, only for a parser made to read origins (a node agent): see {@link
 *       #StatsdParser(StatsdOptions, boolean)}.
 * </ul>
 *
 * Names: the bucket minus its tags goes through the {@link StatsdOptions.NameMethod}, then the
 * {@link NameTemplates} (a template's field, when not {@code value}, is appended with the
 * separator), then {@code convert_names}. Surrounding blanks of the line are removed. When one
 * value of a multi-value line is bad, the whole line is rejected. The sample rate must be in (0,
 * 1]; Telegraf ignores an unreadable {@code @rate} and counts the value at full weight, this parser
 * rejects the line ({@code BAD_SAMPLE_RATE}) rather than weigh it wrongly.
 */
public final class StatsdParser {
  /** Default limit on a line's length in characters. */
  public static final int DEFAULT_MAX_LINE_LENGTH = StatsdOptions.DEFAULT_MAX_LINE_LENGTH;

  /** The DogStatsD tag by which clients on the UDP path name their pod ({@code DD_ENTITY_ID}). */
  public static final String ENTITY_TAG = "dd.internal.entity_id";

  private final StatsdOptions options;
  private final boolean origins;

  public StatsdParser() {
    this(StatsdOptions.defaults());
  }

  /**
   * @param maxLineLength longer lines are rejected with {@link RejectReason#LINE_TOO_LONG}
   */
  public StatsdParser(int maxLineLength) {
    this(checked(maxLineLength));
  }

  public StatsdParser(StatsdOptions options) {
    this(options, false);
  }

  /**
   * @param origins read the sender a line names ({@link ParseResult.Origin}, for a node agent): the
   *     container id of {@code |c:} ({@code <id>}, or the {@code ci-<id>} entry of {@code
   *     ci-<id>,in-<inode>}; an inode alone names nothing here), the pod uid of the tag {@value
   *     #ENTITY_TAG} (which is then dropped, as the Datadog agent drops it) or of the {@code pu-}
   *     entry of {@code |e:}
   */
  public StatsdParser(StatsdOptions options, boolean origins) {
    this.options = options;
    this.origins = origins;
  }

  private static StatsdOptions checked(int maxLineLength) {
    if (maxLineLength < 1) {
      throw new IllegalArgumentException("maxLineLength must be positive: " + maxLineLength);
    }
    return StatsdOptions.withMaxLineLength(maxLineLength);
  }

  public StatsdOptions options() {
    return options;
  }

  /** One pending value of a line, turned into a sample once the line's tags are known. */
  private record Value(
      MetricType type, double value, String member, double rate, boolean relative) {}

  public ParseResult parse(CharSequence input) {
    String line = strip(input == null ? "" : input.toString());
    if (line.length() > options.maxLineLength()) {
      return ParseResult.rejected(RejectReason.LINE_TOO_LONG, line);
    }
    if (line.startsWith("_e{") || line.startsWith("_sc|")) {
      return ParseResult.rejected(RejectReason.EVENT_NOT_SUPPORTED, line);
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
        if (options.dogstatsdTags()) {
          if (dogTags == null) {
            dogTags = new HashMap<>();
          }
          parseDogStatsdTags(field, dogTags);
        }
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

    List<Value> values = new ArrayList<>(1);
    String container = null;
    String external = null;
    long clientTime = ParseResult.NO_TIME;
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
        } else if (field.startsWith("c:")) {
          container = field.substring(2);
        } else if (isTimestamp(field)) {
          clientTime = Long.parseLong(field, 1, field.length(), 10) * 1000L;
        } else if (field.startsWith("e:")) {
          external = field.substring(2);
        } else {
          // An empty or unknown field carries nothing we aggregate on (newer clients add such
          // fields); a ':' in it starts the next value, as Telegraf splits the line at every ':'.
          int c = field.indexOf(':');
          if (c >= 0) {
            nextValue = field.substring(c + 1);
          }
        }
      }

      char sign = valueText.charAt(0);
      if (sign == '+' && type != MetricType.GAUGE && type != MetricType.COUNTER) {
        return ParseResult.rejected(RejectReason.BAD_VALUE, line);
      }
      if (type == MetricType.SET) {
        values.add(new Value(type, 0.0, valueText, rate, false));
      } else if (valueText.indexOf(':') >= 0
          && type != MetricType.GAUGE
          && type != MetricType.COUNTER) {
        // DogStatsD 1.1 packs several values of one timer, histogram or distribution: a:1:2:3|d
        for (String packed : NameTemplates.split(valueText, ":")) {
          double value = decimal(packed);
          if (Double.isNaN(value) || packed.startsWith("+")) {
            return ParseResult.rejected(RejectReason.BAD_VALUE, line);
          }
          values.add(new Value(type, value, "", rate, false));
        }
      } else {
        double value = decimal(valueText);
        if (Double.isNaN(value)) {
          return ParseResult.rejected(RejectReason.BAD_VALUE, line);
        }
        boolean relative = type == MetricType.GAUGE && (sign == '+' || sign == '-');
        values.add(new Value(type, value, "", rate, relative));
      }
      if (nextValue == null) {
        break;
      }
      valueText = nextValue;
    }

    Map<String, String> tags = new HashMap<>();
    String name = name(head.substring(0, colon), tags);
    if (name.isEmpty()) {
      return ParseResult.rejected(RejectReason.EMPTY_NAME, line);
    }
    if (name.length() > options.maxNameLength()) {
      return ParseResult.rejected(RejectReason.NAME_TOO_LONG, line);
    }
    if (dogTags != null) {
      tags.putAll(dogTags);
    }
    ParseResult.Origin origin = null;
    if (origins) {
      String podUid = tags.remove(ENTITY_TAG);
      if (podUid == null || podUid.isEmpty() || podUid.equals("true")) {
        podUid = external == null ? null : entry(external, "pu-");
      }
      String containerId = container == null ? null : containerId(container);
      if (containerId != null || podUid != null) {
        origin = new ParseResult.Origin(containerId, podUid);
      }
    }
    if (container != null && options.keepContainerTag()) {
      tags.put("container", container);
    }
    if (tags.size() > options.maxTags()) {
      return ParseResult.rejected(RejectReason.TOO_MANY_TAGS, line);
    }
    int maxTag = options.maxTagLength();
    for (Map.Entry<String, String> tag : tags.entrySet()) {
      if (tag.getKey().length() > maxTag || tag.getValue().length() > maxTag) {
        return ParseResult.rejected(RejectReason.TAG_TOO_LONG, line);
      }
    }
    Map<String, String> lineTags = Map.copyOf(tags);
    List<StatsdSample> samples = new ArrayList<>(values.size());
    for (Value v : values) {
      samples.add(
          new StatsdSample(
              name, v.type(), lineTags, v.value(), v.member(), v.rate(), v.relative()));
    }
    return new ParseResult.Ok(samples, clientTime, origin);
  }

  /**
   * The container id of a {@code |c:} field: the {@code ci-} entry of Datadog's local data list
   * ({@code ci-<id>,in-<inode>}), or the whole field when it is a bare id (DogStatsD 1.2); null
   * when it holds only an inode ({@code in-<inode>}), which only the node's cgroups can resolve.
   */
  static String containerId(String field) {
    if (field.indexOf(',') < 0 && !field.startsWith("ci-") && !field.startsWith("in-")) {
      return field.isEmpty() ? null : field;
    }
    return entry(field, "ci-");
  }

  /** The value of the first entry with this prefix in a comma-separated list, or null. */
  private static String entry(String list, String prefix) {
    for (String e : NameTemplates.split(list, ",")) {
      if (e.startsWith(prefix) && e.length() > prefix.length()) {
        return e.substring(prefix.length());
      }
    }
    return null;
  }

  /** Telegraf trims the line (strings.TrimSpace); a trailing {@code \r} goes with it. */
  private static String strip(String line) {
    int from = 0;
    int to = line.length();
    while (from < to && Character.isWhitespace(line.charAt(from))) {
      from++;
    }
    while (to > from && Character.isWhitespace(line.charAt(to - 1))) {
      to--;
    }
    return from == 0 && to == line.length() ? line : line.substring(from, to);
  }

  private static boolean isTimestamp(String field) {
    if (field.length() < 2 || field.length() > 16 || field.charAt(0) != 'T') {
      return false;
    }
    for (int k = 1; k < field.length(); k++) {
      if (!isDigit(field.charAt(k))) {
        return false;
      }
    }
    return true;
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

  /**
   * The bucket's name after tags, sanitising, templates and conversion; its tags into {@code tags}.
   */
  private String name(String bucket, Map<String, String> tags) {
    String name = bucket;
    if (options.signalfxTags()) {
      int open = name.indexOf('[');
      int close = name.indexOf(']');
      if (open >= 0 && close > open) {
        parsePairs(name, open + 1, close, tags);
        name = name.substring(0, open) + name.substring(close + 1);
      } else if ((open >= 0) != (close >= 0)) {
        // One bracket only: statsd_exporter keeps the bucket as the name, unparsed.
        return finish(name, tags);
      }
    }
    int cut = -1;
    for (int k = 0; k < name.length(); k++) {
      char c = name.charAt(k);
      if ((c == '#' && options.libratoTags()) || (c == ',' && options.influxTags())) {
        cut = k;
        break;
      }
    }
    if (cut >= 0) {
      parsePairs(name, cut + 1, name.length(), tags);
      name = name.substring(0, cut);
    }
    return finish(name, tags);
  }

  private String finish(String bucketName, Map<String, String> tags) {
    String name =
        switch (options.sanitizeNames()) {
          case UPSTREAM -> upstream(bucketName);
          case TELEGRAF -> firstWord(bucketName);
          case NONE -> bucketName;
        };
    NameTemplates templates = options.templates();
    if (!templates.isIdentity() && !name.isEmpty()) {
      NameTemplates.Applied applied = templates.apply(name);
      tags.putAll(applied.tags()); // template tags win over bucket tags, as in Telegraf
      name = applied.measurement();
      String field = applied.field();
      if (!field.isEmpty() && !field.equals("value") && !name.isEmpty()) {
        // Telegraf keeps the field apart and its Wavefront output appends it to the name; the
        // raw batch has no field, so it goes into the name the sink will produce the same from.
        name = name + templates.joiner() + field;
      }
    }
    if (options.convertNames()) {
      name = name.replace(".", "_").replace("-", "__");
    }
    return name;
  }

  /** {@code k=v,k2=v2} between {@code from} and {@code to}; pieces without a key are ignored. */
  private static void parsePairs(String s, int from, int to, Map<String, String> tags) {
    int start = from;
    while (start <= to) {
      int end = s.indexOf(',', start);
      if (end < 0 || end > to) {
        end = to;
      }
      int eq = s.indexOf('=', start);
      if (eq > start && eq < end) {
        tags.put(s.substring(start, eq), s.substring(eq + 1, end));
      }
      start = end + 1;
    }
  }

  /** Telegraf's template engine reads only the first whitespace-separated word of a name. */
  private static String firstWord(String name) {
    int from = 0;
    while (from < name.length() && Character.isWhitespace(name.charAt(from))) {
      from++;
    }
    int to = from;
    while (to < name.length() && !Character.isWhitespace(name.charAt(to))) {
      to++;
    }
    return from == 0 && to == name.length() ? name : name.substring(from, to);
  }

  /** Etsy statsd's key sanitising, as Telegraf's {@code sanitize_name_method = "upstream"}. */
  static String upstream(String name) {
    StringBuilder out = new StringBuilder(name.length());
    boolean inBlank = false;
    for (int k = 0; k < name.length(); k++) {
      char c = name.charAt(k);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B) {
        if (!inBlank) {
          out.append('_');
        }
        inBlank = true;
        continue;
      }
      inBlank = false;
      if (c == '/') {
        out.append('-');
      } else if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '-'
          || c == '.'
          || c == ';'
          || c == '=') {
        out.append(c);
      }
    }
    return out.toString();
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
   * text is anything else. {@link Double#parseDouble} alone would also take {@code NaN}, {@code
   * Infinity}, {@code 0x1p3}, {@code 1d}, {@code 1f} and surrounding blanks.
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
