package io.fleetstats.edge.publish;

import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.edge.statsd.MetricType;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes {@code io.fleetstats.schemas.StatsdBatch} records in Avro single-object encoding, the
 * bytes {@code Topics.STATSD_BATCH} writes, without Avro's classes.
 *
 * <p>Why by hand: initializing any generated Avro class parses its schema, and Avro's {@code
 * Schema} class creates a Jackson {@code ObjectMapper} — about 700 classes and 8 MiB of the
 * sidecar's memory (measured, see the README's footprint section) for a record whose binary form
 * is a few varints, strings and arrays. {@code StatsdBatchWriterTest} checks that the output equals
 * Avro's own encoder, byte for byte, over a table of batches and many random ones, and that {@link
 * #SCHEMA_FINGERPRINT} is the current schema's: a change to {@code StatsdBatch.avsc} fails that
 * test until this writer follows it.
 *
 * <p>Not thread-safe: one per {@link SeriesBatcher}.
 */
final class StatsdBatchWriter {
  /** CRC-64-AVRO fingerprint of the parsing canonical form of {@code StatsdBatch.avsc}. */
  static final long SCHEMA_FINGERPRINT = 0xC4C60502969EF397L;

  /**
   * One series of a batch, as the schema's {@code Series} record; arrays exactly as long as the
   * schema's lists ({@code values} empty for sets, {@code sampleRates} and {@code relative} empty
   * when every sample has the default rate 1 and is absolute).
   */
  record Series(
      String name,
      MetricType type,
      Map<String, String> tags,
      double[] values,
      List<String> members,
      double[] sampleRates,
      boolean[] relative,
      long[] receivedAt) {}

  private static final int KEPT_BUFFER = 256 * 1024;

  private byte[] buf = new byte[4096];
  private int pos;

  /** The single-object encoded batch. */
  byte[] write(EdgeConfig.Identity source, String agentId, long sequence, long createdAt, List<Series> series) {
    pos = 0;
    // single-object encoding header: marker C3 01, then the writer schema's fingerprint (little-endian)
    ensure(10);
    buf[pos++] = (byte) 0xC3;
    buf[pos++] = (byte) 0x01;
    for (int i = 0; i < 8; i++) {
      buf[pos++] = (byte) (SCHEMA_FINGERPRINT >>> (8 * i));
    }
    string(source.cluster());
    string(source.namespace());
    string(source.node());
    string(source.pod());
    string(source.container());
    string(source.app());
    string(agentId);
    varLong(sequence);
    varLong(createdAt);
    blockStart(series.size());
    for (Series s : series) {
      series(s);
    }
    blockEnd();
    byte[] out = Arrays.copyOf(buf, pos);
    if (buf.length > KEPT_BUFFER) {
      buf = new byte[4096]; // a rare huge batch does not keep its buffer for good
    }
    return out;
  }

  private void series(Series s) {
    string(s.name());
    varLong(s.type().ordinal());
    // Avro writes a map in its iteration order; the batch's tags are sorted, as the batcher always did.
    Map<String, String> tags = s.tags() instanceof TreeMap<String, String> sorted ? sorted : new TreeMap<>(s.tags());
    blockStart(tags.size());
    for (Map.Entry<String, String> tag : tags.entrySet()) {
      string(tag.getKey());
      string(tag.getValue());
    }
    blockEnd();
    doubles(s.values());
    blockStart(s.members().size());
    for (String member : s.members()) {
      string(member);
    }
    blockEnd();
    doubles(s.sampleRates());
    blockStart(s.relative().length);
    ensure(s.relative().length);
    for (boolean r : s.relative()) {
      buf[pos++] = (byte) (r ? 1 : 0);
    }
    blockEnd();
    blockStart(s.receivedAt().length);
    for (long t : s.receivedAt()) {
      varLong(t);
    }
    blockEnd();
  }

  // An array or map is written as one block: its item count (when not empty), the items, then 0.
  private void blockStart(int count) {
    if (count > 0) {
      varLong(count);
    }
  }

  private void blockEnd() {
    varLong(0);
  }

  private void doubles(double[] values) {
    blockStart(values.length);
    ensure(8 * values.length);
    for (double v : values) {
      long bits = Double.doubleToRawLongBits(v);
      for (int i = 0; i < 8; i++) {
        buf[pos++] = (byte) (bits >>> (8 * i));
      }
    }
    blockEnd();
  }

  private void string(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    varLong(utf8.length);
    ensure(utf8.length);
    System.arraycopy(utf8, 0, buf, pos, utf8.length);
    pos += utf8.length;
  }

  // zig-zag, then 7 bits per byte, low bits first
  private void varLong(long n) {
    ensure(10);
    long z = (n << 1) ^ (n >> 63);
    while ((z & ~0x7FL) != 0) {
      buf[pos++] = (byte) ((z & 0x7F) | 0x80);
      z >>>= 7;
    }
    buf[pos++] = (byte) z;
  }

  private void ensure(int more) {
    if (pos + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
    }
  }
}
