package io.fleetstats.edge.publish;

import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.edge.statsd.MetricType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes {@code io.fleetstats.schemas.StatsdBatch} records in Avro single-object encoding, the
 * bytes {@code Topics.STATSD_BATCH} writes, in Avro's binary encoding written by hand (no Avro
 * class at all on this path).
 *
 * <p>Why not the generated class: initializing any generated Avro class parses its schema, and
 * Avro's {@code Schema} class creates a Jackson {@code ObjectMapper} — about 700 classes and 8 MiB
 * of the sidecar's memory (measured, see the README's footprint section). Avro's encoder alone
 * loads about 15 classes and no Jackson; this writer needs none, and is faster than Avro's
 * {@code BinaryEncoder} on the large arrays of doubles and receive times a batch mostly is. The
 * fields are written in the schema's order, as Avro's generated {@code customEncode} does; the header carries the schema's fingerprint as a constant.
 * {@code StatsdBatchWriterTest} checks that the output equals Avro's own datum writer, byte for
 * byte, over a table of batches and many random ones, and that {@link #SCHEMA_FINGERPRINT} is the
 * current schema's: a change to {@code StatsdBatch.avsc} fails that test until this writer
 * follows it.
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
  private static final VarHandle DOUBLE_LE =
      MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

  // Avro's binary encoding written straight into one growing array: the same bytes as Avro's
  // BinaryEncoder (zig-zag varints, little-endian doubles, one block per non-empty array or map,
  // each ended by a zero), without its per-value bounds checks and buffer copies. Most of a large
  // batch is doubles and receive times, and consecutive receive times are mostly equal, so the
  // last one's encoding is kept and copied.
  private byte[] buf = new byte[4096];
  private int pos;

  /** The single-object encoded batch. */
  byte[] write(EdgeConfig.Identity source, String agentId, long sequence, long createdAt, List<Series> series) {
    pos = 0;
    // single-object encoding header: marker C3 01, then the writer schema's fingerprint (little-endian)
    ensure(10);
    buf[pos++] = (byte) 0xC3;
    buf[pos++] = 0x01;
    for (int i = 0; i < 8; i++) {
      buf[pos++] = (byte) (SCHEMA_FINGERPRINT >>> (8 * i));
    }
    // the fields in the schema's order, as Avro's generated customEncode writes them
    string(source.cluster());
    string(source.namespace());
    string(source.node());
    string(source.pod());
    string(source.container());
    string(source.app());
    string(agentId);
    writeLong(sequence);
    writeLong(createdAt);
    blockStart(series.size());
    for (Series s : series) {
      series(s);
    }
    blockEnd();
    byte[] bytes = Arrays.copyOf(buf, pos);
    if (buf.length > KEPT_BUFFER) {
      buf = new byte[4096]; // a rare huge batch does not keep its buffer for good
    }
    return bytes;
  }

  private void series(Series s) {
    string(s.name());
    writeLong(s.type().ordinal()); // an enum is its symbol's index
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
    boolean[] relative = s.relative();
    blockStart(relative.length);
    ensure(relative.length);
    for (boolean r : relative) {
      buf[pos++] = (byte) (r ? 1 : 0);
    }
    blockEnd();
    long[] times = s.receivedAt();
    blockStart(times.length);
    long last = 0;
    int lastFrom = -1;
    int lastLength = 0;
    for (long t : times) {
      if (lastFrom >= 0 && t == last) {
        ensure(lastLength);
        System.arraycopy(buf, lastFrom, buf, pos, lastLength);
        pos += lastLength;
      } else {
        lastFrom = pos;
        writeLong(t);
        lastLength = pos - lastFrom;
        last = t;
      }
    }
    blockEnd();
  }

  private void doubles(double[] values) {
    blockStart(values.length);
    ensure(8 * values.length);
    for (double v : values) {
      DOUBLE_LE.set(buf, pos, v); // Avro: Double.doubleToRawLongBits, little-endian
      pos += 8;
    }
    blockEnd();
  }

  /** An array's or a map's item count (Avro writes none for an empty one). */
  private void blockStart(int items) {
    if (items > 0) {
      writeLong(items);
    }
  }

  /** The zero that ends an array or a map. */
  private void blockEnd() {
    ensure(1);
    buf[pos++] = 0;
  }

  private void string(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    writeLong(utf8.length);
    ensure(utf8.length);
    System.arraycopy(utf8, 0, buf, pos, utf8.length);
    pos += utf8.length;
  }

  private void writeLong(long n) {
    ensure(10);
    long z = (n << 1) ^ (n >> 63); // zig-zag
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
