package io.fleetstats.sink.prometheus.format;

import io.fleetstats.schemas.Aggregate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns an {@link Aggregate} into remote-write samples named as Telegraf's Prometheus output named
 * statsd data ({@link PromNames}): one series per field, e.g. timer {@code
 * fitcycle-api-server.prospectPullTime} gives {@code fitcycle_api_server_prospectPullTime_mean},
 * {@code …_upper}, {@code …_90_percentile}; counter {@code fitcycle-api-server.ProspectPull} gives
 * {@code fitcycle_api_server_ProspectPull}. The values and the window are the ones the Wavefront
 * sink sends for the same aggregate, so both backends hold the same points.
 *
 * <p>Labels: the aggregate's tags (names sanitised as Telegraf's {@code SanitizeLabelName}, values
 * as they are) plus {@code source} = the aggregate's source (the node, or the cluster for a
 * roll-up), sorted by name. A tag named {@code source} becomes {@code _source} (as in the Wavefront
 * sink), so it cannot replace the point's source. Tags that cannot be labels are dropped and
 * counted ({@link Dropped}). Timestamp: the window start in milliseconds.
 *
 * <p>Pure: no I/O, no clock.
 */
public final class PromFormatter {
  /** The label holding the aggregate's source. */
  public static final String SOURCE_LABEL = "source";

  /**
   * The samples of one aggregate.
   *
   * @param samples one per finite field whose name Prometheus can hold, in field-name order
   * @param nonFinite fields skipped because their value was NaN or infinite (as the Wavefront sink
   *     skips them)
   * @param badNames metric names that cannot start a Prometheus name (the field is not sent); each
   *     is the name after sanitising
   * @param dropped tags that did not become labels, by why
   */
  public record Formatted(
      List<PromSample> samples,
      int nonFinite,
      List<String> badNames,
      Map<Dropped, Integer> dropped) {}

  private final String prefix;

  /**
   * @param metricPrefix prepended to every series name before sanitising ({@code
   *     FLEETSTATS_METRIC_PREFIX})
   */
  public PromFormatter(String metricPrefix) {
    this.prefix = metricPrefix;
  }

  public Formatted format(Aggregate aggregate) {
    Map<Dropped, Integer> dropped = new EnumMap<>(Dropped.class);
    LabelSet labels = labels(aggregate, dropped);
    long timestamp = aggregate.getWindowStart();
    List<PromSample> samples = new ArrayList<>(aggregate.getFields().size());
    List<String> badNames = List.of();
    int nonFinite = 0;
    // sanitising is per character, so the series part is sanitised once per aggregate and each
    // field's suffix comes from a small cache
    String base = PromNames.sanitizeMetricName(prefix + aggregate.getName());
    for (Map.Entry<String, Double> field : new TreeMap<>(aggregate.getFields()).entrySet()) {
      double value = field.getValue() == null ? Double.NaN : field.getValue();
      if (!Double.isFinite(value)) {
        nonFinite++;
        continue;
      }
      Optional<String> name = name(base, field.getKey());
      if (name.isEmpty()) {
        if (badNames.isEmpty()) {
          badNames = new ArrayList<>(1);
        }
        badNames.add(
            PromNames.sanitizeMetricName(
                PromNames.VALUE_FIELD.equals(field.getKey())
                    ? prefix + aggregate.getName()
                    : prefix + aggregate.getName() + "_" + field.getKey()));
        continue;
      }
      samples.add(new PromSample(name.get(), labels, value, timestamp));
    }
    return new Formatted(samples, nonFinite, badNames, dropped);
  }

  private static final int SUFFIX_CACHE_MAX = 10_000;
  private final ConcurrentHashMap<String, String> suffixes = new ConcurrentHashMap<>();

  /** {@link PromNames#metricName} of the sanitised series part {@code base} and a field. */
  private Optional<String> name(String base, String field) {
    String name;
    if (PromNames.VALUE_FIELD.equals(field)) {
      name = base;
    } else {
      String suffix = suffixes.get(field);
      if (suffix == null) {
        suffix = PromNames.sanitizeMetricName("_" + field);
        if (suffixes.size() < SUFFIX_CACHE_MAX) {
          suffixes.put(field, suffix);
        }
      }
      name = base + suffix;
    }
    return PromNames.isValidStart(name) ? Optional.of(name) : Optional.empty();
  }

  // Keys are visited in sorted order so that when two keys sanitise to the same name the result
  // does not depend on map iteration order: the first wins.
  private static LabelSet labels(Aggregate aggregate, Map<Dropped, Integer> dropped) {
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> tag : new TreeMap<>(aggregate.getTags()).entrySet()) {
      Optional<String> sanitized = PromNames.labelName(tag.getKey());
      if (sanitized.isEmpty()) {
        dropped.merge(Dropped.BAD_NAME, 1, Integer::sum);
        continue;
      }
      String name = sanitized.get();
      if (name.startsWith("__")) {
        dropped.merge(Dropped.RESERVED_NAME, 1, Integer::sum);
        continue;
      }
      if (name.equals(SOURCE_LABEL)) {
        name = "_" + SOURCE_LABEL;
      }
      String value = tag.getValue() == null ? "" : tag.getValue();
      if (value.isEmpty()) {
        dropped.merge(Dropped.EMPTY_VALUE, 1, Integer::sum);
        continue;
      }
      if (out.putIfAbsent(name, value) != null) {
        dropped.merge(Dropped.DUPLICATE_NAME, 1, Integer::sum);
      }
    }
    String source = aggregate.getSource();
    if (source != null && !source.isEmpty()) {
      out.put(SOURCE_LABEL, source);
    }
    return new LabelSet(out);
  }
}
