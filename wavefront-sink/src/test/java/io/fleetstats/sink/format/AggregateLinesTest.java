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
    Aggregate a = Aggregates.timer("api.timer", Map.of("mean", 2.0, "count", 4.0, "upper", Double.NaN));
    AggregateLines.Result r = lines.apply(a);
    assertThat(r.lines()).hasSize(2).allSatisfy(ProxyParser::parseAndValidate);
    assertThat(r.invalid()).isEmpty();
    assertThat(r.nonFinite()).isEqualTo(1);
  }

  @Test
  void rejectsEveryFieldOfAnAggregateWithTooManyTags() {
    Map<String, String> tags = new HashMap<>(Aggregates.seedTags("timing"));
    for (int i = 0; i < 21; i++) {
      tags.put("t" + i, "v");
    }
    Aggregate a = Aggregates.aggregate("api.timer", "timing", "node-1", tags, Aggregates.WINDOW_START_MS, Map.of("mean", 2.0, "count", 4.0));
    AggregateLines.Result r = lines.apply(a);
    assertThat(r.lines()).isEmpty();
    assertThat(r.invalid()).hasSize(2).allSatisfy(i -> assertThat(i.verdict().reason()).isEqualTo(Reason.TOO_MANY_TAGS));
    assertThat(r.invalid()).allSatisfy(i -> assertThat(ProxyParser.rejection(i.point().toLine())).hasValueSatisfying(m -> assertThat(m).startsWith("WF-410")));
  }

  @Test
  void rejectsABlankSourceThatTheProxyWouldReplaceWithOurHostname() {
    Aggregate a = Aggregates.aggregate("m", "gauge", " \\ ", Map.of(), Aggregates.WINDOW_START_MS, Map.of("value", 1.0));
    assertThat(lines.apply(a).invalid()).singleElement().satisfies(i -> assertThat(i.verdict().reason()).isEqualTo(Reason.SOURCE_BLANK));
  }

  @Test
  void rejectsAName300CharsLong() {
    Aggregate a = Aggregates.timer("n".repeat(300), Map.of("mean", 1.0));
    assertThat(lines.apply(a).invalid()).singleElement().satisfies(i -> assertThat(i.verdict().reason()).isEqualTo(Reason.NAME_TOO_LONG));
  }
}
