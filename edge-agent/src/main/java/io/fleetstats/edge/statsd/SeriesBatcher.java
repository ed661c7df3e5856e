package io.fleetstats.edge.statsd;

import io.fleetstats.edge.publish.PendingBatch;
import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.schemas.StatsdBatchWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accumulates one source's samples grouped by series (name + type + tags) into the parallel arrays
 * of the schema's {@code Series}, and turns them into one serialized {@code StatsdBatch} per {@link
 * #drain} (written by {@link StatsdBatchWriter}). Pure: receive and flush times are arguments.
 *
 * <p>A series' builder and its arrays are kept from one batch to the next while the series keeps
 * sending (dropped after a batch without it), so a steady series does not regrow its arrays for
 * every batch: that growth was most of the agent's garbage per sample at millions of lines/s.
 *
 * <p>Not thread-safe: the agent confines it to its single event-loop thread, which both adds
 * samples and drains on the flush tick, so no lock is needed.
 */
public final class SeriesBatcher {
  private static final int RECENT_MASK = 255;

  private final StatsdBatchWriter.Origin source;
  private final byte[] key;
  private final String agentId;
  private final StatsdBatchWriter writer = new StatsdBatchWriter();
  private final int maxBatchSamples;
  private final Map<String, String> globalTags;

  /** Largest encoded batch (Avro bytes) one Kafka record may carry; a larger one is split. */
  private final int maxValueBytes;

  /**
   * The builders of the series of this batch and of the one before; those of the last batch are
   * empty until used.
   */
  private final Map<SeriesId, SeriesBuilder> series = new HashMap<>();

  /**
   * The builders with samples in this batch, in the order of their first sample (the batch's
   * order).
   */
  private final List<SeriesBuilder> active = new ArrayList<>();

  /**
   * The builders last looked up, by the identity of their {@link SeriesId} (the ingester hands out
   * one instance per series), at {@code hashCode & RECENT_MASK}: a sample of a recent series finds
   * its builder with one array read and one reference comparison instead of a map lookup. Cleared
   * at every drain, which forgets the series that sent nothing.
   */
  private final SeriesBuilder[] recent = new SeriesBuilder[RECENT_MASK + 1];

  private int pendingSamples;
  private long nextSequence = 1;

  /**
   * @param source the source stamped on every batch; its id is the Kafka key
   * @param agentId the id of this agent incarnation, stamped on every batch
   * @param maxBatchSamples {@link #isFull()} turns true at this many pending samples
   */
  public SeriesBatcher(ProcessIdentity source, String agentId, int maxBatchSamples) {
    this(source, agentId, maxBatchSamples, Map.of());
  }

  /**
   * @param globalTags added to every series that has no tag of that key (Telegraf's {@code
   *     [global_tags]}: {@code FLEETSTATS_GLOBAL_TAGS}, e.g. pod labels)
   */
  public SeriesBatcher(
      ProcessIdentity source, String agentId, int maxBatchSamples, Map<String, String> globalTags) {
    this(source, agentId, maxBatchSamples, globalTags, DEFAULT_MAX_REQUEST_SIZE);
  }

  /** Kafka's default {@code max.request.size}: the largest record a producer sends. */
  public static final int DEFAULT_MAX_REQUEST_SIZE = 1_048_576;

  /**
   * What Kafka adds to a record's key and value before comparing with {@code max.request.size} (the
   * record batch's 61-byte header and the record's own varints), with a margin.
   */
  static final int RECORD_OVERHEAD = 256;

