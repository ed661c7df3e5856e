package io.fleetstats.stream.aggregate;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.stream.tagging.Tagging;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One series of one source in one window: who it is (name, type, tags, source) and what it has
 * accumulated. It carries its identity so that a closed window becomes an {@link Aggregate} without
 * parsing store keys.
 */
public final class SeriesWindow {
  /** 2: sets may hold an UltraLogLog, gauges carry roll-up fields; 1 is still read. */
  static final byte FORMAT = 2;

  private final String name;
  private final MetricType type;
  private final SortedMap<String, String> tags;
  private final String cluster;
  private final String namespace;
  private final String node;
  private final String pod;
  private final WindowState state;

  /**
   * The encoded identity (format to pod), the same in every write of this window: encoded once, or
   * taken from the bytes it was read from, rather than on every batch.
   */
  private byte[] head;

  /** Length of the last encoding: the next one is written without growing its buffer. */
  private int encodedLength = 256;

  private SeriesWindow(
      String name,
      MetricType type,
      SortedMap<String, String> tags,
      String cluster,
      String namespace,
      String node,
      String pod,
      WindowState state) {
    this.name = name;
    this.type = type;
    this.tags = tags;
    this.cluster = cluster;
    this.namespace = namespace;
    this.node = node;
    this.pod = pod;
    this.state = state;
  }

  /** An empty window for {@code series} of {@code source}, with the default set bound. */
  public static SeriesWindow empty(Source source, Series series, double relativeAccuracy) {
    return empty(source, series, StateOptions.of(relativeAccuracy));
  }

  /** An empty window for {@code series} of {@code source}. */
  public static SeriesWindow empty(Source source, Series series, StateOptions options) {
    return new SeriesWindow(
        series.getName(),
        series.getType(),
        new TreeMap<>(series.getTags()),
        source.getCluster(),
        source.getNamespace(),
        source.getNode(),
        source.getPod(),
        WindowState.empty(series.getType(), options));
  }

  /** An empty window of the same series and source: what a correction adds, kept apart. */
  public SeriesWindow emptyCopy(StateOptions options) {
    SeriesWindow w =
        new SeriesWindow(
            name, type, tags, cluster, namespace, node, pod, WindowState.empty(type, options));
    w.head = head;
    return w;
  }

  /**
   * The series' identity, also the Kafka key of its aggregates: source id, name, Telegraf type and
   * the tags sorted by key ({@code c/ns/pod/ctr|api.timer|timing|route=/a,status=200}). Tag order
   * on the wire does not matter.
   */
  public static String id(Source source, Series series) {
    StringBuilder b =
        new StringBuilder(Sources.id(source))
            .append('|')
            .append(series.getName())
            .append('|')
            .append(Telegraf.metricType(series.getType()))
            .append('|');
    boolean first = true;
    for (Map.Entry<String, String> t : new TreeMap<>(series.getTags()).entrySet()) {
      if (!first) {
        b.append(',');
      }
      b.append(t.getKey()).append('=').append(t.getValue());
      first = false;
    }
    return b.toString();
  }

  /**
   * @see WindowState#add
   */
  public int add(Series series, int[] indices, int count) {
    return state.add(series, indices, count);
  }

  /** True when nothing valid was added: a closed window emits nothing then. */
  public boolean isEmpty() {
    return state.isEmpty();
  }

  public String name() {
    return name;
  }

  public MetricType type() {
    return type;
  }

  public String cluster() {
    return cluster;
  }

  /** The Wavefront source of this per-pod series. */
  public String node() {
    return node;
  }

  public WindowState state() {
    return state;
  }

  /** The point tags with {@code clusterTags} applied; see {@link Tagging#seriesTags}. */
  public Map<String, String> tags(Map<String, String> clusterTags) {
    return Tagging.seriesTags(
        Telegraf.metricType(type), pod, cluster, namespace, clusterTags, tags);
  }

