package io.fleetstats.stream.topology;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.ClusterMetadata;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.StatsdBatchReader;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.aggregate.SeriesWindow;
import io.fleetstats.stream.aggregate.StateOptions;
import io.fleetstats.stream.kubelet.KubeletRateProcessor;
import io.fleetstats.stream.kubelet.KubeletRollupProcessor;
import io.fleetstats.stream.mysql.MysqlRateProcessor;
import io.fleetstats.stream.rollup.RollupWindow;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The stream processor's topology, a pure function of its config. Every processor, store and
 * internal topic is named:
 *
 * <pre>
 * clusters-source (fleetstats.clusters) → clusters [fleetstats-clusters-store, global]
 *
 * raw-statsd-source ([&lt;alias&gt;.]fleetstats.raw.statsd, by pattern; key = source id)
 *   → window-aggregator [fleetstats-window-store]                      stage 1: per source
 *       ├─ aggregates  → aggregates-sink (fleetstats.aggregates)
 *       ├─ deadletters → deadletter-sink (fleetstats.deadletter)
 *       └─ partials and watermarks (broadcast)
 *             → &lt;app id&gt;-fleetstats-rollup-repartition (only with roll-up rules)
 *             → rollup-aggregator [fleetstats-rollup-store]           stage 2: roll-ups
 *                 ├─ aggregates  → rollup-aggregates-sink (fleetstats.aggregates)
 *                 └─ deadletters → rollup-deadletter-sink (fleetstats.deadletter)
 *
 * raw-mysql-source ([&lt;alias&gt;.]fleetstats.raw.mysql, by pattern; key = source id)
 *   → mysql-rates [fleetstats-mysql-baseline-store]
 *   → mysql-aggregates-sink (fleetstats.aggregates, key = series id)
 *
 * raw-kubelet-source ([alias.]fleetstats.raw.kubelet, key = source id)
 *   → kubelet-rates [fleetstats-kubelet-baseline-store]
 *       ├─ values → kubelet-aggregates-sink (fleetstats.aggregates, key = series id)
 *       └─ each node's share of its namespaces and cluster (key = cluster)
 *             → &lt;app id&gt;-fleetstats-kubelet-rollup-repartition
 *             → kubelet-rollup [fleetstats-kubelet-rollup-store]        ns and cluster sums
 *                 → kubelet-rollup-aggregates-sink (fleetstats.aggregates)
 * </pre>
 *
 * The raw topic is keyed by source, so stage 1 needs no repartition; only closed per-source windows
 * (one partial per series, window and rule) cross the repartition topic. Internal topics: the two
 * stores' changelogs and the roll-up repartition topic.
 */
public final class TopologyFactory {
  public static final String SOURCE = "raw-statsd-source";
  public static final String AGGREGATOR = "window-aggregator";
  public static final String SINK = "aggregates-sink";

  /**
   * Stage 1 open windows: key {@code <16 hex digits window start>|<series id>}, value a
   * SeriesWindow.
   */
  public static final String STORE = "fleetstats-window-store";

  /** Stage 2 open roll-up windows: key {@code <16 hex digits window start>|<roll-up id>}. */
  public static final String ROLLUP_STORE = "fleetstats-rollup-store";

  /** Repartition topic {@code <application.id>-fleetstats-rollup-repartition}. */
  public static final String ROLLUP_REPARTITION = "fleetstats-rollup";

  public static final String ROLLUP_AGGREGATOR = "rollup-aggregator";

  /** Global store over {@code fleetstats.clusters}: cluster name → metadata. */
  public static final String CLUSTERS_STORE = "fleetstats-clusters-store";

  private TopologyFactory() {}

  public static final String MYSQL_SOURCE = "raw-mysql-source";
  public static final String MYSQL_RATES = "mysql-rates";
  public static final String MYSQL_SINK = "mysql-aggregates-sink";
  public static final String KUBELET_SOURCE = "raw-kubelet-source";
  public static final String KUBELET_RATES = "kubelet-rates";
  public static final String KUBELET_SINK = "kubelet-aggregates-sink";
  private static final String KUBELET_SINK_NAME = "kubelet-aggregates";

  /** Repartition topic {@code <application.id>-fleetstats-kubelet-rollup-repartition}. */
  public static final String KUBELET_REPARTITION = "fleetstats-kubelet-rollup";

  public static final String KUBELET_ROLLUP = "kubelet-rollup";

  /**
   * {@link #build(StreamConfig, Topics, int)} learning the stage-1 tasks as they announce
   * themselves.
   */
  public static Topology build(StreamConfig config, Topics topics) {
    return build(config, topics, 0);
  }

