package io.fleetstats.stream.topology;

import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.mysql.MysqlRateProcessor;
import io.fleetstats.stream.StreamConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The stream processor's topology, a pure function of its config:
 *
 * <pre>
 * raw-statsd-source (fleetstats.raw.statsd, key = source id)
 *   → window-aggregator [fleetstats-window-store]
 *   → aggregates-sink (fleetstats.aggregates, key = series id)
 *
 * raw-mysql-source (fleetstats.raw.mysql, key = source id)
 *   → mysql-rates [fleetstats-mysql-baseline-store]
 *   → mysql-aggregates-sink (fleetstats.aggregates, key = series id)
 * </pre>
 *
 * The raw topic is keyed by source, so each source's windows live in one task and need no
 * repartition topic. The only internal topic is the store's changelog, {@code
 * <application.id>-fleetstats-window-store-changelog}.
 */
public final class TopologyFactory {
  public static final String SOURCE = "raw-statsd-source";
  public static final String AGGREGATOR = "window-aggregator";
  public static final String SINK = "aggregates-sink";
  /** Open windows: key {@code <16 hex digits window start>|<series id>}, value a SeriesWindow. */
  public static final String STORE = "fleetstats-window-store";

  public static final String MYSQL_SOURCE = "raw-mysql-source";
  public static final String MYSQL_RATES = "mysql-rates";
  public static final String MYSQL_SINK = "mysql-aggregates-sink";

  private TopologyFactory() {}

  public static Topology build(StreamConfig config, Topics topics) {
    // Caching off: every batch touches each of its series once anyway, and with a 100 ms
    // exactly-once commit interval the cache would merge little while hiding memory use.
    StoreBuilder<KeyValueStore<String, byte[]>> store =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.ByteArray())
            .withCachingDisabled()
            .withLoggingEnabled(java.util.Map.of());
    Topology topology = new Topology()
        .addSource(
            SOURCE,
            topics.rawStatsd().keySerde().deserializer(),
            topics.rawStatsd().valueSerde().deserializer(),
            topics.rawStatsd().name())
        .addProcessor(AGGREGATOR, () -> new WindowAggregator(WindowAggregator.Settings.of(config)), SOURCE)
        .addStateStore(store, AGGREGATOR)
        .addSink(
            SINK,
            topics.aggregates().name(),
            topics.aggregates().keySerde().serializer(),
            topics.aggregates().valueSerde().serializer(),
            AGGREGATOR);
    addMysql(topology, topics);
    return topology;
  }

  /** The MySQL branch: snapshots → rates and last values (see {@link MysqlRateProcessor}). */
  private static void addMysql(Topology topology, Topics topics) {
    StoreBuilder<KeyValueStore<String, MysqlSnapshot>> baseline =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(MysqlRateProcessor.STORE),
                Serdes.String(),
                topics.rawMysql().valueSerde())
            .withLoggingEnabled(java.util.Map.of());
    topology
        .addSource(
            MYSQL_SOURCE,
            topics.rawMysql().keySerde().deserializer(),
            topics.rawMysql().valueSerde().deserializer(),
            topics.rawMysql().name())
        .addProcessor(MYSQL_RATES, MysqlRateProcessor::new, MYSQL_SOURCE)
        .addStateStore(baseline, MYSQL_RATES)
        .addSink(
            MYSQL_SINK,
            topics.aggregates().name(),
            topics.aggregates().keySerde().serializer(),
            topics.aggregates().valueSerde().serializer(),
            MYSQL_RATES);
  }
}
