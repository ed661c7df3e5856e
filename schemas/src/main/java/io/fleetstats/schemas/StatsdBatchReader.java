package io.fleetstats.schemas;

import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.PrimitivesArrays;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Reads the raw statsd topic: {@code StatsdBatch} records in Avro single-object encoding written
 * with the current schema, straight from Avro's {@link BinaryDecoder} into the generated classes,
 * the per-sample arrays into Avro's own primitive lists ({@link PrimitivesArrays}) without boxing.
 * The mirror image of the edge agent's {@code StatsdBatchWriter}.
 *
 * <p>Why: Avro's datum reader goes through a {@code ResolvingDecoder} and returns every array
 * element as an object, so each sample's value and receive time was boxed on the way into the
 * primitive list (a quarter of the stream thread's time in the benchmark, {@code Long.valueOf}
 * alone about 10 %). Same schema, same bytes: the fields are read in the schema's order, as Avro's
 * generated {@code customDecode} does.
 *
 * <p>Anything else, i.e. a missing or foreign single-object header or another writer schema's
 * fingerprint, goes to the topic's own Avro serde ({@code fallback}), which reads known older
 * schemas and words the error for the rest. A body that does not decode throws {@link
 * SerializationException} naming the topic, as that serde does, so Kafka Streams' deserialization
 * handler skips and counts it. {@code StatsdBatchReaderTest} checks that the result equals Avro's
 * datum reader over a table and thousands of random batches, that both reject the same corrupt
 * bytes, and that {@link #SCHEMA_FINGERPRINT} is the current schema's: a change to {@code
 * StatsdBatch.avsc} fails that test until this reader follows it.
 *
 * <p>Stateless, so one instance serves every stream thread.
 */
public final class StatsdBatchReader implements Deserializer<StatsdBatch> {
  /** CRC-64-AVRO fingerprint of the parsing canonical form of {@code StatsdBatch.avsc}. */
  public static final long SCHEMA_FINGERPRINT = 0xC4C60502969EF397L;

  private static final int HEADER = 10;
  private static final Schema DOUBLES = Series.getClassSchema().getField("values").schema();
  private static final Schema STRINGS = Series.getClassSchema().getField("members").schema();
  private static final Schema BOOLEANS = Series.getClassSchema().getField("relative").schema();
  private static final Schema LONGS = Series.getClassSchema().getField("receivedAt").schema();
  private static final MetricType[] TYPES = MetricType.values();

  private final Deserializer<StatsdBatch> fallback;

  public StatsdBatchReader(Deserializer<StatsdBatch> fallback) {
    this.fallback = fallback;
  }

  /** The raw topic's serde with this reader: {@code avro} writes, and reads what this does not. */
  public static Serde<StatsdBatch> serde(Serde<StatsdBatch> avro) {
    return Serdes.serdeFrom(avro.serializer(), new StatsdBatchReader(avro.deserializer()));
  }

  @Override
  public StatsdBatch deserialize(String topic, byte[] data) {
    if (data == null || !current(data)) {
      return fallback.deserialize(topic, data);
    }
    try {
      return read(DecoderFactory.get().binaryDecoder(data, HEADER, data.length - HEADER, null));
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "topic " + topic + ": corrupt StatsdBatch record (" + data.length + " bytes): " + e, e);
    }
  }

  /** Whether {@code data} starts with the single-object marker and this schema's fingerprint. */
  private static boolean current(byte[] data) {
    if (data.length < HEADER || data[0] != (byte) 0xC3 || data[1] != (byte) 0x01) {
      return false;
    }
    long fingerprint = 0;
    for (int i = 0; i < 8; i++) {
      fingerprint |= (data[2 + i] & 0xFFL) << (8 * i);
    }
    return fingerprint == SCHEMA_FINGERPRINT;
  }

  private static StatsdBatch read(BinaryDecoder in) throws IOException {
    Source source =
        new Source(
            in.readString(),
            in.readString(),
            in.readString(),
            in.readString(),
            in.readString(),
            in.readString());
    String agentId = in.readString();
    long sequence = in.readLong();
    long createdAt = in.readLong();
    long n = in.readArrayStart();
    List<Series> series = new ArrayList<>(capacity(in, n, 1));
    for (; n != 0; n = in.arrayNext()) {
      for (long i = 0; i < n; i++) {
        series.add(series(in));
      }
    }
    return new StatsdBatch(source, agentId, sequence, createdAt, series);
  }

  private static Series series(BinaryDecoder in) throws IOException {
    String name = in.readString();
    int type = in.readEnum();
    if (type < 0 || type >= TYPES.length) {
      throw new AvroRuntimeException(
          "metric type index " + type + " outside the enum's " + TYPES.length + " symbols");
    }
    long n = in.readMapStart();
    Map<String, String> tags = new HashMap<>(capacity(in, n, 2) * 4 / 3 + 1);
    for (; n != 0; n = in.mapNext()) {
      for (long i = 0; i < n; i++) {
        tags.put(in.readString(), in.readString());
      }
    }
    List<Double> values = doubles(in);
    n = in.readArrayStart();
    GenericData.Array<String> members = new GenericData.Array<>(capacity(in, n, 1), STRINGS);
    for (; n != 0; n = in.arrayNext()) {
      for (long i = 0; i < n; i++) {
        members.add(in.readString());
      }
    }
    List<Double> sampleRates = doubles(in);
    n = in.readArrayStart();
    PrimitivesArrays.BooleanArray relative =
        new PrimitivesArrays.BooleanArray(capacity(in, n, 1), BOOLEANS);
    for (; n != 0; n = in.arrayNext()) {
      for (long i = 0; i < n; i++) {
        relative.add(relative.size(), in.readBoolean());
      }
    }
    n = in.readArrayStart();
    PrimitivesArrays.LongArray receivedAt =
        new PrimitivesArrays.LongArray(capacity(in, n, 1), LONGS);
    for (; n != 0; n = in.arrayNext()) {
      for (long i = 0; i < n; i++) {
        receivedAt.add(receivedAt.size(), in.readLong());
      }
    }
    return new Series(name, TYPES[type], tags, values, members, sampleRates, relative, receivedAt);
  }

  private static PrimitivesArrays.DoubleArray doubles(BinaryDecoder in) throws IOException {
    long n = in.readArrayStart();
    PrimitivesArrays.DoubleArray values =
        new PrimitivesArrays.DoubleArray(capacity(in, n, 8), DOUBLES);
    for (; n != 0; n = in.arrayNext()) {
      for (long i = 0; i < n; i++) {
        values.add(values.size(), in.readDouble());
      }
    }
    return values;
  }

  /**
   * {@code count} as a list capacity, refused when the bytes left cannot hold that many elements of
   * at least {@code minBytes} each, so that a corrupt count cannot allocate gigabytes: Avro's own
   * check ({@code GenericDatumReader.ensureAvailableCollectionBytes}), with the element size known
   * here instead of derived from the schema on every call.
   */
  private static int capacity(BinaryDecoder in, long count, int minBytes) throws EOFException {
    int left = in.remainingBytes();
    if (count > 0 && left >= 0 && count * minBytes > left) {
      throw new EOFException(
          "collection of " + count + " elements, but only " + left + " bytes left");
    }
    return (int) count;
  }
}
