package io.fleetstats.edge.statsd;

/**
 * Reads the common shape of a statsd line straight from the received bytes, without making a
 * String: {@code <bucket>:<value>|<type>[|@<rate>][|#<tags>]} (rate and tags in either order), one
 * plain decimal value, type {@code c g ms h d}, printable ASCII at both ends, no byte above 0x7F.
 * It does not resolve the bucket and the tags into a name and tags: it only finds where they are,
 * and {@link SeriesCache} maps those bytes to the series the full {@link StatsdParser} made of them
 * the first time. Anything else (sets, several values, {@code +} signs, exponents, long numbers,
 * other DogStatsD fields, events, non-ASCII, surrounding blanks, a line over the length limit) is
 * left to the full parser, so the two always agree; the differential test checks that.
 *
 * <p>Values are read exactly as {@link Double#parseDouble} reads them: at most 15 significant
 * digits and 22 decimals, so that {@code digits / 10^decimals} is one correctly rounded division of
 * two exact doubles. A line is read in one pass: the reader finds its end too. One instance per
 * ingester: the fields hold the last line read.
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

  /**
   * The hash {@link SeriesCache} keys on: {@code 31 * h + byte} over the bucket, {@code '|'} and
   * the tag field, then {@link SeriesCache#spread}, computed while they are read.
   */
  int hash;

  MetricType type;
  double value;
  double sampleRate;
  boolean relative;

  /**
   * Where the last {@link #decimal} stopped: the index of its {@code |} or {@code \n}, or the end.
   */
  private int next;

  /**
   * @param maxLineLength longer lines are the full parser's (it rejects them)
   */
  FastLineReader(int maxLineLength) {
    this.maxLineLength = maxLineLength;
  }

  /**
   * Reads the line that starts at {@code from} and ends at the first {@code \n} before {@code end}
   * (or at {@code end}), in one pass over its bytes. Returns where the line ends (the index of its
   * {@code \n}, or {@code end}) when it has the common shape and was read into the fields; -1 when
   * the full parser must read it (also for an empty line and for one ended by {@code \r\n}: the
   * caller finds the end of those itself).
   */
  int read(byte[] b, int from, int end) {
    if (from >= end || !printable(b[from]) || b[from] == '_') {
      return -1; // events (_e{) and service checks (_sc|) are rejected by the full parser
    }
    int i = from;
    int h = 1;
    for (; ; i++) {
      if (i == end) {
        return -1;
      }
      byte c = b[i];
      if (c == ':') {
        break;
      }
      if (c == '|' || c == '\n' || c < 0) {
        return -1;
      }
      h = 31 * h + c;
    }
    if (i == from) {
      return -1;
    }
    h = 31 * h + '|';
    bucketFrom = from;
    bucketTo = i;
    value = decimal(b, i + 1, end, true, false);
    if (Double.isNaN(value)) {
      return -1;
    }
    i = next + 1; // after the '|' that ends the value
    if (i == end) {
      return -1;
    }
    byte t = b[i];
    if (t == 'm') {
      if (i + 1 == end || b[i + 1] != 's') {
        return -1;
      }
      type = MetricType.TIMER;
      i += 2;
    } else {
      type =
          switch (t) {
            case 'c' -> MetricType.COUNTER;
            case 'g' -> MetricType.GAUGE;
            case 'h' -> MetricType.HISTOGRAM;
            case 'd' -> MetricType.DISTRIBUTION;
            default -> null; // sets (s) carry a member: the full parser's
          };
      if (type == null) {
        return -1;
      }
      i++;
    }
    relative = type == MetricType.GAUGE && b[bucketTo + 1] == '-';
    sampleRate = 1.0;
    tagsFrom = -1;
    tagsTo = -1;
    boolean rateSeen = false;
    // i is at the '|' before the next field, at the line's '\n', or at the end
    while (i < end && b[i] != '\n') {
      if (b[i] != '|') {
        return -1; // a type longer than c, g, h, d or ms
      }
      int fieldFrom = i + 1;
      if (fieldFrom == end) {
        return -1;
      }
      byte first = b[fieldFrom];
      if (first == '@' && !rateSeen) {
        rateSeen = true;
        sampleRate = decimal(b, fieldFrom + 1, end, false, true);
        if (!(sampleRate > 0 && sampleRate <= 1)) {
          return -1;
        }
        i = next;
      } else if (first == '#' && tagsFrom < 0) {
        int j = fieldFrom;
        for (; j < end; j++) {
          byte c = b[j];
          if (c == '|' || c == '\n') {
            break;
          }
          if (c < 0) {
            return -1;
          }
          h = 31 * h + c;
        }
        tagsFrom = fieldFrom;
        tagsTo = j;
        i = j;
      } else {
        return -1;
      }
    }
    // i is the line's end: its last byte must be printable (no blank, no \r) and the line within
    // the limit
    if (i - from > maxLineLength || !printable(b[i - 1])) {
      return -1;
    }
    hash = SeriesCache.spread(h);
    return i;
  }

  private static boolean printable(byte b) {
    return b > ' ' && b < 0x7F;
  }

  /**
   * {@code [-]digits[.digits]} with at least one digit, as {@link Double#parseDouble} reads it,
   * from {@code from} up to the next {@code |} (or, when {@code lineMayEnd}, the next {@code \n} or
   * {@code end}), where it leaves {@link #next}; NaN for anything else, including what the full
   * parser would still accept (exponents, a {@code +}, long mantissas).
   */
  private double decimal(byte[] b, int from, int end, boolean signed, boolean lineMayEnd) {
    int i = from;
    boolean negative = false;
    if (signed && i < end && b[i] == '-') {
      negative = true;
      i++;
    }
    long mantissa = 0;
    int digits = 0;
    int decimals = 0;
    boolean point = false;
    for (; ; i++) {
      if (i == end) {
        if (!lineMayEnd) {
          return Double.NaN;
        }
        break;
      }
      byte c = b[i];
      int d = c - '0';
      if (d >= 0 && d <= 9) {
        if (mantissa > MAX_MANTISSA) {
          return Double.NaN;
        }
        mantissa = mantissa * 10 + d;
        digits++;
        if (point) {
          decimals++;
        }
      } else if (c == '.' && !point) {
        point = true;
      } else if (c == '|' || (c == '\n' && lineMayEnd)) {
        break;
      } else {
        return Double.NaN;
      }
    }
    next = i;
    if (digits == 0 || decimals >= POWERS_OF_TEN.length) {
      return Double.NaN;
    }
    double v = decimals == 0 ? (double) mantissa : mantissa / POWERS_OF_TEN[decimals];
    return negative ? -v : v;
  }
}
