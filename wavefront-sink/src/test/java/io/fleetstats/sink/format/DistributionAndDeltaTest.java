package io.fleetstats.sink.format;

import static org.assertj.core.api.Assertions.assertThat;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.Correction;
import io.fleetstats.sink.format.LineValidator.Reason;
import io.fleetstats.sink.format.WavefrontDistribution.Centroid;
import io.fleetstats.sink.format.WavefrontFormatter.Distributions;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import wavefront.report.Histogram;
import wavefront.report.ReportPoint;

/** {@code !M}/{@code !H} distributions from sketches and {@code ∆} delta counters. */
class DistributionAndDeltaTest {
  private static final String TAGS = Aggregates.SEED_TAG_TEXT;

  private static AggregateLines lines(Distributions d, boolean delta) {
    return AggregateLines.of(new WavefrontFormatter.Options("", Limits.BACKEND_DEFAULTS, d, delta));
  }

  /** 10 ×3, 100, 0 ×2, −5 and −7 with weight 0.4 each, 250 with weight 1.7 (sample rates). */
  private static DDSketch sketch() {
    DDSketch s = DDSketches.unboundedDense(0.01);
    s.accept(10, 3);
    s.accept(100);
    s.accept(0.0, 2);
    s.accept(-5, 0.4);
    s.accept(-7, 0.4);
    s.accept(250, 1.7);
    return s;
  }

  private static Aggregate timerWithSketch(ByteBuffer sketch) {
    Aggregate a = Aggregates.timer("api.timer", Map.of("count", 8.5));
    a.setSketch(sketch);
    return a;
  }

  @Test
  void minuteDistributionFromTheSketchBinsWithCarriedRounding() {
    AggregateLines.Result r =
        lines(Distributions.MINUTE, false).apply(timerWithSketch(sketch().serialize()));
    assertThat(r.invalid()).isEmpty();
    assertThat(r.lines())
        .extracting(WavefrontLine::toLine)
        .containsExactly(
            "\"api.timer.count\" 8.5 1764086400 source=\"node-1\"" + TAGS,
            // −7 (0.4) rounds to 0 and carries into −5 (0.8 → 1); 250's 1.7 becomes 2; total
            // round(8.5) = 9
            "!M 1764086400 #1 -5.022376194977744 #2 0 #3 10.044983161068599 #1 99.91658458101458 #2 248.76017323768866 \"api.timer\" source=\"node-1\""
                + TAGS);
    ReportPoint parsed = ProxyParser.parseAndValidate(r.lines().get(1).toLine());
    Histogram h = (Histogram) parsed.getValue();
    assertThat(h.getDuration()).isEqualTo(60_000);
    assertThat(h.getCounts()).containsExactly(1, 2, 3, 1, 2);
    assertThat(parsed.getMetric()).isEqualTo("api.timer");
    assertThat(parsed.getAnnotations()).containsEntry("pod_name", "api-server-0");
  }

  @Test
  void hourDistributionUsesBangH() {
    AggregateLines.Result r =
        lines(Distributions.HOUR, false).apply(timerWithSketch(sketch().serialize()));
    WavefrontLine d = r.lines().get(1);
    assertThat(d.toLine()).startsWith("!H 1764086400 #1 ");
    assertThat(((Histogram) ProxyParser.parseAndValidate(d.toLine()).getValue()).getDuration())
        .isEqualTo(3_600_000);
  }

  @Test
  void noDistributionWhenOffOrWithoutSketch() {
    assertThat(lines(Distributions.OFF, false).apply(timerWithSketch(sketch().serialize())).lines())
        .hasSize(1);
    assertThat(
            lines(Distributions.MINUTE, false)
                .apply(Aggregates.timer("api.timer", Map.of("count", 1.0)))
                .lines())
        .hasSize(1);
  }

  @Test
  void aSketchLighterThanHalfAValueGivesNoLine() {
    DDSketch s = DDSketches.unboundedDense(0.01);
    s.accept(10, 0.2);
    s.accept(20, 0.2);
    assertThat(SketchCentroids.centroids(s)).isEmpty();
    assertThat(lines(Distributions.MINUTE, false).apply(timerWithSketch(s.serialize())).lines())
        .hasSize(1);
  }

  @Test
  void roundingKeepsTheTotalAndEveryBinWithinOne() {
    DDSketch s = DDSketches.unboundedDense(0.01);
    for (int v = 1; v <= 7; v++) {
      s.accept(v * 10, 1 / 0.3); // sample rate 0.3
    }
    List<Centroid> c = SketchCentroids.centroids(s);
    assertThat(c.stream().mapToInt(Centroid::count).sum()).isEqualTo(23); // round(7 × 3.33)
    assertThat(c).allSatisfy(x -> assertThat(x.count()).isBetween(3, 4));
  }

