package io.fleetstats.stream.topology;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.set;
import static io.fleetstats.stream.Fixtures.source;
import static io.fleetstats.stream.Fixtures.withRates;
import static io.fleetstats.stream.Fixtures.withRelative;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.StreamProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The topology with explicit event times; the wall clock moves only when a test moves it. */
class WindowAggregatorTest {
  private static final long W = 10_000;
  private static final long G = 5_000;

  /** A window start; old on purpose, so that nothing depends on the real clock. */
  private static final long T = 1_600_000_000_000L;

  private static final Source POD = source("api-server-0");
  private static final Topics TOPICS = Topics.defaults();

  @TempDir Path stateDir;
  private TopologyTestDriver driver;
  private TestInputTopic<String, StatsdBatch> raw;
  private TestOutputTopic<String, Aggregate> out;

  /** {@link StreamConfig#ALLOWED_LATENESS} of the next {@link #start}. */
  private String lateness = "1h";

  private void start(boolean wallClockClose, String percentiles) {
    Map<String, String> env = new HashMap<>();
    env.put(StreamConfig.ALLOWED_LATENESS.key(), lateness);
    env.put(StreamConfig.WINDOW.key(), "10s");
    env.put(StreamConfig.GRACE.key(), "5s");
    env.put(StreamConfig.PERCENTILES.key(), percentiles);
    env.put(StreamConfig.WALL_CLOCK_CLOSE.key(), Boolean.toString(wallClockClose));
    env.put(StreamConfig.STATE_DIR.key(), stateDir.toString());
    StreamConfig config = StreamConfig.fromEnv(env);
    driver =
        new TopologyTestDriver(
            TopologyFactory.build(config, TOPICS),
            StreamProcessor.streamsProperties(config),
            Instant.ofEpochMilli(1_800_000_000_000L));
    raw =
        driver.createInputTopic(
            TOPICS.rawStatsd().name(),
            TOPICS.rawStatsd().keySerde().serializer(),
            TOPICS.rawStatsd().valueSerde().serializer());
    out =
        driver.createOutputTopic(
            TOPICS.aggregates().name(),
            new StringDeserializer(),
            TOPICS.aggregates().valueSerde().deserializer());
  }

