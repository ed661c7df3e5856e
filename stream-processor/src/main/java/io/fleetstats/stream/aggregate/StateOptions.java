package io.fleetstats.stream.aggregate;

/**
 * How window states summarise what cannot be kept exactly.
 *
 * @param relativeAccuracy DDSketch relative accuracy of medians and percentiles, in (0,0.5)
 * @param setExactLimit a set counts its members exactly up to this many distinct members, then
 *     switches to an UltraLogLog estimate (about 1.2 % standard error); 0 estimates from the start
 */
public record StateOptions(double relativeAccuracy, int setExactLimit) {
  /** Precision of the UltraLogLog sketch: 2^12 registers, 4 KiB, ~1.2 % standard error. */
  public static final int SET_SKETCH_PRECISION = 12;

  public static final int DEFAULT_SET_EXACT_LIMIT = 1000;

  public StateOptions {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 0.5)) {
      throw new IllegalArgumentException(
          "relative accuracy must be in (0,0.5): " + relativeAccuracy);
    }
    if (setExactLimit < 0) {
      throw new IllegalArgumentException("set exact limit must be >= 0: " + setExactLimit);
    }
  }

  /** {@code relativeAccuracy} with the default set bound. */
  public static StateOptions of(double relativeAccuracy) {
    return new StateOptions(relativeAccuracy, DEFAULT_SET_EXACT_LIMIT);
  }
}
