package io.fleetstats.sink.prometheus.format;

import java.util.Locale;

/**
 * Why a tag did not become a label. Counted per aggregate in {@code
 * fleetstats_sink_labels_dropped_total{reason}}; the series is still sent with its other labels.
 */
public enum Dropped {
  /** Nothing of the key is left after sanitising ({@code ---}, {@code 123}). */
  BAD_NAME,
  /**
   * The key starts with {@code __}: Prometheus reserves those names ({@code __name__} would replace
   * the metric name).
   */
  RESERVED_NAME,
  /** The value is empty: Prometheus treats an empty label as no label. */
  EMPTY_VALUE,
  /**
   * Two keys sanitise to the same name ({@code pod-name}, {@code pod.name}): the first in key order
   * wins.
   */
  DUPLICATE_NAME;

  /** The {@code reason} tag: the constant in lower case. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
