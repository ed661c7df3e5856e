package io.fleetstats.sink.format;

import io.fleetstats.schemas.Aggregate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Formats an aggregate and keeps only the lines the proxy will accept: the sink's pure core. */
public final class AggregateLines {

  /**
   * A line that is not sent, with why.
   *
   * @param line the line as it would have been sent; null when there is no line to show (an
   *     undecodable sketch)
   * @param verdict the failed check
   */
  public record Invalid(WavefrontLine line, LineValidator.Verdict verdict) {
    /** The line's text, or a placeholder when there is none. */
    public String text() {
      return line == null ? "(no line: " + verdict.detail() + ")" : line.toLine();
    }
  }

  /**
   * @param lines valid lines, ready to send, points before distributions
   * @param text the lines' text, in the same order
   * @param invalid lines that failed validation
   * @param nonFinite fields skipped because their value was NaN or infinite
   * @param fits changes made to fit the limits, by kind
   * @param deltaZeroSkipped delta counters skipped because the window counted 0
   */
  public record Result(
      List<WavefrontLine> lines,
      List<String> text,
      List<Invalid> invalid,
      int nonFinite,
      Map<Fit, Integer> fits,
      int deltaZeroSkipped) {}

  private final WavefrontFormatter formatter;
  private final LineValidator validator;

  public AggregateLines(WavefrontFormatter formatter, LineValidator validator) {
    this.formatter = formatter;
    this.validator = validator;
  }

  /** With the given metric prefix, plain points only and the backend's default limits. */
  public static AggregateLines withPrefix(String metricPrefix) {
    return of(WavefrontFormatter.Options.plain(metricPrefix));
  }

  /** Formatter and validator with the same options and limits. */
  public static AggregateLines of(WavefrontFormatter.Options options) {
    return new AggregateLines(new WavefrontFormatter(options), new LineValidator(options.limits()));
  }

  public Result apply(Aggregate aggregate) {
    WavefrontFormatter.Formatted formatted = formatter.format(aggregate);
    List<WavefrontLine> all = formatted.lines();
    List<WavefrontLine> lines = new ArrayList<>(all.size());
    List<String> text = new ArrayList<>(all.size());
    List<Invalid> invalid = new ArrayList<>(0);
    // The lines of one aggregate share source and tags: check and render that part once.
    LineValidator.Verdict shared =
        all.isEmpty() ? LineValidator.Verdict.OK : validator.checkSourceAndTags(all.get(0));
    String tail = null;
    for (WavefrontLine line : all) {
      LineValidator.Verdict verdict = validator.checkOwn(line);
      if (verdict.ok()) {
        verdict = shared;
      }
      if (!verdict.ok()) {
        invalid.add(new Invalid(line, verdict));
      } else if (line instanceof WavefrontPoint p) {
        if (tail == null) {
          tail = WavefrontPoint.sourceAndTags(p.source(), p.tags());
        }
        lines.add(line);
        text.add(p.toLine(tail));
      } else {
        lines.add(line);
        text.add(line.toLine());
      }
    }
    formatted
        .sketchProblem()
        .ifPresent(
            why ->
                invalid.add(
                    new Invalid(
                        null,
                        new LineValidator.Verdict(LineValidator.Reason.SKETCH_UNDECODABLE, why))));
    return new Result(
        lines,
        text,
        invalid,
        formatted.nonFinite(),
        formatted.fits(),
        formatted.deltaZeroSkipped());
  }
}
