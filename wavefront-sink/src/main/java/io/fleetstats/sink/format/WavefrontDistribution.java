package io.fleetstats.sink.format;

import java.util.List;
import java.util.SortedMap;

/**
 * One Wavefront distribution ({@code !M} or {@code !H} line): {@code !M <seconds> #<count> <value>
 * ... "<name>" source="<source>" "<key>"="<value>" ...}. The proxy truncates the timestamp to the
 * start of the minute (hour) bin and, by default, merges distributions of the same bin, so a replay
 * adds to what is there (not idempotent).
 *
 * @param granularity {@code M} (minute) or {@code H} (hour)
 * @param epochSeconds timestamp in seconds (the aggregate's window start)
 * @param centroids value and count pairs, in ascending value order, every count ≥ 1
 * @param name metric name
 * @param source Wavefront source
 * @param tags point tags, sorted by key
 */
public record WavefrontDistribution(
    char granularity,
    long epochSeconds,
    List<Centroid> centroids,
    String name,
    String source,
    SortedMap<String, String> tags)
    implements WavefrontLine {
  /** {@code f=} value of requests with distribution lines. */
  public static final String FORMAT = "histogram";

  /**
   * One centroid of a distribution.
   *
   * @param value the bin's representative value
   * @param count how many values fell in the bin (an {@code int} on the wire)
   */
  public record Centroid(double value, int count) {}

  public WavefrontDistribution {
    centroids = List.copyOf(centroids);
    tags = WavefrontPoint.freeze(tags);
  }

  @Override
  public String toLine() {
    StringBuilder b =
        new StringBuilder(64 + name.length() + 16 * centroids.size() + 32 * tags.size());
    b.append('!').append(granularity).append(' ').append(epochSeconds);
    for (Centroid c : centroids) {
      b.append(" #").append(c.count()).append(' ').append(Numbers.format(c.value()));
    }
    b.append(" \"").append(name).append('"');
    WavefrontPoint.appendSourceAndTags(b, source, tags);
    return b.toString();
  }

  @Override
  public String format() {
    return FORMAT;
  }

  /** Sum of the centroid counts. */
  public long totalCount() {
    long n = 0;
    for (Centroid c : centroids) {
      n += c.count();
    }
    return n;
  }

  @Override
  public String toString() {
    return toLine();
  }
}
