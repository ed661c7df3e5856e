package io.fleetstats.schemas;

/**
 * The names of the platform's topics under one prefix, without their serdes: for code that must not
 * initialize Avro (the edge agent's statsd path, which writes its batches itself to keep Avro's and
 * Jackson's classes out of the sidecar). {@link Topics} adds the serdes.
 */
public record TopicNames(
    String rawStatsd,
    String rawMysql,
    String rawKubelet,
    String aggregates,
    String deadletter,
    String clusters) {

  /**
   * The names under {@code prefix} (e.g. {@code fleetstats} gives {@code fleetstats.raw.statsd}).
   */
  public static TopicNames withPrefix(String prefix) {
    return new TopicNames(
        prefix + ".raw.statsd",
        prefix + ".raw.mysql",
        prefix + ".raw.kubelet",
        prefix + ".aggregates",
        prefix + ".deadletter",
        prefix + ".clusters");
  }
}
