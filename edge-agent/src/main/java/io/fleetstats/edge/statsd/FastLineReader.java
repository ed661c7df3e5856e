package io.fleetstats.edge.statsd;


/**
 * Reads the common shape of a statsd line straight from the received bytes, without making a
 * String: {@code <bucket>:<value>|<type>[|@<rate>][|#<tags>]} (rate and tags in either order),
 * one plain decimal value, type {@code c g ms h d}, printable ASCII at both ends, no byte above
 * 0x7F. It does not resolve the bucket and the tags into a name and tags: it only finds where they
 * are, and {@link SeriesCache} maps those bytes to the series the full {@link StatsdParser} made of
 * them the first time. Anything else (sets, several values, {@code +} signs, exponents, long
 * numbers, other DogStatsD fields, events, non-ASCII, surrounding blanks, a line over the length
 * limit) is left to the full parser, so the two always agree; the differential test checks that.
 *
 * <p>Values are read exactly as {@link Double#parseDouble} reads them: at most 15 significant
 * digits and 22 decimals, so that {@code digits / 10^decimals} is one correctly rounded division
 * of two exact doubles. One instance per ingester: the fields hold the last line read.
 */
final class FastLineReader {
  /** 10^0 .. 10^22, the powers of ten a double holds exactly. */
  private static final double[] POWERS_OF_TEN = new double[23];
  /** Mantissas stay below 2^53, so that they are exact doubles. */
  private static final long MAX_MANTISSA = (1L << 53) / 10 - 1;

  static {
    double p = 1;
    for (int i = 0; i < POWERS_OF_TEN.length; i++) {
      POWERS_OF_TEN[i] = p;
      p *= 10;
    }
  }

  private final int maxLineLength;

  int bucketFrom;
  int bucketTo;
  /** The DogStatsD tag field with its {@code #}, or -1 when the line has none. */
  int tagsFrom;

  int tagsTo;
  /** {@link SeriesCache#hash} of the bucket and the tag field, computed while they are read. */
  int hash;

  MetricType type;
  double value;
  double sampleRate;
  boolean relative;

  /** @param maxLineLength longer lines are the full parser's (it rejects them) */
  FastLineReader(int maxLineLength) {
    this.maxLineLength = maxLineLength;
  }

  /**
   * Reads {@code line[from, to)} (a non-empty line without its {@code \n} and {@code \r}). True
   * when it has the common shape and was read into the fields; false when the full parser must
   * read it.
   */
  boolean read(byte[] line, int from, int to) {
    if (to - from > maxLineLength || !printable(line[from]) || !printable(line[to - 1])) {
      return false;
    }
    if (line[from] == '_') {
      return false; // events (_e{) and service checks (_sc|) are rejected by the full parser
    }
    int colon = from;
    int h = 1;
    while (colon < to && line[colon] != ':') {
      byte b = line[colon];
      if (b == '|' || b < 0) {
        return false;
      }
      h = 31 * h + b;
      colon++;
    }
    h = 31 * h + '|';
    if (colon == from || colon == to) {
      return false;
    }
    bucketFrom = from;
    bucketTo = colon;
    int pipe = indexOf(line, (byte) '|', colon + 1, to);
    if (pipe < 0) {
      return false;
    }
    value = decimal(line, colon + 1, pipe, true);
    if (Double.isNaN(value)) {
      return false;
    }
    int fieldEnd = indexOf(line, (byte) '|', pipe + 1, to);
    if (fieldEnd < 0) {
      fieldEnd = to;
    }
    type = type(line, pipe + 1, fieldEnd);
    if (type == null) {
      return false;
    }
    relative = type == MetricType.GAUGE && line[colon + 1] == '-';
    sampleRate = 1.0;
    tagsFrom = -1;
    tagsTo = -1;
    boolean rateSeen = false;
    while (fieldEnd < to) {
      int fieldFrom = fieldEnd + 1;
      fieldEnd = indexOf(line, (byte) '|', fieldFrom, to);
      if (fieldEnd < 0) {
        fieldEnd = to;
      }
      if (fieldFrom == fieldEnd) {
        return false;
      }
      byte first = line[fieldFrom];
      if (first == '@' && !rateSeen) {
        rateSeen = true;
        sampleRate = decimal(line, fieldFrom + 1, fieldEnd, false);
        if (!(sampleRate > 0 && sampleRate <= 1)) {
          return false;
        }
      } else if (first == '#' && tagsFrom < 0) {
        for (int i = fieldFrom; i < fieldEnd; i++) {
          if (line[i] < 0) {
            return false;
          }
          h = 31 * h + line[i];
        }
        tagsFrom = fieldFrom;
        tagsTo = fieldEnd;
      } else {
        return false;
      }
    }
    hash = SeriesCache.spread(h);
    return true;
  }

  private static boolean printable(byte b) {
    return b > ' ' && b < 0x7F;
  }

  private static int indexOf(byte[] bytes, byte b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static MetricType type(byte[] b, int from, int to) {
    int n = to - from;
    if (n == 1) {
      return switch (b[from]) {
        case 'c' -> MetricType.COUNTER;
        case 'g' -> MetricType.GAUGE;
        case 'h' -> MetricType.HISTOGRAM;
        case 'd' -> MetricType.DISTRIBUTION;
        default -> null; // sets (s) carry a member: the full parser's
      };
    }
    return n == 2 && b[from] == 'm' && b[from + 1] == 's' ? MetricType.TIMER : null;
  }

  /**
   * {@code [-]digits[.digits]} with at least one digit, as {@link Double#parseDouble} reads it;
   * NaN for anything else, including what the full parser would still accept (exponents, a
   * {@code +}, long mantissas).
   */
  static double decimal(byte[] b, int from, int to, boolean signed) {
    int i = from;
    boolean negative = false;
    if (signed && i < to && b[i] == '-') {
      negative = true;
      i++;
    }
    long mantissa = 0;
    int digits = 0;
    int decimals = 0;
    boolean point = false;
    for (; i < to; i++) {
      int d = b[i] - '0';
      if (d >= 0 && d <= 9) {
        if (mantissa > MAX_MANTISSA) {
          return Double.NaN;
        }
        mantissa = mantissa * 10 + d;
        digits++;
        if (point) {
          decimals++;
        }
      } else if (b[i] == '.' && !point) {
        point = true;
      } else {
        return Double.NaN;
      }
    }
    if (digits == 0 || decimals >= POWERS_OF_TEN.length) {
      return Double.NaN;
    }
    double v = decimals == 0 ? (double) mantissa : mantissa / POWERS_OF_TEN[decimals];
    return negative ? -v : v;
  }
}
