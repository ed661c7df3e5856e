package io.fleetstats.sink.format;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One Wavefront metric point, holding exactly the strings the proxy will hold after parsing its
 * line: the name and tag keys already sanitised, the source and tag values already cleaned (a
 * newline is the two characters {@code \n}, no trailing backslash). {@link #toLine()} only adds
 * quotes and escapes {@code "}, so {@link LineValidator} can check the point instead of re-parsing
 * the line.
 *
 * @param name metric name
 * @param value finite value
 * @param epochSeconds timestamp in seconds (the aggregate's window start)
 * @param source Wavefront source
 * @param tags point tags, sorted by key
 */
public record WavefrontPoint(
    String name, double value, long epochSeconds, String source, SortedMap<String, String> tags)
    implements WavefrontLine {
  /** {@code f=} value of requests with metric lines (plain points and delta counters). */
  public static final String FORMAT = "wavefront";

  // The formatter hands every point of an aggregate the same frozen map; copying it per point
  // was a measurable share of the sink's CPU (bench/README.md).
  private static final Class<?> FROZEN =
      Collections.unmodifiableSortedMap(new TreeMap<>()).getClass();

  public WavefrontPoint {
    if (tags.getClass() != FROZEN) {
      tags = Collections.unmodifiableSortedMap(new TreeMap<>(tags));
    }
  }

  /** An unmodifiable sorted copy that points share without copying again. */
  static SortedMap<String, String> freeze(Map<String, String> tags) {
    return Collections.unmodifiableSortedMap(new TreeMap<>(tags));
  }

  public static WavefrontPoint of(
      String name, double value, long epochSeconds, String source, Map<String, String> tags) {
    return new WavefrontPoint(name, value, epochSeconds, source, new TreeMap<>(tags));
  }

  /**
   * The line in the proxy's format, without the terminating newline: {@code "<name>" <value>
   * <seconds> source="<source>" "<key>"="<value>" ...}, everything quoted as Telegraf and the
   * Wavefront SDKs do.
   */
  @Override
  public String toLine() {
    return toLine(sourceAndTags(source, tags));
  }

  /**
   * The line with {@code sourceAndTags} (from {@link #sourceAndTags}) as its tail: the lines of one
   * aggregate share it, so it is rendered once.
   */
  public String toLine(String sourceAndTags) {
    String v = Numbers.format(value);
    StringBuilder b = new StringBuilder(name.length() + v.length() + sourceAndTags.length() + 16);
    b.append('"').append(name).append("\" ").append(v).append(' ').append(epochSeconds);
    return b.append(sourceAndTags).toString();
  }

  /** The tail of a line: {@code source="<source>" "<key>"="<value>" ...}. */
  public static String sourceAndTags(String source, SortedMap<String, String> tags) {
    StringBuilder b = new StringBuilder(16 + source.length() + 32 * tags.size());
    appendSourceAndTags(b, source, tags);
    return b.toString();
  }

  @Override
  public String format() {
    return FORMAT;
  }

  static void appendSourceAndTags(StringBuilder b, String source, SortedMap<String, String> tags) {
    b.append(" source=");
    quote(b, source);
    for (Map.Entry<String, String> tag : tags.entrySet()) {
      b.append(" \"").append(tag.getKey()).append("\"=");
      quote(b, tag.getValue());
    }
  }

  // The proxy's tokenizer ends a quoted token at the first quote not preceded by a backslash and
  // drops only that one backslash; every other backslash is literal. So escaping '"' is enough,
  // provided the text does not end in a backslash (the formatter guarantees that).
  static void quote(StringBuilder b, String text) {
    b.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"') {
        b.append('\\');
      }
      b.append(c);
    }
    b.append('"');
  }

  @Override
  public String toString() {
    return toLine();
  }
}
