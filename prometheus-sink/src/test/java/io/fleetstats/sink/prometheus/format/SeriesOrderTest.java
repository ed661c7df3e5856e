package io.fleetstats.sink.prometheus.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SeriesOrderTest {
  private static final LabelSet POD0 = labels("api-0");
  private static final LabelSet POD1 = labels("api-1");

  private static LabelSet labels(String pod) {
    TreeMap<String, String> m = new TreeMap<>();
    m.put("pod_name", pod);
    return new LabelSet(m);
  }

  @Test
  void oneWindowPerSeriesStaysAsItIs() {
    List<PromSample> in =
        List.of(new PromSample("a", POD0, 1, 20), new PromSample("a", POD1, 2, 10));
    SeriesOrder.Ordered o = SeriesOrder.of(in, new int[] {0, 1});
    assertThat(o.samples()).isSameAs(in);
    assertThat(o.superseded()).isZero();
  }

  @Test
  void eachSeriesInTimeOrderAndTheLaterRecordWinsATimestamp() {
    List<PromSample> in =
        List.of(
            new PromSample("a", POD0, 1, 30), // record 0
            new PromSample("a", POD1, 2, 10), // record 1
            new PromSample("a", POD0, 3, 10), // record 2
            new PromSample("a", POD0, 4, 30), // record 3: corrects record 0
            new PromSample("a", POD0, 5, 20)); // record 4
    SeriesOrder.Ordered o = SeriesOrder.of(in, new int[] {0, 1, 2, 3, 4});

    assertThat(o.samples())
        .extracting(PromSample::value)
        .containsExactly(3.0, 5.0, 4.0, 2.0); // api-0 at 10, 20, 30 (the later record), then api-1
    assertThat(o.owner()).startsWith(2, 4, 3, 1);
    assertThat(o.superseded()).isEqualTo(1);
  }
}
