package io.fleetstats.stream.kubelet;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.KubeletSummary;
import io.fleetstats.schemas.Sources;
import io.fleetstats.stream.topology.Emitted;
import io.fleetstats.stream.topology.StreamMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The kubelet branch of the topology: for each summary, the previous one of the same source and
 * node comes from {@link #STORE}, {@link KubeletRates} names the values and computes the rates, and
 * the summary becomes the new baseline. No windows: a scrape is already one point per interval. The
 * raw topic is keyed by source, so a node agent's summaries arrive in order in one task.
 *
 * <p>Forwards each value as an {@link Emitted.Final} (key: series id) and the node's share of the
 * namespace and cluster roll-ups as an {@link Emitted.Partial} keyed by cluster, for {@link
 * KubeletRollupProcessor} behind the kubelet roll-up repartition topic.
 */
public final class KubeletRateProcessor
    implements Processor<String, KubeletSummary, String, Emitted> {
  /** Last summary per {@code <source id>|<node>}. */
  public static final String STORE = "fleetstats-kubelet-baseline-store";

  /** Summaries read. */
  public static final String SUMMARIES = "kubelet-summaries-total";

  /** Counters that went down (a container restarted): no rate given, new baseline. */
  public static final String RESETS = "kubelet-counter-resets-total";

  private final String prefix;
  private ProcessorContext<String, Emitted> context;
  private KeyValueStore<String, KubeletSummary> store;
  private final List<Sensor> sensors = new ArrayList<>();
  private Sensor summaries;
  private Sensor resets;

  /**
   * @param prefix of every name ({@code kubernetes.} or {@code heapster.})
   */
  public KubeletRateProcessor(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public void init(ProcessorContext<String, Emitted> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
    summaries = StreamMetrics.taskCounter(context, SUMMARIES, "kubelet summaries read", sensors);
    resets =
        StreamMetrics.taskCounter(
            context, RESETS, "kubelet counters that went down; no rate given", sensors);
  }

  @Override
  public void process(Record<String, KubeletSummary> record) {
    KubeletSummary current = record.value();
    if (current == null) {
      return;
    }
    summaries.record();
    String key = Sources.id(current.getSource()) + '|' + current.getNode();
    KubeletSummary previous = store.get(key);
    KubeletRates.Result result = KubeletRates.apply(prefix, previous, current);
    if (result.resets() > 0) {
      resets.record(result.resets());
    }
    for (Map.Entry<String, Aggregate> e : result.aggregates().entrySet()) {
      context.forward(
          new Record<String, Emitted>(
              e.getKey(), new Emitted.Final(e.getValue()), current.getTakenAt()));
    }
    if (!result.contribution().isEmpty()) {
      context.forward(
          new Record<String, Emitted>(
              current.getSource().getCluster(),
              new Emitted.Partial(result.contribution().toBytes()),
              current.getTakenAt()));
    }
    if (KubeletRates.advances(previous, current)) {
      store.put(key, current);
    }
  }

  @Override
  public void close() {
    sensors.forEach(s -> context.metrics().removeSensor(s));
    sensors.clear();
  }
}
