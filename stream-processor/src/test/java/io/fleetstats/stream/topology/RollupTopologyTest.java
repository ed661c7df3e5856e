package io.fleetstats.stream.topology;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.set;
import static io.fleetstats.stream.Fixtures.withRates;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.aggregate.SeriesWindow;
import io.fleetstats.stream.rollup.RollupRule;
import io.fleetstats.stream.rollup.RollupWindow;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stage 2 with explicit event times: the demo's pods on two nodes in two clusters. */
class RollupTopologyTest {
  private static final long W = 10_000;
  private static final long G = 5_000;
  private static final long T = 1_600_000_000_000L;
  private static final String RULES = "app:drop=pod_name,node;fleet:drop=pod_name,node,cluster";

  private static final Source API0 = pod("prod", "node-1", "api-server-0");
  private static final Source API1 = pod("prod", "node-1", "api-server-1");
  private static final Source API2 = pod("prod", "node-2", "api-server-2");
  private static final Source API3 = pod("staging", "node-9", "api-server-0");

  @TempDir Path stateDir;
  private Driver d;

  static Source pod(String cluster, String node, String pod) {
    return Source.newBuilder()
        .setCluster(cluster)
        .setNamespace("fitcycle")
        .setNode(node)
        .setPod(pod)
        .setContainer("app")
        .build();
  }

  private void start(String rules) {
    d =
        new Driver(
            stateDir,
            Map.of(StreamConfig.ROLLUPS.key(), rules, StreamConfig.PERCENTILES.key(), "50,90,99"));
  }

  @AfterEach
  void close() {
    if (d != null) {
      d.close();
    }
  }

  private static double[] range(int from, int to) {
    return IntStream.rangeClosed(from, to).asDoubleStream().toArray();
  }

  @Test
  void rollsUpTimersPerClusterAndFleetByMergingSketchesAndExactStats() {
    start(RULES);
    // per pod: values 1..100, 101..200, 201..300 in one cluster, 301..400 in another
    d.send(batch(API0, T + 1_000, series("api.time", MetricType.TIMER, T + 500, range(1, 100))));
    d.send(batch(API1, T + 1_000, series("api.time", MetricType.TIMER, T + 500, range(101, 200))));
    d.send(batch(API2, T + 1_000, series("api.time", MetricType.TIMER, T + 500, range(201, 300))));
    d.send(batch(API3, T + 1_000, series("api.time", MetricType.TIMER, T + 500, range(301, 400))));
    // the partition's stream time passes the window's close (one partition in the driver): its
    // task emits the per-pod windows, their partials, then its watermark, which closes the roll-up
    d.heartbeat(T + W + G, API0, API1, API2, API3);
    List<TestRecord<String, Aggregate>> all = d.records();
    assertThat(all).filteredOn(r -> !r.value().getTags().containsKey("rollup")).hasSize(4);
    List<TestRecord<String, Aggregate>> records =
        all.stream().filter(r -> r.value().getTags().containsKey("rollup")).toList();
    assertThat(records).hasSize(3);
    Map<String, Aggregate> byKey = new java.util.HashMap<>();
    records.forEach(r -> byKey.put(r.key(), r.value()));
    assertThat(records).allSatisfy(r -> assertThat(r.timestamp()).isEqualTo(T));

    Aggregate prod =
        byKey.get("rollup/prod|api.time|timing|cluster=prod,namespace=fitcycle,rollup=app");
    assertThat(prod.getSource()).isEqualTo("prod");
    assertThat(prod.getTags())
        .containsExactlyInAnyOrderEntriesOf(
            Map.ofEntries(
                Map.entry("metric_type", "timing"),
                Map.entry("cluster", "prod"),
                Map.entry("namespace", "fitcycle"),
                Map.entry("rollup", "app")));
    assertThat(prod.getWindowStart()).isEqualTo(T);
    assertThat(prod.getWindowEnd()).isEqualTo(T + W);
    Map<String, Double> f = prod.getFields();
    assertThat(f.get("count")).isEqualTo(300.0);
    assertThat(f.get("sum")).isEqualTo(45_150.0);
    assertThat(f.get("mean")).isEqualTo(150.5);
    assertThat(f.get("lower")).isEqualTo(1.0);
    assertThat(f.get("upper")).isEqualTo(300.0);
    assertThat(f.get("stddev")).isCloseTo(Math.sqrt((300.0 * 300 - 1) / 12), within(1e-9));
    // percentiles of the union of samples, not the average of per-pod percentiles (≈ 190)
    assertThat(f.get("median")).isCloseTo(150.0, Percentage.withPercentage(1));
    assertThat(f.get("90_percentile")).isCloseTo(270.0, Percentage.withPercentage(1));
    assertThat(f.get("99_percentile")).isCloseTo(297.0, Percentage.withPercentage(1));
    assertThat(prod.getSketch()).isNotNull();

    Aggregate staging =
        byKey.get("rollup/staging|api.time|timing|cluster=staging,namespace=fitcycle,rollup=app");
    assertThat(staging.getFields().get("count")).isEqualTo(100.0);

    Aggregate fleet = byKey.get("rollup/fleet|api.time|timing|namespace=fitcycle,rollup=fleet");
    assertThat(fleet.getSource()).isEqualTo("fleet");
    assertThat(fleet.getFields().get("count")).isEqualTo(400.0);
    assertThat(fleet.getFields().get("sum")).isEqualTo(80_200.0);
    assertThat(fleet.getFields().get("upper")).isEqualTo(400.0);
    assertThat(fleet.getFields().get("99_percentile"))
        .isCloseTo(396.0, Percentage.withPercentage(1));
    assertThat(d.metric(StreamMetrics.LATE_PARTIALS)).isZero();
  }

