package io.fleetstats.sink.prometheus.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.sink.format.Aggregates;
import io.fleetstats.sink.format.WavefrontFormatter;
import io.fleetstats.sink.format.WavefrontPoint;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/** What the formatter counts besides the samples, and that it sends the Wavefront sink's values. */
class PromFormatterTest {
  private final PromFormatter formatter = new PromFormatter("");

  @Test
  void countsEveryTagThatCannotBeALabelAndEveryFieldNotSent() {
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("pod-name", "api-0");
    tags.put("pod.name", "api-1"); // sanitises like pod-name, later in key order
    tags.put("__meta", "x");
    tags.put("---", "y");
    tags.put("empty", "");
    Map<String, Double> fields = new LinkedHashMap<>();
    fields.put("mean", Double.NaN);
    fields.put("upper", Double.POSITIVE_INFINITY);
    fields.put("count", 4.0);
    Aggregate a = Aggregates.aggregate("api.timer", "timing", "node-1", tags, 1_000_000L, fields);

    PromFormatter.Formatted f = formatter.format(a);

    assertThat(f.samples()).hasSize(1);
    PromSample s = f.samples().get(0);
    assertThat(s.name()).isEqualTo("api_timer_count");
    assertThat(s.labels().toString()).isEqualTo("{pod_name=\"api-0\",source=\"node-1\"}");
    assertThat(s.timestampMs()).isEqualTo(1_000_000L);
    assertThat(f.nonFinite()).isEqualTo(2);
    assertThat(f.dropped())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                Dropped.DUPLICATE_NAME, 1,
                Dropped.RESERVED_NAME, 1,
                Dropped.BAD_NAME, 1,
                Dropped.EMPTY_VALUE, 1));
  }

  @Test
  void aLeanTimerGivesOneSeriesPerFieldItHasAndNothingForTheOthers() {
    // FLEETSTATS_TIMER_FIELDS=count,upper,percentiles with FLEETSTATS_PERCENTILES=99
    Aggregate a =
        Aggregates.timer(
            "fitcycle-api-server.prospectPullTime",
            Map.of("count", 10.0, "upper", 320.0, "99_percentile", 310.5));

    PromFormatter.Formatted f = formatter.format(a);

    assertThat(f.samples())
        .extracting(PromSample::name, PromSample::value)
        .containsExactly(
            Tuple.tuple("fitcycle_api_server_prospectPullTime_99_percentile", 310.5),
            Tuple.tuple("fitcycle_api_server_prospectPullTime_count", 10.0),
            Tuple.tuple("fitcycle_api_server_prospectPullTime_upper", 320.0));
    assertThat(f.nonFinite()).isZero();
    assertThat(f.badNames()).isEmpty();
  }

  @Test
  void aNameThatCannotStartAPrometheusNameIsReportedNotSent() {
    Aggregate a =
        Aggregates.aggregate("5xx", "counter", "node-1", Map.of(), 0L, Map.of("value", 1.0));

    PromFormatter.Formatted f = formatter.format(a);

    assertThat(f.samples()).isEmpty();
    assertThat(f.badNames()).containsExactly("5xx");
  }

  @Test
  void everySampleCarriesTheValueAndTimeOfTheWavefrontPointOfTheSameField() {
    Map<String, Double> fields = new TreeMap<>();
    fields.put("count", 31.0);
    fields.put("sum", 6587.5);
    fields.put("mean", 212.5);
    fields.put("median", 205.12);
    fields.put("stddev", 41.25);
    fields.put("lower", 120.0);
    fields.put("upper", 320.0);
    fields.put("90_percentile", 281.9372631689419);
    fields.put("99.9_percentile", 319.87000000000003);
    Aggregate timer = Aggregates.timer("fitcycle-api-server.prospectPullTime", fields);
    Aggregate counter =
        Aggregates.aggregate(
            "fitcycle-api-server.ProspectPull",
            "counter",
            "node-1",
            Aggregates.seedTags("counter"),
            Aggregates.WINDOW_START_MS,
            Map.of("value", 31.0));

    for (Aggregate a : List.of(timer, counter)) {
      List<PromSample> samples = formatter.format(a).samples();
      List<WavefrontPoint> points = new WavefrontFormatter("").format(a).points();
      assertThat(samples).hasSameSizeAs(points);
      for (int i = 0; i < samples.size(); i++) {
        // both in field-name order
        assertThat(samples.get(i).value()).isEqualTo(points.get(i).value());
        assertThat(samples.get(i).timestampMs()).isEqualTo(points.get(i).epochSeconds() * 1000);
        assertThat(samples.get(i).name().replace('_', '.'))
            .isEqualTo(points.get(i).name().replace('-', '.'));
        assertThat(samples.get(i).labels().value(samples.get(i).labels().size() - 1))
            .as("source label")
            .isEqualTo(points.get(i).source());
      }
    }
  }
}
