package io.fleetstats.edge.statsd;

/**
 * The statsd types, in the order of the Avro enum {@code io.fleetstats.schemas.MetricType}, whose
 * symbol index is what {@code StatsdBatchWriter} writes ({@code MetricTypeTest} checks the two
 * agree). The agent keeps its own copy because initializing any generated Avro class parses its
 * schema, and Avro's {@code Schema} class loads Jackson's {@code ObjectMapper}: about 700 classes
 * and 8 MiB of RSS the sidecar has no room for (README, "Footprint").
 */
public enum MetricType {
  /** {@code c} */
  COUNTER,
  /** {@code g} */
  GAUGE,
  /** {@code ms} */
  TIMER,
  /** {@code h} */
  HISTOGRAM,
  /** {@code s} */
  SET,
  /** {@code d} */
  DISTRIBUTION
}