  @Test
  void rollsUpCountersGaugesAndSets() {
    start("app:drop=pod_name,node");
    d.send(
        batch(
            API0,
            T + 1_000,
            withRates(series("hits", MetricType.COUNTER, T + 100, 1, 1), 0.5, 1),
            series("queue", MetricType.GAUGE, T + 100, 4, 7),
            set("users", T + 100, "ann", "bob")));
    d.send(
        batch(
            API1,
            T + 1_000,
            series("hits", MetricType.COUNTER, T + 100, 5),
            series("queue", MetricType.GAUGE, T + 100, 2),
            set("users", T + 100, "bob", "cy")));
    d.send(batch(API2, T + 1_000, series("queue", MetricType.GAUGE, T + 100, 12)));
    d.heartbeat(T + W + G, API0, API1, API2);

    Map<String, Aggregate> byName = new java.util.HashMap<>();
    rollups().forEach(r -> byName.put(r.value().getName(), r.value()));
    assertThat(byName.get("hits").getFields()).containsExactly(Map.entry("value", 8.0));
    assertThat(byName.get("users").getFields()).containsExactly(Map.entry("value", 3.0));
    // a gauge roll-up: the sum of the pods' last values, with their count, spread and mean
    assertThat(byName.get("queue").getFields())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("value", 21.0, "count", 3.0, "lower", 2.0, "upper", 12.0, "mean", 7.0));
    assertThat(byName.values())
        .allSatisfy(a -> assertThat(a.getTags()).containsEntry("rollup", "app"));
  }

  @Test
  void keepRuleGroupsByNodeWithTheNodeAsSource() {
    start("node:keep=node,cluster");
    d.send(batch(API0, T + 1_000, series("hits", MetricType.COUNTER, T + 100, 1)));
    d.send(batch(API1, T + 1_000, series("hits", MetricType.COUNTER, T + 100, 2)));
    d.send(batch(API2, T + 1_000, series("hits", MetricType.COUNTER, T + 100, 4)));
    d.heartbeat(T + W + G, API0, API1, API2);

    Map<String, Double> bySource = new java.util.HashMap<>();
    rollups().forEach(r -> bySource.put(r.value().getSource(), r.value().getFields().get("value")));
    assertThat(bySource).containsExactlyInAnyOrderEntriesOf(Map.of("node-1", 3.0, "node-2", 4.0));
  }

  @Test
  void aRollupWaitsForTheSlowestStageOneTaskThenForNoSilentOne() {
    start("app:drop=pod_name,node");
    // another stage-1 task (as on a second partition) has closed nothing of this window yet
    repartition()
        .pipeInput(
            RollupAggregator.WATERMARK_PREFIX + "0_7", RollupAggregator.encodeWatermark(T), T);
    d.send(batch(API0, T + 1_000, series("hits", MetricType.COUNTER, T + 100, 1)));
    d.send(batch(API0, T + W + G));
    assertThat(d.records())
        .singleElement()
        .satisfies(r -> assertThat(r.value().getTags()).doesNotContainKey("rollup"));

    // its partial for the window arrives, then its watermark: the roll-up holds both sources
    RollupRule rule = RollupRule.parse("app:drop=pod_name,node").get(0);
    SeriesWindow w = SeriesWindow.empty(API2, series("hits", MetricType.COUNTER, T + 100, 5), 0.01);
    w.add(series("hits", MetricType.COUNTER, T + 100, 5), new int[] {0}, 1);
    RollupRule.Target target = rule.target("node-2", w.tags(Map.of()));
    byte[] partial = RollupWindow.partial("hits", MetricType.COUNTER, target, w.state()).toBytes();
    repartition().pipeInput(WindowClock.key(T, target.id("hits", "counter")), partial, T + W + G);
    assertThat(d.out.isEmpty()).isTrue();
    repartition()
        .pipeInput(
            RollupAggregator.WATERMARK_PREFIX + "0_7",
            RollupAggregator.encodeWatermark(T + W + G),
            T + W + G);
    assertThat(d.records())
        .singleElement()
        .satisfies(r -> assertThat(r.value().getFields()).containsExactly(Map.entry("value", 6.0)));

    // the next window: the other task falls silent; after the roll-up grace it no longer counts
    d.send(batch(API0, T + W + 1_000, series("hits", MetricType.COUNTER, T + W + 100, 1)));
    d.send(batch(API0, T + 2 * W + G));
    assertThat(rollups()).isEmpty();
    d.tick(Duration.ofSeconds(59));
    assertThat(rollups()).isEmpty();
    d.tick(Duration.ofSeconds(2));
    assertThat(rollups())
        .singleElement()
        .satisfies(r -> assertThat(r.timestamp()).isEqualTo(T + W));
  }

  @Test
  void withoutWallClockCloseRollupsCloseByWatermarksAlone() {
    d =
        new Driver(
            stateDir,
            Map.of(
                StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node",
                StreamConfig.WALL_CLOCK_CLOSE.key(), "false"));
    d.send(batch(API0, T + 1_000, series("hits", MetricType.COUNTER, T + 100, 1)));
    d.send(batch(API2, T + 1_000, series("hits", MetricType.COUNTER, T + 100, 2)));
    d.heartbeat(T + W + G - 1, API0, API2);
    assertThat(d.out.isEmpty()).isTrue();
    d.heartbeat(T + W + G, API0, API2);
    assertThat(rollups())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.timestamp()).isEqualTo(T);
              assertThat(r.value().getFields().get("value")).isEqualTo(3.0);
            });
  }

  private TestInputTopic<String, byte[]> repartition() {
    return d.driver.createInputTopic(
        "fleetstats-stream-processor-fleetstats-rollup-repartition",
        new StringSerializer(),
        new ByteArraySerializer());
  }

  /** The roll-up records emitted since the last read (per-pod ones are read and dropped). */
  private List<TestRecord<String, Aggregate>> rollups() {
    return d.records().stream().filter(r -> r.value().getTags().containsKey("rollup")).toList();
  }

  @Test
  void aPartialAfterTheRollupWasNoLongerKeptIsCountedAndDeadLetteredNotMerged() {
    d =
        new Driver(
            stateDir,
            Map.of(
                StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node",
                StreamConfig.ALLOWED_LATENESS.key(), "0s"));
    d.send(batch(API0, T + 1_000, series("hits", MetricType.COUNTER, T + 100, 1)));
    d.send(batch(API0, T + W + G));
    assertThat(d.records()).hasSize(2); // per pod + roll-up

    // A stage-1 task that was silent longer than the roll-up grace (so the roll-up did not wait
    // for it): its partial reaches the roll-up repartition topic after the roll-up was emitted.
    RollupRule rule = RollupRule.parse("app:drop=pod_name,node").get(0);
    SeriesWindow w = SeriesWindow.empty(API2, series("hits", MetricType.COUNTER, T + 100, 5), 0.01);
    w.add(series("hits", MetricType.COUNTER, T + 100, 5), new int[] {0}, 1);
    RollupRule.Target target = rule.target("node-2", w.tags(Map.of()));
    byte[] partial = RollupWindow.partial("hits", MetricType.COUNTER, target, w.state()).toBytes();
    repartition()
        .pipeInput(WindowClock.key(T, target.id("hits", "counter")), partial, T + W + G + 200);

    assertThat(d.out.isEmpty()).isTrue();
    assertThat(d.metric(StreamMetrics.LATE_PARTIALS)).isEqualTo(1.0);
    TestRecord<String, byte[]> dead = d.deadletter.readRecord();
    assertThat(
            new String(
                dead.headers().lastHeader("fleetstats.reason").value(), StandardCharsets.UTF_8))
        .isEqualTo("late-rollup");
    Aggregate a = Topics.AGGREGATE.decode(dead.value());
    assertThat(a.getFields()).containsExactly(Map.entry("value", 5.0));
    assertThat(a.getTags()).containsEntry("rollup", "app");
  }
}
