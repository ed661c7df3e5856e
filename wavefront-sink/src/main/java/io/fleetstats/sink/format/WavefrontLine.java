package io.fleetstats.sink.format;

import java.util.SortedMap;

/**
 * One line for the proxy: a metric point or a distribution. Holds exactly the strings the proxy
 * will hold after parsing the line, so {@link LineValidator} checks the line without re-parsing it.
 */
public sealed interface WavefrontLine permits WavefrontPoint, WavefrontDistribution {
  /** Metric name, already sanitised. */
  String name();

  /** Wavefront source, already cleaned. */
  String source();

  /** Point tags, sorted by key. */
  SortedMap<String, String> tags();

  /** The line in the proxy's format, without the terminating newline. */
  String toLine();

  /** The value of the HTTP {@code f=} parameter for requests carrying this kind of line. */
  String format();
}
