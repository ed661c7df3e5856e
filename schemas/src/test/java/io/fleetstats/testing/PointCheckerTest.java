package io.fleetstats.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.testing.PointChecker.Kind;
import io.fleetstats.testing.PointChecker.Pod;
import io.fleetstats.testing.PointChecker.Result;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PointCheckerTest {
  private static final Pod A = new Pod("east", "shop", "api-0");
  private static final Pod B = new Pod("west", "shop", "api-1");
  private static final String TAGS_A =
      " source=\"node-0\" \"cluster\"=\"east\" \"metric_type\"=\"%s\" \"namespace\"=\"shop\""
          + " \"pod_name\"=\"api-0\"";
  private static final String TAGS_B =
      " source=\"node-1\" \"cluster\"=\"west\" \"metric_type\"=\"%s\" \"namespace\"=\"shop\""
          + " \"pod_name\"=\"api-1\"";

  private PointChecker checker;
  private List<String> lines;

  @BeforeEach
  void twoPodsTwoWindows() {
    checker = new PointChecker(10_000);
    // window 1000 s: A 3 hits, timer 10 20 30, gauge 5 then 7; window 1010 s: A 2 hits
    for (int i = 0; i < 3; i++) {
      checker.sent(A, "hits", Kind.COUNTER, 1_000_000 + i, 1);
    }
    checker.sent(A, "lat", Kind.TIMER, 1_000_001, 20);
    checker.sent(A, "lat", Kind.TIMER, 1_000_002, 10);
    checker.sent(A, "lat", Kind.TIMER, 1_000_003, 30);
    checker.sent(A, "temp", Kind.GAUGE, 1_000_001, 5);
    checker.sent(A, "temp", Kind.GAUGE, 1_009_999, 7);
    checker.sent(A, "hits", Kind.COUNTER, 1_010_000, 1);
    checker.sent(A, "hits", Kind.COUNTER, 1_019_999, 1);
    checker.sent(B, "hits", Kind.COUNTER, 1_000_000, 4);
    lines = new ArrayList<>();
    lines.add(a("hits", 3, 1000, "counter"));
    lines.add(a("lat.count", 3, 1000, "timing"));
    lines.add(a("lat.sum", 60, 1000, "timing"));
    lines.add(a("lat.lower", 10, 1000, "timing"));
    lines.add(a("lat.upper", 30, 1000, "timing"));
    lines.add(a("lat.mean", 20, 1000, "timing"));
    lines.add(a("lat.90.percentile", 30.2, 1000, "timing"));
    lines.add(a("temp", 7, 1000, "gauge"));
    lines.add(a("hits", 2, 1010, "counter"));
    lines.add(b("hits", 4, 1000));
    // a roll-up and a metric nobody told the checker about are ignored
    lines.add("\"hits\" 99 1000 source=\"east\" \"cluster\"=\"east\" \"rollup\"=\"app\"");
    lines.add(a("jvm.memory", 1e9, 1000, "gauge"));
  }

  private static String a(String name, double v, long s, String type) {
    return "\"" + name + "\" " + fmt(v) + " " + s + TAGS_A.formatted(type);
  }

  private static String b(String name, double v, long s) {
    return "\"" + name + "\" " + fmt(v) + " " + s + TAGS_B.formatted("counter");
  }

  private static String fmt(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  @Test
  void exactLinesPass() {
    Result r = checker.check(lines);
    assertThat(r.errors()).isEmpty();
    assertThat(r.ok()).isTrue();
    assertThat(r.samplesSent()).isEqualTo(11);
    assertThat(r.pointsChecked()).isEqualTo(5);
    assertThat(r.summary()).contains("11 samples sent, 5 points checked").endsWith("exact");
  }

  @Test
  void theLastWriteWinsAsAtTheBackend() {
    lines.add(0, a("hits", 1, 1000, "counter")); // an early partial emission, overwritten
    lines.add(a("hits", 2, 1010, "counter")); // the same value again: a harmless redelivery
    assertThat(checker.check(lines).errors()).isEmpty();
  }

  @Test
  void aMissingWindowFails() {
    lines.removeIf(l -> l.startsWith("\"hits\" 2 1010"));
    assertThat(checker.check(lines).errors())
        .containsExactly("east/shop/api-0: 2 samples short in the windows, 0 dropped and counted");
  }

  @Test
  void aMissingTimerWindowFails() {
    lines.removeIf(l -> l.startsWith("\"lat."));
    assertThat(checker.check(lines).errors())
        .containsExactly("east/shop/api-0: 3 samples short in the windows, 0 dropped and counted");
  }

  @Test
  void aWrongValueFails() {
    lines.add(a("lat.upper", 31, 1000, "timing"));
    lines.add(a("temp", 5, 1000, "gauge")); // the first gauge value, not the last
    assertThat(checker.check(lines).errors())
        .hasSize(2)
        .anySatisfy(e -> assertThat(e).startsWith("east/shop/api-0 lat window 1000: count 3.0"))
        .anySatisfy(
            e -> assertThat(e).isEqualTo("east/shop/api-0 temp window 1000: 5.0, last sent 7.0"));
  }

  @Test
  void aDoubledValueFails() {
    lines.add(b("hits", 8, 1000));
    lines.add(a("lat.count", 6, 1000, "timing"));
    lines.add(a("lat.sum", 120, 1000, "timing"));
    assertThat(checker.check(lines).errors())
        .containsExactlyInAnyOrder(
            "west/shop/api-1 hits window 1000: 8.0, sent 4.0",
            "east/shop/api-0 lat window 1000: count 6.0, sent 3");
  }

  @Test
  void aValueCountedInTheWrongWindowFails() {
    lines.removeIf(l -> l.startsWith("\"hits\" 2 1010"));
    lines.add(a("hits", 1, 1010, "counter"));
    lines.add(a("hits", 1, 1020, "counter"));
    assertThat(checker.check(lines).errors())
        .containsExactlyInAnyOrder(
            "east/shop/api-0 hits window 1020: a point, but nothing was sent in that window",
            "east/shop/api-0: 1 samples short in the windows, 0 dropped and counted");
  }

  @Test
  void aShortfallEqualToTheCountedDropsPasses() {
    lines.removeIf(l -> l.startsWith("\"hits\" 2 1010"));
    lines.add(a("hits", 1, 1010, "counter"));
    lines.removeIf(l -> l.startsWith("\"lat."));
    lines.add(a("lat.count", 2, 1000, "timing"));
    lines.add(a("lat.sum", 30, 1000, "timing"));
    lines.add(a("lat.lower", 10, 1000, "timing"));
    lines.add(a("lat.upper", 20, 1000, "timing"));
    lines.add(a("lat.mean", 15, 1000, "timing"));
    checker.dropped(A, 2);
    Result r = checker.check(lines);
    assertThat(r.errors()).isEmpty();
    assertThat(r.samplesShortCounted()).isEqualTo(2);
    assertThat(r.samplesDroppedCounted()).isEqualTo(2);
  }

  @Test
  void windowsEndingAfterTheCutOffAreNotCheckedYet() {
    lines.removeIf(l -> l.startsWith("\"hits\" 2 1010"));
    lines.add(a("hits", 9, 1020, "counter"));
    Result r = checker.check(lines, 1_010_000);
    assertThat(r.errors()).isEmpty();
    assertThat(r.pointsChecked()).isEqualTo(4);
    assertThat(r.samplesSent()).isEqualTo(9);
    assertThat(checker.check(lines, 1_020_000).errors()).hasSize(1);
  }

  @Test
  void moreDropsCountedThanMissingFails() {
    checker.dropped(B, 1);
    assertThat(checker.check(lines).errors())
        .containsExactly("west/shop/api-1: 0 samples short in the windows, 1 dropped and counted");
  }

  @Test
  void aTimerShortOfSamplesMustStillFitWhatWasSent() {
    lines.add(a("lat.count", 2, 1000, "timing"));
    lines.add(a("lat.upper", 40, 1000, "timing"));
    checker.dropped(A, 1);
    assertThat(checker.check(lines).errors())
        .singleElement()
        .asString()
        .contains("2.0 samples of 3 but lower 10.0 upper 40.0");
  }

  @Test
  void anUncountedLossIsAcceptedOnlyInsideItsRangeAndReportedApart() {
    lines.removeIf(l -> l.startsWith("\"hits\" 2 1010"));
    checker.uncountedLoss(A, 1_012_000, 1_013_000);
    Result r = checker.check(lines);
    assertThat(r.errors()).isEmpty();
    assertThat(r.samplesLostUncounted()).isEqualTo(2);
    assertThat(r.summary()).contains("2 lost uncounted at SIGKILL");

    checker = new PointChecker(10_000);
    checker.sent(A, "hits", Kind.COUNTER, 1_000_000, 1);
    checker.uncountedLoss(A, 1_010_000, 1_013_000);
    assertThat(checker.check(List.of()).errors())
        .containsExactly("east/shop/api-0: 1 samples short in the windows, 0 dropped and counted");
  }

  @Test
  void parsesQuotedTagsWithBlanksAndSkipsHistograms() {
    PointChecker.WavefrontLine l =
        PointChecker.WavefrontLine.parse(
                "\"a.b\" 1.5E20 1700000000 source=\"n 1\" \"k\"=\"v=w \\\"x\\\"\"")
            .orElseThrow();
    assertThat(l.name).isEqualTo("a.b");
    assertThat(l.value).isEqualTo(1.5e20);
    assertThat(l.seconds).isEqualTo(1_700_000_000L);
    assertThat(l.tags).containsEntry("source", "n 1").containsEntry("k", "v=w \"x\"");
    assertThat(PointChecker.WavefrontLine.parse("!M 1700000000 #1 2.0 \"a\" source=\"s\""))
        .isEmpty();
  }
}