  @Test
  void anUndecodableSketchIsInvalidButTheFieldsStillGo() {
    AggregateLines.Result r =
        lines(Distributions.MINUTE, false)
            .apply(timerWithSketch(ByteBuffer.wrap(new byte[] {1, 2, 3})));
    assertThat(r.lines()).hasSize(1);
    assertThat(r.invalid())
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.verdict().reason()).isEqualTo(Reason.SKETCH_UNDECODABLE);
              assertThat(i.line()).isNull();
            });
  }

  @Test
  void countersBecomeDeltaCountersAndZeroWindowsAreSkipped() {
    AggregateLines delta = lines(Distributions.OFF, true);
    Aggregate seven =
        Aggregates.aggregate(
            "api_calls",
            "counter",
            "node-1",
            Aggregates.seedTags("counter"),
            Aggregates.WINDOW_START_MS,
            Map.of("value", 7.0));
    AggregateLines.Result r = delta.apply(seven);
    assertThat(r.lines())
        .extracting(WavefrontLine::toLine)
        .containsExactly(
            "\"∆api.calls\" 7 1764086400 source=\"node-1\" \"cluster\"=\"local\" \"metric_type\"=\"counter\" \"namespace\"=\"default\" \"pod_name\"=\"api-server-0\"");
    assertThat(ProxyParser.parseAndValidate(r.lines().get(0).toLine()).getMetric())
        .isEqualTo("∆api.calls");

    Aggregate zero =
        Aggregates.aggregate(
            "api.calls",
            "counter",
            "node-1",
            Map.of(),
            Aggregates.WINDOW_START_MS,
            Map.of("value", 0.0));
    AggregateLines.Result z = delta.apply(zero);
    assertThat(z.lines()).isEmpty();
    assertThat(z.invalid()).isEmpty();
    assertThat(z.deltaZeroSkipped()).isEqualTo(1);

    Aggregate negative =
        Aggregates.aggregate(
            "api.calls",
            "counter",
            "node-1",
            Map.of(),
            Aggregates.WINDOW_START_MS,
            Map.of("value", -2.0));
    assertThat(delta.apply(negative).invalid())
        .singleElement()
        .satisfies(i -> assertThat(i.verdict().reason()).isEqualTo(Reason.DELTA_NOT_POSITIVE));

    Aggregate gauge =
        Aggregates.aggregate(
            "temp", "gauge", "node-1", Map.of(), Aggregates.WINDOW_START_MS, Map.of("value", -2.0));
    assertThat(delta.apply(gauge).lines()).extracting(WavefrontLine::name).containsExactly("temp");
  }

  @Test
  void aCorrectionSendsTheCompleteValueAsAPointButOnlyTheAddedValueAsADeltaCounter() {
    Aggregate corrected =
        Aggregates.aggregate(
            "api.calls",
            "counter",
            "node-1",
            Map.of(),
            Aggregates.WINDOW_START_MS,
            Map.of("value", 12.0));
    corrected.setCorrection(Correction.newBuilder().setFields(Map.of("value", 5.0)).build());

    // plain point: the complete window, overwriting the first emission (same identity and second)
    assertThat(lines(Distributions.OFF, false).apply(corrected).lines())
        .extracting(WavefrontLine::toLine)
        .containsExactly("\"api.calls\" 12 1764086400 source=\"node-1\"");
    // delta counter: the backend adds it to the 7 sent first, 12 in all
    assertThat(lines(Distributions.OFF, true).apply(corrected).lines())
        .extracting(WavefrontLine::toLine)
        .containsExactly("\"∆api.calls\" 5 1764086400 source=\"node-1\"");
  }

  @Test
  void aCorrectionSendsOnlyTheAddedValuesAsADistribution() {
    DDSketch added = DDSketches.unboundedDense(0.01);
    added.accept(100);
    Aggregate corrected = timerWithSketch(sketch().serialize());
    corrected.setCorrection(Correction.newBuilder().setSketch(added.serialize()).build());

    AggregateLines.Result r = lines(Distributions.MINUTE, false).apply(corrected);

    assertThat(r.lines().get(1).toLine())
        .startsWith("!M 1764086400 #1 99.91658458101458 \"api.timer\"");
    assertThat(r.lines()).hasSize(2);
  }
}
