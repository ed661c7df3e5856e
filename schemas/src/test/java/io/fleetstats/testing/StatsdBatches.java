package io.fleetstats.testing;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * {@code StatsdBatch} records, a table of cases and random ones, for the differential tests of the
 * code that writes or reads that record's Avro bytes without Avro's datum writer/reader (the edge
 * agent's {@code StatsdBatchWriter}, the stream processor's {@code StatsdBatchReader}): every
 * metric type, empty and long arrays, sets with members, sample rates, relative gauges, tags, and
 * text that is mostly ASCII but also accented, CJK, emoji (surrogate pairs), empty or long. Seeded
 * by the caller, so a failure names a reproducible batch.
 */
public final class StatsdBatches {
  private StatsdBatches() {}

  /**
   * The Avro single-object bytes of a record of another type (an {@code Aggregate}): what a {@code
   * StatsdBatch} reader must reject by its schema fingerprint.
   */
  public static byte[] foreignRecord() {
    return Topics.AGGREGATE.encode(
        Aggregate.newBuilder()
            .setName("m")
            .setMetricType("counter")
            .setSource("node-1")
            .setWindowStart(0)
            .setWindowEnd(10_000)
            .setFields(Map.of("value", 1.0))
            .build());
  }

  /**
   * Hand-picked series lists, by case name: a heartbeat, rates and map tags, relative gauges,
   * unicode and empty strings, empty arrays, every type with extreme values.
   */
  public static Map<String, List<Series>> table() {
    Map<String, List<Series>> cases = new LinkedHashMap<>();
    cases.put("heartbeat", List.of());
    cases.put(
        "counter with rates and map tags",
        List.of(
            series(
                "requests",
                MetricType.COUNTER,
                Map.of("uri", "/a", "code", "200"),
                List.of(1.0, 3.0, 1.0),
                List.of(),
                List.of(1.0, 0.25, 1.0),
                List.of(),
                List.of(1L, 2L, 3L))));
    cases.put(
        "relative gauge",
        List.of(
            series(
                "queue.depth",
                MetricType.GAUGE,
                Map.of(),
                List.of(7.0, -2.5),
                List.of(),
                List.of(),
                List.of(false, true),
                List.of(1_764_000_000_000L, 1_764_000_000_001L))));
    cases.put(
        "set members, unicode and empty strings",
        List.of(
            series(
                "users.überall",
                MetricType.SET,
                Map.of("région", "ÎdF", "flag", "true", "", ""),
                List.of(),
                List.of("alice", "", "日本", "😀"),
                List.of(),
                List.of(),
                List.of(5L, 6L, 7L, 8L))));
    cases.put(
        "empty arrays everywhere",
        List.of(
            series(
                "nothing",
                MetricType.TIMER,
                Map.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of(),
                List.of())));
    cases.put(
        "every type, extreme values",
        Arrays.stream(MetricType.values())
            .map(
                t ->
                    series(
                        "t." + t,
                        t,
                        Map.of(),
                        t == MetricType.SET
                            ? List.of()
                            : List.of(-0.0, Double.MAX_VALUE, Double.MIN_VALUE, 1e-300, Double.NaN),
                        t == MetricType.SET ? List.of("m") : List.of(),
                        List.of(),
                        List.of(),
                        t == MetricType.SET
                            ? List.of(Long.MIN_VALUE)
                            : List.of(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 64L)))
            .toList());
    return cases;
  }

  /** A series from its fields, in the schema's order. */
  public static Series series(
      String name,
      MetricType type,
      Map<String, String> tags,
      List<Double> values,
      List<String> members,
      List<Double> rates,
      List<Boolean> relative,
      List<Long> receivedAt) {
    return Series.newBuilder()
        .setName(name)
        .setType(type)
        .setTags(tags)
        .setValues(values)
        .setMembers(members)
        .setSampleRates(rates)
        .setRelative(relative)
        .setReceivedAt(receivedAt)
        .build();
  }

  /** A batch of fewer than {@code maxSeries} random series from a random source. */
  public static StatsdBatch batch(Random random, int maxSeries) {
    List<Series> series = new ArrayList<>();
    for (int s = random.nextInt(maxSeries); s > 0; s--) {
      series.add(series(random));
    }
    Source source =
        Source.newBuilder()
            .setCluster(text(random))
            .setNamespace(text(random))
            .setNode(text(random))
            .setPod(text(random))
            .setContainer(text(random))
            .setApp(text(random))
            .build();
    return StatsdBatch.newBuilder()
        .setSource(source)
        .setAgentId(text(random))
        .setSequence(random.nextLong())
        .setCreatedAt(random.nextLong())
        .setSeries(series)
        .build();
  }

  /** One series: usually a few samples, one time in ten up to 200; tags sorted by key. */
  public static Series series(Random random) {
    MetricType type = MetricType.values()[random.nextInt(MetricType.values().length)];
    int samples = random.nextInt(random.nextInt(10) == 0 ? 200 : 5);
    Map<String, String> tags = new TreeMap<>();
    for (int t = random.nextInt(4); t > 0; t--) {
      tags.put(text(random), text(random));
    }
    List<Double> values = new ArrayList<>();
    List<String> members = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    List<Boolean> relative = new ArrayList<>();
    List<Long> receivedAt = new ArrayList<>();
    boolean withRates = random.nextBoolean();
    boolean withRelative = type == MetricType.GAUGE && random.nextBoolean();
    for (int i = 0; i < samples; i++) {
      if (type == MetricType.SET) {
        members.add(text(random));
      } else {
        values.add(random.nextInt(3) == 0 ? random.nextInt(1000) : random.nextGaussian() * 1e6);
      }
      if (withRates) {
        rates.add(random.nextDouble());
      }
      if (withRelative) {
        relative.add(random.nextBoolean());
      }
      receivedAt.add(
          random.nextBoolean()
              ? 1_764_000_000_000L + random.nextInt(1_000_000)
              : random.nextLong());
    }
    return series(text(random), type, tags, values, members, rates, relative, receivedAt);
  }

  /** ASCII mostly, sometimes accented, CJK or emoji (surrogate pairs), sometimes empty or long. */
  public static String text(Random random) {
    int length = random.nextInt(20) == 0 ? 200 + random.nextInt(200) : random.nextInt(12);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < length; i++) {
      switch (random.nextInt(10)) {
        case 0 -> b.append((char) (0xC0 + random.nextInt(0x40)));
        case 1 -> b.append((char) (0x4E00 + random.nextInt(0x1000)));
        case 2 -> b.appendCodePoint(0x1F600 + random.nextInt(0x40));
        default -> b.append((char) (' ' + random.nextInt(95)));
      }
    }
    return b.toString();
  }
}
