package io.fleetstats.bench;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.aggregate.SeriesWindow;
import io.fleetstats.stream.aggregate.StateOptions;
import io.fleetstats.stream.aggregate.TimerFields;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;

/**
 * Bytes on the broker per sample and per aggregate, for sizing (docs/capacity.md): the raw batches
 * of {@link StreamBench} (one pod each, 100 series × 50 samples: 50 timers with lognormal values,
 * 30 counters, 15 gauges, 5 sets; a batch per pod and second) encoded as the edge agent writes them
 * and put into record batches as Kafka's producer does (16-KiB {@code batch.size}, lz4, the agent's
 * and the processor's codec), whose size is what the log holds; then one 10-s window of each pod's
 * series aggregated by the processor's own code and encoded as the aggregates topic holds them,
 * with every timer field (the default) and with {@code count,upper,percentiles}, one percentile
 * (90, the default) each, batched the same way. No broker, no clock: sizes only.
 *
 * <p>The window-store changelog: with live traffic each series' window is written once per commit
 * (1 s), so the state of every series is encoded after each second of the window and batched the
 * same way: what the changelog receives per second of traffic.
 *
 * <p>Usage: {@code RecordSizes [pods=20] [seconds=10] [samples=50]} ({@code samples} per series and
 * second: 50 is the stream bench's 5 000 samples/s per pod, 10 gives 1 000)
 */
public final class RecordSizes {
  /** Kafka's default producer {@code batch.size}: aggregates are compressed in batches this big. */
  private static final int PRODUCER_BATCH = 16_384;

  private RecordSizes() {}