  private void start() {
    start(true, "90");
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  private void send(StatsdBatch b) {
    raw.pipeInput(Sources.id(b.getSource()), b, b.getCreatedAt());
  }

  /** An empty batch, as the agent sends every flush tick: moves stream time only. */
  private void heartbeat(long at) {
    send(batch(POD, at));
  }

  private double late() {
    return StreamMetrics.total(driver.metrics(), StreamMetrics.LATE_SAMPLES);
  }

  @Test
  void timerFieldsAreExactAndPercentilesWithinOnePercent() {
    start(true, "90,99");
    double[] values = IntStream.rangeClosed(1, 1000).asDoubleStream().toArray();
    // three flushes inside one window
    send(
        batch(
            POD, T + 1_000, series("api.timer", MetricType.TIMER, T + 500, slice(values, 0, 300))));
    send(
        batch(
            POD,
            T + 2_000,
            series("api.timer", MetricType.TIMER, T + 1_500, slice(values, 300, 700))));
    send(
        batch(
            POD,
            T + 3_000,
            series("api.timer", MetricType.TIMER, T + 2_500, slice(values, 700, 1000))));
    heartbeat(T + W + G);

    TestRecord<String, Aggregate> r = out.readRecord();
    assertThat(out.isEmpty()).isTrue();
    assertThat(r.key()).isEqualTo("local/default/api-server-0/app|api.timer|timing|");
    assertThat(r.timestamp()).isEqualTo(T);
    Aggregate a = r.value();
    assertThat(a.getMetricType()).isEqualTo("timing");
    assertThat(a.getWindowStart()).isEqualTo(T);
    assertThat(a.getWindowEnd()).isEqualTo(T + W);
    Map<String, Double> f = a.getFields();
    assertThat(f.get("count")).isEqualTo(1000.0);
    assertThat(f.get("sum")).isEqualTo(500_500.0);
    assertThat(f.get("mean")).isEqualTo(500.5);
    assertThat(f.get("stddev")).isCloseTo(Math.sqrt((1000.0 * 1000 - 1) / 12), within(1e-9));
    assertThat(f.get("lower")).isEqualTo(1.0);
    assertThat(f.get("upper")).isEqualTo(1000.0);
    assertThat(f.get("median")).isCloseTo(501.0, Percentage.withPercentage(1));
    assertThat(f.get("90_percentile")).isCloseTo(901.0, Percentage.withPercentage(1));
    assertThat(f.get("99_percentile")).isCloseTo(991.0, Percentage.withPercentage(1));
    assertThat(a.getSketch()).isNotNull();
  }

  @Test
  void countersGaugesAndSetsEmitOneValuePerSeries() {
    start();
    send(
        batch(
            POD,
            T + 1_000,
            withRates(series("hits", MetricType.COUNTER, T + 100, 1, 1, 3), 0.1, 1, 1),
            withRelative(series("queue", MetricType.GAUGE, T + 100, 10, 5), false, true),
            set("users", T + 100, "ann", "bob", "ann")));
    send(
        batch(
            POD,
            T + 2_000,
            series("hits", MetricType.COUNTER, T + 1_100, 2),
            withRelative(series("queue", MetricType.GAUGE, T + 1_100, -3), true),
            set("users", T + 1_100, "cy")));
    heartbeat(T + W + G);

    Map<String, Aggregate> byName = new HashMap<>();
    out.readValuesToList().forEach(a -> byName.put(a.getName(), a));
    assertThat(byName).containsOnlyKeys("hits", "queue", "users");
    assertThat(byName.get("hits").getFields()).containsExactly(Map.entry("value", 16.0));
    assertThat(byName.get("queue").getFields()).containsExactly(Map.entry("value", 12.0));
    assertThat(byName.get("users").getFields()).containsExactly(Map.entry("value", 3.0));
    assertThat(byName.get("hits").getTags()).containsEntry("metric_type", "counter");
    assertThat(byName.get("queue").getTags()).containsEntry("metric_type", "gauge");
    assertThat(byName.get("users").getTags()).containsEntry("metric_type", "set");
  }

  @Test
  void windowClosesWhenStreamTimeReachesEndPlusGrace() {
    start(false, "90");
    send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 1)));

    heartbeat(T + W + G - 1);
    assertThat(out.isEmpty()).isTrue();

    heartbeat(T + W + G);
    assertThat(out.readValuesToList())
        .singleElement()
        .satisfies(a -> assertThat(a.getFields().get("value")).isEqualTo(1.0));
  }

  @Test
  void samplesWithinGraceCountTowardsTheirWindow() {
    start(false, "90");
    send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 1)));
    // the next window has started, but this sample was received in the first one
    send(batch(POD, T + W + G - 1, series("hits", MetricType.COUNTER, T + W - 1, 2)));
    heartbeat(T + W + G);

    assertThat(out.readValuesToList())
        .singleElement()
        .satisfies(a -> assertThat(a.getFields().get("value")).isEqualTo(3.0));
    assertThat(late()).isZero();
  }

  @Test
  void samplesBeyondTheAllowedLatenessAreCountedAndDoNotReopenTheirWindow() {
    lateness = "0s";
    start(false, "90");
    send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 1)));
    heartbeat(T + W + G);
    assertThat(out.readValuesToList()).hasSize(1);

    send(batch(POD, T + W + G + 1, series("hits", MetricType.COUNTER, T + 2_000, 5, 6)));
    heartbeat(T + 3 * W + G);

    assertThat(out.isEmpty()).isTrue();
    assertThat(late()).isEqualTo(2.0);
  }

  @Test
  void batchStraddlingAWindowBoundaryFeedsBothWindows() {
    start(false, "90");
    Series s = series("hits", MetricType.COUNTER, 0, 1, 2);
    s.setReceivedAt(List.of(T + W - 1, T + W));
    send(batch(POD, T + W + 1, s));
    heartbeat(T + 2 * W + G);

    List<TestRecord<String, Aggregate>> records = out.readRecordsToList();
    assertThat(records).extracting(TestRecord::timestamp).containsExactly(T, T + W);
    assertThat(records)
        .extracting(r -> r.value().getFields().get("value"))
        .containsExactly(1.0, 2.0);
  }

  @Test
  void quietSourceStillGetsItsLastWindowByWallClock() {
    start();
    send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 7)));

    // stream time T+1s; the window closes at T+15s: 14 s of silence
    driver.advanceWallClockTime(Duration.ofSeconds(13));
    assertThat(out.isEmpty()).isTrue();
    driver.advanceWallClockTime(Duration.ofSeconds(2));

    assertThat(out.readValuesToList())
        .singleElement()
        .satisfies(a -> assertThat(a.getFields().get("value")).isEqualTo(7.0));
  }

  @Test
  void withoutWallClockCloseAQuietSourceWaitsForRecords() {
    start(false, "90");
    send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 7)));

    driver.advanceWallClockTime(Duration.ofMinutes(5));

    assertThat(out.isEmpty()).isTrue();
  }

  @Test
  void withoutLatenessSamplesForAWindowClosedByWallClockAreLate() {
    lateness = "0s";
    start();
    send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 7)));
    driver.advanceWallClockTime(Duration.ofSeconds(20));
    assertThat(out.readValuesToList()).hasSize(1);

    // stream time itself has not reached the close, but the window was already emitted
    send(batch(POD, T + 2_000, series("hits", MetricType.COUNTER, T + 2_000, 1)));
    heartbeat(T + 10 * W);

    assertThat(out.isEmpty()).isTrue();
    assertThat(late()).isEqualTo(1.0);
  }

  @Test
  void replayingOldDataDropsNothingAsLate() {
    // records are months older than the wall clock; windows still close by their own time
    start();
    for (int i = 0; i < 30; i++) {
      long at = T + i * 1_000L;
      send(batch(POD, at, series("hits", MetricType.COUNTER, at, 1)));
      driver.advanceWallClockTime(Duration.ofMillis(500));
    }
    heartbeat(T + 3 * W + G);

    assertThat(out.readValuesToList())
        .extracting(a -> a.getFields().get("value"))
        .containsExactly(10.0, 10.0, 10.0);
    assertThat(late()).isZero();
  }

  @Test
  void sourcesHaveSeparateSeries() {
    start(false, "90");
    Source other = source("api-server-1");
    send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 1)));
    send(batch(other, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 2)));
    heartbeat(T + W + G);
    send(batch(other, T + W + G));

    Map<String, Aggregate> byKey = new HashMap<>();
    out.readRecordsToList().forEach(r -> byKey.put(r.key(), r.value()));
    assertThat(byKey).hasSize(2);
    assertThat(byKey.get("local/default/api-server-1/app|hits|counter|").getTags())
        .containsEntry("pod_name", "api-server-1");
  }

  @Test
  void undecodableRecordIsSkipped() {
    start(false, "90");
    TestInputTopic<String, byte[]> bytes =
        driver.createInputTopic(
            TOPICS.rawStatsd().name(), new StringSerializer(), new ByteArraySerializer());
    bytes.pipeInput("x", new byte[] {1, 2, 3}, T);
    send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 1)));
    heartbeat(T + W + G);

    assertThat(out.readValuesToList()).hasSize(1);
  }

  private static double[] slice(double[] v, int from, int to) {
    return Arrays.copyOfRange(v, from, to);
  }
}
