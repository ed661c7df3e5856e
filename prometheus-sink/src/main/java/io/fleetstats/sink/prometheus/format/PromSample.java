package io.fleetstats.sink.prometheus.format;

/**
 * One sample of one series: a field of an aggregate as remote write carries it.
 *
 * @param name the metric name ({@code __name__})
 * @param labels the other labels, shared by every sample of the aggregate
 * @param value finite
 * @param timestampMs the aggregate's window start, in epoch milliseconds
 */
public record PromSample(String name, LabelSet labels, double value, long timestampMs) {

  /** The series this sample belongs to (name and labels). */
  public SeriesId series() {
    return new SeriesId(name, labels);
  }

  /** Identity of a series: equal for the samples of one series. */
  public record SeriesId(String name, LabelSet labels) {}

  /** As Prometheus' text format writes a sample: {@code name{a="1"} 212.5 1764086400000}. */
  @Override
  public String toString() {
    String v =
        value == Math.rint(value) && Math.abs(value) < 1e15
            ? Long.toString((long) value)
            : Double.toString(value);
    return name + labels + " " + v + " " + timestampMs;
  }
}