  /**
   * @param maxRequestSize the producer's {@code max.request.size}: a drained batch whose record
   *     would be larger is split by series into several records (each with its own sequence), so
   *     that Kafka never refuses one as too large
   */
  public SeriesBatcher(
      ProcessIdentity source,
      String agentId,
      int maxBatchSamples,
      Map<String, String> globalTags,
      int maxRequestSize) {
    if (maxBatchSamples < 1) {
      throw new IllegalArgumentException("maxBatchSamples must be positive: " + maxBatchSamples);
    }
    this.source =
        new StatsdBatchWriter.Origin(
            source.cluster(),
            source.namespace(),
            source.node(),
            source.pod(),
            source.container(),
            source.app());
    this.key = source.sourceId().getBytes(StandardCharsets.UTF_8);
    this.agentId = agentId;
    this.maxBatchSamples = maxBatchSamples;
    this.globalTags = Map.copyOf(globalTags);
    this.maxValueBytes = Math.max(1024, maxRequestSize - key.length - RECORD_OVERHEAD);
  }

  /** Adds one sample received at {@code receivedAtMillis} (epoch ms, the event time downstream). */
  public void add(StatsdSample sample, long receivedAtMillis) {
    builder(new SeriesId(sample.name(), sample.type(), sample.tags()))
        .add(
            sample.value(),
            sample.member(),
            sample.sampleRate(),
            sample.relative(),
            receivedAtMillis);
    pendingSamples++;
  }

  /**
   * Adds one numeric (not set) sample of {@code series}: {@link #add(StatsdSample, long)} without
   * the sample.
   */
  public void add(
      SeriesId series, double value, double sampleRate, boolean relative, long receivedAtMillis) {
    builder(series).add(value, "", sampleRate, relative, receivedAtMillis);
    pendingSamples++;
  }

  private SeriesBuilder builder(SeriesId id) {
    int slot = id.hashCode() & RECENT_MASK;
    SeriesBuilder b = recent[slot];
    if (b == null || b.id != id) {
      b = series.get(id);
      if (b == null) {
        b = new SeriesBuilder(id);
        series.put(id, b);
      }
      recent[slot] = b;
    }
    if (b.size == 0) {
      active.add(b);
    }
    return b;
  }

  /** Samples added since the last drain. */
  public int pendingSamples() {
    return pendingSamples;
  }

  public boolean isEmpty() {
    return pendingSamples == 0;
  }

  /**
   * True once {@code maxBatchSamples} are pending: the caller should drain now, not on the tick.
   */
  public boolean isFull() {
    return pendingSamples >= maxBatchSamples;
  }

  /**
   * Everything added since the last drain as one batch (with no series when nothing was added: a
   * heartbeat), serialized, and a fresh start. Sequences start at 1 and increase by one per batch.
   * The record's key is the source id, its timestamp {@code createdAtMillis}.
   *
   * @throws IllegalStateException when the batch had to be split ({@link #drainAll})
   */
  public PendingBatch drain(long createdAtMillis) {
    List<PendingBatch> batches = drainAll(createdAtMillis);
    if (batches.size() != 1) {
      throw new IllegalStateException(
          "the batch was split into " + batches.size() + " records: use drainAll");
    }
    return batches.get(0);
  }

  /**
   * Everything added since the last drain, serialized, and a fresh start: one batch, or, when its
   * record would exceed the producer's {@code max.request.size} (many series with long names and
   * tags), several, split by series, each with its own sequence. A single series too large for a
   * record on its own stays one record (Kafka refuses it; the publisher counts it as failed).
   */
  public List<PendingBatch> drainAll(long createdAtMillis) {
    List<StatsdBatchWriter.Series> out = new ArrayList<>(active.size());
    for (SeriesBuilder b : active) {
      out.add(b.build(globalTags));
    }
    // series that sent nothing in this batch are forgotten; those that did start the next one empty
    series.values().removeIf(b -> b.size == 0);
    Arrays.fill(recent, null);
    for (SeriesBuilder b : active) {
      b.reset();
    }
    active.clear();
    pendingSamples = 0;
    List<PendingBatch> batches = new ArrayList<>(1);
    write(createdAtMillis, out, batches);
    return batches;
  }

