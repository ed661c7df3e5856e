package io.fleetstats.local.live;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The aggregated series the live view draws, as the sink delivers them, with a bounded history:
 * each series keeps its last {@link Bounds#pointsPerSeries()} points (default 360: an hour of 10 s
 * windows), at most {@link Bounds#metrics()} metrics (default 2,000) and {@link
 * Bounds#seriesPerMetric()} series per metric (default 64). A point past a bound is not kept and is
 * counted ({@link #refused()}), so memory stays flat however long the stack runs.
 *
 * <p>A metric is a statsd series name ({@code fitcycle-api-server.prospectPullTime}) with its
 * fields ({@code mean}, {@code median}, {@code 90.percentile}, …; {@code value} for counters and
 * gauges). A series is one pod (tag {@code pod_name}), or a roll-up (tag {@code rollup}, labelled
 * with its rule and source), plus any other tags that tell series of the same pod apart.
 * Thread-safe.
 */
public final class SeriesStore {
  /**
   * @param pointsPerSeries points kept per series, newest last
   * @param metrics metric names kept
   * @param seriesPerMetric series kept per metric and field
   */
  public record Bounds(int pointsPerSeries, int metrics, int seriesPerMetric) {
    public static final Bounds DEFAULT = new Bounds(360, 2_000, 64);
  }

  /** Fields the sink appends to a timer's name, longest first. */
  private static final Pattern FIELD =
      Pattern.compile(
          "^(.*)\\.(mean|median|upper|lower|count|sum|stddev|\\d+(?:\\.\\d+)?\\.percentile)$");

  /** Tags every series of a stack has in common: not part of a label. */
  private static final java.util.Set<String> COMMON =
      java.util.Set.of("cluster", "namespace", "metric_type", "statistic", "pod_name", "rollup");

  /** One drawn line. */
  public record Series(String label, boolean rollup, List<long[]> times, List<Double> values) {}

  private record Point(long epochSeconds, double value) {}

  private final Bounds bounds;

  /** metric → field → series key → points. */
  private final Map<String, Map<String, Map<String, Deque<Point>>>> data = new TreeMap<>();

  private final Map<String, Boolean> rollupKeys = new java.util.HashMap<>();
  private long refused;

  public SeriesStore(Bounds bounds) {
    this.bounds = bounds;
  }

  /** Adds one delivered point. */
  public synchronized void add(PointLine p) {
    String metric = p.name();
    String field = "value";
    Matcher m = FIELD.matcher(p.name());
    if (m.matches()) {
      metric = m.group(1);
      field = m.group(2);
    }
    Map<String, Map<String, Deque<Point>>> fields = data.get(metric);
    if (fields == null) {
      if (data.size() >= bounds.metrics()) {
        refused++;
        return;
      }
      fields = new TreeMap<>();
      data.put(metric, fields);
    }
    Map<String, Deque<Point>> series = fields.computeIfAbsent(field, f -> new TreeMap<>());
    String key = key(p);
    Deque<Point> points = series.get(key);
    if (points == null) {
      if (series.size() >= bounds.seriesPerMetric()) {
        refused++;
        return;
      }
      points = new ArrayDeque<>();
      series.put(key, points);
      rollupKeys.put(key, p.tags().containsKey("rollup"));
    }
    // a window's point arrives once; a redelivery replaces the last one of the same window
    if (!points.isEmpty() && points.peekLast().epochSeconds() == p.epochSeconds()) {
      points.pollLast();
    }
    points.addLast(new Point(p.epochSeconds(), p.value()));
    while (points.size() > bounds.pointsPerSeries()) {
      points.pollFirst();
    }
  }

  /** {@code pod api-server-0}, or {@code roll-up app (local)}, plus distinguishing tags. */
  static String key(PointLine p) {
    StringBuilder b = new StringBuilder();
    String rollup = p.tags().get("rollup");
    if (rollup != null) {
      b.append("roll-up ").append(rollup).append(" (").append(p.source()).append(')');
    } else {
      b.append(p.tags().getOrDefault("pod_name", p.source()));
    }
    p.tags()
        .forEach(
            (k, v) -> {
              if (!COMMON.contains(k)) {
                b.append(' ').append(k).append('=').append(v);
              }
            });
    return b.toString();
  }

  /** Metric names with their fields, sorted. */
  public synchronized Map<String, List<String>> metrics() {
    Map<String, List<String>> out = new LinkedHashMap<>();
    data.forEach((metric, fields) -> out.put(metric, new ArrayList<>(fields.keySet())));
    return out;
  }

  /** The series of {@code metric}'s {@code field} with points at or after {@code since}. */
  public synchronized List<Series> series(String metric, String field, long sinceEpochSeconds) {
    List<Series> out = new ArrayList<>();
    Map<String, Deque<Point>> series =
        data.getOrDefault(metric, Map.of()).getOrDefault(field, Map.of());
    series.forEach(
        (key, points) -> {
          List<long[]> times = new ArrayList<>();
          List<Double> values = new ArrayList<>();
          for (Point p : points) {
            if (p.epochSeconds() >= sinceEpochSeconds) {
              times.add(new long[] {p.epochSeconds()});
              values.add(p.value());
            }
          }
          out.add(new Series(key, rollupKeys.getOrDefault(key, false), times, values));
        });
    return out;
  }

  /** Every time stamp of {@code series}, ascending, once. */
  public static List<Long> timeAxis(List<Series> series) {
    TreeSet<Long> all = new TreeSet<>();
    series.forEach(s -> s.times().forEach(t -> all.add(t[0])));
    return new ArrayList<>(all);
  }

  /** Points not kept because a bound was reached. */
  public synchronized long refused() {
    return refused;
  }

  public Bounds bounds() {
    return bounds;
  }
}
