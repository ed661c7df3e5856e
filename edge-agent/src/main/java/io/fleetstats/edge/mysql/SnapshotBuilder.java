package io.fleetstats.edge.mysql;

import io.fleetstats.schemas.MysqlSeries;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Collects one poll's values by Telegraf measurement and tag set, then builds the {@link
 * MysqlSnapshot}. Measurement {@code mysql} without extra tags goes to the snapshot's top-level
 * maps, every other one to a {@link MysqlSeries}. Not thread-safe; one per poll.
 */
public final class SnapshotBuilder {
  /** Telegraf's measurement for global status, binary logs and replica status. */
  public static final String MYSQL = "mysql";

  /** The fields of one measurement + tag set being filled. */
  public static final class Fields {
    final Map<String, Double> counters = new LinkedHashMap<>();
    final Map<String, Double> gauges = new LinkedHashMap<>();

    public Fields counter(String field, double value) {
      if (Double.isFinite(value)) {
        gauges.remove(field);
        counters.put(field, value);
      }
      return this;
    }

    public Fields gauge(String field, double value) {
      if (Double.isFinite(value)) {
        counters.remove(field);
        gauges.put(field, value);
      }
      return this;
    }

    public Fields put(String field, double value, FieldKinds.Kind kind) {
      return kind == FieldKinds.Kind.COUNTER ? counter(field, value) : gauge(field, value);
    }

    boolean isEmpty() {
      return counters.isEmpty() && gauges.isEmpty();
    }
  }

  private final Map<String, Fields> byKey = new LinkedHashMap<>();
  private final Map<String, Map<String, String>> tagsByKey = new LinkedHashMap<>();
  private final Map<String, String> measurementByKey = new LinkedHashMap<>();

  /** The fields of {@code measurement} with {@code tags} (besides {@code server}). */
  public Fields series(String measurement, Map<String, String> tags) {
    TreeMap<String, String> sorted = new TreeMap<>(tags);
    String key = measurement + sorted;
    measurementByKey.putIfAbsent(key, measurement);
    tagsByKey.putIfAbsent(key, sorted);
    return byKey.computeIfAbsent(key, k -> new Fields());
  }

  /** Measurement {@code mysql}, only the server tag. */
  public Fields mysql() {
    return series(MYSQL, Map.of());
  }

  /** Number of values collected so far. */
  public int size() {
    int n = 0;
    for (Fields f : byKey.values()) {
      n += f.counters.size() + f.gauges.size();
    }
    return n;
  }

  public MysqlSnapshot build(Source source, String server, long takenAt, ServerInfo info) {
    Map<String, Double> counters = new LinkedHashMap<>();
    Map<String, Double> gauges = new LinkedHashMap<>();
    List<MysqlSeries> series = new ArrayList<>();
    for (Map.Entry<String, Fields> e : byKey.entrySet()) {
      Fields f = e.getValue();
      if (f.isEmpty()) {
        continue;
      }
      String measurement = measurementByKey.get(e.getKey());
      Map<String, String> tags = tagsByKey.get(e.getKey());
      if (measurement.equals(MYSQL) && tags.isEmpty()) {
        counters.putAll(f.counters);
        gauges.putAll(f.gauges);
      } else {
        series.add(
            MysqlSeries.newBuilder()
                .setMeasurement(measurement)
                .setTags(new LinkedHashMap<>(tags))
                .setCounters(new LinkedHashMap<>(f.counters))
                .setGauges(new LinkedHashMap<>(f.gauges))
                .build());
      }
    }
    return MysqlSnapshot.newBuilder()
        .setSource(source)
        .setServer(server)
        .setTakenAt(takenAt)
        .setCounters(counters)
        .setGauges(gauges)
        .setSeries(series)
        .setFlavor(info == null ? "" : info.flavor())
        .setVersion(info == null ? "" : info.version())
        .build();
  }
}
