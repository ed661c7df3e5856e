package io.fleetstats.edge.statsd;

import java.util.Arrays;
import java.util.Map;

/**
 * The series already seen, keyed by the raw bytes of the bucket and the DogStatsD tag field that
 * named them: a line of a known series finds its {@link SeriesId} by hashing and comparing bytes,
 * with no String, no map and no allocation. The name and tags come from the full {@link
 * StatsdParser} the first time (they depend only on those bytes and the parser's options), so
 * templates, tag dialects, sanitising and limits behave exactly as in the full parser.
 *
 * <p>Bounded: when {@link #MAX_ENTRIES} are held it starts empty again (a pod sending more distinct
 * series than that simply takes the full parser's path more often). One event-loop thread only.
 */
final class SeriesCache {
  /** At most this many bucket-and-tags byte strings are remembered (roughly 1 MiB at worst). */
  static final int MAX_ENTRIES = 4096;

  private static final int TYPES = MetricType.values().length;

  private final Entry[] table = new Entry[MAX_ENTRIES * 2];
  private final int mask = table.length - 1;
  private int size;

  private static final class Entry {
    final int hash;
    final byte[] bucket;

    /** The tag field's bytes (with its {@code #}), null when the line had none. */
    final byte[] tagField;

    final String name;
    final Map<String, String> tags;
    final SeriesId[] byType = new SeriesId[TYPES];

    Entry(int hash, byte[] bucket, byte[] tagField, String name, Map<String, String> tags) {
      this.hash = hash;
      this.bucket = bucket;
      this.tagField = tagField;
      this.name = name;
      this.tags = tags;
    }
  }

  /**
   * Spreads the low bits the table index uses; the last step of a line's hash, which {@link
   * FastLineReader} computes over the bucket and the tag field while it reads them.
   */
  static int spread(int h) {
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  /** The series of this bucket, tag field and type, or null when these bytes are not known. */
  SeriesId find(
      byte[] b, int hash, int bucketFrom, int bucketTo, int tagsFrom, int tagsTo, MetricType type) {
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      Entry e = table[i];
      if (e == null) {
        return null;
      }
      if (e.hash == hash
          && same(e.bucket, b, bucketFrom, bucketTo)
          && (tagsFrom < 0
              ? e.tagField == null
              : e.tagField != null && same(e.tagField, b, tagsFrom, tagsTo))) {
        SeriesId id = e.byType[type.ordinal()];
        if (id == null) {
          id = new SeriesId(e.name, type, e.tags);
          e.byType[type.ordinal()] = id;
        }
        return id;
      }
    }
  }

  /**
   * {@code known} equals {@code b[from, to)}. A plain loop: the bytes are a name or a tag field, a
   * few dozen at most, where {@code Arrays.equals} (its range checks and its call into the
   * vectorized mismatch) cost more under the sidecar's C1-only JIT than the comparison itself.
   */
  private static boolean same(byte[] known, byte[] b, int from, int to) {
    if (known.length != to - from) {
      return false;
    }
    for (int i = 0; i < known.length; i++) {
      if (known[i] != b[from + i]) {
        return false;
      }
    }
    return true;
  }

  /** Remembers that these bytes name {@code series}; returns the series to use. */
  SeriesId put(
      byte[] b, int hash, int bucketFrom, int bucketTo, int tagsFrom, int tagsTo, SeriesId series) {
    if (size >= MAX_ENTRIES) {
      Arrays.fill(table, null);
      size = 0;
    }
    Entry e =
        new Entry(
            hash,
            Arrays.copyOfRange(b, bucketFrom, bucketTo),
            tagsFrom < 0 ? null : Arrays.copyOfRange(b, tagsFrom, tagsTo),
            series.name(),
            series.tags());
    e.byType[series.type().ordinal()] = series;
    int i = hash & mask;
    while (table[i] != null) {
      i = (i + 1) & mask;
    }
    table[i] = e;
    size++;
    return series;
  }

  /** Byte strings remembered now. */
  int size() {
    return size;
  }
}
