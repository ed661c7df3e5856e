package io.fleetstats.stream.tagging;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The point tags of a per-source series, in a fixed order: {@code metric_type}, {@code pod_name},
 * {@code cluster}, {@code namespace}, then the cluster's metadata tags (from {@code
 * fleetstats.clusters}), then the series' own tags. A series' own tag wins over a metadata tag of
 * the same key (the app knows best); neither can replace the four identity tags written first,
 * except that a series' own tag does (as before metadata existed: the more specific source wins).
 */
public final class Tagging {
  /** Tags the processor sets itself; metadata never overrides them. */
  public static final Set<String> IDENTITY_TAGS =
      Set.of("metric_type", "pod_name", "cluster", "namespace");

  private Tagging() {}

  public static Map<String, String> seriesTags(
      String metricType,
      String pod,
      String cluster,
      String namespace,
      Map<String, String> clusterTags,
      Map<String, String> ownTags) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("metric_type", metricType);
    out.put("pod_name", pod);
    out.put("cluster", cluster);
    out.put("namespace", namespace);
    for (Map.Entry<String, String> t : clusterTags.entrySet()) {
      if (!IDENTITY_TAGS.contains(t.getKey()) && !t.getKey().isEmpty()) {
        out.put(t.getKey(), t.getValue());
      }
    }
    out.putAll(ownTags);
    return out;
  }
}
