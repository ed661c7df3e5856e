package io.fleetstats.schemas;

import static io.fleetstats.testing.StatsdBatches.series;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetstats.testing.StatsdBatches;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.PrimitivesArrays;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link StatsdBatchReader} against Avro's own datum reader ({@code Topics.STATSD_BATCH}). */
class StatsdBatchReaderTest {
  private static final String TOPIC = "fleetstats.raw.statsd";
  private static final Deserializer<StatsdBatch> AVRO = Topics.STATSD_BATCH.deserializer();
  private static final Deserializer<StatsdBatch> READER = new StatsdBatchReader(AVRO);
  private static final Source SOURCE =
      Source.newBuilder()
          .setCluster("prod-eu")
          .setNamespace("payroll")
          .setNode("node-7")
          .setPod("api-5f9c")
          .setContainer("api")
          .setApp("payroll-api")
          .build();

  @Test
  void fingerprintIsTheCurrentSchemas() {
    assertThat(StatsdBatchReader.SCHEMA_FINGERPRINT)
        .as("StatsdBatch.avsc changed: update StatsdBatchReader to read it, then its fingerprint")
        .isEqualTo(SchemaNormalization.parsingFingerprint64(StatsdBatch.getClassSchema()));
  }

  static Stream<Arguments> batches() {
    return StatsdBatches.table().entrySet().stream()
        .map(c -> Arguments.of(c.getKey(), c.getValue()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("batches")
  void readsWhatAvroReads(String name, List<Series> series) {
    StatsdBatch batch = batch(SOURCE, "agent-1", 42, 1_764_000_000_000L, series);
    byte[] bytes = Topics.STATSD_BATCH.encode(batch);

    StatsdBatch read = READER.deserialize(TOPIC, bytes);

    assertThat(read).isEqualTo(AVRO.deserialize(TOPIC, bytes)).isEqualTo(batch);
  }

  @Test
  void keepsSamplesInPrimitiveArrays() {
    Series timer =
        series(
            "t",
            MetricType.TIMER,
            Map.of(),
            List.of(1.5, 2.5),
            List.of(),
            List.of(0.5, 1.0),
            List.of(),
            List.of(10L, 11L));
    byte[] bytes = Topics.STATSD_BATCH.encode(batch(SOURCE, "a", 1, 2, List.of(timer)));

    Series read = READER.deserialize(TOPIC, bytes).getSeries().get(0);

    assertThat(read.getValues())
        .isInstanceOf(PrimitivesArrays.DoubleArray.class)
        .containsExactly(1.5, 2.5);
    assertThat(read.getSampleRates()).isInstanceOf(PrimitivesArrays.DoubleArray.class);
    assertThat(read.getRelative()).isInstanceOf(PrimitivesArrays.BooleanArray.class);
    assertThat(read.getReceivedAt())
        .isInstanceOf(PrimitivesArrays.LongArray.class)
        .containsExactly(10L, 11L);
  }

  @Test
  void readsWhatAvroReadsForRandomBatches() {
    Random random = new Random(20261126);
    for (int i = 0; i < 3_000; i++) {
      StatsdBatch batch = StatsdBatches.batch(random, i % 100 == 0 ? 300 : 4);
      byte[] bytes = Topics.STATSD_BATCH.encode(batch);

      assertThat(READER.deserialize(TOPIC, bytes))
          .as("batch %d", i)
          .isEqualTo(batch)
          .isEqualTo(AVRO.deserialize(TOPIC, bytes));
    }
  }

  @Test
  void rejectsEveryTruncationAsAvroDoes() {
    Random random = new Random(7);
    for (int i = 0; i < 50; i++) {
      byte[] bytes = Topics.STATSD_BATCH.encode(StatsdBatches.batch(random, 3));
      for (int length = 0; length < bytes.length; length++) {
        assertSameOutcome(
            Arrays.copyOf(bytes, length), "batch " + i + " cut to " + length + " bytes");
      }
    }
  }

  @Test
  void treatsCorruptBytesAsAvroDoes() {
    Random random = new Random(11);
    for (int i = 0; i < 3_000; i++) {
      byte[] bytes = Topics.STATSD_BATCH.encode(StatsdBatches.batch(random, 3));
      // the body only: a damaged header goes to Avro's serde anyway
      for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
        int at = 10 + random.nextInt(bytes.length - 10);
        bytes[at] = random.nextInt(4) == 0 ? (byte) 0xFF : (byte) random.nextInt(256);
      }
      assertSameOutcome(bytes, "corrupted batch " + i);
    }
  }

  @Test
  void corruptBodyIsASerializationExceptionNamingTopicAndSize() {
    byte[] bytes = Topics.STATSD_BATCH.encode(StatsdBatches.batch(new Random(3), 2));
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 1);

    assertThatThrownBy(() -> READER.deserialize(TOPIC, cut))
        .isInstanceOf(SerializationException.class)
        .hasMessageStartingWith(
            "topic " + TOPIC + ": corrupt StatsdBatch record (" + cut.length + " bytes)");
  }

  @Test
  void hugeCollectionCountIsRefusedBeforeAllocating() {
    byte[] header =
        Arrays.copyOf(Topics.STATSD_BATCH.encode(batch(SOURCE, "", 0, 0, List.of())), 10);
    // six empty source strings, empty agent id, sequence 0, createdAt 0, then a series count of
    // 1,000,000 (zig-zag varint 80 89 7A) with a few bytes behind it
    byte[] body = {0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0x80, (byte) 0x89, 0x7A, 0, 0, 0, 0};
    byte[] bytes = new byte[header.length + body.length];
    System.arraycopy(header, 0, bytes, 0, header.length);
    System.arraycopy(body, 0, bytes, header.length, body.length);

    assertThatThrownBy(() -> READER.deserialize(TOPIC, bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("bytes left");
  }

  @Test
  void otherWriterSchemasAndHeadersGoToAvrosSerde() {
    byte[] aggregate = StatsdBatches.foreignRecord();

    assertThatThrownBy(() -> READER.deserialize(TOPIC, aggregate))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(TOPIC)
        .hasMessageContaining("unknown writer schema fingerprint");
    assertThatThrownBy(() -> READER.deserialize(TOPIC, new byte[] {1, 2, 3}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("not an Avro single-object encoded StatsdBatch");
    assertThat(READER.deserialize(TOPIC, null)).isNull();
  }

  /** Both decode to the same batch, or both refuse with a {@link SerializationException}. */
  private static void assertSameOutcome(byte[] bytes, String what) {
    StatsdBatch expected;
    try {
      expected = AVRO.deserialize(TOPIC, bytes);
    } catch (SerializationException e) {
      assertThatThrownBy(() -> READER.deserialize(TOPIC, bytes))
          .as(what)
          .isInstanceOf(SerializationException.class);
      return;
    }
    assertThat(READER.deserialize(TOPIC, bytes)).as(what).isEqualTo(expected);
  }

  private static StatsdBatch batch(
      Source source, String agentId, long sequence, long createdAt, List<Series> series) {
    return StatsdBatch.newBuilder()
        .setSource(source)
        .setAgentId(agentId)
        .setSequence(sequence)
        .setCreatedAt(createdAt)
        .setSeries(series)
        .build();
  }
}
