package io.fleetstats.edge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.edge.statsd.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The hand-written encoder against Avro's own: same bytes, and Avro's decoder reads them back. */
class StatsdBatchWriterTest {
  private static final EdgeConfig.Identity SOURCE =
      new EdgeConfig.Identity("prod-eu", "payroll", "node-7", "api-5f9c", "api", "payroll-api");

  @Test
  void fingerprintIsTheCurrentSchemas() {
    assertThat(StatsdBatchWriter.SCHEMA_FINGERPRINT)
        .as("StatsdBatch.avsc changed: update StatsdBatchWriter to write it, then its fingerprint")
        .isEqualTo(SchemaNormalization.parsingFingerprint64(StatsdBatch.getClassSchema()));
  }

  @Test
  void metricTypesHaveTheAvroEnumsSymbolsInItsOrder() {
    assertThat(Arrays.stream(MetricType.values()).map(Enum::name))
        .containsExactlyElementsOf(StatsdBatch.getClassSchema().getField("series").schema()
            .getElementType().getField("type").schema().getEnumSymbols());
  }

  static Stream<Arguments> batches() {
    return Stream.of(
        Arguments.of("heartbeat", List.of()),
        Arguments.of(
            "counter with rates and tags",
            List.of(series("requests", MetricType.COUNTER, Map.of("uri", "/a", "code", "200"),
                List.of(1.0, 3.0, 1.0), List.of(), List.of(1.0, 0.25, 1.0), List.of(), List.of(1L, 2L, 3L)))),
        Arguments.of(
            "relative gauge",
            List.of(series("queue.depth", MetricType.GAUGE, Map.of(), List.of(7.0, -2.5), List.of(), List.of(),
                List.of(false, true), List.of(1_764_000_000_000L, 1_764_000_000_001L)))),
        Arguments.of(
            "set members, unicode and empty strings",
            List.of(series("users.überall", MetricType.SET, Map.of("région", "ÎdF", "flag", "true", "", ""),
                List.of(), List.of("alice", "", "日本"), List.of(), List.of(), List.of(5L, 6L, 7L)))),
        Arguments.of(
            "every type, extreme values",
            Arrays.stream(MetricType.values())
                .map(t -> series("t." + t, t, Map.of(),
                    t == MetricType.SET ? List.of() : List.of(-0.0, Double.MAX_VALUE, Double.MIN_VALUE, 1e-300, Double.NaN),
                    t == MetricType.SET ? List.of("m") : List.of(), List.of(), List.of(),
                    t == MetricType.SET ? List.of(Long.MIN_VALUE) : List.of(0L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 64L)))
                .toList()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batches")
  void writesWhatAvroWrites(String name, List<StatsdBatchWriter.Series> series) {
    assertSameAsAvro(SOURCE, "agent-1", 42, 1_764_000_000_000L, series);
  }

  @Test
  void writesWhatAvroWritesForRandomBatches() {
    Random random = new Random(20261125);
    StatsdBatchWriter reused = new StatsdBatchWriter();
    for (int i = 0; i < 2_000; i++) {
      List<StatsdBatchWriter.Series> series = new ArrayList<>();
      int n = random.nextInt(i % 100 == 0 ? 300 : 4);
      for (int s = 0; s < n; s++) {
        series.add(randomSeries(random));
      }
      EdgeConfig.Identity source =
          new EdgeConfig.Identity(text(random), text(random), text(random), text(random), text(random), text(random));
      String agentId = text(random);
      long sequence = random.nextLong();
      long createdAt = random.nextLong();
      byte[] ours = reused.write(source, agentId, sequence, createdAt, series);
      StatsdBatch expected = avroBatch(source, agentId, sequence, createdAt, series);
      assertThat(ours).as("batch %d", i).isEqualTo(Topics.STATSD_BATCH.encode(expected));
      assertThat(Topics.STATSD_BATCH.decode(ours)).as("batch %d", i).isEqualTo(expected);
    }
  }

  private static void assertSameAsAvro(
      EdgeConfig.Identity source, String agentId, long sequence, long createdAt, List<StatsdBatchWriter.Series> series) {
    byte[] ours = new StatsdBatchWriter().write(source, agentId, sequence, createdAt, series);
    StatsdBatch expected = avroBatch(source, agentId, sequence, createdAt, series);

    assertThat(ours).isEqualTo(Topics.STATSD_BATCH.encode(expected));
    assertThat(Topics.STATSD_BATCH.decode(ours)).isEqualTo(expected);
  }

  private static StatsdBatch avroBatch(
      EdgeConfig.Identity source, String agentId, long sequence, long createdAt, List<StatsdBatchWriter.Series> series) {
    return StatsdBatch.newBuilder()
        .setSource(
            Source.newBuilder()
                .setCluster(source.cluster())
                .setNamespace(source.namespace())
                .setNode(source.node())
                .setPod(source.pod())
                .setContainer(source.container())
                .setApp(source.app())
                .build())
        .setAgentId(agentId)
        .setSequence(sequence)
        .setCreatedAt(createdAt)
        .setSeries(
            series.stream()
                .map(s -> Series.newBuilder()
                    .setName(s.name())
                    .setType(io.fleetstats.schemas.MetricType.valueOf(s.type().name()))
                    .setTags(new TreeMap<>(s.tags()))
                    .setValues(Arrays.stream(s.values()).boxed().toList())
                    .setMembers(s.members())
                    .setSampleRates(Arrays.stream(s.sampleRates()).boxed().toList())
                    .setRelative(booleans(s.relative()))
                    .setReceivedAt(Arrays.stream(s.receivedAt()).boxed().toList())
                    .build())
                .toList())
        .build();
  }

  private static StatsdBatchWriter.Series series(
      String name, MetricType type, Map<String, String> tags, List<Double> values, List<String> members,
      List<Double> rates, List<Boolean> relative, List<Long> receivedAt) {
    return new StatsdBatchWriter.Series(
        name, type, new TreeMap<>(tags), doubles(values), members, doubles(rates), booleans(relative), longs(receivedAt));
  }

  private static double[] doubles(List<Double> list) {
    return list.stream().mapToDouble(Double::doubleValue).toArray();
  }

  private static long[] longs(List<Long> list) {
    return list.stream().mapToLong(Long::longValue).toArray();
  }

  private static boolean[] booleans(List<Boolean> list) {
    boolean[] out = new boolean[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = list.get(i);
    }
    return out;
  }

  private static List<Boolean> booleans(boolean[] array) {
    List<Boolean> out = new ArrayList<>(array.length);
    for (boolean b : array) {
      out.add(b);
    }
    return out;
  }

  private static StatsdBatchWriter.Series randomSeries(Random random) {
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
      receivedAt.add(random.nextBoolean() ? 1_764_000_000_000L + random.nextInt(1_000_000) : random.nextLong());
    }
    return series(text(random), type, tags, values, members, rates, relative, receivedAt);
  }

  // ASCII mostly, sometimes accented, CJK or emoji (surrogate pairs), sometimes empty or long.
  private static String text(Random random) {
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
