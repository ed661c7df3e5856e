package io.fleetstats.stream.aggregate;

import java.util.List;
import org.apache.avro.generic.PrimitivesArrays;

/**
 * Elements of a series' per-sample lists, unboxed when the list is one of Avro's primitive lists
 * (as the raw topic's reader and Avro's datum reader make them) and through {@link List#get}
 * otherwise (e.g. a series built in a test).
 */
final class Samples {
  private Samples() {}

  static double doubleAt(List<Double> list, int i) {
    return list instanceof PrimitivesArrays.DoubleArray a ? a.getDouble(i) : list.get(i);
  }

  static long longAt(List<Long> list, int i) {
    return list instanceof PrimitivesArrays.LongArray a ? a.getLong(i) : list.get(i);
  }

  static boolean booleanAt(List<Boolean> list, int i) {
    return list instanceof PrimitivesArrays.BooleanArray a ? a.getBoolean(i) : list.get(i);
  }
}
