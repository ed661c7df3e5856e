package io.fleetstats.edge.publish;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A bounded directory of serialized batches waiting for Kafka, oldest first; survives restarts. One
 * file per batch, {@code <id>-<samples>.batch}, written to a temporary name and renamed, so a crash
 * leaves no half batch. When a write would pass the bound, the oldest files are deleted and
 * reported to the caller, which counts them as dropped. The publisher's spooling thread writes it
 * and its sending thread reads it (never the event loop, and never under the publisher's lock, so
 * file I/O stalls nobody): both are synchronized; other threads read its two sizes for the meters.
 */
final class Spool {
  private record Entry(Path path, long bytes, int samples) {}

  private final Path dir;
  private final long maxBytes;
  private final TreeMap<Long, Entry> entries = new TreeMap<>();
  private volatile long bytes;
  private volatile int batches;
  private long nextId;

  /** Opens (creating) the directory and indexes the batches a previous run left there. */
  Spool(Path dir, long maxBytes) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    try {
      Files.createDirectories(dir);
      try (Stream<Path> files = Files.list(dir)) {
        for (Path p : files.toList()) {
          String name = p.getFileName().toString();
          if (name.endsWith(".tmp")) {
            Files.deleteIfExists(p);
            continue;
          }
          if (!name.endsWith(".batch")) {
            continue;
          }
          String[] parts = name.substring(0, name.length() - ".batch".length()).split("-");
          try {
            long id = Long.parseLong(parts[0]);
            Entry e = new Entry(p, Files.size(p), Integer.parseInt(parts[1]));
            entries.put(id, e);
            bytes += e.bytes();
            batches = entries.size();
            nextId = Math.max(nextId, id + 1);
          } catch (RuntimeException ignored) {
            // Not ours: leave it alone.
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot use spool directory " + dir + " (FLEETSTATS_SPOOL_DIR): " + e.getMessage(), e);
    }
  }

  boolean isEmpty() {
    return batches == 0;
  }

  long bytes() {
    return bytes;
  }

  int batches() {
    return batches;
  }

  synchronized int samples() {
    int n = 0;
    for (Entry e : entries.values()) {
      n += e.samples();
    }
    return n;
  }

  /**
   * Writes a batch; returns the batches deleted to stay within the bound (oldest first), each as
   * its sample count, so the caller can count them as dropped.
   */
  synchronized int[] write(PendingBatch batch) throws IOException {
    ByteArrayOutputStream buf =
        new ByteArrayOutputStream(batch.value().length + batch.key().length + 32);
    try (DataOutputStream out = new DataOutputStream(buf)) {
      out.writeInt(batch.key().length);
      out.write(batch.key());
      out.writeInt(batch.value().length);
      out.write(batch.value());
      out.writeLong(batch.timestamp());
      out.writeLong(batch.sequence());
    }
    byte[] data = buf.toByteArray();
    int[] evicted = new int[0];
    while (!entries.isEmpty() && bytes + data.length > maxBytes) {
      Map.Entry<Long, Entry> oldest = entries.pollFirstEntry();
      Files.deleteIfExists(oldest.getValue().path());
      bytes -= oldest.getValue().bytes();
      batches = entries.size();
      evicted = java.util.Arrays.copyOf(evicted, evicted.length + 1);
      evicted[evicted.length - 1] = oldest.getValue().samples();
    }
    if (data.length > maxBytes) {
      // Larger than the whole spool: it is dropped itself.
      evicted = java.util.Arrays.copyOf(evicted, evicted.length + 1);
      evicted[evicted.length - 1] = batch.samples();
      return evicted;
    }
    long id = nextId++;
    Path tmp = dir.resolve(id + ".tmp");
    Path target = dir.resolve(String.format("%019d-%d.batch", id, batch.samples()));
    Files.write(tmp, data);
    try {
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    entries.put(id, new Entry(target, data.length, batch.samples()));
    bytes += data.length;
    batches = entries.size();
    return evicted;
  }

  /** Removes and returns the oldest batch, or null when empty. */
  synchronized PendingBatch poll() throws IOException {
    Map.Entry<Long, Entry> oldest = entries.pollFirstEntry();
    if (oldest == null) {
      return null;
    }
    Entry e = oldest.getValue();
    bytes -= e.bytes();
    batches = entries.size();
    try (DataInputStream in = new DataInputStream(Files.newInputStream(e.path()))) {
      byte[] key = new byte[in.readInt()];
      in.readFully(key);
      byte[] value = new byte[in.readInt()];
      in.readFully(value);
      long timestamp = in.readLong();
      long sequence = in.readLong();
      return new PendingBatch(key, value, timestamp, e.samples(), sequence);
    } finally {
      Files.deleteIfExists(e.path());
    }
  }
}
