package io.fleetstats.stream.mysql;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MysqlSeries;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns consecutive MySQL snapshots of one source and server into {@link Aggregate}s named as the
 * seed's Telegraf named them. Pure: snapshots in, aggregates out.
 *
 * <p>Per measurement and tag set, one aggregate whose fields are every value as read (counters'
 * cumulative values, as Telegraf sent them; gauges' last value) plus, for each counter, {@code
 * <field>}{@value #RATE_SUFFIX}: the per-second increase since the previous snapshot. No rate is
 * given for a counter when there is no usable previous snapshot (the first one, one taken at the
 * same time or later, or one from before a server restart, seen as {@code uptime} going down) or
 * when it went down (reset by {@code FLUSH STATUS} or a wrap): the new value becomes the baseline.
 */
public final class MysqlRates {
  /** Suffix of a counter's per-second rate field; the sink makes {@code _rate} → {@code .rate}. */
  public static final String RATE_SUFFIX = "_rate";

  /** Telegraf's measurement for global status, binary logs and replica status. */
  public static final String MYSQL = "mysql";

  private MysqlRates() {}

  /**
   * @param aggregates key (series id) → aggregate, one per measurement and tag set
   * @param resets counters that went down (no rate given)
   * @param restarted the server restarted since the previous snapshot (no rates at all)
   */
  public record Result(Map<String, Aggregate> aggregates, int resets, boolean restarted) {}

  /** Whether {@code current} should replace {@code previous} as the baseline. */
  public static boolean advances(MysqlSnapshot previous, MysqlSnapshot current) {
    return previous == null || current.getTakenAt() > previous.getTakenAt();
  }

  public static Result apply(MysqlSnapshot previous, MysqlSnapshot current) {
    boolean restarted = restarted(previous, current);
    boolean usable =
        previous != null
            && !restarted
            && previous.getServer().equals(current.getServer())
            && current.getTakenAt() > previous.getTakenAt();
    double seconds = usable ? (current.getTakenAt() - previous.getTakenAt()) / 1000.0 : 0;
    Map<String, Map<String, Double>> before = usable ? counters(previous) : Map.of();
    Map<String, Aggregate> out = new LinkedHashMap<>();
    int resets = 0;
    for (Map.Entry<String, MysqlSeries> e : series(current).entrySet()) {
      MysqlSeries s = e.getValue();
      Map<String, Double> fields = new LinkedHashMap<>();
      fields.putAll(s.getGauges());
      fields.putAll(s.getCounters());
      Map<String, Double> old = before.getOrDefault(e.getKey(), Map.of());
      for (Map.Entry<String, Double> c : s.getCounters().entrySet()) {
        Double was = old.get(c.getKey());
        if (was == null) {
          continue;
        }
        double delta = c.getValue() - was;
        if (delta < 0) {
          resets++;
        } else {
          fields.put(c.getKey() + RATE_SUFFIX, delta / seconds);
        }
      }
      if (fields.isEmpty()) {
        continue;
      }
      out.put(seriesId(current, s), aggregate(current, s, fields));
    }
    return new Result(out, resets, restarted);
  }

  /** The server restarted between the two: its uptime went down. */
  static boolean restarted(MysqlSnapshot previous, MysqlSnapshot current) {
    if (previous == null) {
      return false;
    }
    Double before = previous.getGauges().get("uptime");
    Double now = current.getGauges().get("uptime");
    return before != null && now != null && now < before;
  }

  /** {@code <source id>|<server>|<measurement>|<sorted tags>}: the aggregates topic's key. */
  static String seriesId(MysqlSnapshot snapshot, MysqlSeries s) {
    return Sources.id(snapshot.getSource())
        + '|'
        + snapshot.getServer()
        + '|'
        + s.getMeasurement()
        + '|'
        + new TreeMap<>(s.getTags());
  }

  /** The snapshot's series by measurement + sorted tags, the top-level maps as {@code mysql}. */
  static Map<String, MysqlSeries> series(MysqlSnapshot snapshot) {
    Map<String, MysqlSeries> out = new LinkedHashMap<>();
    if (!snapshot.getCounters().isEmpty() || !snapshot.getGauges().isEmpty()) {
      MysqlSeries top =
          MysqlSeries.newBuilder()
              .setMeasurement(MYSQL)
              .setTags(new HashMap<>())
              .setCounters(new LinkedHashMap<>(snapshot.getCounters()))
              .setGauges(new LinkedHashMap<>(snapshot.getGauges()))
              .build();
      out.put(key(top), top);
    }
    for (MysqlSeries s : snapshot.getSeries()) {
      MysqlSeries merged = out.get(key(s));
      if (merged == null) {
        out.put(key(s), s);
      } else {
        // only the top-level copy can be met twice (a writer that also listed `mysql` as a series)
        merged.getCounters().putAll(s.getCounters());
        merged.getGauges().putAll(s.getGauges());
      }
    }
    return out;
  }

  private static Map<String, Map<String, Double>> counters(MysqlSnapshot snapshot) {
    Map<String, Map<String, Double>> out = new HashMap<>();
    for (Map.Entry<String, MysqlSeries> e : series(snapshot).entrySet()) {
      out.put(e.getKey(), e.getValue().getCounters());
    }
    return out;
  }

  private static String key(MysqlSeries s) {
    return s.getMeasurement() + '|' + new TreeMap<>(s.getTags());
  }

  private static Aggregate aggregate(
      MysqlSnapshot snapshot, MysqlSeries s, Map<String, Double> fields) {
    Source source = snapshot.getSource();
    Map<String, String> tags = new LinkedHashMap<>();
    // Telegraf's mysql input sets no metric_type; the seed's global tag pod_name and our
    // cluster/namespace as on every series; then server and the series' own tags.
    tags.put("pod_name", source.getPod());
    tags.put("cluster", source.getCluster());
    tags.put("namespace", source.getNamespace());
    tags.put("server", snapshot.getServer());
    tags.putAll(s.getTags());
    return Aggregate.newBuilder()
        .setName(s.getMeasurement())
        .setMetricType("")
        .setSource(source.getNode())
        .setTags(tags)
        .setWindowStart(snapshot.getTakenAt())
        .setWindowEnd(snapshot.getTakenAt())
        .setFields(new LinkedHashMap<>(new TreeMap<>(fields)))
        .setSketch(null)
        .build();
  }

  /** Every aggregate's field names, for tests and docs. */
  static List<String> fieldNames(Result r) {
    List<String> out = new ArrayList<>();
    r.aggregates().values().forEach(a -> out.addAll(a.getFields().keySet()));
    return out;
  }
}
