package io.fleetstats.stream.kubelet;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.stream.topology.Emitted;
import io.fleetstats.stream.topology.StreamMetrics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Namespace and cluster roll-ups of the cluster stats ({@code kubernetes.ns.*}, {@code
 * kubernetes.cluster.*}): behind the kubelet roll-up repartition topic, keyed by cluster, every
 * node's {@link KubeletContribution} of one cluster meets here whatever raw partition its agent
 * wrote to. Time is cut into the processor's windows ({@code FLEETSTATS_WINDOW}); per window each
 * node counts once, with its latest scrape in the window, or (a node that scraped just before and
 * just after it) its latest one of the window before. A window is summed and emitted once the
 * cluster's newest scrape time is past its end plus {@code FLEETSTATS_GRACE}, or, with {@code
 * FLEETSTATS_WALL_CLOCK_CLOSE}, when the cluster has been silent for {@code
 * FLEETSTATS_ROLLUP_GRACE}. A share for a window already emitted is late: counted and dropped.
 *
 * <p>Store ({@link #STORE}, logged): {@code s|<cluster>|<hex start>|<node>} → the node's share in
 * that window (kept until the next window is emitted, for the carry), {@code e|<cluster>} → the end
 * of the last window emitted.
 */
public final class KubeletRollupProcessor implements Processor<String, byte[], String, Emitted> {
  private static final Logger log = LoggerFactory.getLogger(KubeletRollupProcessor.class);

  /** Shares of nodes by cluster, window and node; the clusters' emitted horizons. */
  public static final String STORE = "fleetstats-kubelet-rollup-store";

  /** Shares that arrived after their window was emitted. */
  public static final String LATE = "kubelet-late-rollup-shares-total";

  /** Shares that could not be read. */
  public static final String CORRUPT = "kubelet-corrupt-rollup-shares-total";

  /** Namespace and cluster aggregates sent. */
  public static final String EMITTED = "kubelet-rollups-emitted-total";

  /**
   * What the processor needs from the config.
   *
   * @param silence with {@code wallClockClose}, a cluster silent this long has its open windows
   *     emitted
   */
  public record Settings(
      String prefix, long window, long grace, boolean wallClockClose, long silence) {}

  private static final class ClusterState {
    long clock = Long.MIN_VALUE;
    long emittedThrough = Long.MIN_VALUE;
    long seenAt;
    final TreeSet<Long> open = new TreeSet<>();
  }

  private final Settings settings;
  private ProcessorContext<String, Emitted> context;
  private KeyValueStore<String, byte[]> store;
  private final Map<String, ClusterState> clusters = new HashMap<>();
  private final List<Sensor> sensors = new ArrayList<>();
  private Sensor late;
  private Sensor corrupt;
  private Sensor emitted;

  public KubeletRollupProcessor(Settings settings) {
    this.settings = settings;
  }

  @Override
  public void init(ProcessorContext<String, Emitted> context) {
    this.context = context;
    this.store = context.getStateStore(STORE);
    late =
        StreamMetrics.taskCounter(
            context, LATE, "kubelet roll-up shares after their window was emitted", sensors);
    corrupt =
        StreamMetrics.taskCounter(context, CORRUPT, "unreadable kubelet roll-up shares", sensors);
    emitted =
        StreamMetrics.taskCounter(
            context, EMITTED, "namespace and cluster aggregates of the cluster stats", sensors);
    long now = context.currentSystemTimeMs();
    try (KeyValueIterator<String, byte[]> it =
        store.prefixScan("e|", Serdes.String().serializer())) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        if (kv.value != null && kv.value.length == Long.BYTES) {
          state(kv.key.substring(2), now).emittedThrough = ByteBuffer.wrap(kv.value).getLong();
        }
      }
    }
    try (KeyValueIterator<String, byte[]> it =
        store.prefixScan("s|", Serdes.String().serializer())) {
      while (it.hasNext()) {
        String key = it.next().key;
        int end = key.lastIndexOf('|');
        int mid = key.lastIndexOf('|', end - 1);
        if (mid <= 2) {
          continue;
        }
        ClusterState st = state(key.substring(2, mid), now);
        long start = Long.parseUnsignedLong(key.substring(mid + 1, end), 16);
        if (start + settings.window() > st.emittedThrough) {
          st.open.add(start);
        }
        st.clock = Math.max(st.clock, start);
      }
    }
    if (settings.wallClockClose()) {
      context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
    }
  }

  private ClusterState state(String cluster, long now) {
    return clusters.computeIfAbsent(
        cluster,
        c -> {
          ClusterState st = new ClusterState();
          st.seenAt = now;
          return st;
        });
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String cluster = record.key();
    if (cluster == null || record.value() == null) {
      corrupt.record();
      return;
    }
    KubeletContribution share;
    try {
      share = KubeletContribution.fromBytes(record.value());
    } catch (IllegalArgumentException e) {
      corrupt.record();
      log.warn("dropping an unreadable kubelet roll-up share of cluster {}: {}", cluster, e);
      return;
    }
    long now = context.currentSystemTimeMs();
    ClusterState st = state(cluster, now);
    st.seenAt = now;
    long start = Math.floorDiv(share.takenAt(), settings.window()) * settings.window();
    if (st.emittedThrough != Long.MIN_VALUE && start + settings.window() <= st.emittedThrough) {
      late.record();
      return;
    }
    String key = shareKey(cluster, start, share.node());
    byte[] old = store.get(key);
    if (old == null || older(old, share.takenAt())) {
      store.put(key, record.value());
    }
    st.open.add(start);
    st.clock = Math.max(st.clock, share.takenAt());
    closeThrough(cluster, st, st.clock - settings.grace());
  }

  private static boolean older(byte[] stored, long takenAt) {
    try {
      return KubeletContribution.fromBytes(stored).takenAt() <= takenAt;
    } catch (IllegalArgumentException e) {
      return true; // replace what cannot be read
    }
  }

  private void onWallClock(long now) {
    for (Map.Entry<String, ClusterState> e : clusters.entrySet()) {
      ClusterState st = e.getValue();
      if (!st.open.isEmpty() && now - st.seenAt >= settings.silence()) {
        closeThrough(e.getKey(), st, Long.MAX_VALUE);
      }
    }
  }

  /** Emits the cluster's open windows that end at or before {@code horizon}, oldest first. */
  private void closeThrough(String cluster, ClusterState st, long horizon) {
    while (!st.open.isEmpty()) {
      long start = st.open.first();
      if (start > horizon - settings.window()) {
        return;
      }
      st.open.pollFirst();
      emit(cluster, start);
      st.emittedThrough = start + settings.window();
      store.put("e|" + cluster, ByteBuffer.allocate(Long.BYTES).putLong(st.emittedThrough).array());
    }
  }

  private void emit(String cluster, long start) {
    Map<String, KubeletContribution> nodes = shares(cluster, start);
    // a node whose scrapes straddle this window counts with its latest one of the window before
    for (Map.Entry<String, KubeletContribution> e :
        shares(cluster, start - settings.window()).entrySet()) {
      nodes.putIfAbsent(e.getKey(), e.getValue());
    }
    // what the next window may carry is this one's: older shares go
    List<String> old = new ArrayList<>();
    try (KeyValueIterator<String, byte[]> it =
        store.range(shareKey(cluster, 0, ""), shareKey(cluster, start, ""))) {
      while (it.hasNext()) {
        old.add(it.next().key);
      }
    }
    old.forEach(store::delete);
    KubeletContribution total = new KubeletContribution("", start);
    nodes.values().forEach(total::merge);
    for (Map.Entry<String, TreeMap<String, Double>> s : total.sums().entrySet()) {
      Aggregate a = aggregate(cluster, start, s.getKey(), s.getValue());
      context.forward(
          new Record<String, Emitted>(cluster + '|' + s.getKey(), new Emitted.Final(a), start));
      emitted.record();
    }
  }

  private Map<String, KubeletContribution> shares(String cluster, long start) {
    Map<String, KubeletContribution> out = new TreeMap<>();
    if (start < 0) {
      return out;
    }
    String prefix = shareKey(cluster, start, "");
    try (KeyValueIterator<String, byte[]> it =
        store.prefixScan(prefix, Serdes.String().serializer())) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> kv = it.next();
        try {
          out.put(kv.key.substring(prefix.length()), KubeletContribution.fromBytes(kv.value));
        } catch (IllegalArgumentException e) {
          corrupt.record();
          log.warn("dropping an unreadable kubelet roll-up share {}: {}", kv.key, e.getMessage());
        }
      }
    }
    return out;
  }

  /** {@code s|<cluster>|<16 hex digits start>|<node>}: a cluster's windows in time order. */
  private static String shareKey(String cluster, long start, String node) {
    return "s|" + cluster + '|' + String.format("%016x", start) + '|' + node;
  }

  private Aggregate aggregate(String cluster, long start, String key, Map<String, Double> fields) {
    String[] parts = key.split("\\|", -1);
    String type = parts[0];
    String namespace = parts[1];
    String group = parts[2];
    Map<String, String> tags = new TreeMap<>();
    tags.put("cluster", cluster);
    tags.put("type", type);
    if (!namespace.isEmpty()) {
      tags.put("namespace", namespace);
    }
    return Aggregate.newBuilder()
        .setName(settings.prefix() + type + '.' + group)
        .setMetricType("")
        // heapster's sources: the cluster's name, and <namespace>-ns for a namespace
        .setSource(namespace.isEmpty() ? cluster : namespace + "-ns")
        .setTags(new LinkedHashMap<>(tags))
        .setWindowStart(start)
        .setWindowEnd(start + settings.window())
        .setFields(new LinkedHashMap<>(fields))
        .setSketch(null)
        .setVerbatim(true)
        .build();
  }

  @Override
  public void close() {
    sensors.forEach(s -> context.metrics().removeSensor(s));
    sensors.clear();
  }
}
