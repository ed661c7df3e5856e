package io.fleetstats.stream.topology;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Time per source: sources sharing one partition close their windows by their own progress; a clock
 * far ahead is re-stamped; late samples within the allowed lateness correct their window (emitted
 * again, complete) and its roll-ups; later ones are dead-lettered. The driver's wall clock starts
 * at {@link #NOW} and moves only when a test moves it.
 */
class PerSourceTimeTest {
  private static final long W = 10_000;
  private static final long G = 5_000;

  /** The driver's wall clock at start (a window boundary). */
  private static final long NOW = 1_800_000_000_000L;

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
    d = new Driver(stateDir, env);
  }

  /** One counter sample of 1 per second and source for {@code seconds}, wall clock in step. */
  private void sendEverySecond(int seconds, Map<Source, Long> offsets) {
    for (int i = 0; i < seconds; i++) {
      long now = NOW + i * 1_000L;
      for (Map.Entry<Source, Long> e : offsets.entrySet()) {
        long at = now + e.getValue();
        d.send(batch(e.getKey(), at, series("hits", MetricType.COUNTER, at, 1)));
      }
      d.tick(Duration.ofSeconds(1));
    }
  }

  /** Counter value per pod and window start, the last emission of each winning. */
  private static Map<String, Map<Long, Double>> lastValues(List<TestRecord<String, Aggregate>> rs) {
    Map<String, Map<Long, Double>> out = new HashMap<>();
    for (TestRecord<String, Aggregate> r : rs) {
      Aggregate a = r.value();
      String who = a.getTags().getOrDefault("pod_name", "rollup:" + a.getSource());
      out.computeIfAbsent(who, k -> new TreeMap<>())
          .put(a.getWindowStart(), a.getFields().get("value"));
    }
    return out;
  }

  @Test
  void aSourceTenMinutesBehindAnotherOnTheSamePartitionIsAggregatedExactly() {
    start(Map.of());
    long behind = -10 * 60_000L;
    sendEverySecond(60, Map.of(A, 0L, B, behind));
    d.tick(Duration.ofSeconds(30)); // both quiet: the wall clock closes the rest

    Map<String, Map<Long, Double>> values = lastValues(d.records());
    Map<Long, Double> expectedA = new TreeMap<>();
    Map<Long, Double> expectedB = new TreeMap<>();
    for (int w = 0; w < 6; w++) {
      expectedA.put(NOW + w * W, 10.0);
      expectedB.put(NOW + behind + w * W, 10.0);
    }
    assertThat(values.get("api-a")).isEqualTo(expectedA);
    assertThat(values.get("api-b")).isEqualTo(expectedB);
    assertThat(d.metric(StreamMetrics.LATE_SAMPLES)).isZero();
    assertThat(d.metric(StreamMetrics.CORRECTIONS_EMITTED)).isZero();
    assertThat(d.deadletter.isEmpty()).isTrue();
  }

  @Test
  void aClockAnHourAheadIsReStampedAndCountedAndHarmsNoOtherSource() {
    start(Map.of());
    sendEverySecond(30, Map.of(A, 3_600_000L, B, 0L));
    d.tick(Duration.ofSeconds(30));

    Map<String, Map<Long, Double>> values = lastValues(d.records());
    Map<Long, Double> expected = new TreeMap<>();
    for (int w = 0; w < 3; w++) {
      expected.put(NOW + w * W, 10.0);
    }
    assertThat(values.get("api-b")).isEqualTo(expected);
    // A's samples land at their arrival time (the processor's clock), none lost
    assertThat(values.get("api-a")).isEqualTo(expected);
    assertThat(d.metric(StreamMetrics.SKEWED_SAMPLES)).isEqualTo(30.0);
    assertThat(d.metric(StreamMetrics.LATE_SAMPLES)).isZero();
    assertThat(d.deadletter.isEmpty()).isTrue();
  }

  @Test
  void aClockWithinTheAllowedSkewIsTakenAsItIs() {
    start(Map.of(StreamConfig.MAX_CLOCK_SKEW.key(), "60s"));
    long ahead = NOW + 30_000;
    d.send(batch(A, ahead, series("hits", MetricType.COUNTER, ahead, 1)));
    d.heartbeat(ahead + W + G, A);
    assertThat(d.records())
        .singleElement()
        .satisfies(r -> assertThat(r.timestamp()).isEqualTo(NOW + 30_000));
    assertThat(d.metric(StreamMetrics.SKEWED_SAMPLES)).isZero();
  }

  @Test
  void aLateSampleCorrectsItsWindowWhichIsEmittedAgainCompleteAtTheSameTimestamp() {
    start(Map.of());
    long t = NOW - 60_000;
    d.send(batch(A, t + 1_000, series("hits", MetricType.COUNTER, t + 1_000, 1)));
    d.heartbeat(t + W + G, A);
    assertThat(d.records()).singleElement();

    d.send(batch(A, t + W + G + 1_000, series("hits", MetricType.COUNTER, t + 2_000, 5, 6)));
    assertThat(d.out.isEmpty()).isTrue(); // corrections go out with the next wall-clock tick
    d.tick(Duration.ofSeconds(1));

    assertThat(d.records())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.timestamp()).isEqualTo(t);
              assertThat(r.value().getWindowStart()).isEqualTo(t);
              assertThat(r.value().getFields()).containsExactly(Map.entry("value", 12.0));
            });
    assertThat(d.metric(StreamMetrics.CORRECTIONS_EMITTED)).isEqualTo(1.0);
    assertThat(d.metric(StreamMetrics.LATE_SAMPLES)).isZero();
    d.tick(Duration.ofSeconds(5));
    assertThat(d.out.isEmpty()).isTrue(); // once per correction, not per tick
  }

  @Test
  void aCorrectionReachesTheRollupAsADeltaAndTheRollupIsEmittedAgainComplete() {
    start(Map.of(StreamConfig.ROLLUPS.key(), "fleet:drop=pod_name,node,cluster"));
    long t = NOW - 60_000;
    d.send(batch(A, t + 1_000, series("hits", MetricType.COUNTER, t + 1_000, 1)));
    d.send(batch(B, t + 1_000, series("hits", MetricType.COUNTER, t + 1_000, 2)));
    d.heartbeat(t + W + G, A, B);
    assertThat(lastValues(d.records()))
        .containsEntry("rollup:fleet", Map.of(t, 3.0))
        .containsEntry("api-a", Map.of(t, 1.0));

    d.send(batch(A, t + W + G + 1_000, series("hits", MetricType.COUNTER, t + 2_000, 4)));
    d.tick(Duration.ofSeconds(1));
    d.tick(Duration.ofSeconds(1));

    List<TestRecord<String, Aggregate>> again = d.records();
    assertThat(lastValues(again))
        .containsOnly(
            Map.entry("api-a", Map.of(t, 5.0)), Map.entry("rollup:fleet", Map.of(t, 7.0)));
    assertThat(again).hasSize(2).allSatisfy(r -> assertThat(r.timestamp()).isEqualTo(t));
    assertThat(d.metric(StreamMetrics.CORRECTIONS_EMITTED)).isEqualTo(2.0);
    assertThat(d.metric(StreamMetrics.LATE_PARTIALS)).isZero();
  }

  @Test
  void aSampleBeyondTheAllowedLatenessIsDeadLetteredAsLate() {
    start(Map.of(StreamConfig.ALLOWED_LATENESS.key(), "1m"));
    long t = NOW - 10 * 60_000;
    d.send(batch(A, t + 1_000, series("hits", MetricType.COUNTER, t + 1_000, 1)));
    d.heartbeat(t + W + G + 59_000, A); // the window closed 59 s ago: still kept
    d.send(batch(A, t + W + G + 59_000, series("hits", MetricType.COUNTER, t + 2_000, 2)));
    d.tick(Duration.ofSeconds(1));
    assertThat(lastValues(d.records())).containsEntry("api-a", Map.of(t, 3.0));

    d.heartbeat(t + W + G + 60_000, A); // a minute: no longer kept
    StatsdBatch lateBatch =
        batch(A, t + W + G + 60_002, series("hits", MetricType.COUNTER, t + 3_000, 7));
    d.send(lateBatch);
    d.tick(Duration.ofSeconds(1));

    assertThat(d.out.isEmpty()).isTrue();
    assertThat(d.metric(StreamMetrics.LATE_SAMPLES)).isEqualTo(1.0);
    TestRecord<String, byte[]> dead = d.deadletter.readRecord();
    assertThat(
            new String(
                dead.headers().lastHeader("fleetstats.reason").value(), StandardCharsets.UTF_8))
        .isEqualTo("late");
    assertThat(Topics.STATSD_BATCH.decode(dead.value()).getSeries().get(0).getValues())
        .containsExactly(7.0);
  }
}
