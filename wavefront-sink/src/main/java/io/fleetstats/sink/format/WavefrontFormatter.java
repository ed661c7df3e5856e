package io.fleetstats.sink.format;

import io.fleetstats.schemas.Aggregate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns an {@link Aggregate} into Wavefront points named as the seed's Telegraf named them
 * ({@code outputs.wavefront} with {@code metric_separator="."}, {@code convert_paths=true}): one
 * point per field, {@code prefix + name + "." + field} (field {@code value} adds nothing),
 * sanitised, then every {@code _} → {@code .}; timer {@code api.timer} gives {@code
 * api.timer.mean} and {@code api.timer.90.percentile}.
 *
 * <p>Pure: no I/O, no clock. Limits are not enforced here; {@link LineValidator} judges each
 * point.
 */
public final class WavefrontFormatter {
  /** Telegraf's field of single-valued metrics (counter, gauge, set): not appended to the name. */
  public static final String VALUE_FIELD = "value";

  /**
   * Tag keys the proxy treats as the source or renames ({@code source}, {@code host}, {@code tag}).
   * We rename them to {@code _source}, {@code _host}, {@code _tag} ourselves: the proxy would do
   * the same for {@code host} and {@code tag}, and a {@code source} tag would otherwise replace
   * the point's source.
   */
  static final Set<String> RESERVED_TAG_KEYS = Set.of("source", "host", "tag");

  private final String metricPrefix;

  /** @param metricPrefix prepended to every name before sanitising, as Telegraf's {@code prefix} */
  public WavefrontFormatter(String metricPrefix) {
    this.metricPrefix = metricPrefix;
  }

  /**
   * The points of one aggregate, one per finite field, in field order.
   *
   * @param points the points to validate and send
   * @param nonFinite fields skipped because their value was NaN or infinite (Telegraf dropped
   *     them too; the proxy would store NaN)
   */
  public record Formatted(List<WavefrontPoint> points, int nonFinite) {
    public Formatted {
      points = List.copyOf(points);
    }
  }

  public Formatted format(Aggregate aggregate) {
    String source = Names.cleanValue(aggregate.getSource());
    TreeMap<String, String> tags = tags(aggregate.getTags());
    long seconds = Math.floorDiv(aggregate.getWindowStart(), 1000L);
    List<WavefrontPoint> points = new ArrayList<>(aggregate.getFields().size());
    int nonFinite = 0;
    for (Map.Entry<String, Double> field : new TreeMap<>(aggregate.getFields()).entrySet()) {
      double value = field.getValue() == null ? Double.NaN : field.getValue();
      if (!Double.isFinite(value)) {
        nonFinite++;
        continue;
      }
      points.add(
          new WavefrontPoint(
              metricName(metricPrefix, aggregate.getName(), field.getKey()),
              value,
              seconds,
              source,
              tags));
    }
    return new Formatted(points, nonFinite);
  }

  /** The Wavefront name of one field of series {@code name}. */
  public static String metricName(String prefix, String name, String field) {
    String raw = VALUE_FIELD.equals(field) ? prefix + name : prefix + name + "." + field;
    return Names.convertPaths(Names.sanitize(raw));
  }

  // Keys sanitised (no path conversion: Telegraf left '_' in keys), values cleaned, empty values
  // dropped as Telegraf did. Keys are visited in sorted order so that when two keys sanitise to
  // the same text (`a b`, `a-b`) the result does not depend on map iteration order: first wins.
  private static TreeMap<String, String> tags(Map<String, String> raw) {
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> tag : new TreeMap<>(raw).entrySet()) {
      if (tag.getValue() == null) {
        continue;
      }
      String value = Names.cleanValue(tag.getValue());
      if (value.isBlank()) {
        continue;
      }
      String key = Names.sanitize(tag.getKey());
      if (RESERVED_TAG_KEYS.contains(key)) {
        key = "_" + key;
      }
      out.putIfAbsent(key, value);
    }
    return out;
  }
}
