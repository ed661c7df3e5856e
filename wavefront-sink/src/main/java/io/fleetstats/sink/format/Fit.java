package io.fleetstats.sink.format;

/**
 * A change the formatter made so that a point fits the backend's limits ({@link Limits}) instead of
 * being blocked by the proxy. Counted per aggregate and kind: one count per tag dropped or value
 * truncated, one per aggregate whose names or source had to be cut.
 */
public enum Fit {
  /**
   * A metric name was longer than {@link Limits#metricName()}: the series part was cut, the field
   * suffix kept.
   */
  NAME_TRUNCATED,
  /** The source was longer than {@link Limits#source()} and was cut. */
  SOURCE_TRUNCATED,
  /** More than {@link Limits#tags()} tags: the tag was dropped by the priority rule. */
  TAG_DROPPED_OVER_COUNT,
  /**
   * A tag key was longer than {@link Limits#tagKey()} (or empty) after sanitising: the tag was
   * dropped.
   */
  TAG_DROPPED_BAD_KEY,
  /** A tag value was empty or blank after cleaning: the tag was dropped (as Telegraf did). */
  TAG_DROPPED_EMPTY_VALUE,
  /** Two tag keys sanitised to the same text: the later one in key order was dropped. */
  TAG_DROPPED_DUPLICATE_KEY,
  /** Key plus value was longer than {@link Limits#tagKeyPlusValue()}: the value was cut. */
  TAG_VALUE_TRUNCATED,
  /** A source or tag value ended in backslashes, which the proxy cannot read: they were removed. */
  TRAILING_BACKSLASH_REMOVED;

  /** Name for metric labels and logs: lower case. */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
