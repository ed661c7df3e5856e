package io.fleetstats.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.testing.StatsdBatches;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The writer (Avro's {@code BinaryEncoder}, fields in schema order) against Avro's datum writer:
 * same bytes, and Avro's decoder reads them back.
 */
class StatsdBatchWriterTest {
  private static final StatsdBatchWriter.Origin SOURCE =
      new StatsdBatchWriter.Origin(
          "prod-eu", "payroll", "node-7", "api-5f9c", "api", "payroll-api");

  @Test
  void fingerprintIsTheCurrentSchemas() {
    assertThat(StatsdBatchWriter.SCHEMA_FINGERPRINT)
        .as("StatsdBatch.avsc changed: update StatsdBatchWriter to write it, then its fingerprint")
        .isEqualTo(SchemaNormalization.parsingFingerprint64(StatsdBatch.getClassSchema()));
  }

  static Stream<Arguments> batches() {
    return StatsdBatches.table().entrySet().stream()
        .map(
            c ->
                Arguments.of(
                    c.getKey(),
                    c.getValue().stream().map(StatsdBatchWriterTest::forWriter).toList()));
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
        series.add(forWriter(StatsdBatches.series(random)));
      }
      StatsdBatchWriter.Origin source =
          new StatsdBatchWriter.Origin(
              StatsdBatches.text(random),
              StatsdBatches.text(random),
              StatsdBatches.text(random),
              StatsdBatches.text(random),
              StatsdBatches.text(random),
              StatsdBatches.text(random));
      String agentId = StatsdBatches.text(random);
      long sequence = random.nextLong();
      long createdAt = random.nextLong();
      byte[] ours = reused.write(source, agentId, sequence, createdAt, series);
      StatsdBatch expected = avroBatch(source, agentId, sequence, createdAt, series);
      assertThat(ours).as("batch %d", i).isEqualTo(Topics.STATSD_BATCH.encode(expected));
      assertThat(Topics.STATSD_BATCH.decode(ours)).as("batch %d", i).isEqualTo(expected);
    }
  }

  private static void assertSameAsAvro(
      StatsdBatchWriter.Origin source,
      String agentId,
      long sequence,
      long createdAt,
      List<StatsdBatchWriter.Series> series) {
    byte[] ours = new StatsdBatchWriter().write(source, agentId, sequence, createdAt, series);
    StatsdBatch expected = avroBatch(source, agentId, sequence, createdAt, series);

    assertThat(ours).isEqualTo(Topics.STATSD_BATCH.encode(expected));
    assertThat(Topics.STATSD_BATCH.decode(ours)).isEqualTo(expected);
  }

  private static StatsdBatch avroBatch(
      StatsdBatchWriter.Origin source,
      String agentId,
      long sequence,
      long createdAt,
      List<StatsdBatchWriter.Series> series) {
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
                .map(
                    s ->
                        Series.newBuilder()
                            .setName(s.name())
                            .setType(MetricType.values()[s.type()])
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

  /** An Avro series as the batcher hands it to the writer: primitive arrays, tags sorted. */
  private static StatsdBatchWriter.Series forWriter(Series s) {
    return new StatsdBatchWriter.Series(
        s.getName(),
        s.getType().ordinal(),
        new TreeMap<>(s.getTags()),
        doubles(s.getValues()),
        s.getMembers(),
        doubles(s.getSampleRates()),
        booleans(s.getRelative()),
        longs(s.getReceivedAt()));
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
}