  /** {@link #toAggregate(long, long, List, Map)} without cluster metadata. */
  public Aggregate toAggregate(long windowStart, long windowEnd, List<Double> percentiles) {
    return toAggregate(windowStart, windowEnd, percentiles, Map.of());
  }

  /**
   * The aggregate of this series over {@code [windowStart, windowEnd)}, with Telegraf's field names
   * and tags: {@code metric_type}, {@code pod_name}, {@code cluster}, {@code namespace}, the
   * cluster's metadata tags, then the series' own tags (which win on a clash, as a tag sent by the
   * app is the more specific).
   */
  public Aggregate toAggregate(
      long windowStart, long windowEnd, List<Double> percentiles, Map<String, String> clusterTags) {
    return toAggregate(windowStart, windowEnd, TimerFields.all(percentiles), clusterTags);
  }

  /**
   * {@link #toAggregate(long, long, List, Map)} with only {@code timerFields} of a timer, histogram
   * or distribution.
   */
  public Aggregate toAggregate(
      long windowStart, long windowEnd, TimerFields timerFields, Map<String, String> clusterTags) {
    return Aggregate.newBuilder()
        .setName(name)
        .setMetricType(Telegraf.metricType(type))
        .setSource(node)
        .setTags(tags(clusterTags))
        .setWindowStart(windowStart)
        .setWindowEnd(windowEnd)
        .setFields(new LinkedHashMap<>(state.fields(timerFields)))
        .setSketch(state.sketch())
        .build();
  }

  public byte[] toBytes() {
    try {
      if (head == null) {
        head = head();
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(encodedLength + 64);
      bytes.write(head);
      DataOutputStream out = new DataOutputStream(bytes);
      state.write(out);
      out.flush();
      byte[] encoded = bytes.toByteArray();
      encodedLength = encoded.length;
      return encoded;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode window state of " + name, e);
    }
  }

  private byte[] head() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(FORMAT);
    Codec.writeString(out, name);
    Codec.writeString(out, type.name());
    out.writeInt(tags.size());
    for (Map.Entry<String, String> t : tags.entrySet()) {
      Codec.writeString(out, t.getKey());
      Codec.writeString(out, t.getValue());
    }
    Codec.writeString(out, cluster);
    Codec.writeString(out, namespace);
    Codec.writeString(out, node);
    Codec.writeString(out, pod);
    out.flush();
    return bytes.toByteArray();
  }

  /**
   * Reads what {@link #toBytes} wrote.
   *
   * @throws IllegalArgumentException when the bytes are not a window state of a known format
   */
  public static SeriesWindow fromBytes(byte[] bytes) {
    return fromBytes(bytes, StateOptions.of(0.01));
  }

  /**
   * Reads what {@link #toBytes} wrote; {@code options} matter only for a set whose exact bound was
   * lowered since.
   *
   * @throws IllegalArgumentException when the bytes are not a window state of a known format
   */
  public static SeriesWindow fromBytes(byte[] bytes, StateOptions options) {
    try {
      ByteArrayInputStream stream = new ByteArrayInputStream(bytes);
      DataInputStream in = new DataInputStream(stream);
      byte format = in.readByte();
      if (format != FORMAT && format != 1) {
        throw new IllegalArgumentException("unknown window state format " + format);
      }
      String name = Codec.readString(in);
      MetricType type = MetricType.valueOf(Codec.readString(in));
      int n = in.readInt();
      SortedMap<String, String> tags = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        tags.put(Codec.readString(in), Codec.readString(in));
      }
      String cluster = Codec.readString(in);
      String namespace = Codec.readString(in);
      String node = Codec.readString(in);
      String pod = Codec.readString(in);
      int headLength = bytes.length - stream.available();
      WindowState state = WindowState.read(type, in, format, options);
      SeriesWindow window =
          new SeriesWindow(name, type, tags, cluster, namespace, node, pod, state);
      if (format == FORMAT) {
        window.head = Arrays.copyOf(bytes, headLength);
      }
      window.encodedLength = bytes.length;
      return window;
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "corrupt window state (" + bytes.length + " bytes): " + e, e);
    }
  }
}
