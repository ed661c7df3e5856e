package io.fleetstats.stream.topology;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Source;
import io.fleetstats.stream.StreamConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code FLEETSTATS_TIMER_FIELDS} and {@code FLEETSTATS_ROLLUP_TIMER_FIELDS}: timers, histograms
 * and distributions emit exactly the chosen fields per pod, in roll-ups and in corrections, with
 * the same values as the full set; counters, gauges and sets are untouched.
 */
class TimerFieldsTopologyTest {
  private static final long W = 10_000;
  private static final long G = 5_000;
  private static final long NOW = 1_800_000_000_000L;
  private static final String RULES = "fleet:drop=pod_name,node,cluster";

  private static final Source A = RollupTopologyTest.pod("east", "node-1", "api-a");
  private static final Source B = RollupTopologyTest.pod("west", "node-2", "api-b");

  @TempDir Path stateDir;
  private Driver d;

  @AfterEach
  void close() {
    if (d != null) {
      d.close();
    }
  }

  private void start(Map<String, String> env) {
    Map<String, String> e = new HashMap<>(env);
    e.put(StreamConfig.ROLLUPS.key(), RULES);
    e.put(StreamConfig.PERCENTILES.key(), "50,99");
    d = new Driver(stateDir, e);
  }

  private static double[] range(int from, int to) {
    return IntStream.rangeClosed(from, to).asDoubleStream().toArray();
  }

  /** One window of pods A (timer 1..100) and B (101..200), each with a counter and a gauge. */
  private Map<String, Aggregate> oneWindow(long t) {
    for (Source s : List.of(A, B)) {
      double[] values = s == A ? range(1, 100) : range(101, 200);
      d.send(
          batch(
              s,
              t + 1_000,
              series("api.time", MetricType.TIMER, t + 500, values),
              series("api.size", MetricType.HISTOGRAM, t + 500, values),
              series("api.hits", MetricType.COUNTER, t + 500, 1, 2),
              series("api.queue", MetricType.GAUGE, t + 500, 7)));
    }
    d.heartbeat(t + W + G, A, B);
    return byWho(d.records());
  }

  /** The last emission per pod (or {@code rollup}) and series name. */
  private static Map<String, Aggregate> byWho(List<TestRecord<String, Aggregate>> records) {
    Map<String, Aggregate> out = new HashMap<>();
    for (TestRecord<String, Aggregate> r : records) {
      Aggregate a = r.value();
      String who = a.getTags().getOrDefault("pod_name", "rollup");
      out.put(who + "/" + a.getName(), a);
    }
    return out;
  }

  @Test
  void aLeanSetIsExactlyWhatTimersAndHistogramsEmitPerPodAndInRollUps() {
    start(Map.of(StreamConfig.TIMER_FIELDS.key(), "upper,percentiles,count"));
    long t = NOW - 60_000;
    Map<String, Aggregate> out = oneWindow(t);
    assertThat(out).hasSize(12);

    for (String who : List.of("api-a", "rollup")) {
      for (String name : List.of("api.time", "api.size")) {
        assertThat(out.get(who + "/" + name).getFields())
            .as(who + "/" + name)
            .containsOnlyKeys("count", "upper", "50_percentile", "99_percentile");
      }
    }
    Map<String, Double> pod = out.get("api-a/api.time").getFields();
    assertThat(pod.get("count")).isEqualTo(100.0);
    assertThat(pod.get("upper")).isEqualTo(100.0);
    assertThat(pod.get("99_percentile")).isCloseTo(99.0, within(1.0));
    Map<String, Double> fleet = out.get("rollup/api.time").getFields();
    assertThat(fleet.get("count")).isEqualTo(200.0);
    assertThat(fleet.get("upper")).isEqualTo(200.0);
    assertThat(fleet.get("50_percentile")).isCloseTo(100.0, within(2.0));
    // the sketch still goes out: the sinks' distributions do not depend on the fields
    assertThat(out.get("rollup/api.time").getSketch()).isNotNull();

    // counters and gauges keep their fields, the gauge roll-up its five
    assertThat(out.get("api-a/api.hits").getFields()).containsExactly(Map.entry("value", 3.0));
    assertThat(out.get("rollup/api.hits").getFields()).containsExactly(Map.entry("value", 6.0));
    assertThat(out.get("api-a/api.queue").getFields()).containsExactly(Map.entry("value", 7.0));
    assertThat(out.get("rollup/api.queue").getFields())
        .containsOnlyKeys("value", "count", "mean", "lower", "upper");

    // a late sample: the window and its roll-up are emitted again, complete, with the same fields,
    // and their corrections (what was added) too
    d.send(batch(A, t + W + G + 1_000, series("api.time", MetricType.TIMER, t + 2_000, 500)));
    d.tick(Duration.ofSeconds(1));
    d.tick(Duration.ofSeconds(1));
    List<TestRecord<String, Aggregate>> again = d.records();
    assertThat(again).hasSize(2);
    for (TestRecord<String, Aggregate> r : again) {
      Aggregate a = r.value();
      assertThat(a.getFields())
          .containsOnlyKeys("count", "upper", "50_percentile", "99_percentile");
      assertThat(a.getFields().get("upper")).isEqualTo(500.0);
      assertThat(a.getCorrection().getFields())
          .containsOnlyKeys("count", "upper", "50_percentile", "99_percentile")
          .containsEntry("count", 1.0);
    }
  }

  @Test
  void rollUpsHaveTheirOwnSetWhenOneIsGiven() {
    start(
        Map.of(
            StreamConfig.TIMER_FIELDS.key(), "count",
            StreamConfig.ROLLUP_TIMER_FIELDS.key(), "mean,stddev,lower,median,sum"));
    Map<String, Aggregate> out = oneWindow(NOW - 60_000);

    assertThat(out.get("api-b/api.time").getFields()).containsExactly(Map.entry("count", 100.0));
    Map<String, Double> fleet = out.get("rollup/api.time").getFields();
    assertThat(fleet).containsOnlyKeys("mean", "stddev", "lower", "median", "sum");
    assertThat(fleet.get("sum")).isEqualTo(20_100.0);
    assertThat(fleet.get("mean")).isEqualTo(100.5);
    assertThat(fleet.get("lower")).isEqualTo(1.0);
    assertThat(fleet.get("stddev")).isCloseTo(Math.sqrt((200.0 * 200 - 1) / 12), within(1e-9));
  }

  @Test
  void theDefaultIsTelegrafsFullSet() {
    start(Map.of());
    Map<String, Aggregate> out = oneWindow(NOW - 60_000);
    for (String who : List.of("api-a", "rollup")) {
      assertThat(out.get(who + "/api.time").getFields())
          .containsOnlyKeys(
              "count",
              "sum",
              "mean",
              "stddev",
              "lower",
              "upper",
              "median",
              "50_percentile",
              "99_percentile");
    }
  }
}