  /**
   * @param rawPartitions partitions of the raw statsd topic, i.e. stage-1 tasks, each of which a
   *     roll-up window waits for (see {@link RollupAggregator}); 0 when unknown: then only the
   *     tasks heard from are waited for, and one that starts late can miss a first roll-up
   */
  public static Topology build(StreamConfig config, Topics topics, int rawPartitions) {
    StreamsBuilder builder = new StreamsBuilder();
    clusterMetadata(builder, topics);
    statsd(builder, config, topics, rawPartitions);
    kubelet(builder, config, topics);
    Topology topology = builder.build();
    addMysql(topology, config, topics);
    return topology;
  }

  /** The MySQL branch: snapshots → rates and last values (see {@link MysqlRateProcessor}). */
  private static void addMysql(Topology topology, StreamConfig config, Topics topics) {
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
            config.rawMysqlTopics())
        .addProcessor(MYSQL_RATES, MysqlRateProcessor::new, MYSQL_SOURCE)
        .addStateStore(baseline, MYSQL_RATES)
        .addSink(
            MYSQL_SINK,
            topics.aggregates().name(),
            topics.aggregates().keySerde().serializer(),
            topics.aggregates().valueSerde().serializer(),
            MYSQL_RATES);
  }

  /**
   * The kubelet branch: summaries → named values and rates (see {@link KubeletRateProcessor}), and
   * each node's share of the namespace and cluster roll-ups through the kubelet roll-up repartition
   * topic, keyed by cluster, into {@link KubeletRollupProcessor}.
   */
  private static void kubelet(StreamsBuilder builder, StreamConfig config, Topics topics) {
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(KubeletRateProcessor.STORE),
                Serdes.String(),
                topics.rawKubelet().valueSerde())
            .withLoggingEnabled(java.util.Map.of()));
    builder.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(KubeletRollupProcessor.STORE),
                Serdes.String(),
                Serdes.ByteArray())
            .withLoggingEnabled(java.util.Map.of()));
    String prefix = config.kubeletPrefix();
    KubeletRollupProcessor.Settings settings =
        new KubeletRollupProcessor.Settings(
            prefix,
            config.window().toMillis(),
            config.grace().toMillis(),
            config.wallClockClose(),
            config.rollupGrace().toMillis());
    KStream<String, Emitted> rates =
        builder.stream(
                config.rawKubeletTopics(),
                Consumed.with(topics.rawKubelet().keySerde(), topics.rawKubelet().valueSerde())
                    .withName(KUBELET_SOURCE))
            .process(
                () -> new KubeletRateProcessor(prefix),
                Named.as(KUBELET_RATES),
                KubeletRateProcessor.STORE);
    rates
        .split(Named.as("kubelet-"))
        .branch(
            (k, v) -> v instanceof Emitted.Final,
            Branched.withConsumer(s -> toAggregates(s, topics, KUBELET_SINK_NAME), "values"))
        .defaultBranch(
            Branched.withConsumer(
                s ->
                    toAggregates(
                        s.mapValues(
                                v -> ((Emitted.Partial) v).rollupWindow(),
                                Named.as("kubelet-share-bytes"))
                            .repartition(
                                Repartitioned.<String, byte[]>as(KUBELET_REPARTITION)
                                    .withKeySerde(Serdes.String())
                                    .withValueSerde(Serdes.ByteArray()))
                            .process(
                                () -> new KubeletRollupProcessor(settings),
                                Named.as(KUBELET_ROLLUP),
                                KubeletRollupProcessor.STORE),
                        topics,
                        "kubelet-rollup-aggregates"),
                "shares"));
  }

  /** The global store of cluster metadata tags, read by stage 1 when it emits. */
  private static void clusterMetadata(StreamsBuilder builder, Topics topics) {
    StoreBuilder<KeyValueStore<String, ClusterMetadata>> store =
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(CLUSTERS_STORE),
                Serdes.String(),
                topics.clusters().valueSerde())
            // a global store restores from its source topic, which is compacted: no changelog
            .withLoggingDisabled();
    builder.addGlobalStore(
        store,
        topics.clusters().name(),
        Consumed.with(Serdes.String(), topics.clusters().valueSerde()).withName("clusters"),
        ClustersUpdater::new);
  }

  /** Stage 1 over the raw statsd topic and, with roll-up rules, stage 2. */
  private static void statsd(
      StreamsBuilder builder, StreamConfig config, Topics topics, int rawPartitions) {
    // Open windows stay live objects between batches and are encoded into the logged store once
    // per commit interval (LiveWindowStore), not once per batch.
    WindowAggregator.Settings settings = WindowAggregator.Settings.of(config);
    StateOptions options = settings.options();
    builder.addStateStore(
        LiveWindowStore.builder(
            STORE,
            SeriesWindow::toBytes,
            b -> SeriesWindow.fromBytes(b, options),
            WindowAggregator.LIVE_MAX));
    KStream<String, StatsdBatch> raw =
        builder.stream(
            // by pattern: the topic as produced to, and as MirrorMaker 2 mirrors it
            config.rawStatsdTopics(),
            // the topic's Avro serde, read by StatsdBatchReader: the samples without boxing
            Consumed.with(
                    topics.rawStatsd().keySerde(),
                    StatsdBatchReader.serde(topics.rawStatsd().valueSerde()))
                .withName(SOURCE));
    KStream<String, Emitted> stage1 =
        raw.process(() -> new WindowAggregator(settings), Named.as(AGGREGATOR), STORE);
    var branches =
        stage1
            .split(Named.as("stage1-"))
            .branch(
                (k, v) -> v instanceof Emitted.Final,
                Branched.withConsumer(s -> toAggregates(s, topics, "aggregates"), "aggregates"))
            .branch(
                (k, v) -> v instanceof Emitted.DeadLetter,
                Branched.withConsumer(s -> toDeadletter(s, topics, "deadletter"), "deadletters"));
    if (config.rollups().isEmpty()) {
      branches.noDefaultBranch();
      return;
    }
    branches.defaultBranch(
        Branched.withConsumer(s -> rollups(builder, s, config, topics, rawPartitions), "partials"));
  }

  /** Stage 2: partials through the named repartition topic into the roll-up aggregator. */
  private static void rollups(
      StreamsBuilder builder,
      KStream<String, Emitted> partials,
      StreamConfig config,
      Topics topics,
      int rawPartitions) {
    RollupAggregator.Settings settings = RollupAggregator.Settings.of(config, rawPartitions);
    StateOptions options = settings.options();
    builder.addStateStore(
        LiveWindowStore.builder(
            ROLLUP_STORE,
            RollupWindow::toBytes,
            b -> RollupWindow.fromBytes(b, options),
            WindowAggregator.LIVE_MAX));
    KStream<String, Emitted> stage2 =
        partials
            .mapValues(v -> ((Emitted.Partial) v).rollupWindow(), Named.as("partial-bytes"))
            .repartition(
                Repartitioned.<String, byte[]>as(ROLLUP_REPARTITION)
                    .withKeySerde(Serdes.String())
                    .withValueSerde(Serdes.ByteArray())
                    .withStreamPartitioner(TopologyFactory::rollupPartitions))
            .process(
                () -> new RollupAggregator(settings), Named.as(ROLLUP_AGGREGATOR), ROLLUP_STORE);
    stage2
        .split(Named.as("stage2-"))
        .branch(
            (k, v) -> v instanceof Emitted.Final,
            Branched.withConsumer(s -> toAggregates(s, topics, "rollup-aggregates"), "aggregates"))
        .defaultBranch(
            Branched.withConsumer(
                s -> toDeadletter(s, topics, "rollup-deadletter"), "deadletters"));
  }

  /** Watermarks go to every stage-2 task; partials by key, as usual. */
  private static Optional<Set<Integer>> rollupPartitions(
      String topic, String key, byte[] value, int partitions) {
    if (key != null && key.startsWith(RollupAggregator.WATERMARK_PREFIX)) {
      return Optional.of(IntStream.range(0, partitions).boxed().collect(Collectors.toSet()));
    }
    return Optional.empty();
  }

  private static void toAggregates(KStream<String, Emitted> s, Topics topics, String name) {
    s.mapValues(v -> ((Emitted.Final) v).aggregate(), Named.as(name + "-values"))
        .to(
            topics.aggregates().name(),
            Produced.<String, Aggregate>with(
                    topics.aggregates().keySerde(), topics.aggregates().valueSerde())
                .withName(name + "-sink"));
  }

  private static void toDeadletter(KStream<String, Emitted> s, Topics topics, String name) {
    // keys are strings (source or series ids); the topic takes them as their UTF-8 bytes
    s.mapValues(v -> ((Emitted.DeadLetter) v).value(), Named.as(name + "-values"))
        .to(
            topics.deadletter().name(),
            Produced.with(Serdes.String(), Serdes.ByteArray()).withName(name + "-sink"));
  }

  /** Keeps the global cluster metadata store in step with its compacted topic. */
  static final class ClustersUpdater implements Processor<String, ClusterMetadata, Void, Void> {
    private KeyValueStore<String, ClusterMetadata> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      store = context.getStateStore(CLUSTERS_STORE);
    }

    @Override
    public void process(Record<String, ClusterMetadata> record) {
      if (record.key() == null) {
        return;
      }
      if (record.value() == null) {
        store.delete(record.key());
      } else {
        store.put(record.key(), record.value());
      }
    }
  }
}
