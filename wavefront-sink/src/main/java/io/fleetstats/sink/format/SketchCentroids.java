package io.fleetstats.sink.format;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketchProtoBinding;
import com.datadoghq.sketch.ddsketch.mapping.IndexMapping;
import com.datadoghq.sketch.ddsketch.store.Bin;
import com.datadoghq.sketch.ddsketch.store.UnboundedSizeDenseStore;
import com.google.protobuf.InvalidProtocolBufferException;
import io.fleetstats.sink.format.WavefrontDistribution.Centroid;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Turns a DDSketch in its protobuf encoding (what the stream processor writes into {@code
 * Aggregate.sketch} with {@code DDSketch.serialize()}) into Wavefront centroids: one centroid per
 * non-empty sketch bin, valued at the bin's representative ({@code IndexMapping.value(index)},
 * within the sketch's relative accuracy of every value in the bin), in ascending value order
 * (negative bins, the zero bin, positive bins).
 *
 * <p><b>Rounding.</b> Sketch counts are doubles (a statsd sample rate of 0.3 weighs a value 3.33),
 * Wavefront counts are ints. Counts are rounded with a carry: walking the bins in value order, a
 * bin gets {@code round(cumulative) - emitted so far}, so the total is {@code round(total weight)},
 * every bin is within 1 of its weight, and a bin whose share rounds to 0 passes its weight on to
 * the next one instead of losing it. Pure.
 */
public final class SketchCentroids {
  private SketchCentroids() {}

  /** Why a sketch could not be read. */
  public static final class UndecodableSketchException extends Exception {
    private static final long serialVersionUID = 1L;

    UndecodableSketchException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * @param protobuf the encoded sketch
   * @return the centroids, empty if the sketch holds less than half a value
   * @throws UndecodableSketchException if the bytes are not a DDSketch
   */
  public static List<Centroid> decode(ByteBuffer protobuf) throws UndecodableSketchException {
    com.datadoghq.sketch.ddsketch.proto.DDSketch proto;
    DDSketch sketch;
    try {
      proto = com.datadoghq.sketch.ddsketch.proto.DDSketch.parseFrom(protobuf.duplicate());
      if (!proto.hasMapping() || !(proto.getMapping().getGamma() > 1)) {
        throw new IllegalArgumentException("no index mapping");
      }
      sketch = DDSketchProtoBinding.fromProto(UnboundedSizeDenseStore::new, proto);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new UndecodableSketchException(
          "not a DDSketch in protobuf encoding: " + e.getMessage(), e);
    }
    return centroids(sketch, proto.getZeroCount());
  }

  /** The centroids of a sketch, as described on the class. */
  public static List<Centroid> centroids(DDSketch sketch) {
    double stores =
        sketch.getPositiveValueStore().getTotalCount()
            + sketch.getNegativeValueStore().getTotalCount();
    double zero = sketch.getCount() - stores;
    // The zero count is not public: what is left of the total, ignoring rounding noise.
    return centroids(sketch, zero > 1e-9 * Math.max(1, stores) ? zero : 0);
  }

  private static List<Centroid> centroids(DDSketch sketch, double zeroCount) {
    IndexMapping mapping = sketch.getIndexMapping();
    Carry carry = new Carry();
    for (Iterator<Bin> it = sketch.getNegativeValueStore().getDescendingIterator();
        it.hasNext(); ) {
      Bin bin = it.next();
      carry.add(-mapping.value(bin.getIndex()), bin.getCount());
    }
    carry.add(0.0, zeroCount);
    for (Iterator<Bin> it = sketch.getPositiveValueStore().getAscendingIterator(); it.hasNext(); ) {
      Bin bin = it.next();
      carry.add(mapping.value(bin.getIndex()), bin.getCount());
    }
    return carry.out;
  }

  private static final class Carry {
    final List<Centroid> out = new ArrayList<>();
    double cumulative;
    long emitted;

    void add(double value, double weight) {
      if (!(weight > 0) || !Double.isFinite(value)) {
        return;
      }
      cumulative += weight;
      long target = Math.round(cumulative);
      long count = target - emitted;
      emitted = target;
      // Wavefront counts are ints: an enormous bin becomes several centroids of the same value.
      while (count > 0) {
        int part = (int) Math.min(count, Integer.MAX_VALUE);
        out.add(new Centroid(value, part));
        count -= part;
      }
    }
  }
}
