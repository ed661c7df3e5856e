package io.fleetstats.stream.aggregate;

import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Epoch-aligned tumbling windows and the split of a series' samples among them. */
public final class Windows {
  private Windows() {}

  /**
   * Start of the window of {@code size} ms that holds {@code timestamp}; windows align to the
   * epoch.
   */
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
    return series.getType() == MetricType.SET
        ? series.getMembers().size()
        : series.getValues().size();
  }

  /**
   * Splits a series' samples by the window of their receive time, keeping arrival order inside each
   * slice. A sample without a receive time takes {@code batchTime} (the agent's flush time).
   * Usually all samples of a batch fall into one window, so that case allocates one slice.
   */
  public static List<Slice> slices(Series series, long batchTime, long size) {
    return split(series, batchTime, size, Long.MAX_VALUE, batchTime).slices();
  }

  /**
   * The slices of a series and how many of its samples were re-stamped.
   *
   * @param restamped samples whose time was beyond the skew limit, placed at the arrival time
   */
  public record Split(List<Slice> slices, int restamped) {}

  /**
   * {@link #slices} where a sample time after {@code latest} (the processor's clock plus the
   * allowed skew) counts as a wrong clock: the sample is placed at {@code arrival} instead, and
   * counted, so a node whose clock runs ahead cannot push windows, its own or others', into the
   * future.
   */
  public static Split split(Series series, long batchTime, long size, long latest, long arrival) {
    int n = sampleCount(series);
    List<Long> received = series.getReceivedAt();
    List<Slice> out = new ArrayList<>(1);
    if (n == 0) {
      return new Split(out, 0);
    }
    long[] starts = new long[n];
    boolean single = true;
    int restamped = 0;
    for (int i = 0; i < n; i++) {
      long t = i < received.size() ? Samples.longAt(received, i) : batchTime;
      if (t > latest) {
        t = arrival;
        restamped++;
      }
      starts[i] = start(t, size);
      single &= starts[i] == starts[0];
    }
    if (single) {
      int[] all = new int[n];
      Arrays.setAll(all, i -> i);
      out.add(new Slice(starts[0], all, n));
      return new Split(out, restamped);
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
    return new Split(out, restamped);
  }

  /**
   * A copy of {@code series} with only the samples at {@code indices[0..count)}: the slice of a
   * batch that is dead-lettered, in the same shape as the agent sent it.
   */
  public static Series subset(Series series, int[] indices, int count) {
    Series.Builder b =
        Series.newBuilder()
            .setName(series.getName())
            .setType(series.getType())
            .setTags(series.getTags());
    b.setValues(pick(series.getValues(), indices, count));
    b.setMembers(pick(series.getMembers(), indices, count));
    b.setSampleRates(pick(series.getSampleRates(), indices, count));
    b.setRelative(pick(series.getRelative(), indices, count));
    b.setReceivedAt(pick(series.getReceivedAt(), indices, count));
    return b.build();
  }

  /** The picked elements, or an empty list when {@code list} is shorter (an omitted array). */
  private static <T> List<T> pick(List<T> list, int[] indices, int count) {
    List<T> out = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      if (indices[k] < list.size()) {
        out.add(list.get(indices[k]));
      }
    }
    return out.size() == count ? out : new ArrayList<>();
  }
}
