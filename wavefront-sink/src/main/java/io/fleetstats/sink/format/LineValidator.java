package io.fleetstats.sink.format;

import java.util.Map;

/**
 * Checks a point with the rules the Wavefront proxy applies after parsing ({@code
 * com.wavefront.data.Validation} in java-lib) under {@link Limits}. The proxy answers 202 even for
 * points it then blocks, so a point that fails here must never be sent. Pure.
 */
public final class LineValidator {

  /** Why a point is not sent; the proxy's error code where it has one. */
  public enum Reason {
    /** Metric name empty. */
    NAME_EMPTY("WF-400"),
    /** Metric name has a character outside {@code [A-Za-z0-9,-./_]} (after an optional prefix). */
    NAME_ILLEGAL_CHARS("WF-400"),
    NAME_TOO_LONG("WF-408"),
    SOURCE_BLANK("WF-406"),
    SOURCE_TOO_LONG("WF-407"),
    TOO_MANY_TAGS("WF-410"),
    TAG_KEY_ILLEGAL_CHARS("WF-401"),
    TAG_KEY_TOO_LONG("WF-412"),
    TAG_VALUE_BLANK("WF-414"),
    TAG_VALUE_TOO_LONG("WF-413"),
    TAG_TOO_LONG("WF-411"),
    /** A value the proxy's tokenizer cannot read back: raw line break or trailing backslash. */
    UNPARSEABLE_TEXT("WF-300"),
    /** NaN or infinite value. */
    NON_FINITE_VALUE("-"),
    /** Delta counter ({@code ∆}) with a value ≤ 0: the proxy discards it silently. */
    DELTA_NOT_POSITIVE("WF-404"),
    /** Distribution without centroids, or with a count below 1 or a non-finite centroid value. */
    EMPTY_DISTRIBUTION("WF-405"),
    /** {@code Aggregate.sketch} is not a DDSketch: its distribution cannot be sent. */
    SKETCH_UNDECODABLE("-"),
    /** The proxy answered 400 for this line alone (found by bisecting a rejected batch). */
    REJECTED_BY_PROXY("400"),
    /** The proxy answered 413 for this line alone. */
    TOO_LARGE_FOR_PROXY("413");

    /** Name for metric labels and headers: lower case. */
    public String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    private final String proxyCode;

    Reason(String proxyCode) {
      this.proxyCode = proxyCode;
    }

    /** The proxy's error code for the same problem ({@code -} when it has none). */
    public String proxyCode() {
      return proxyCode;
    }
  }

  /**
   * Outcome of a check: {@link #OK}, or a reason and a detail naming the offending part.
   *
   * @param reason null when the point is valid
   * @param detail human-readable detail, empty when valid
   */
  public record Verdict(Reason reason, String detail) {
    public static final Verdict OK = new Verdict(null, "");

    public boolean ok() {
      return reason == null;
    }

    static Verdict invalid(Reason reason, String detail) {
      return new Verdict(reason, detail);
    }
  }

  private final Limits limits;

  public LineValidator(Limits limits) {
    this.limits = limits;
  }

  /** A validator with the backend's default limits. */
  public static LineValidator backendDefaults() {
    return new LineValidator(Limits.BACKEND_DEFAULTS);
  }

  public Limits limits() {
    return limits;
  }

  public Verdict check(WavefrontLine line) {
    Verdict own = checkOwn(line);
    return own.ok() ? checkSourceAndTags(line) : own;
  }

