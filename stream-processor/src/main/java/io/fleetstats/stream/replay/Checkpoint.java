package io.fleetstats.stream.replay;

import io.fleetstats.stream.topology.ReplayTopology;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.common.TopicPartition;

/**
 * Where a replay stood between two records: its ranges and positions, what it had written, its
 * counts and the window processors' state. A replay started again with the same arguments and the
 * same {@code --checkpoint} file continues from here and ends with the same output as one run
 * without a stop: the read order is deterministic ({@link RangeReader}), the output file is cut
 * back to what the checkpoint covers, and the processors restore their state as the live processor
 * restores from its changelog.
 *
 * @param arguments what the result depends on (range, filters, settings), to refuse a resume with
 *     other arguments
 * @param from the range's start (aligned), as resolved by the first run
 * @param to the range's end (aligned)
 * @param ranges the offsets to read per partition, fixed by the first run
 * @param positions the next offset to read per partition
 * @param outputBytes how long the output file was
 * @param counts the summary's counts so far
 * @param series hashes of the series written so far
 * @param windows the window starts written so far
 * @param state the processors' state
 */
record Checkpoint(
    String arguments,
    long from,
    long to,
    List<RangeReader.Range> ranges,
    Map<TopicPartition, Long> positions,
    long outputBytes,
    Map<String, Long> counts,
    long[] series,
    long[] windows,
    ReplayTopology.State state) {

  private static final int MAGIC = 0x46535250; // "FSRP"
  private static final int VERSION = 1;

  /** Writes atomically: a stop while writing leaves the previous checkpoint. */
  void write(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (OutputStream os = Files.newOutputStream(tmp);
        DataOutputStream out =
            new DataOutputStream(new BufferedOutputStream(new GZIPOutputStream(os), 1 << 16))) {
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeUTF(arguments);
      out.writeLong(from);
      out.writeLong(to);
      out.writeInt(ranges.size());
      for (RangeReader.Range r : ranges) {
        out.writeUTF(r.partition().topic());
        out.writeInt(r.partition().partition());
        out.writeLong(r.start());
        out.writeLong(r.stop());
        out.writeLong(positions.getOrDefault(r.partition(), r.start()));
      }
      out.writeLong(outputBytes);
      out.writeInt(counts.size());
      for (Map.Entry<String, Long> e : counts.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeLong(e.getValue());
      }
      writeLongs(out, series);
      writeLongs(out, windows);
      out.writeLong(state.now());
      out.writeInt(state.stores().size());
      for (Map.Entry<String, SortedMap<String, byte[]>> store : state.stores().entrySet()) {
        out.writeUTF(store.getKey());
        out.writeInt(store.getValue().size());
        for (Map.Entry<String, byte[]> e : store.getValue().entrySet()) {
          out.writeUTF(e.getKey());
          out.writeInt(e.getValue().length);
          out.write(e.getValue());
        }
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /**
   * Reads a checkpoint.
   *
   * @throws IOException when the file cannot be read or is not a checkpoint of this version
   */
  static Checkpoint read(Path file) throws IOException {
    try (InputStream is = Files.newInputStream(file);
        DataInputStream in =
            new DataInputStream(new BufferedInputStream(new GZIPInputStream(is), 1 << 16))) {
      if (in.readInt() != MAGIC || in.readInt() != VERSION) {
        throw new IOException("not a replay checkpoint of this version");
      }
      String arguments = in.readUTF();
      long from = in.readLong();
      long to = in.readLong();
      int n = in.readInt();
      List<RangeReader.Range> ranges = new ArrayList<>(n);
      Map<TopicPartition, Long> positions = new HashMap<>();
      for (int i = 0; i < n; i++) {
        TopicPartition tp = new TopicPartition(in.readUTF(), in.readInt());
        ranges.add(new RangeReader.Range(tp, in.readLong(), in.readLong()));
        positions.put(tp, in.readLong());
      }
      long outputBytes = in.readLong();
      int c = in.readInt();
      Map<String, Long> counts = new LinkedHashMap<>();
      for (int i = 0; i < c; i++) {
        counts.put(in.readUTF(), in.readLong());
      }
      long[] series = readLongs(in);
      long[] windows = readLongs(in);
      long now = in.readLong();
      int s = in.readInt();
      Map<String, SortedMap<String, byte[]>> stores = new TreeMap<>();
      for (int i = 0; i < s; i++) {
        String name = in.readUTF();
        int entries = in.readInt();
        SortedMap<String, byte[]> store = new TreeMap<>();
        for (int j = 0; j < entries; j++) {
          String key = in.readUTF();
          byte[] value = new byte[in.readInt()];
          in.readFully(value);
          store.put(key, value);
        }
        stores.put(name, store);
      }
      return new Checkpoint(
          arguments,
          from,
          to,
          ranges,
          positions,
          outputBytes,
          counts,
          series,
          windows,
          new ReplayTopology.State(now, stores));
    }
  }

  private static void writeLongs(DataOutputStream out, long[] values) throws IOException {
    out.writeInt(values.length);
    for (long v : values) {
      out.writeLong(v);
    }
  }

  private static long[] readLongs(DataInputStream in) throws IOException {
    long[] v = new long[in.readInt()];
    for (int i = 0; i < v.length; i++) {
      v[i] = in.readLong();
    }
    return v;
  }
}
