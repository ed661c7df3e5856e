package io.fleetstats.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;

/**
 * Writes {@code io.fleetstats.schemas.StatsdBatch} records in Avro single-object encoding, the
 * bytes {@code Topics.STATSD_BATCH} writes, with Avro's {@link BinaryEncoder} but without the
 * generated classes.
 *
 * <p>Why not the generated class: initializing any generated Avro class parses its schema, and
 * Avro's {@code Schema} class creates a Jackson {@code ObjectMapper} — about 700 classes and 8 MiB
 * of the sidecar's memory (measured, see the README's footprint section). Avro's encoder alone
 * loads about 15 classes and no Jackson. The fields are written in the schema's order, as Avro's
 * generated {@code customEncode} does; the header carries the schema's fingerprint as a constant.
 * {@code StatsdBatchWriterTest} checks that the output equals Avro's own datum writer, byte for
 * byte, over a table of batches and many random ones, and that {@link #SCHEMA_FINGERPRINT} is the
 * current schema's: a change to {@code StatsdBatch.avsc} fails that test until this writer follows
 * it.
 *
 * <p>It lives beside {@link StatsdBatchReader}, the stream processor's reader of the same bytes:
 * the edge agent writes batches with it, and both are checked against Avro's own datum writer and
 * reader. Not thread-safe: one per batcher.
 */
public final class StatsdBatchWriter {
  /** CRC-64-AVRO fingerprint of the parsing canonical form of {@code StatsdBatch.avsc}. */
  public static final long SCHEMA_FINGERPRINT = 0xC4C60502969EF397L;

  /**
   * One series of a batch, as the schema's {@code Series} record; arrays exactly as long as the
   * schema's lists ({@code values} empty for sets, {@code sampleRates} and {@code relative} empty
   * when every sample has the default rate 1 and is absolute). {@code type} is the index of the
   * type among the symbols of {@code MetricType.avsc}.
   */
  public record Series(
      String name,
      int type,
      Map<String, String> tags,
      double[] values,
      List<String> members,
      double[] sampleRates,
      boolean[] relative,
      long[] receivedAt) {}

  private static final int KEPT_BUFFER = 256 * 1024;

  private ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
  private BinaryEncoder encoder;

  /** The source fields of a batch, in the schema's order. */
  public record Origin(
      String cluster, String namespace, String node, String pod, String container, String app) {}

  /** The single-object encoded batch. */
  public byte[] write(
      Origin source, String agentId, long sequence, long createdAt, List<Series> series) {
    out.reset();
    // single-object encoding header: marker C3 01, then the writer schema's fingerprint
    // (little-endian)
    out.write(0xC3);
    out.write(0x01);
    for (int i = 0; i < 8; i++) {
      out.write((int) (SCHEMA_FINGERPRINT >>> (8 * i)) & 0xFF);
    }
    encoder = EncoderFactory.get().binaryEncoder(out, encoder);
    try {
      // the fields in the schema's order, as Avro's generated customEncode writes them
      encoder.writeString(source.cluster());
      encoder.writeString(source.namespace());
      encoder.writeString(source.node());
      encoder.writeString(source.pod());
      encoder.writeString(source.container());
      encoder.writeString(source.app());
      encoder.writeString(agentId);
      encoder.writeLong(sequence);
      encoder.writeLong(createdAt);
      encoder.writeArrayStart();
      encoder.setItemCount(series.size());
      for (Series s : series) {
        encoder.startItem();
        series(s);
      }
      encoder.writeArrayEnd();
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen: writing to memory", e);
    }
    byte[] bytes = out.toByteArray();
    if (bytes.length > KEPT_BUFFER) {
      out = new ByteArrayOutputStream(4096); // a rare huge batch does not keep its buffer for good
    }
    return bytes;
  }

  private void series(Series s) throws IOException {
    encoder.writeString(s.name());
    encoder.writeEnum(s.type());
    // Avro writes a map in its iteration order; the batch's tags are sorted, as the batcher always
    // did.
    Map<String, String> tags =
        s.tags() instanceof TreeMap<String, String> sorted ? sorted : new TreeMap<>(s.tags());
    encoder.writeMapStart();
    encoder.setItemCount(tags.size());
    for (Map.Entry<String, String> tag : tags.entrySet()) {
      encoder.startItem();
      encoder.writeString(tag.getKey());
      encoder.writeString(tag.getValue());
    }
    encoder.writeMapEnd();
    doubles(s.values());
    encoder.writeArrayStart();
    encoder.setItemCount(s.members().size());
    for (String member : s.members()) {
      encoder.startItem();
      encoder.writeString(member);
    }
    encoder.writeArrayEnd();
    doubles(s.sampleRates());
    encoder.writeArrayStart();
    encoder.setItemCount(s.relative().length);
    for (boolean r : s.relative()) {
      encoder.startItem();
      encoder.writeBoolean(r);
    }
    encoder.writeArrayEnd();
    encoder.writeArrayStart();
    encoder.setItemCount(s.receivedAt().length);
    for (long t : s.receivedAt()) {
      encoder.startItem();
      encoder.writeLong(t);
    }
    encoder.writeArrayEnd();
  }

  private void doubles(double[] values) throws IOException {
    encoder.writeArrayStart();
    encoder.setItemCount(values.length);
    for (double v : values) {
      encoder.startItem();
      encoder.writeDouble(v);
    }
    encoder.writeArrayEnd();
  }
}
