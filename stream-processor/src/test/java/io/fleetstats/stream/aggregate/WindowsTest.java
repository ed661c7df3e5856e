package io.fleetstats.stream.aggregate;

import static io.fleetstats.stream.Fixtures.series;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class WindowsTest {

  @ParameterizedTest(name = "{0} in windows of {1} ms starts at {2}")
  @CsvSource({
    "0, 10000, 0",
    "9999, 10000, 0",
    "10000, 10000, 10000",
    "1764086412345, 10000, 1764086410000"
  })
  void alignsWindowsToTheEpoch(long t, long size, long start) {
    assertThat(Windows.start(t, size)).isEqualTo(start);
  }

  @Test
  void splitsABatchThatStraddlesAWindowBoundaryKeepingArrivalOrder() {
    Series s = series("t", MetricType.TIMER, 0, 1, 2, 3, 4);
    s.setReceivedAt(List.of(9_000L, 10_500L, 9_900L, 11_000L));

    List<Windows.Slice> slices = Windows.slices(s, 12_000, 10_000);

    assertThat(slices).hasSize(2);
    assertThat(slices.get(0).windowStart()).isZero();
    assertThat(slices.get(0).count()).isEqualTo(2);
    assertThat(slices.get(0).indices()).startsWith(0, 2);
    assertThat(slices.get(1).windowStart()).isEqualTo(10_000);
    assertThat(slices.get(1).indices()).startsWith(1, 3);
  }

  @Test
  void samplesWithoutReceiveTimeTakeTheBatchTime() {
    Series s = series("t", MetricType.TIMER, 0, 1, 2);
    s.setReceivedAt(List.of());

    List<Windows.Slice> slices = Windows.slices(s, 25_000, 10_000);

    assertThat(slices)
        .singleElement()
        .satisfies(sl -> assertThat(sl.windowStart()).isEqualTo(20_000));
  }
}
