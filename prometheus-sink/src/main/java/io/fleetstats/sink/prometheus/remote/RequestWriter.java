package io.fleetstats.sink.prometheus.remote;

import com.google.protobuf.CodedOutputStream;
import io.fleetstats.sink.prometheus.format.LabelSet;
import io.fleetstats.sink.prometheus.format.PromSample;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.Label;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the bytes of the {@code WriteRequest} that {@link WriteRequests#request} builds, without
 * building it: building one generated message per series and sample cost about three times the rest
 * of the sink's work per sample (bench/README.md). The wire format is protobuf's (fields in number
 * order, proto3 defaults left out), {@code RequestWriterTest} checks the bytes are identical to the
 * generated classes' {@code toByteArray()}, and the golden tests decode them with the generated
 * parser.
 *
 * <p>The labels an aggregate's samples share are encoded once per request.
 */
final class RequestWriter {
  // field 1 (timeseries / labels / name / value), 2 (samples / value / timestamp) with wire types
  private static final int LEN_1 = (1 << 3) | 2;
  private static final int LEN_2 = (2 << 3) | 2;
  private static final byte[] NAME_LABEL = LabelSet.NAME_LABEL.getBytes(StandardCharsets.UTF_8);

  private RequestWriter() {}

  /** The encoded label entries (tag, length, {@code Label}) before and after {@code __name__}. */
  private record Shared(byte[] before, byte[] after) {}

  static byte[] write(List<PromSample> samples) {
    Map<LabelSet, Shared> shared = new IdentityHashMap<>();
    int n = samples.size();
    // pass 1: the size of every TimeSeries (one per run of samples of one series)
    int[] seriesSize = new int[n];
    byte[][] names = new byte[n][];
    int total = 0;
    int runs = 0;
    for (int i = 0; i < n; ) {
      PromSample first = samples.get(i);
      Shared labels = shared.computeIfAbsent(first.labels(), RequestWriter::encode);
      byte[] name = first.name().getBytes(StandardCharsets.UTF_8);
      int size = labels.before.length + labels.after.length + entrySize(nameLabelSize(name));
      int j = i;
      do {
        size += entrySize(sampleSize(samples.get(j)));
        j++;
      } while (j < n && sameSeries(first, samples.get(j)));
      seriesSize[runs] = size;
      names[runs] = name;
      total += entrySize(size);
      runs++;
      i = j;
    }
    // pass 2: the bytes
    byte[] out = new byte[total];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      int run = 0;
      for (int i = 0; i < n; run++) {
        PromSample first = samples.get(i);
        Shared labels = shared.get(first.labels());
        o.writeUInt32NoTag(LEN_1);
        o.writeUInt32NoTag(seriesSize[run]);
        o.writeRawBytes(labels.before);
        byte[] name = names[run];
        o.writeUInt32NoTag(LEN_1);
        o.writeUInt32NoTag(nameLabelSize(name));
        o.writeUInt32NoTag(LEN_1);
        o.writeUInt32NoTag(NAME_LABEL.length);
        o.writeRawBytes(NAME_LABEL);
        o.writeUInt32NoTag(LEN_2);
        o.writeUInt32NoTag(name.length);
        o.writeRawBytes(name);
        o.writeRawBytes(labels.after);
        int j = i;
        do {
          PromSample s = samples.get(j);
          o.writeUInt32NoTag(LEN_2);
          o.writeUInt32NoTag(sampleSize(s));
          // proto3 leaves fields at their default out (+0.0 and 0), as the generated code does
          if (Double.doubleToRawLongBits(s.value()) != 0) {
            o.writeDouble(1, s.value());
          }
          if (s.timestampMs() != 0) {
            o.writeInt64(2, s.timestampMs());
          }
          j++;
        } while (j < n && sameSeries(first, samples.get(j)));
        i = j;
      }
      o.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException("a remote-write request did not fit its computed size", e);
    }
    return out;
  }

  private static boolean sameSeries(PromSample a, PromSample b) {
    return a.name().equals(b.name()) && a.labels().equals(b.labels());
  }

  private static int sampleSize(PromSample s) {
    int size = 0;
    if (Double.doubleToRawLongBits(s.value()) != 0) {
      size += CodedOutputStream.computeDoubleSize(1, s.value());
    }
    if (s.timestampMs() != 0) {
      size += CodedOutputStream.computeInt64Size(2, s.timestampMs());
    }
    return size;
  }

  private static int nameLabelSize(byte[] name) {
    return entrySize(NAME_LABEL.length) + entrySize(name.length);
  }

  /** A length-delimited field with a one-byte tag: tag, length, content. */
  private static int entrySize(int contentSize) {
    return 1 + CodedOutputStream.computeUInt32SizeNoTag(contentSize) + contentSize;
  }

  private static Shared encode(LabelSet set) {
    return new Shared(entries(set, 0, set.nameIndex()), entries(set, set.nameIndex(), set.size()));
  }

  private static byte[] entries(LabelSet set, int from, int to) {
    byte[][] labels = new byte[to - from][];
    int size = 0;
    for (int i = from; i < to; i++) {
      labels[i - from] =
          Label.newBuilder().setName(set.name(i)).setValue(set.value(i)).build().toByteArray();
      size += entrySize(labels[i - from].length);
    }
    byte[] out = new byte[size];
    CodedOutputStream o = CodedOutputStream.newInstance(out);
    try {
      for (byte[] label : labels) {
        o.writeUInt32NoTag(LEN_1);
        o.writeUInt32NoTag(label.length);
        o.writeRawBytes(label);
      }
      o.checkNoSpaceLeft();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