  /**
   * The checks of what differs between the lines of one aggregate: name, value, centroids. With
   * {@link #checkSourceAndTags} (the part they share, checked once) this is {@link #check}.
   */
  public Verdict checkOwn(WavefrontLine line) {
    String name = line.name();
    if (name.isEmpty()) {
      return Verdict.invalid(Reason.NAME_EMPTY, "metric name is empty");
    }
    if (name.length() > limits.metricName()) {
      return Verdict.invalid(
          Reason.NAME_TOO_LONG,
          "metric name has " + name.length() + " chars, max " + limits.metricName());
    }
    if (!charactersAreValid(name)) {
      return Verdict.invalid(Reason.NAME_ILLEGAL_CHARS, "metric name " + name);
    }
    if (line instanceof WavefrontPoint p) {
      if (!Double.isFinite(p.value())) {
        return Verdict.invalid(Reason.NON_FINITE_VALUE, "value " + p.value());
      }
      if ((name.charAt(0) == Names.DELTA || name.charAt(0) == Names.ALT_DELTA) && p.value() <= 0) {
        return Verdict.invalid(Reason.DELTA_NOT_POSITIVE, "delta counter value " + p.value());
      }
    } else if (line instanceof WavefrontDistribution d) {
      if (d.centroids().isEmpty()) {
        return Verdict.invalid(Reason.EMPTY_DISTRIBUTION, "distribution without centroids");
      }
      for (WavefrontDistribution.Centroid c : d.centroids()) {
        if (c.count() < 1 || !Double.isFinite(c.value())) {
          return Verdict.invalid(Reason.EMPTY_DISTRIBUTION, "centroid " + c);
        }
      }
    }
    return Verdict.OK;
  }

  /** The checks of the source and tags. */
  public Verdict checkSourceAndTags(WavefrontLine p) {
    String source = p.source();
    if (source.isBlank()) {
      return Verdict.invalid(Reason.SOURCE_BLANK, "source is blank");
    }
    if (source.length() > limits.source()) {
      return Verdict.invalid(
          Reason.SOURCE_TOO_LONG,
          "source has " + source.length() + " chars, max " + limits.source());
    }
    if (!readable(source)) {
      return Verdict.invalid(Reason.UNPARSEABLE_TEXT, "source " + source);
    }
    if (p.tags().size() > limits.tags()) {
      return Verdict.invalid(
          Reason.TOO_MANY_TAGS, p.tags().size() + " point tags, max " + limits.tags());
    }
    for (Map.Entry<String, String> tag : p.tags().entrySet()) {
      String k = tag.getKey();
      String v = tag.getValue();
      if (k.length() + v.length() > limits.tagKeyPlusValue()) {
        return Verdict.invalid(
            Reason.TAG_TOO_LONG,
            "tag "
                + k
                + " key+value has "
                + (k.length() + v.length())
                + " chars, max "
                + limits.tagKeyPlusValue());
      }
      if (k.length() > limits.tagKey()) {
        return Verdict.invalid(
            Reason.TAG_KEY_TOO_LONG,
            "tag key " + k + " has " + k.length() + " chars, max " + limits.tagKey());
      }
      if (!charactersAreValid(k)) {
        return Verdict.invalid(Reason.TAG_KEY_ILLEGAL_CHARS, "tag key " + k);
      }
      if (v.isBlank()) {
        return Verdict.invalid(Reason.TAG_VALUE_BLANK, "tag " + k + " has a blank value");
      }
      if (v.length() > limits.tagValue()) {
        return Verdict.invalid(
            Reason.TAG_VALUE_TOO_LONG,
            "tag " + k + " value has " + v.length() + " chars, max " + limits.tagValue());
      }
      if (!readable(v)) {
        return Verdict.invalid(Reason.UNPARSEABLE_TEXT, "tag " + k + " value " + v);
      }
    }
    return Verdict.OK;
  }

  // java-lib Validation.charactersAreValid: ASCII 44-57 (,-./0-9), A-Z, a-z, '_'; the first char
  // may also be ~, ∆ or Δ, and the second ~ after a delta.
  static boolean charactersAreValid(String s) {
    if (s.isEmpty()) {
      return false;
    }
    boolean tilde = s.charAt(0) == Names.TILDE;
    boolean delta = s.charAt(0) == Names.DELTA || s.charAt(0) == Names.ALT_DELTA;
    boolean deltaTilde = delta && s.length() > 1 && s.charAt(1) == Names.TILDE;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean legal =
          (c >= 44 && c <= 57) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
      if (!legal && !((i == 0 && (delta || tilde)) || (i == 1 && deltaTilde))) {
        return false;
      }
    }
    return true;
  }

  // A quoted value survives the proxy's tokenizer unless it would end the line (the HTTP body is
  // split on '\n') or end in a backslash (read as an escaped closing quote).
  private static boolean readable(String s) {
    return s.indexOf('\n') < 0 && s.indexOf('\r') < 0 && !s.endsWith("\\");
  }
}