  public static void main(String[] args) throws IOException {
    Map<String, String> a = new LinkedHashMap<>();
    for (String arg : args) {
      String[] kv = arg.split("=", 2);
      a.put(kv[0], kv.length > 1 ? kv[1] : "");
    }
    int pods = Integer.parseInt(a.getOrDefault("pods", "20"));
    int seconds = Integer.parseInt(a.getOrDefault("seconds", "10"));
    int perSeries = Integer.parseInt(a.getOrDefault("samples", "50"));
    Random rnd = new Random(42);
    long t0 = 1_700_000_000_000L;

    long samples = 0;
    long raw = 0;
    Log rawLz4 = new Log(Compression.lz4().build());
    Log rawNone = new Log(Compression.NONE);
    long records = 0;
    Map<Integer, List<StatsdBatch>> byPod = new LinkedHashMap<>();
    for (int s = 0; s < seconds; s++) {
      for (int p = 0; p < pods; p++) {
        StatsdBatch b =
            StreamBench.batch(StreamBench.pod(p), t0 + (s + 1) * 1_000L, rnd, perSeries);
        byPod.computeIfAbsent(p, k -> new ArrayList<>()).add(b);
        byte[] bytes = Topics.STATSD_BATCH.encode(b);
        byte[] key = Sources.id(b.getSource()).getBytes(StandardCharsets.UTF_8);
        records++;
        raw += bytes.length;
        rawLz4.append(b.getCreatedAt(), key, bytes);
        rawNone.append(b.getCreatedAt(), key, bytes);
        for (Series series : b.getSeries()) {
          samples +=
              series.getType() == MetricType.SET
                  ? series.getMembers().size()
                  : series.getValues().size();
        }
      }
    }
    rawLz4.close();
    rawNone.close();
    System.out.printf(
        "raw statsd: %d records, %d samples, %.1f samples per record; bytes per sample: %.2f"
            + " Avro, %.2f in the log uncompressed, %.2f in the log with lz4 (%d batches)%n",
        records,
        samples,
        (double) samples / records,
        (double) raw / samples,
        (double) rawNone.bytes / samples,
        (double) rawLz4.bytes / samples,
        rawLz4.batches);

    List<Double> percentiles = List.of(90.0);
    Map<String, TimerFields> sets =
        Map.of(
            "default (all timer fields, p90)",
            TimerFields.all(percentiles),
            "count,upper,percentiles (p90)",
            new TimerFields(TimerFields.parse("count,upper,percentiles"), percentiles));
    for (Map.Entry<String, TimerFields> e : sets.entrySet()) {
      long aggregates = 0;
      long fields = 0;
      long bytes = 0;
      long sketchBytes = 0;
      Log aggLz4 = new Log(Compression.lz4().build());
      Map<String, long[]> perType = new LinkedHashMap<>();
      Log changelog = new Log(Compression.lz4().build());
      long changelogRaw = 0;
      for (List<StatsdBatch> batches : byPod.values()) {
        Source source = batches.get(0).getSource();
        Map<String, SeriesWindow> windows = new LinkedHashMap<>();
        for (StatsdBatch b : batches) {
          for (Series series : b.getSeries()) {
            SeriesWindow w =
                windows.computeIfAbsent(
                    SeriesWindow.id(source, series),
                    k -> SeriesWindow.empty(source, series, StateOptions.of(0.01)));
            int n =
                series.getType() == MetricType.SET
                    ? series.getMembers().size()
                    : series.getValues().size();
            w.add(series, IntStream.range(0, n).toArray(), n);
          }
          // the commit after this second: every window that changed, encoded
          for (Map.Entry<String, SeriesWindow> entry : windows.entrySet()) {
            byte[] state = entry.getValue().toBytes();
            changelogRaw += state.length;
            changelog.append(
                b.getCreatedAt(), entry.getKey().getBytes(StandardCharsets.UTF_8), state);
          }
        }
        for (Map.Entry<String, SeriesWindow> entry : windows.entrySet()) {
          SeriesWindow w = entry.getValue();
          Aggregate agg =
              w.toAggregate(t0, t0 + 10_000, e.getValue(), Map.of("region", "eu-west-1"));
          byte[] encoded = Topics.AGGREGATE.encode(agg);
          aggregates++;
          fields += agg.getFields().size();
          bytes += encoded.length;
          sketchBytes += agg.getSketch() == null ? 0 : agg.getSketch().remaining();
          aggLz4.append(t0, entry.getKey().getBytes(StandardCharsets.UTF_8), encoded);
          perType.computeIfAbsent(agg.getMetricType(), k -> new long[2])[0]++;
          perType.get(agg.getMetricType())[1] += agg.getFields().size();
        }
      }
      aggLz4.close();
      changelog.close();
      StringBuilder types = new StringBuilder();
      perType.forEach(
          (type, c) -> types.append(String.format(" %s %.0f,", type, (double) c[1] / c[0])));
      System.out.printf(
          "aggregates, %s: %d aggregates, %.2f fields (points) per aggregate;"
              + " fields per aggregate by type:%s %.0f bytes per aggregate (Avro; %.0f of them"
              + " the sketch), %.0f in the log with lz4%n",
          e.getKey(),
          aggregates,
          (double) fields / aggregates,
          types.substring(0, types.length() - 1) + ";",
          (double) bytes / aggregates,
          (double) sketchBytes / aggregates,
          (double) aggLz4.bytes / aggregates);
      if (e.getKey().startsWith("default")) {
        System.out.printf(
            "window-store changelog, a commit per second: %.0f bytes per series and second"
                + " (state), %.0f in the log with lz4; %.2f bytes per sample%n",
            (double) changelogRaw / (pods * seconds * 100L),
            (double) changelog.bytes / (pods * seconds * 100L),
            (double) changelog.bytes / samples);
      }
    }
  }

  /**
   * Records appended as a producer batches them: lz4 batches of up to 16 KiB, as the log keeps
   * them.
   */
  private static final class Log {
    private final Compression compression;
    private MemoryRecordsBuilder open;
    long bytes;
    int batches;

    Log(Compression compression) {
      this.compression = compression;
    }

    void append(long timestamp, byte[] key, byte[] value) {
      if (open != null && !open.hasRoomFor(timestamp, key, value, new Header[0])) {
        close();
      }
      if (open == null) {
        open =
            MemoryRecords.builder(
                ByteBuffer.allocate(PRODUCER_BATCH), compression, TimestampType.CREATE_TIME, 0L);
      }
      open.append(timestamp, key, value);
    }

    void close() {
      if (open != null) {
        bytes += open.build().sizeInBytes();
        batches++;
        open = null;
      }
    }
  }
}
