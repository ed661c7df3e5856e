package io.fleetstats.schemas;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The platform's topics. Names are {@code <prefix>.raw.statsd} etc.; the default prefix is {@value
 * #DEFAULT_PREFIX}.
 *
 * @param rawStatsd key: source id, value: one agent flush
 * @param rawMysql key: source id, value: one MySQL poll
 * @param rawKubelet key: source id, value: one kubelet scrape
 * @param aggregates key: series id, value: one closed window of one series
 * @param deadletter key: as the original record, value: the original bytes (reason in headers)
 * @param clusters compacted; key: cluster name, value: that cluster's metadata tags
 */
public record Topics(
    Topic<String, StatsdBatch> rawStatsd,
    Topic<String, MysqlSnapshot> rawMysql,
    Topic<String, KubeletSummary> rawKubelet,
    Topic<String, Aggregate> aggregates,
    Topic<byte[], byte[]> deadletter,
    Topic<String, ClusterMetadata> clusters) {

  public static final String DEFAULT_PREFIX = "fleetstats";

  public static final AvroSerde<StatsdBatch> STATSD_BATCH = AvroSerde.of(StatsdBatch.class);

  /** Also reads snapshots written with the first released schema (before {@code series}). */
  public static final AvroSerde<MysqlSnapshot> MYSQL_SNAPSHOT =
      AvroSerde.of(MysqlSnapshot.class, SchemaHistory.load("MysqlSnapshot-1.avsc"));

  public static final AvroSerde<KubeletSummary> KUBELET_SUMMARY =
      AvroSerde.of(KubeletSummary.class);

  /**
   * Also reads aggregates written with the first released schema (before {@code verbatim} and
   * {@code correction}).
   */
  public static final AvroSerde<Aggregate> AGGREGATE =
      AvroSerde.of(Aggregate.class, SchemaHistory.load("Aggregate-1.avsc"));

  public static final AvroSerde<ClusterMetadata> CLUSTER_METADATA =
      AvroSerde.of(ClusterMetadata.class);

  /**
   * The topics under {@code prefix} (e.g. {@code fleetstats} gives {@code fleetstats.raw.statsd}).
   */
  public static Topics withPrefix(String prefix) {
    Serde<String> keys = Serdes.String();
    TopicNames names = TopicNames.withPrefix(prefix);
    return new Topics(
        new Topic<>(names.rawStatsd(), keys, STATSD_BATCH),
        new Topic<>(names.rawMysql(), keys, MYSQL_SNAPSHOT),
        new Topic<>(names.rawKubelet(), keys, KUBELET_SUMMARY),
        new Topic<>(names.aggregates(), keys, AGGREGATE),
        new Topic<>(names.deadletter(), Serdes.ByteArray(), Serdes.ByteArray()),
        new Topic<>(names.clusters(), keys, CLUSTER_METADATA));
  }

  /** The topics' names. */
  public TopicNames names() {
    return new TopicNames(
        rawStatsd.name(),
        rawMysql.name(),
        rawKubelet.name(),
        aggregates.name(),
        deadletter.name(),
        clusters.name());
  }

  public static Topics defaults() {
    return withPrefix(DEFAULT_PREFIX);
  }
}
