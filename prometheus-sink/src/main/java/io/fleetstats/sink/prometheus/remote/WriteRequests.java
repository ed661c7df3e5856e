package io.fleetstats.sink.prometheus.remote;

import io.fleetstats.sink.prometheus.format.LabelSet;
import io.fleetstats.sink.prometheus.format.PromSample;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.Label;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.Sample;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.TimeSeries;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.WriteRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.xerial.snappy.Snappy;

/**
 * Samples → a remote-write body: a {@code WriteRequest} (classes generated from {@code
 * src/main/proto/remote_write.proto}) with one {@code TimeSeries} per run of consecutive samples of
 * the same series, labels sorted by name with {@code __name__} in its place, then snappy block
 * compression. The caller orders the samples of one series by time (the delivery does).
 */
public final class WriteRequests {
  private WriteRequests() {}

  /** The protobuf message of {@code samples}, uncompressed. */
  public static WriteRequest request(List<PromSample> samples) {
    WriteRequest.Builder request = WriteRequest.newBuilder();
    // The labels of one aggregate are shared by its samples: their messages are built once.
    Map<LabelSet, Label[]> shared = new IdentityHashMap<>();
    TimeSeries.Builder series = null;
    PromSample previous = null;
    for (PromSample s : samples) {
      if (previous == null
          || !previous.name().equals(s.name())
          || !previous.labels().equals(s.labels())) {
        if (series != null) {
          request.addTimeseries(series);
        }
        series = TimeSeries.newBuilder();
        Label[] labels = shared.computeIfAbsent(s.labels(), WriteRequests::labels);
        LabelSet set = s.labels();
        for (int i = 0; i < set.nameIndex(); i++) {
          series.addLabels(labels[i]);
        }
        series.addLabels(Label.newBuilder().setName(LabelSet.NAME_LABEL).setValue(s.name()));
        for (int i = set.nameIndex(); i < labels.length; i++) {
          series.addLabels(labels[i]);
        }
      }
      series.addSamples(Sample.newBuilder().setValue(s.value()).setTimestamp(s.timestampMs()));
      previous = s;
    }
    if (series != null) {
      request.addTimeseries(series);
    }
    return request.build();
  }

  private static Label[] labels(LabelSet set) {
    Label[] out = new Label[set.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Label.newBuilder().setName(set.name(i)).setValue(set.value(i)).build();
    }
    return out;
  }

  /**
   * The request body: {@link #request}'s bytes, snappy block-compressed. The bytes are written
   * directly ({@code RequestWriter}), identical to the message's {@code toByteArray()}.
   */
  public static byte[] body(List<PromSample> samples) {
    return compress(RequestWriter.write(samples));
  }

  static byte[] compress(byte[] raw) {
    try {
      return Snappy.compress(raw);
    } catch (IOException e) {
      throw new UncheckedIOException("snappy could not compress a request in memory", e);
    }
  }

  /** The inverse of {@link #body}, for receivers and tests. */
  public static WriteRequest decode(byte[] body) throws IOException {
    return WriteRequest.parseFrom(Snappy.uncompress(body));
  }
}
