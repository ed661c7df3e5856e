package io.fleetstats.sink.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.sink.format.LineValidator.Reason;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AggregateLinesTest {
  private final AggregateLines lines = AggregateLines.withPrefix("");

  @Test
  void keepsValidLinesAndCountsTheRest() {
    Aggregate a =
        Aggregates.timer("api.timer", Map.of("mean", 2.0, "count", 4.0, "upper", Double.NaN));
    AggregateLines.Result r = lines.apply(a);
    assertThat(r.lines()).hasSize(2).allSatisfy(l -> ProxyParser.parseAndValidate(l.toLine()));
    assertThat(r.invalid()).isEmpty();
    assertThat(r.nonFinite()).isEqualTo(1);
  }

  @Test
  void fitsAnAggregateWithTooManyTagsInsteadOfLosingIt() {
    Map<String, String> tags = new HashMap<>(Aggregates.seedTags("timing"));
    for (int i = 0; i < 21; i++) {
      tags.put("t" + i, "v");
    }
    Aggregate a =
        Aggregates.aggregate(
            "api.timer",
            "timing",
            "node-1",
            tags,
            Aggregates.WINDOW_START_MS,
            Map.of("mean", 2.0, "count", 4.0));
    AggregateLines.Result r = lines.apply(a);
    assertThat(r.invalid()).isEmpty();
    assertThat(r.lines())
        .hasSize(2)
        .allSatisfy(
            l ->
                assertThat(l.tags())
                    .hasSize(20)
                    .containsKeys("metric_type", "pod_name", "cluster", "namespace"));
    assertThat(r.lines()).allSatisfy(l -> ProxyParser.parseAndValidate(l.toLine()));
    assertThat(r.fits()).containsExactly(Map.entry(Fit.TAG_DROPPED_OVER_COUNT, 5));
  }

  @Test
  void rejectsABlankSourceThatTheProxyWouldReplaceWithOurHostname() {
    Aggregate a =
        Aggregates.aggregate(
            "m", "gauge", " \\ ", Map.of(), Aggregates.WINDOW_START_MS, Map.of("value", 1.0));
    assertThat(lines.apply(a).invalid())
        .singleElement()
        .satisfies(i -> assertThat(i.verdict().reason()).isEqualTo(Reason.SOURCE_BLANK));
  }

  @Test
  void cutsAName300CharsLongKeepingTheField() {
    Aggregate a = Aggregates.timer("n".repeat(300), Map.of("mean", 1.0));
    AggregateLines.Result r = lines.apply(a);
    assertThat(r.invalid()).isEmpty();
    assertThat(r.lines())
        .singleElement()
        .satisfies(l -> assertThat(l.name()).hasSize(256).endsWith("nnn.mean"));
  }
}
