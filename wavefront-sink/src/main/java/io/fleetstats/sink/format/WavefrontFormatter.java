package io.fleetstats.sink.format;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.Correction;
import io.fleetstats.sink.format.WavefrontDistribution.Centroid;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Turns an {@link Aggregate} into Wavefront lines named as the seed's Telegraf named them ({@code
 * outputs.wavefront} with {@code metric_separator="."}, {@code convert_paths=true}): one point per
 * field, {@code prefix + name + "." + field} (field {@code value} adds nothing), sanitised, then
 * every {@code _} → {@code .}; timer {@code api.timer} gives {@code api.timer.mean} and {@code
 * api.timer.90.percentile}. Optionally counters as delta counters ({@code ∆name}) and a
 * distribution ({@code !M}/{@code !H}) from the aggregate's sketch.
 *
 * <p><b>Corrections.</b> A window corrected by late samples arrives again, complete, with its
 * {@code correction} set (what the late samples added). Plain points carry the complete values: the
 * backend keeps one value per metric, source, tags and second, so the last emission wins. Delta
 * counters and distributions are added up by the backend instead, so for a correction they carry
 * only what was added: the correction's counter value and sketch.
 *
 * <p>Every line is fitted to {@link Limits} by the policy below, and each change is counted ({@link
 * Fit}); {@link LineValidator} then judges what is left (a blank source, a sketch that cannot be
 * read, ...).
 *
 * <ol>
 *   <li>Tag values: trimmed, {@code *} → {@code -}, line breaks written as {@code \n}, trailing
 *       backslashes removed; a tag whose value is then blank is dropped.
 *   <li>Tag keys: sanitised like names (without path conversion); {@code source}, {@code host},
 *       {@code tag} renamed {@code _source} etc.; a key that is empty or longer than {@link
 *       Limits#tagKey()} drops its tag (truncating keys could merge two tags); if two keys sanitise
 *       alike, the first in key order wins.
 *   <li>Key plus value longer than {@link Limits#tagKeyPlusValue()}: the value is cut to fit (never
 *       inside a surrogate pair, trailing backslashes removed again).
 *   <li>More than {@link Limits#tags()} tags: the keys of {@link #PRIORITY_TAGS} are kept first, in
 *       that order, then the other keys in alphabetical order until the limit; the rest are
 *       dropped. The rule depends on the keys only, so every point of a series keeps the same tags.
 *   <li>Source longer than {@link Limits#source()}: cut like a tag value.
 *   <li>Metric name longer than {@link Limits#metricName()}: the series part is cut and the field
 *       suffix ({@code .mean}, {@code .90.percentile}) kept, so the fields of one series stay
 *       distinct.
 * </ol>
 *
 * <p>Pure: no I/O, no clock.
 */
public final class WavefrontFormatter {
  /** Telegraf's field of single-valued metrics (counter, gauge, set): not appended to the name. */
  public static final String VALUE_FIELD = "value";

  /** Telegraf's {@code metric_type} of counters. */
  public static final String COUNTER_TYPE = "counter";

  /**
   * Tags kept first when a point has more than {@link Limits#tags()}: the seed's tags, then the
   * platform's source and roll-up tags.
   */
  public static final List<String> PRIORITY_TAGS =
      List.of(
          "metric_type", "cluster", "namespace", "pod_name", "node", "app", "container", "rollup");

  /**
   * Tag keys the proxy treats as the source or renames ({@code source}, {@code host}, {@code tag}).
   * We rename them to {@code _source}, {@code _host}, {@code _tag} ourselves: the proxy would do
   * the same for {@code host} and {@code tag}, and a {@code source} tag would otherwise replace the
   * point's source.
   */
  static final Set<String> RESERVED_TAG_KEYS = Set.of("source", "host", "tag");

  /** Whether and how sketches are sent as Wavefront distributions. */
  public enum Distributions {
    /** No distributions. */
    OFF,
    /** {@code !M}: the backend keeps one distribution per minute bin (merging windows). */
    MINUTE,
    /** {@code !H}: one per hour bin. */
    HOUR;

    /** Parses {@code off}, {@code minute}, {@code hour} (any case); empty if none of them. */
    public static Optional<Distributions> parse(String text) {
      try {
        return Optional.of(valueOf(text.trim().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
    }
  }

  /**
   * What the formatter produces besides plain points.
   *
   * @param metricPrefix prepended to every name before sanitising, as Telegraf's {@code prefix}
   * @param limits the limits every line is fitted to
   * @param distributions whether sketches become {@code !M}/{@code !H} lines
   * @param deltaCounters whether counters are sent as {@code ∆} delta counters instead of plain
   *     points
   */
  public record Options(
      String metricPrefix, Limits limits, Distributions distributions, boolean deltaCounters) {
    /** Plain points only, backend limits. */
    public static Options plain(String metricPrefix) {
      return new Options(metricPrefix, Limits.BACKEND_DEFAULTS, Distributions.OFF, false);
    }
  }

  /**
   * The lines of one aggregate.
   *
   * @param points plain points and delta counters, one per finite field, in field order
   * @param distributions the distribution from the sketch, if enabled and the sketch has values
   * @param nonFinite fields skipped because their value was NaN or infinite (Telegraf dropped them
   *     too; the proxy would store NaN)
   * @param fits changes made to fit the limits, by kind (kinds with no change are absent)
   * @param deltaZeroSkipped delta counters not sent because the window's count was 0 (adding 0
   *     changes nothing)
   * @param sketchProblem why the sketch could not be turned into a distribution, if it could not
   */
  public record Formatted(
      List<WavefrontPoint> points,
      List<WavefrontDistribution> distributions,
      int nonFinite,
      Map<Fit, Integer> fits,
      int deltaZeroSkipped,
      Optional<String> sketchProblem) {
    public Formatted {
      points = List.copyOf(points);
      distributions = List.copyOf(distributions);
      fits =
          Collections.unmodifiableMap(
              new EnumMap<>(fits.isEmpty() ? new EnumMap<>(Fit.class) : fits));
    }

    /** Every line: points, then distributions. */
    public List<WavefrontLine> lines() {
      List<WavefrontLine> all = new ArrayList<>(points.size() + distributions.size());
      all.addAll(points);
      all.addAll(distributions);
      return all;
    }
  }

  private final Options options;

  /** Plain points with {@code metricPrefix}, fitted to the backend's default limits. */
  public WavefrontFormatter(String metricPrefix) {
    this(Options.plain(metricPrefix));
  }

  public WavefrontFormatter(Options options) {
    this.options = options;
  }

  public Options options() {
    return options;
  }

  public Formatted format(Aggregate aggregate) {
    Limits limits = options.limits();
    EnumMap<Fit, Integer> fits = new EnumMap<>(Fit.class);
    String source = fitValue(aggregate.getSource(), limits.source(), Fit.SOURCE_TRUNCATED, fits);
    // every line of the aggregate shares this frozen map (no copy per point)
    SortedMap<String, String> tags =
        Collections.unmodifiableSortedMap(tags(aggregate.getTags(), limits, fits));
    long seconds = Math.floorDiv(aggregate.getWindowStart(), 1000L);
    boolean delta = options.deltaCounters() && COUNTER_TYPE.equals(aggregate.getMetricType());
    Correction correction = aggregate.getCorrection();
    String prefix = options.metricPrefix();

    List<WavefrontPoint> points = new ArrayList<>(aggregate.getFields().size());
    // sanitize() works char by char, so the series part is sanitised once and each field's
    // suffix comes from a small cache
    // a verbatim aggregate's names are final (cluster stats: kubernetes.pod.cpu.usage_rate): its
    // underscores stay
    boolean verbatim = aggregate.getVerbatim();
    String base =
        verbatim
            ? Names.sanitize(prefix + aggregate.getName())
            : Names.convertPaths(Names.sanitize(prefix + aggregate.getName()));
    String deltaBase =
        delta
            ? Names.convertPaths(Names.sanitize(Names.DELTA + prefix + aggregate.getName()))
            : null;
    int nonFinite = 0;
    int deltaZero = 0;
    boolean nameCut = false;
    for (Map.Entry<String, Double> field : new TreeMap<>(aggregate.getFields()).entrySet()) {
      double value = field.getValue() == null ? Double.NaN : field.getValue();
      if (!Double.isFinite(value)) {
        nonFinite++;
        continue;
      }
      boolean deltaField = delta && VALUE_FIELD.equals(field.getKey());
      if (deltaField && correction != null) {
        // only what the late samples added: the backend sums delta counters
        Double added = correction.getFields().get(VALUE_FIELD);
        value = added == null ? 0 : added;
      }
      if (deltaField && value == 0) {
        deltaZero++;
        continue;
      }
      String suffix = verbatim ? verbatimSuffix(field.getKey()) : suffix(field.getKey());
      String full = (deltaField ? deltaBase : base) + suffix;
      String name = fitName(full, suffix, limits.metricName());
      nameCut |= name.length() != full.length();
      // A negative delta stays as it is: LineValidator rejects it (the proxy would discard it).
      points.add(new WavefrontPoint(name, value, seconds, source, tags));
    }

    List<WavefrontDistribution> distributions = new ArrayList<>(1);
    Optional<String> sketchProblem = Optional.empty();
    // a correction's distribution carries only the added values: the backend merges distributions
    ByteBuffer sketch = correction != null ? correction.getSketch() : aggregate.getSketch();
    if (options.distributions() != Distributions.OFF && sketch != null && sketch.hasRemaining()) {
      try {
        List<Centroid> centroids = SketchCentroids.decode(sketch);
        if (!centroids.isEmpty()) {
          String full = base;
          String name = fitName(full, "", limits.metricName());
          nameCut |= name.length() != full.length();
          char granularity = options.distributions() == Distributions.HOUR ? 'H' : 'M';
          distributions.add(
              new WavefrontDistribution(granularity, seconds, centroids, name, source, tags));
        }
      } catch (SketchCentroids.UndecodableSketchException e) {
        sketchProblem = Optional.of(e.getMessage());
      }
    }
    if (nameCut) {
      fits.merge(Fit.NAME_TRUNCATED, 1, Integer::sum);
    }
    return new Formatted(points, distributions, nonFinite, fits, deltaZero, sketchProblem);
  }

  private static final int SUFFIX_CACHE_MAX = 10_000;
  private final java.util.concurrent.ConcurrentHashMap<String, String> suffixes =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * {@code ""} for the field {@code value}, else the field as a name suffix ({@code
   * .90.percentile}).
   */
  private String suffix(String field) {
    if (VALUE_FIELD.equals(field)) {
      return "";
    }
    String cached = suffixes.get(field);
    if (cached == null) {
      cached = Names.convertPaths(Names.sanitize("." + field));
      if (suffixes.size() < SUFFIX_CACHE_MAX) {
        suffixes.put(field, cached);
      }
    }
    return cached;
  }

  /** A verbatim aggregate's field as a name suffix: sanitised only. */
  private static String verbatimSuffix(String field) {
    return VALUE_FIELD.equals(field) ? "" : Names.sanitize("." + field);
  }

  /** The Wavefront name of one field of series {@code name}, before fitting to the limit. */
  public static String metricName(String prefix, String name, String field) {
    String raw = VALUE_FIELD.equals(field) ? prefix + name : prefix + name + "." + field;
    return Names.convertPaths(Names.sanitize(raw));
  }

  // Cuts the series part and keeps the field suffix, so api.timer.mean and api.timer.upper stay
  // two series when their common part is too long. Sanitised names are ASCII after an optional
  // one-char prefix, so cutting by chars cannot split a surrogate pair.
  static String fitName(String full, String suffix, int max) {
    if (full.length() <= max) {
      return full;
    }
    if (suffix.length() >= max / 2) {
      return full.substring(0, max);
    }
    return full.substring(0, max - suffix.length()) + suffix;
  }

  private static String fitValue(String raw, int max, Fit cut, Map<Fit, Integer> fits) {
    String escaped = Names.escapeBreaks(raw == null ? "" : raw);
    String v = Names.trimTrailingBackslashes(escaped);
    if (v.length() != escaped.length() && escaped.endsWith("\\")) {
      fits.merge(Fit.TRAILING_BACKSLASH_REMOVED, 1, Integer::sum);
    }
    if (v.length() > max) {
      v = Names.truncate(v, max);
      fits.merge(cut, 1, Integer::sum);
    }
    return v;
  }

  // Keys are visited in sorted order so that when two keys sanitise to the same text (`a b`,
  // `a-b`) the result does not depend on map iteration order: first wins.
  private static SortedMap<String, String> tags(
      Map<String, String> raw, Limits limits, Map<Fit, Integer> fits) {
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> tag : new TreeMap<>(raw).entrySet()) {
      String key = Names.sanitize(tag.getKey());
      if (RESERVED_TAG_KEYS.contains(key)) {
        key = "_" + key;
      }
      // The value's own length limit is implied: key+value ≤ 254 < 255.
      int room = limits.tagKeyPlusValue() - key.length();
      String value = fitValue(tag.getValue(), Math.max(room, 0), Fit.TAG_VALUE_TRUNCATED, fits);
      if (value.isBlank()) {
        fits.merge(Fit.TAG_DROPPED_EMPTY_VALUE, 1, Integer::sum);
        continue;
      }
      if (key.isEmpty() || key.length() > limits.tagKey()) {
        fits.merge(Fit.TAG_DROPPED_BAD_KEY, 1, Integer::sum);
        continue;
      }
      if (out.putIfAbsent(key, value) != null) {
        fits.merge(Fit.TAG_DROPPED_DUPLICATE_KEY, 1, Integer::sum);
      }
    }
    if (out.size() <= limits.tags()) {
      return out;
    }
    LinkedHashMap<String, String> kept = new LinkedHashMap<>();
    for (String key : PRIORITY_TAGS) {
      if (kept.size() < limits.tags() && out.containsKey(key)) {
        kept.put(key, out.get(key));
      }
    }
    for (Map.Entry<String, String> tag : out.entrySet()) {
      if (kept.size() >= limits.tags()) {
        break;
      }
      kept.putIfAbsent(tag.getKey(), tag.getValue());
    }
    fits.merge(Fit.TAG_DROPPED_OVER_COUNT, out.size() - kept.size(), Integer::sum);
    return new TreeMap<>(kept);
  }
}
