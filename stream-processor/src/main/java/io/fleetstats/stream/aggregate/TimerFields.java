package io.fleetstats.stream.aggregate;

import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which of Telegraf's timer fields the timers, histograms and distributions emit, as DogStatsD's
 * {@code histogram_aggregates}: every field by default (Telegraf's set), or fewer to cut the points
 * a backend bills. Counters, gauges and sets are not affected.
 *
 * @param fields the fields emitted, never empty
 * @param percentiles the percentiles of {@link Field#PERCENTILES}, each emitted as {@code
 *     <p>_percentile}
 */
public record TimerFields(Set<Field> fields, List<Double> percentiles) {

  /** One timer field, or {@link #PERCENTILES} for all the {@code <p>_percentile} fields. */
  public enum Field {
    COUNT,
    SUM,
    MEAN,
    STDDEV,
    LOWER,
    UPPER,
    MEDIAN,
    PERCENTILES;

    /** The name in settings, and (but for {@link #PERCENTILES}) the field's name. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Every field, in Telegraf's order: today's output. */
  public static final Set<Field> ALL = Collections.unmodifiableSet(EnumSet.allOf(Field.class));

  /** DogStatsD's aggregate names, which are not ours: what to write instead. */
  private static final Map<String, Field> DOGSTATSD =
      Map.of("max", Field.UPPER, "min", Field.LOWER, "avg", Field.MEAN);

  public TimerFields {
    if (fields.isEmpty()) {
      throw new IllegalArgumentException("no timer fields");
    }
    fields = Collections.unmodifiableSet(EnumSet.copyOf(fields));
    percentiles = List.copyOf(percentiles);
  }

  /** Every field, with {@code percentiles}. */
  public static TimerFields all(List<Double> percentiles) {
    return new TimerFields(ALL, percentiles);
  }

  public boolean has(Field field) {
    return fields.contains(field);
  }

  /** The fields as a setting's value: {@code count,sum,...}, in Telegraf's order. */
  public static String show(Set<Field> fields) {
    return fields.stream().map(Field::key).collect(Collectors.joining(","));
  }

  /**
   * Parses a comma-separated list of field names, in any order and case ({@code count,upper,
   * percentiles}).
   *
   * @throws IllegalArgumentException naming the bad name and every allowed one
   */
  public static Set<Field> parse(String raw) {
    EnumSet<Field> out = EnumSet.noneOf(Field.class);
    for (String part : raw.split(",", -1)) {
      String name = part.trim().toLowerCase(Locale.ROOT);
      Field field =
          Arrays.stream(Field.values()).filter(f -> f.key().equals(name)).findFirst().orElse(null);
      if (field == null) {
        String hint =
            DOGSTATSD.containsKey(name)
                ? " (DogStatsD's " + name + " is " + DOGSTATSD.get(name).key() + " here)"
                : "";
        throw new IllegalArgumentException(
            "a comma-separated list of at least one of "
                + show(ALL)
                + " (percentiles = the <p>_percentile fields of FLEETSTATS_PERCENTILES), e.g."
                + " count,upper,percentiles; "
                + (name.isEmpty() ? "an empty name" : "'" + name + "'")
                + " is not one"
                + hint);
      }
      out.add(field);
    }
    return Collections.unmodifiableSet(out);
  }
}
