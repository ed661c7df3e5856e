package io.fleetstats.sink.format;

import io.fleetstats.schemas.Aggregate;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builds {@link Aggregate}s for tests, with the tags the stream processor sets. */
public final class Aggregates {
  /** 2025-11-25T16:00:00Z, the window start of the example line. */
  public static final long WINDOW_START_MS = 1_764_086_400_000L;

  /** The seed tags of {@link #seedTags(String)} with type timing, as they appear in a line. */
  public static final String SEED_TAG_TEXT =
      " \"cluster\"=\"local\" \"metric_type\"=\"timing\" \"namespace\"=\"default\" \"pod_name\"=\"api-server-0\"";

  private Aggregates() {}

  /** The seed's standard tags: metric_type, pod_name, cluster, namespace. */
  public static Map<String, String> seedTags(String metricType) {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("metric_type", metricType);
    tags.put("pod_name", "api-server-0");
    tags.put("cluster", "local");
    tags.put("namespace", "default");
    return tags;
  }

  public static Aggregate aggregate(
      String name,
      String metricType,
      String source,
      Map<String, String> tags,
      long windowStartMs,
      Map<String, Double> fields) {
    return Aggregate.newBuilder()
        .setName(name)
        .setMetricType(metricType)
        .setSource(source)
        .setTags(new LinkedHashMap<>(tags))
        .setWindowStart(windowStartMs)
        .setWindowEnd(windowStartMs + 10_000)
        .setFields(new LinkedHashMap<>(fields))
        .build();
  }

  public static Aggregate timer(String name, Map<String, Double> fields) {
    return aggregate(name, "timing", "node-1", seedTags("timing"), WINDOW_START_MS, fields);
  }
}
