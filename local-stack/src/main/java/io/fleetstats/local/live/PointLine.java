package io.fleetstats.local.live;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One Wavefront point line as our sink writes it ({@code "name" value epochSeconds source="s"
 * "k"="v" ...}), read back for the live view. Pure; a line it cannot read (a distribution, a
 * foreign format) is empty, never an exception.
 *
 * @param name the metric name
 * @param value the value
 * @param epochSeconds the window start
 * @param source the point's source
 * @param tags point tags, sorted by key
 */
public record PointLine(
    String name, double value, long epochSeconds, String source, Map<String, String> tags) {

  /** Reads one line. */
  public static Optional<PointLine> parse(String line) {
    Cursor c = new Cursor(line);
    String name = c.quoted();
    if (name == null || !c.space()) {
      return Optional.empty();
    }
    String value = c.word();
    if (!c.space()) {
      return Optional.empty();
    }
    String ts = c.word();
    double v;
    long t;
    try {
      v = Double.parseDouble(value);
      t = Long.parseLong(ts);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    String source = "";
    Map<String, String> tags = new TreeMap<>();
    while (c.space()) {
      String key = c.peek() == '"' ? c.quoted() : c.until('=');
      if (key == null || !c.expect('=')) {
        return Optional.empty();
      }
      String val = c.quoted();
      if (val == null) {
        return Optional.empty();
      }
      if (key.equals("source")) {
        source = val;
      } else {
        tags.put(key, val);
      }
    }
    return c.done() ? Optional.of(new PointLine(name, v, t, source, tags)) : Optional.empty();
  }

  private static final class Cursor {
    private final String s;
    private int i;

    Cursor(String s) {
      this.s = s;
    }

    char peek() {
      return i < s.length() ? s.charAt(i) : 0;
    }

    boolean done() {
      return i >= s.length();
    }

    boolean space() {
      if (peek() != ' ') {
        return false;
      }
      while (peek() == ' ') {
        i++;
      }
      return !done();
    }

    boolean expect(char ch) {
      if (peek() != ch) {
        return false;
      }
      i++;
      return true;
    }

    String word() {
      int start = i;
      while (i < s.length() && s.charAt(i) != ' ') {
        i++;
      }
      return s.substring(start, i);
    }

    String until(char ch) {
      int start = i;
      while (i < s.length() && s.charAt(i) != ch && s.charAt(i) != ' ') {
        i++;
      }
      return i > start ? s.substring(start, i) : null;
    }

    /** A {@code "…"} token; {@code \"} inside is a quote. */
    String quoted() {
      if (!expect('"')) {
        return null;
      }
      StringBuilder b = new StringBuilder();
      while (i < s.length()) {
        char ch = s.charAt(i++);
        if (ch == '\\' && peek() == '"') {
          b.append('"');
          i++;
        } else if (ch == '"') {
          return b.toString();
        } else {
          b.append(ch);
        }
      }
      return null;
    }
  }
}
