package io.fleetstats.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for our Avro records in Avro single-object encoding: a two-byte marker, the 8-byte
 * CRC-64-AVRO fingerprint of the writer schema, then the binary body. No schema registry is needed:
 * any consumer with this module knows every released writer schema.
 *
 * <p>A record that cannot be decoded throws {@link SerializationException} naming the topic and the
 * cause, so Kafka clients and Kafka Streams' deserialization handlers can count and skip it.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  static {
    // Avro 1.12 refuses to instantiate generated classes outside trusted packages unless the
    // org.apache.avro.SERIALIZABLE_PACKAGES system property names them; trust ours in code so
    // that no service depends on a JVM flag.
    ClassSecurityValidator.setGlobal(
        ClassSecurityValidator.composite(
            ClassSecurityValidator.getGlobal(),
            ClassSecurityValidator.builder()
                .add(Source.class)
                .add(MetricType.class)
                .add(Series.class)
                .add(StatsdBatch.class)
                .add(MysqlSnapshot.class)
                .add(MysqlSeries.class)
                .add(KubeletSummary.class)
                .add(KubeletEntity.class)
                .add(Aggregate.class)
                .add(Correction.class)
                .add(ClusterMetadata.class)
                .build()));
  }

  private final Class<T> type;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroSerde(Class<T> type, Schema schema, Schema... olderWriterSchemas) {
    this.type = type;
    SpecificData model = new SpecificData(type.getClassLoader());
    SchemaStore.Cache store = new SchemaStore.Cache();
    for (Schema older : olderWriterSchemas) {
      store.addSchema(older);
    }
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema, store);
  }

  /** Serde for a generated record class, reading its current schema (and any older ones added). */
  public static <T extends SpecificRecord> AvroSerde<T> of(
      Class<T> type, Schema... olderWriterSchemas) {
    return new AvroSerde<>(type, SpecificData.get().getSchema(type), olderWriterSchemas);
  }

  public byte[] encode(T record) {
    try {
      ByteBuffer buffer = encoder.encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + type.getSimpleName(), e);
    }
  }

  public T decode(byte[] bytes) {
    try {
      return decoder.decode(bytes);
    } catch (MissingSchemaException e) {
      throw new SerializationException(
          "unknown writer schema fingerprint for "
              + type.getSimpleName()
              + ": the record was written by a newer or foreign producer; upgrade this service",
          e);
    } catch (BadHeaderException e) {
      throw new SerializationException(
          "not an Avro single-object encoded " + type.getSimpleName() + ": " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      throw new SerializationException(
          "corrupt " + type.getSimpleName() + " record (" + bytes.length + " bytes): " + e, e);
    }
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> data == null ? null : encode(data);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> {
      if (data == null) {
        return null;
      }
      try {
        return decode(data);
      } catch (SerializationException e) {
        throw new SerializationException("topic " + topic + ": " + e.getMessage(), e.getCause());
      }
    };
  }
}