  private void write(
      long createdAtMillis, List<StatsdBatchWriter.Series> out, List<PendingBatch> batches) {
    byte[] value = writer.write(source, agentId, nextSequence, createdAtMillis, out);
    if (value.length > maxValueBytes && out.size() > 1) {
      int half = out.size() / 2;
      write(createdAtMillis, out.subList(0, half), batches);
      write(createdAtMillis, out.subList(half, out.size()), batches);
      return;
    }
    int samples = 0;
    for (StatsdBatchWriter.Series s : out) {
      samples += s.receivedAt().length;
    }
    batches.add(new PendingBatch(key, value, createdAtMillis, samples, nextSequence++));
  }

  /** The sequence number the next drained batch gets. */
  public long nextSequence() {
    return nextSequence;
  }

  public String agentId() {
    return agentId;
  }

  /**
   * One series' samples in primitive arrays (no boxing while a batch fills); the writer gets copies
   * trimmed to the samples when the batch is drained, and the arrays are reused.
   */
  private static final class SeriesBuilder {
    private static final int INITIAL_CAPACITY = 4;

    private final SeriesId id;
    private int size;
    private double[] values = new double[INITIAL_CAPACITY];
    private long[] receivedAt = new long[INITIAL_CAPACITY];
    private List<String> members;
    // Allocated only when a sample differs from the default (rate 1, absolute), then back-filled,
    // so the common batch carries empty arrays as the schema allows.
    private double[] sampleRates;
    private boolean[] relative;

    SeriesBuilder(SeriesId id) {
      this.id = id;
      if (id.type() == MetricType.SET) {
        members = new ArrayList<>();
      }
    }

    void add(
        double value, String member, double sampleRate, boolean isRelative, long receivedAtMillis) {
      if (size == receivedAt.length) {
        int capacity = size * 2;
        values = Arrays.copyOf(values, capacity);
        receivedAt = Arrays.copyOf(receivedAt, capacity);
        if (sampleRates != null) {
          sampleRates = Arrays.copyOf(sampleRates, capacity);
        }
        if (relative != null) {
          relative = Arrays.copyOf(relative, capacity);
        }
      }
      if (members != null) {
        members.add(member);
      } else {
        values[size] = value;
      }
      receivedAt[size] = receivedAtMillis;
      if (sampleRates == null && sampleRate != 1.0) {
        sampleRates = new double[receivedAt.length];
        Arrays.fill(sampleRates, 0, size, 1.0);
      }
      if (sampleRates != null) {
        sampleRates[size] = sampleRate;
      }
      if (relative == null && isRelative) {
        relative = new boolean[receivedAt.length];
      }
      if (relative != null) {
        relative[size] = isRelative;
      }
      size++;
    }

    /**
     * Empty for the next batch. The arrays stay, halved when this batch used less than a quarter of
     * them, so a series that sent a burst once does not hold its memory for long.
     */
    void reset() {
      int capacity = receivedAt.length;
      if (capacity > INITIAL_CAPACITY && size < capacity / 4) {
        values = new double[capacity / 2];
        receivedAt = new long[capacity / 2];
      }
      size = 0;
      sampleRates = null;
      relative = null;
      if (members != null) {
        members = new ArrayList<>(); // the drained batch holds the old list
      }
    }

    StatsdBatchWriter.Series build(Map<String, String> globalTags) {
      return new StatsdBatchWriter.Series(
          id.name(),
          id.type().ordinal(),
          tags(id.tags(), globalTags),
          members != null ? new double[0] : Arrays.copyOf(values, size),
          members != null ? members : List.of(),
          sampleRates == null ? new double[0] : Arrays.copyOf(sampleRates, size),
          relative == null ? new boolean[0] : Arrays.copyOf(relative, size),
          Arrays.copyOf(receivedAt, size));
    }
  }

  /** The series' own tags, plus every global tag whose key it does not have. */
  private static TreeMap<String, String> tags(
      Map<String, String> own, Map<String, String> globalTags) {
    TreeMap<String, String> tags = new TreeMap<>(own);
    for (Map.Entry<String, String> g : globalTags.entrySet()) {
      tags.putIfAbsent(g.getKey(), g.getValue());
    }
    return tags;
  }
}
