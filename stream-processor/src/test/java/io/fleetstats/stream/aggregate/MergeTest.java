package io.fleetstats.stream.aggregate;

import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.set;
import static io.fleetstats.stream.Fixtures.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Merging states equals aggregating all their samples at once. */
class MergeTest {
  private static final long T = 1_764_086_400_000L;
  private static final StateOptions OPTIONS = new StateOptions(0.01, 100);

  private static WindowState state(Series s) {
    SeriesWindow w = SeriesWindow.empty(source("p"), s, OPTIONS);
    int n = Windows.sampleCount(s);
    w.add(s, IntStream.range(0, n).toArray(), n);
    // through the store's bytes, as stage 2 sees it
    return SeriesWindow.fromBytes(w.toBytes(), OPTIONS).state();
  }

  @Test
  void mergedDistributionEqualsOneOverAllSamples() {
    double[] a = IntStream.rangeClosed(1, 500).asDoubleStream().toArray();
    double[] b = IntStream.rangeClosed(1000, 1400).asDoubleStream().toArray();
    double[] all =
        IntStream.concat(IntStream.rangeClosed(1, 500), IntStream.rangeClosed(1000, 1400))
            .asDoubleStream()
            .toArray();
    WindowState merged = state(series("t", MetricType.TIMER, T, a));
    merged.merge(state(series("t", MetricType.TIMER, T, b)));
    Map<String, Double> one =
        state(series("t", MetricType.TIMER, T, all)).fields(List.of(50.0, 99.0));
    Map<String, Double> m = merged.fields(List.of(50.0, 99.0));

    assertThat(m.get("count")).isEqualTo(one.get("count"));
    assertThat(m.get("sum")).isEqualTo(one.get("sum"));
    assertThat(m.get("lower")).isEqualTo(1.0);
    assertThat(m.get("upper")).isEqualTo(1400.0);
    assertThat(m.get("stddev")).isCloseTo(one.get("stddev"), within(1e-9));
    // the same sketch bins: the same estimates, not averages of the parts' percentiles
    assertThat(m.get("50_percentile")).isEqualTo(one.get("50_percentile"));
    assertThat(m.get("99_percentile")).isEqualTo(one.get("99_percentile"));
  }

  @Test
  void setsUniteExactlyThenByUltraLogLog() {
    WindowState s = state(set("s", T, "a", "b"));
    s.merge(state(set("s", T, "b", "c")));
    assertThat(s.fields(List.of())).containsEntry("value", 3.0);
    assertThat(((WindowState.Set) s).estimated()).isFalse();

    String[] many = IntStream.range(0, 5_000).mapToObj(i -> "m" + i).toArray(String[]::new);
    s.merge(state(set("s", T, many)));
    assertThat(((WindowState.Set) s).estimated()).isTrue();
    assertThat(s.fields(List.of()).get("value")).isCloseTo(5_003.0, within(5_003 * 0.05));
  }

  @Test
  void mergingDifferentTypesIsRefused() {
    WindowState c = state(series("c", MetricType.COUNTER, T, 1));
    assertThatThrownBy(() -> c.merge(state(series("g", MetricType.GAUGE, T, 1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot merge a Gauge into a Counter");
  }
}
