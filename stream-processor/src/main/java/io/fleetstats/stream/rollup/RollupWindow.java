package io.fleetstats.stream.rollup;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.stream.aggregate.StateOptions;
import io.fleetstats.stream.aggregate.Telegraf;
import io.fleetstats.stream.aggregate.TimerFields;
import io.fleetstats.stream.aggregate.WindowState;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One roll-up series in one window: its identity (name, type, Wavefront source, tags including
 * {@code rollup=<rule>}) and the merged state of every source that contributed. Stage 1 sends one
 * per closed per-source window and rule (a partial) through the roll-up repartition topic; stage 2
 * merges the partials of one window with {@link #merge}.
 */
public final class RollupWindow {
  private static final byte FORMAT = 2;

  private final String name;
  private final MetricType type;
  private final String source;
  private final TreeMap<String, String> tags;
  private final WindowState state;
  private int contributors;

  public RollupWindow(
      String name,
      MetricType type,
      String source,
      TreeMap<String, String> tags,
      WindowState state,
      int contributors) {
    this.name = name;
    this.type = type;
    this.source = source;
    this.tags = tags;
    this.state = state;
    this.contributors = contributors;
  }

  /** A partial: one source's state for {@code target}. */
  public static RollupWindow partial(
      String name, MetricType type, RollupRule.Target target, WindowState state) {
    return new RollupWindow(name, type, target.source(), target.tags(), state, 1);
  }

  /** Folds another partial of the same roll-up series and window into this one. */
  public void merge(RollupWindow other) {
    if (!other.name.equals(name) || other.type != type) {
      throw new IllegalArgumentException(
          "cannot merge " + other.name + " (" + other.type + ") into " + name + " (" + type + ")");
    }
    state.merge(other.state);
    contributors += other.contributors;
  }

  /** How many per-source windows were merged into this one. */
  public int contributors() {
    return contributors;
  }

  public String name() {
    return name;
  }

  public String source() {
    return source;
  }

  public Map<String, String> tags() {
    return tags;
  }

  public boolean isEmpty() {
    return state.isEmpty();
  }

  /** The roll-up's aggregate; tags start with {@code metric_type}, then sorted by key. */
  public Aggregate toAggregate(long windowStart, long windowEnd, List<Double> percentiles) {
    return toAggregate(windowStart, windowEnd, TimerFields.all(percentiles));
  }

  /** The roll-up's aggregate with only {@code timerFields} of a timer-like series. */
  public Aggregate toAggregate(long windowStart, long windowEnd, TimerFields timerFields) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("metric_type", Telegraf.metricType(type));
    out.putAll(tags);
    return Aggregate.newBuilder()
        .setName(name)
        .setMetricType(Telegraf.metricType(type))
        .setSource(source)
        .setTags(out)
        .setWindowStart(windowStart)
        .setWindowEnd(windowEnd)
        .setFields(new LinkedHashMap<>(state.fields(timerFields)))
        .setSketch(state.sketch())
        .build();
  }

  public byte[] toBytes() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(FORMAT);
      writeString(out, name);
      writeString(out, type.name());
      writeString(out, source);
      out.writeInt(tags.size());
      for (Map.Entry<String, String> t : tags.entrySet()) {
        writeString(out, t.getKey());
        writeString(out, t.getValue());
      }
      out.writeInt(contributors);
      state.write(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode roll-up state of " + name, e);
    }
  }

  /**
   * Reads what {@link #toBytes} wrote.
   *
   * @throws IllegalArgumentException when the bytes are not a roll-up state of a known format
   */
  public static RollupWindow fromBytes(byte[] bytes, StateOptions options) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IllegalArgumentException("unknown roll-up state format " + format);
      }
      String name = readString(in);
      MetricType type = MetricType.valueOf(readString(in));
      String source = readString(in);
      int n = in.readInt();
      TreeMap<String, String> tags = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        tags.put(readString(in), readString(in));
      }
      int contributors = in.readInt();
      WindowState state = WindowState.read(type, in, format, options);
      return new RollupWindow(name, type, source, tags, state, contributors);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "corrupt roll-up state (" + bytes.length + " bytes): " + e, e);
    }
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    byte[] b = new byte[in.readInt()];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
