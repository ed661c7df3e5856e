package io.fleetstats.edge.statsd;

import java.util.Map;

/**
 * One parsed statsd value.
 *
 * @param name the bucket as sent, tags stripped, not sanitised (the sink sanitises)
 * @param type the statsd type
 * @param tags DogStatsD, Influx or Sysdig tags of the line, DogStatsD ones winning on a clash
 * @param value the numeric value; for a relative gauge the signed delta; 0 for sets
 * @param member the set member for {@link MetricType#SET}, else the empty string
 * @param sampleRate the raw {@code @rate} in (0, 1], 1 when absent; the weight 1/rate is applied
 *     downstream so that raw data stays raw
 * @param relative true for a gauge sent with a leading {@code +} or {@code -}
 */
public record StatsdSample(
    String name,
    MetricType type,
    Map<String, String> tags,
    double value,
    String member,
    double sampleRate,
    boolean relative) {

  public StatsdSample {
    tags = Map.copyOf(tags);
  }

  /** A sample with rate 1, no tags, absolute: handy in tests and for internal traffic. */
  public static StatsdSample of(String name, MetricType type, double value) {
    return new StatsdSample(name, type, Map.of(), value, "", 1.0, false);
  }
}
