package io.fleetstats.sink.prometheus.format;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts the samples of one poll in the order remote write needs: each series' samples in time order
 * and one per timestamp, the later record winning. Prometheus appends a request's samples in order
 * and drops, without a word, a series' second sample at the same or an earlier time of the same
 * request; and of two windows of one series in a poll, the later record is the correction. Most
 * polls hold one window per series: they are returned as they are.
 *
 * <p>Pure.
 */
public final class SeriesOrder {
  private SeriesOrder() {}

  /**
   * @param samples in the order formatted
   * @param owner the record (poll index) each sample comes from, same positions
   * @param superseded samples left out: a later record had the same series and timestamp
   */
  public record Ordered(List<PromSample> samples, int[] owner, int superseded) {}

  /**
   * @param owner at least {@code samples.size()} long
   */
  public static Ordered of(List<PromSample> samples, int[] owner) {
    Map<PromSample.SeriesId, Integer> seen = new HashMap<>(samples.size() * 2);
    boolean repeats = false;
    for (int k = 0; k < samples.size(); k++) {
      if (seen.putIfAbsent(samples.get(k).series(), k) != null) {
        repeats = true;
      }
    }
    if (!repeats) {
      return new Ordered(samples, owner, 0);
    }
    Map<PromSample.SeriesId, List<Integer>> groups = new LinkedHashMap<>();
    for (int k = 0; k < samples.size(); k++) {
      groups.computeIfAbsent(samples.get(k).series(), s -> new ArrayList<>(2)).add(k);
    }
    List<PromSample> out = new ArrayList<>(samples.size());
    int[] outOwner = new int[Math.max(1, samples.size())];
    int superseded = 0;
    for (List<Integer> group : groups.values()) {
      // stable: equal timestamps keep poll order, so the last of them is the latest record
      group.sort(
          (a, b) -> Long.compare(samples.get(a).timestampMs(), samples.get(b).timestampMs()));
      for (int g = 0; g < group.size(); g++) {
        int k = group.get(g);
        if (g + 1 < group.size()
            && samples.get(group.get(g + 1)).timestampMs() == samples.get(k).timestampMs()) {
          superseded++;
          continue;
        }
        outOwner[out.size()] = owner[k];
        out.add(samples.get(k));
      }
    }
    return new Ordered(out, outOwner, superseded);
  }
}
