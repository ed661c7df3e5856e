package io.fleetstats.stream.aggregate;

import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Epoch-aligned tumbling windows and the split of a series' samples among them. */
public final class Windows {
  private Windows() {}

  /** Start of the window of {@code size} ms that holds {@code timestamp}; windows align to the epoch. */
  public static long start(long timestamp, long size) {
    return Math.floorDiv(timestamp, size) * size;
  }

  /**
   * The samples of one series that fall into one window, as indices into the series' parallel
   * arrays, in arrival order.
   */
  public record Slice(long windowStart, int[] indices, int count) {}

  /** How many samples a series carries: set members for sets, values otherwise. */
  public static int sampleCount(Series series) {
    return series.getType() == MetricType.SET ? series.getMembers().size() : series.getValues().size();
  }

  /**
   * Splits a series' samples by the window of their receive time, keeping arrival order inside
   * each slice. A sample without a receive time takes {@code batchTime} (the agent's flush time).
   * Usually all samples of a batch fall into one window, so that case allocates one slice.
   */
  public static List<Slice> slices(Series series, long batchTime, long size) {
    int n = sampleCount(series);
    List<Long> received = series.getReceivedAt();
    List<Slice> out = new ArrayList<>(1);
    if (n == 0) {
      return out;
    }
    long[] starts = new long[n];
    boolean single = true;
    for (int i = 0; i < n; i++) {
      long t = i < received.size() ? received.get(i) : batchTime;
      starts[i] = start(t, size);
      single &= starts[i] == starts[0];
    }
    if (single) {
      int[] all = new int[n];
      Arrays.setAll(all, i -> i);
      out.add(new Slice(starts[0], all, n));
      return out;
    }
    long[] distinct = Arrays.stream(starts).distinct().sorted().toArray();
    for (long ws : distinct) {
      int[] idx = new int[n];
      int c = 0;
      for (int i = 0; i < n; i++) {
        if (starts[i] == ws) {
          idx[c++] = i;
        }
      }
      out.add(new Slice(ws, idx, c));
    }
    return out;
  }
}
