package io.fleetstats.edge.publish;

import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.edge.statsd.MetricType;
import io.fleetstats.edge.statsd.StatsdSample;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accumulates one source's samples grouped by series (name + type + tags) into the parallel
 * arrays of the schema's {@code Series}, and turns them into one serialized {@code StatsdBatch}
 * per {@link #drain} (written by {@link StatsdBatchWriter}). Pure: receive and flush times are
 * arguments.
 *
 * <p>Not thread-safe: the agent confines it to its single event-loop thread, which both adds
 * samples and drains on the flush tick, so no lock is needed.
 */
public final class SeriesBatcher {
  private final EdgeConfig.Identity source;
  private final byte[] key;
  private final String agentId;
  private final StatsdBatchWriter writer = new StatsdBatchWriter();
  private final int maxBatchSamples;
  private final Map<SeriesKey, SeriesBuilder> series = new LinkedHashMap<>();
  private int pendingSamples;
  private long nextSequence = 1;

  /**
   * @param source the source stamped on every batch; its id is the Kafka key
   * @param agentId the id of this agent incarnation, stamped on every batch
   * @param maxBatchSamples {@link #isFull()} turns true at this many pending samples
   */
  public SeriesBatcher(EdgeConfig.Identity source, String agentId, int maxBatchSamples) {
    if (maxBatchSamples < 1) {
      throw new IllegalArgumentException("maxBatchSamples must be positive: " + maxBatchSamples);
    }
    this.source = source;
    this.key = source.sourceId().getBytes(StandardCharsets.UTF_8);
    this.agentId = agentId;
    this.maxBatchSamples = maxBatchSamples;
  }

  /** Adds one sample received at {@code receivedAtMillis} (epoch ms, the event time downstream). */
  public void add(StatsdSample sample, long receivedAtMillis) {
    SeriesKey key = new SeriesKey(sample.name(), sample.type(), sample.tags());
    series.computeIfAbsent(key, SeriesBuilder::new).add(sample, receivedAtMillis);
    pendingSamples++;
  }

  /** Samples added since the last drain. */
  public int pendingSamples() {
    return pendingSamples;
  }

  public boolean isEmpty() {
    return pendingSamples == 0;
  }

  /** True once {@code maxBatchSamples} are pending: the caller should drain now, not on the tick. */
  public boolean isFull() {
    return pendingSamples >= maxBatchSamples;
  }

  /**
   * Everything added since the last drain as one batch (with no series when nothing was added: a
   * heartbeat), serialized, and a fresh start. Sequences start at 1 and increase by one per batch.
   * The record's key is the source id, its timestamp {@code createdAtMillis}.
   */
  public PendingBatch drain(long createdAtMillis) {
    List<StatsdBatchWriter.Series> out = new ArrayList<>(series.size());
    for (SeriesBuilder b : series.values()) {
      out.add(b.build());
    }
    int samples = pendingSamples;
    long sequence = nextSequence++;
    series.clear();
    pendingSamples = 0;
    byte[] value = writer.write(source, agentId, sequence, createdAtMillis, out);
    return new PendingBatch(key, value, createdAtMillis, samples, sequence);
  }

  /** The sequence number the next drained batch gets. */
  public long nextSequence() {
    return nextSequence;
  }

  public String agentId() {
    return agentId;
  }

  private record SeriesKey(String name, MetricType type, Map<String, String> tags) {}

  private static final class SeriesBuilder {
    private final SeriesKey key;
    private final List<Double> values = new ArrayList<>();
    private final List<String> members = new ArrayList<>();
    private final List<Long> receivedAt = new ArrayList<>();
    // Allocated only when a sample differs from the default (rate 1, absolute), then back-filled,
    // so the common batch carries empty arrays as the schema allows.
    private List<Double> sampleRates;
    private List<Boolean> relative;

    SeriesBuilder(SeriesKey key) {
      this.key = key;
    }

    void add(StatsdSample sample, long receivedAtMillis) {
      int index = receivedAt.size();
      if (key.type() == MetricType.SET) {
        members.add(sample.member());
      } else {
        values.add(sample.value());
      }
      receivedAt.add(receivedAtMillis);
      if (sampleRates == null && sample.sampleRate() != 1.0) {
        sampleRates = new ArrayList<>(Collections.nCopies(index, 1.0));
      }
      if (sampleRates != null) {
        sampleRates.add(sample.sampleRate());
      }
      if (relative == null && sample.relative()) {
        relative = new ArrayList<>(Collections.nCopies(index, false));
      }
      if (relative != null) {
        relative.add(sample.relative());
      }
    }

    StatsdBatchWriter.Series build() {
      return new StatsdBatchWriter.Series(
          key.name(),
          key.type(),
          new TreeMap<>(key.tags()),
          values,
          members,
          sampleRates == null ? List.of() : sampleRates,
          relative == null ? List.of() : relative,
          receivedAt);
    }
  }
}
