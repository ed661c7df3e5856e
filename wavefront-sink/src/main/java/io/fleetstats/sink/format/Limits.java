package io.fleetstats.sink.format;

/**
 * Length and count limits a point must fit. The proxy starts with looser defaults but replaces them
 * at check-in with the backend's per-customer limits, so we check against the backend's.
 *
 * @param metricName most characters (UTF-16 units) in a metric name
 * @param source most characters in a source
 * @param tags most point tags per point
 * @param tagKey most characters in a tag key
 * @param tagValue most characters in a tag value
 * @param tagKeyPlusValue most characters in a tag key and value together (the backend stores {@code
 *     key=value} in 255)
 */
public record Limits(
    int metricName, int source, int tags, int tagKey, int tagValue, int tagKeyPlusValue) {

  /** The backend's "Default Customer-Specific Limits" (research/wavefront.md §1.3). */
  public static final Limits BACKEND_DEFAULTS = new Limits(256, 128, 20, 64, 255, 254);
}
