package io.fleetstats.sink.format;

import io.fleetstats.schemas.Aggregate;
import java.util.ArrayList;
import java.util.List;

/**
 * Formats an aggregate and keeps only the points the proxy will accept: the sink's pure core.
 */
public final class AggregateLines {

  /**
   * A point that is not sent, with why.
   *
   * @param point the point as it would have been sent
   * @param verdict the failed check
   */
  public record Invalid(WavefrontPoint point, LineValidator.Verdict verdict) {}

  /**
   * @param lines valid lines, ready to send
   * @param invalid points that failed validation
   * @param nonFinite fields skipped because their value was NaN or infinite
   */
  public record Result(List<String> lines, List<Invalid> invalid, int nonFinite) {}

  private final WavefrontFormatter formatter;
  private final LineValidator validator;

  public AggregateLines(WavefrontFormatter formatter, LineValidator validator) {
    this.formatter = formatter;
    this.validator = validator;
  }

  /** With the given metric prefix and the backend's default limits. */
  public static AggregateLines withPrefix(String metricPrefix) {
    return new AggregateLines(new WavefrontFormatter(metricPrefix), LineValidator.backendDefaults());
  }

  public Result apply(Aggregate aggregate) {
    WavefrontFormatter.Formatted formatted = formatter.format(aggregate);
    List<String> lines = new ArrayList<>(formatted.points().size());
    List<Invalid> invalid = new ArrayList<>(0);
    for (WavefrontPoint p : formatted.points()) {
      LineValidator.Verdict verdict = validator.check(p);
      if (verdict.ok()) {
        lines.add(p.toLine());
      } else {
        invalid.add(new Invalid(p, verdict));
      }
    }
    return new Result(lines, invalid, formatted.nonFinite());
  }
}
