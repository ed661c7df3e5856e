package io.fleetstats.sink.format;

import java.nio.charset.StandardCharsets;

/**
 * The text rules Telegraf's {@code outputs.wavefront} applied with the seed's configuration, so
 * that series keep their names (research/wavefront.md §4).
 */
final class Names {
  /** U+2206 INCREMENT, the delta-counter prefix. */
  static final char DELTA = '\u2206';

  /** U+0394 GREEK CAPITAL LETTER DELTA, accepted as a delta-counter prefix too. */
  static final char ALT_DELTA = '\u0394';

  static final char TILDE = '~';

  private Names() {}

  /**
   * Sanitises a metric name or tag key. Telegraf first replaced its list of punctuation (in the
   * default non-strict mode this includes {@code ,} and {@code /}) and then the Go SDK replaced
   * every byte outside the proxy's set {@code [A-Za-z0-9,-./_]}; together every character but
   * {@code [A-Za-z0-9._-]} becomes {@code -}. The SDK works on UTF-8 bytes, so a non-ASCII
   * character becomes one {@code -} per byte ({@code é} → {@code --}); we do the same so a name
   * that once went through Telegraf comes out identical. A leading {@code ∆}/{@code Δ} (delta
   * counter), optionally followed by {@code ~}, or a leading {@code ~} (internal metric) is kept.
   */
  static String sanitize(String text) {
    StringBuilder b = new StringBuilder(text.length());
    int i = 0;
    if (!text.isEmpty() && (text.charAt(0) == DELTA || text.charAt(0) == ALT_DELTA)) {
      b.append(text.charAt(0));
      i = 1;
      if (text.length() > 1 && text.charAt(1) == TILDE) {
        b.append(TILDE);
        i = 2;
      }
    } else if (!text.isEmpty() && text.charAt(0) == TILDE) {
      b.append(TILDE);
      i = 1;
    }
    while (i < text.length()) {
      int cp = text.codePointAt(i);
      if (cp < 128 && isKept((char) cp)) {
        b.append((char) cp);
      } else {
        b.append("-".repeat(utf8Length(cp)));
      }
      i += Character.charCount(cp);
    }
    return b.toString();
  }

  /** Telegraf's {@code convert_paths}: every {@code _} becomes the separator {@code .}. */
  static String convertPaths(String name) {
    return name.replace('_', '.');
  }

  /**
   * Cleans a source or tag value into what the proxy will hold: trimmed; {@code *} → {@code -} (as
   * Telegraf did); a newline becomes the two characters {@code \n} and a carriage return {@code \r}
   * (a raw one would split the line); trailing backslashes are removed, because the proxy would
   * read {@code \"} at the end as an escaped quote and reject the line with "Unmatched quote
   * character". The result may be empty; callers drop such tags.
   */
  static String cleanValue(String value) {
    return trimTrailingBackslashes(escapeBreaks(value));
  }

  /**
   * {@link #cleanValue} without the trailing-backslash step, so callers can see whether it applies.
   */
  static String escapeBreaks(String value) {
    String v = value.strip();
    StringBuilder b = new StringBuilder(v.length());
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '*' -> b.append('-');
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /** Removes trailing backslashes (and whitespace they leave at the end). */
  static String trimTrailingBackslashes(String v) {
    int end = v.length();
    while (end > 0 && (v.charAt(end - 1) == '\\' || Character.isWhitespace(v.charAt(end - 1)))) {
      end--;
    }
    return v.substring(0, end);
  }

  /**
   * Cuts {@code v} to at most {@code max} UTF-16 units (the proxy counts {@code String.length()})
   * without splitting a surrogate pair, then removes what the proxy cannot read at the end of a
   * quoted value (backslashes) and trailing whitespace.
   */
  static String truncate(String v, int max) {
    if (v.length() <= max) {
      return v;
    }
    int end = Math.max(0, max);
    if (end > 0 && Character.isHighSurrogate(v.charAt(end - 1))) {
      end--;
    }
    return trimTrailingBackslashes(v.substring(0, end));
  }

  private static boolean isKept(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '_'
        || c == '-';
  }

  private static int utf8Length(int codePoint) {
    return new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8).length;
  }
}
