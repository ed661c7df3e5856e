package io.fleetstats.stream.mysql;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Sources;
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
 * The MySQL branch of the topology: for each snapshot, the previous one of the same source and
 * server comes from {@link #STORE}, {@link MysqlRates} computes the aggregates, and the snapshot
 * becomes the new baseline. No windows: a snapshot is already one point per interval. The raw topic
 * is keyed by source, so a source's snapshots arrive in order in one task.
 */
public final class MysqlRateProcessor
    implements Processor<String, MysqlSnapshot, String, Aggregate> {
  /** Last snapshot per {@code <source id>|<server>}. */
  public static final String STORE = "fleetstats-mysql-baseline-store";

  /** Snapshots read. */
  public static final String SNAPSHOTS = "mysql-snapshots-total";

  /** Counters that went down (reset): no rate given, new baseline. */
  public static final String RESETS = "mysql-counter-resets-total";

  /** Snapshots after a server restart (uptime went down): no rates given, new baseline. */
  public static final String RESTARTS = "mysql-server-restarts-total";

  private ProcessorContext<String, Aggregate> context;
  private KeyValueStore<String, MysqlSnapshot> store;
  private final List<Sensor> sensors = new ArrayList<>();
  private Sensor snapshots;
  private Sensor resets;
  private Sensor restarts;

  @Override
  public void init(ProcessorContext<String, Aggregate> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
    snapshots = StreamMetrics.taskCounter(context, SNAPSHOTS, "MySQL snapshots read", sensors);
    resets =
        StreamMetrics.taskCounter(
            context, RESETS, "MySQL counters that went down; no rate given", sensors);
    restarts =
        StreamMetrics.taskCounter(
            context,
            RESTARTS,
            "MySQL snapshots following a server restart; no rates given",
            sensors);
  }

  @Override
  public void process(Record<String, MysqlSnapshot> record) {
    MysqlSnapshot current = record.value();
    if (current == null) {
      return;
    }
    snapshots.record();
    String key = Sources.id(current.getSource()) + '|' + current.getServer();
    MysqlSnapshot previous = store.get(key);
    MysqlRates.Result result = MysqlRates.apply(previous, current);
    if (result.resets() > 0) {
      resets.record(result.resets());
    }
    if (result.restarted()) {
      restarts.record();
    }
    for (Map.Entry<String, Aggregate> e : result.aggregates().entrySet()) {
      context.forward(new Record<>(e.getKey(), e.getValue(), current.getTakenAt()));
    }
    if (MysqlRates.advances(previous, current)) {
      store.put(key, current);
    }
  }

  @Override
  public void close() {
    sensors.forEach(s -> context.metrics().removeSensor(s));
    sensors.clear();
  }
}
