package io.fleetstats.stream.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.MetricType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TelegrafTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "90, 90_percentile",
    "99.9, 99.9_percentile",
    "99.95, 99.95_percentile",
    "50.0, 50_percentile",
    "100, 100_percentile",
    "0.5, 0.5_percentile",
    "12.25, 12.25_percentile"
  })
  void formatsPercentileFieldsAsGoFormatFloat(double p, String field) {
    assertThat(Telegraf.percentileField(p)).isEqualTo(field);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "COUNTER, counter",
    "GAUGE, gauge",
    "TIMER, timing",
    "HISTOGRAM, histogram",
    "SET, set",
    "DISTRIBUTION, distribution"
  })
  void namesMetricTypesAsTelegraf(MetricType type, String name) {
    assertThat(Telegraf.metricType(type)).isEqualTo(name);
  }
}
