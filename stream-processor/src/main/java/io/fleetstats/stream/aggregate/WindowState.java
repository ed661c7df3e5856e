package io.fleetstats.stream.aggregate;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.datadoghq.sketch.ddsketch.encoding.ByteArrayInput;
import com.datadoghq.sketch.ddsketch.encoding.GrowingByteArrayOutput;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import com.dynatrace.hash4j.distinctcount.UltraLogLog;
import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one series has accumulated in one window. States take whole slices of a batch's series
 * ({@link #add}), so the work per batch is per series, not a state-store round trip per sample.
 * States serialize to bytes so they can live in a changelogged state store.
 *
 * <p>Sample rates: a sample sent with {@code @r} stands for {@code 1/r} samples; a missing or
 * invalid rate (not in (0,1]) counts as 1. Values that are NaN or infinite are rejected and counted
 * by the caller.
 *
 * <p>Roll-ups: {@link #merge} folds another source's state of the same type into this one with
 * exact statistics (sums, counts, bounds, the variance by Chan's parallel formula) and mergeable
 * sketches (DDSketch, UltraLogLog), never by averaging percentiles.
 */
public sealed interface WindowState
    permits WindowState.Counter, WindowState.Gauge, WindowState.Set, WindowState.Distribution {

  /** An empty state for a series of {@code type}. */
  static WindowState empty(MetricType type, StateOptions options) {
    return switch (type) {
      case COUNTER -> new Counter();
      case GAUGE -> new Gauge();
      case SET -> new Set(options.setExactLimit());
      case TIMER, HISTOGRAM, DISTRIBUTION -> new Distribution(options.relativeAccuracy());
    };
  }

  /**
   * Folds {@code other}, a state of the same type from another source or window slice, into this
   * one.
   *
   * @throws IllegalArgumentException when the types differ or the sketches cannot merge
   */
  void merge(WindowState other);

  /**
   * Adds the samples at {@code indices[0..count)} of {@code series}, in that order.
   *
   * @return how many of them were rejected (non-finite values)
   */
  int add(Series series, int[] indices, int count);

  /** True when nothing valid was added: the window emits nothing for this series. */
  boolean isEmpty();

  /**
   * Telegraf's fields for this state, e.g. {@code value}, or {@code count, sum, ...,
   * 90_percentile}; a timer-like state emits only the chosen {@code timerFields}.
   */
  Map<String, Double> fields(TimerFields timerFields);

  /** {@link #fields(TimerFields)} with every timer field. */
  default Map<String, Double> fields(List<Double> percentiles) {
    return fields(TimerFields.all(percentiles));
  }

  /** The DDSketch in its protobuf encoding for distribution-like series, else null. */
  default ByteBuffer sketch() {
    return null;
  }

  void write(DataOutput out) throws IOException;

  /**
   * Reads a state written by {@link #write} for a series of {@code type}; {@code format} 1 is the
   * layout before roll-ups (sets always exact, gauges without roll-up fields).
   */
  static WindowState read(MetricType type, DataInput in, int format, StateOptions options)
      throws IOException {
    return switch (type) {
      case COUNTER -> Counter.read(in);
      case GAUGE -> Gauge.read(in, format);
      case SET -> Set.read(in, format, options.setExactLimit());
      case TIMER, HISTOGRAM, DISTRIBUTION -> Distribution.read(in);
    };
  }

  private static <T extends WindowState> T same(Class<T> type, WindowState other) {
    if (!type.isInstance(other)) {
      throw new IllegalArgumentException(
          "cannot merge a " + other.getClass().getSimpleName() + " into a " + type.getSimpleName());
    }
    return type.cast(other);
  }

  /** The weight of sample {@code i}: {@code 1/rate}, exactly. */
  private static double weight(Series series, int i) {
    List<Double> rates = series.getSampleRates();
    if (i >= rates.size()) {
      return 1.0;
    }
    double r = Samples.doubleAt(rates, i);
    return r > 0 && r <= 1 ? 1.0 / r : 1.0;
  }

  /** Counters: the sum of {@code value/rate} over the window, as field {@code value}. */
  final class Counter implements WindowState {
    private double sum;
    private boolean any;

    @Override
    public int add(Series series, int[] indices, int count) {
      List<Double> values = series.getValues();
      int rejected = 0;
      for (int k = 0; k < count; k++) {
        int i = indices[k];
        double v = Samples.doubleAt(values, i);
        if (!Double.isFinite(v)) {
          rejected++;
          continue;
        }
        // v * (1/r) rather than v / r so that @0.1 weighs exactly 10 as the weight() doc says
        sum += v * weight(series, i);
        any = true;
      }
      return rejected;
    }

    @Override
    public boolean isEmpty() {
      return !any;
    }

    @Override
    public void merge(WindowState other) {
      Counter o = same(Counter.class, other);
      sum += o.sum;
      any |= o.any;
    }

    @Override
    public Map<String, Double> fields(TimerFields timerFields) {
      return Map.of("value", sum);
    }

    @Override
    public void write(DataOutput out) throws IOException {
      out.writeBoolean(any);
      out.writeDouble(sum);
    }

    static Counter read(DataInput in) throws IOException {
      Counter c = new Counter();
      c.any = in.readBoolean();
      c.sum = in.readDouble();
      return c;
    }
  }

  /**
   * Gauges: the last value in arrival order. A relative sample ({@code +3}/{@code -3}) changes the
   * previous value of the same window, or 0 when the window has none yet. That is Telegraf's
   * behaviour with its default {@code delete_gauges = true}, which forgets gauges at every flush; a
   * gauge that must carry across windows should be sent as an absolute value.
   *
   * <p>A roll-up of gauges has no "last" across sources; it emits {@code value} = the sum of the
   * sources' last values (e.g. total queue length), {@code count} = the number of sources, and
   * their {@code lower}, {@code upper} and {@code mean}.
   */
  final class Gauge implements WindowState {
    private double value;
    private boolean any;

    /** True once other sources were merged in: fields are then the roll-up's. */
    private boolean rolled;

    private int sources;
    private double sum;
    private double lower = Double.POSITIVE_INFINITY;
    private double upper = Double.NEGATIVE_INFINITY;

    @Override
    public int add(Series series, int[] indices, int count) {
      if (rolled) {
        throw new IllegalStateException("samples cannot be added to a gauge roll-up");
      }
      List<Double> values = series.getValues();
      List<Boolean> relative = series.getRelative();
      int rejected = 0;
      for (int k = 0; k < count; k++) {
        int i = indices[k];
        double v = Samples.doubleAt(values, i);
        if (!Double.isFinite(v)) {
          rejected++;
          continue;
        }
        boolean rel = i < relative.size() && Samples.booleanAt(relative, i);
        value = rel ? (any ? value : 0.0) + v : v;
        any = true;
      }
      return rejected;
    }

    @Override
    public void merge(WindowState other) {
      Gauge o = same(Gauge.class, other);
      if (!rolled) {
        rollUp();
      }
      if (o.rolled) {
        sources += o.sources;
        sum += o.sum;
        lower = Math.min(lower, o.lower);
        upper = Math.max(upper, o.upper);
      } else if (o.any) {
        sources++;
        sum += o.value;
        lower = Math.min(lower, o.value);
        upper = Math.max(upper, o.value);
      }
      any = sources > 0;
    }

    /** Turns this source's value into the first member of a roll-up. */
    private void rollUp() {
      rolled = true;
      if (any) {
        sources = 1;
        sum = value;
        lower = value;
        upper = value;
      }
    }

    @Override
    public boolean isEmpty() {
      return !any;
    }

    @Override
    public Map<String, Double> fields(TimerFields timerFields) {
      if (!rolled) {
        return Map.of("value", value);
      }
      Map<String, Double> f = new LinkedHashMap<>();
      f.put("value", sum);
      f.put("count", (double) sources);
      f.put("mean", sum / sources);
      f.put("lower", lower);
      f.put("upper", upper);
      return f;
    }

    @Override
    public void write(DataOutput out) throws IOException {
      out.writeBoolean(any);
      out.writeDouble(value);
      out.writeBoolean(rolled);
      out.writeInt(sources);
      out.writeDouble(sum);
      out.writeDouble(lower);
      out.writeDouble(upper);
    }

    static Gauge read(DataInput in, int format) throws IOException {
      Gauge g = new Gauge();
      g.any = in.readBoolean();
      g.value = in.readDouble();
      if (format >= 2) {
        g.rolled = in.readBoolean();
        g.sources = in.readInt();
        g.sum = in.readDouble();
        g.lower = in.readDouble();
        g.upper = in.readDouble();
      }
      return g;
    }
  }

  /**
   * Sets: the number of distinct members seen in the window, as field {@code value}. Members are
   * kept as their 64-bit komihash: exact (two distinct members count once only if their hashes
   * collide, with probability below 3·10^-14 per window at 1000 members) up to {@link
   * StateOptions#setExactLimit()} distinct members; beyond that the same hashes go into an
   * UltraLogLog sketch (2^12 registers, about 1.2 % standard error, 4 KiB), which merges across
   * sources as exactly as if it had seen every member itself. Hashes rather than the member strings
   * keep the state (written to the changelog on every commit) at 8 bytes per member whatever the
   * members' length, and its decoding free of string allocation.
   */
  final class Set implements WindowState {
    private static final Hasher64 HASHER = Hashing.komihash5_0();
    private static final long[] NONE = new long[0];

    /** Member strings, as written before format 3; still read. */
    private static final byte EXACT_MEMBERS = 0;

    private static final byte SKETCH = 1;

    /** Sorted distinct member hashes. */
    private static final byte EXACT_HASHES = 2;

    private final int exactLimit;

    /** Ascending distinct member hashes in {@code [0, size)} while exact. */
    private long[] hashes = NONE;

    private int size;

    /** Non-null once the exact bound was passed; {@link #hashes} is then empty. */
    private UltraLogLog sketch;

    Set(int exactLimit) {
      this.exactLimit = exactLimit;
      if (exactLimit == 0) {
        sketch = UltraLogLog.create(StateOptions.SET_SKETCH_PRECISION);
      }
    }

    static long hash(String member) {
      return HASHER.hashCharsToLong(member);
    }

    @Override
    public int add(Series series, int[] indices, int count) {
      List<String> m = series.getMembers();
      long[] fresh = new long[count];
      for (int k = 0; k < count; k++) {
        fresh[k] = hash(m.get(indices[k]));
      }
      addHashes(fresh, count);
      return 0;
    }

    /** Adds {@code h[0..n)}, in any order and with repeats; {@code h} may be reordered. */
    private void addHashes(long[] h, int n) {
      if (sketch != null) {
        for (int i = 0; i < n; i++) {
          sketch.add(h[i]);
        }
        return;
      }
      Arrays.sort(h, 0, n);
      unite(h, n);
      if (size > exactLimit) {
        toSketch();
      }
    }

    /** Merges the ascending {@code h[0..n)} (repeats allowed) into {@link #hashes}. */
    private void unite(long[] h, int n) {
      long[] out = new long[size + n];
      int i = 0;
      int j = 0;
      int o = 0;
      while (i < size || j < n) {
        long next;
        if (j >= n || (i < size && hashes[i] <= h[j])) {
          next = hashes[i++];
        } else {
          next = h[j++];
        }
        if (o == 0 || out[o - 1] != next) {
          out[o++] = next;
        }
      }
      hashes = out;
      size = o;
    }

    private void toSketch() {
      sketch = UltraLogLog.create(StateOptions.SET_SKETCH_PRECISION);
      for (int i = 0; i < size; i++) {
        sketch.add(hashes[i]);
      }
      hashes = NONE;
      size = 0;
    }

    /** True once the count is an estimate. */
    public boolean estimated() {
      return sketch != null;
    }

    @Override
    public void merge(WindowState other) {
      Set o = same(Set.class, other);
      if (o.sketch != null) {
        if (sketch == null) {
          toSketch();
        }
        sketch.add(o.sketch);
      } else {
        addHashes(Arrays.copyOf(o.hashes, o.size), o.size);
      }
    }

    @Override
    public boolean isEmpty() {
      return sketch != null ? sketch.isEmpty() : size == 0;
    }

    @Override
    public Map<String, Double> fields(TimerFields timerFields) {
      double n = sketch != null ? Math.rint(sketch.getDistinctCountEstimate()) : size;
      return Map.of("value", n);
    }

    @Override
    public void write(DataOutput out) throws IOException {
      if (sketch != null) {
        out.writeByte(SKETCH);
        byte[] state = sketch.getState();
        out.writeInt(state.length);
        out.write(state);
      } else {
        out.writeByte(EXACT_HASHES);
        out.writeInt(size);
        // one write of all hashes (big-endian, as writeLong): a write per hash cost a lock each
        ByteBuffer all = ByteBuffer.allocate(8 * size);
        all.asLongBuffer().put(hashes, 0, size);
        out.write(all.array());
      }
    }

    static Set read(DataInput in, int format, int exactLimit) throws IOException {
      Set s = new Set(exactLimit);
      byte mode = format >= 2 ? in.readByte() : EXACT_MEMBERS;
      if (mode == SKETCH) {
        byte[] state = new byte[in.readInt()];
        in.readFully(state);
        s.sketch = UltraLogLog.wrap(state);
        return s;
      }
      s.sketch = null;
      int n = in.readInt();
      long[] h = new long[n];
      if (mode == EXACT_HASHES) {
        for (int i = 0; i < n; i++) {
          h[i] = in.readLong();
          if (i > 0 && h[i] <= h[i - 1]) {
            throw new IOException("set hashes not ascending at " + i);
          }
        }
        s.hashes = h;
        s.size = n;
      } else if (mode == EXACT_MEMBERS) {
        for (int i = 0; i < n; i++) {
          h[i] = hash(Codec.readString(in));
        }
        Arrays.sort(h);
        s.unite(h, n);
      } else {
        throw new IOException("unknown set mode " + mode);
      }
      if (s.size > exactLimit) {
        s.toSketch(); // the bound was lowered since this state was written
      }
      return s;
    }
  }

  /**
   * Timers, histograms and distributions: weighted count ({@code Σ 1/rate}), sum ({@code Σ
   * value/rate}), mean, population standard deviation (as Telegraf computes it), exact lower and
   * upper, and median and percentiles from a DDSketch with the configured relative accuracy.
   * Telegraf adds a sampled timer value {@code int(1/rate)} times; here the weight is exactly
   * {@code 1/rate}, so {@code @0.3} counts 3.33 rather than 3. All of it is kept whichever fields
   * are emitted ({@link TimerFields}), so roll-ups and corrections stay exact.
   */
  final class Distribution implements WindowState {
    private final DDSketch sketch;
    private double count;
    private double sum;
    // weighted Welford/West running mean and sum of squared deviations: stable for large values
    private double mean;
    private double m2;
    private double lower = Double.POSITIVE_INFINITY;
    private double upper = Double.NEGATIVE_INFINITY;

    /** Size of the sketch's last encoding, so that the next one does not grow its buffer. */
    private int sketchBytes = 64;

    Distribution(double relativeAccuracy) {
      this(DDSketches.unboundedDense(relativeAccuracy));
    }

    private Distribution(DDSketch sketch) {
      this.sketch = sketch;
    }

    @Override
    public int add(Series series, int[] indices, int count) {
      List<Double> values = series.getValues();
      int rejected = 0;
      int kLow = -1;
      int kHigh = -1;
      for (int k = 0; k < count; k++) {
        int i = indices[k];
        double v = Samples.doubleAt(values, i);
        if (!Double.isFinite(v)) {
          rejected++;
          continue;
        }
        double w = weight(series, i);
        double total = this.count + w;
        double delta = v - mean;
        double r = delta * w / total;
        mean += r;
        m2 += this.count * delta * r;
        this.count = total;
        sum += v * w;
        lower = Math.min(lower, v);
        upper = Math.max(upper, v);
        if (kLow < 0 || v < Samples.doubleAt(values, indices[kLow])) {
          kLow = k;
        }
        if (kHigh < 0 || v > Samples.doubleAt(values, indices[kHigh])) {
          kHigh = k;
        }
      }
      if (kLow < 0) {
        return rejected;
      }
      // The slice's extremes first: the sketch's dense store then widens its bins at most twice
      // per batch instead of at every new extreme (each widening re-centres and zero-fills the
      // array: a tenth of the stream thread's time). The bins' counts do not depend on the order
      // (but for the rounding of fractional weights).
      acceptAt(series, values, indices[kLow]);
      if (kHigh != kLow) {
        acceptAt(series, values, indices[kHigh]);
      }
      for (int k = 0; k < count; k++) {
        if (k != kLow && k != kHigh) {
          double v = Samples.doubleAt(values, indices[k]);
          if (Double.isFinite(v)) {
            sketch.accept(v, weight(series, indices[k]));
          }
        }
      }
      return rejected;
    }

    private void acceptAt(Series series, List<Double> values, int i) {
      sketch.accept(Samples.doubleAt(values, i), weight(series, i));
    }

    @Override
    public void merge(WindowState other) {
      Distribution o = same(Distribution.class, other);
      if (o.count == 0) {
        return;
      }
      double total = count + o.count;
      double delta = o.mean - mean;
      // Chan et al.: the exact variance of the union from the parts' means and M2s
      m2 += o.m2 + delta * delta * count * o.count / total;
      mean += delta * o.count / total;
      count = total;
      sum += o.sum;
      lower = Math.min(lower, o.lower);
      upper = Math.max(upper, o.upper);
      sketch.mergeWith(o.sketch);
    }

    @Override
    public boolean isEmpty() {
      return count == 0;
    }

    @Override
    public Map<String, Double> fields(TimerFields timerFields) {
      Map<String, Double> f = new LinkedHashMap<>();
      if (timerFields.has(TimerFields.Field.COUNT)) {
        f.put("count", count);
      }
      if (timerFields.has(TimerFields.Field.SUM)) {
        f.put("sum", sum);
      }
      if (timerFields.has(TimerFields.Field.MEAN)) {
        // sum/count rather than the running mean: exact whenever the sum is
        f.put("mean", sum / count);
      }
      if (timerFields.has(TimerFields.Field.STDDEV)) {
        f.put("stddev", Math.sqrt(Math.max(0.0, m2 / count)));
      }
      if (timerFields.has(TimerFields.Field.LOWER)) {
        f.put("lower", lower);
      }
      if (timerFields.has(TimerFields.Field.UPPER)) {
        f.put("upper", upper);
      }
      if (timerFields.has(TimerFields.Field.MEDIAN)) {
        f.put("median", quantile(0.5));
      }
      if (timerFields.has(TimerFields.Field.PERCENTILES)) {
        for (double p : timerFields.percentiles()) {
          f.put(Telegraf.percentileField(p), quantile(p / 100.0));
        }
      }
      return f;
    }

    /** The sketch's estimate, clamped to the exact bounds the sketch cannot know. */
    private double quantile(double q) {
      double v = sketch.getValueAtQuantile(q);
      return Math.min(upper, Math.max(lower, v));
    }

    @Override
    public ByteBuffer sketch() {
      return sketch.serialize();
    }

    @Override
    public void write(DataOutput out) throws IOException {
      out.writeDouble(count);
      out.writeDouble(sum);
      out.writeDouble(mean);
      out.writeDouble(m2);
      out.writeDouble(lower);
      out.writeDouble(upper);
      // the library's own encoding, which carries the index mapping and reads back without protobuf
      GrowingByteArrayOutput buf = GrowingByteArrayOutput.withInitialCapacity(sketchBytes + 16);
      sketch.encode(buf, false);
      sketchBytes = buf.numWrittenBytes();
      out.writeInt(buf.numWrittenBytes());
      out.write(buf.backingArray(), 0, buf.numWrittenBytes());
    }

    static Distribution read(DataInput in) throws IOException {
      double count = in.readDouble();
      double sum = in.readDouble();
      double mean = in.readDouble();
      double m2 = in.readDouble();
      double lower = in.readDouble();
      double upper = in.readDouble();
      byte[] bytes = new byte[in.readInt()];
      in.readFully(bytes);
      DDSketch sketch = DDSketch.decode(ByteArrayInput.wrap(bytes), UnboundedSizeDenseStore::new);
      Distribution d = new Distribution(sketch);
      d.count = count;
      d.sum = sum;
      d.mean = mean;
      d.m2 = m2;
      d.lower = lower;
      d.upper = upper;
      return d;
    }
  }
}
