package io.fleetstats.stream.topology;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.set;
import static io.fleetstats.stream.Fixtures.source;
import static io.fleetstats.stream.Fixtures.withRates;
import static io.fleetstats.stream.Fixtures.withTags;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.ClusterMetadata;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
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
import java.util.stream.IntStream;
import org.apache.kafka.streams.test.TestRecord;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every type, cluster metadata, late data to the dead-letter topic and the cardinality guard. */
class TaggingLateAndLimitsTest {
  private static final long W = 10_000;
  private static final long G = 5_000;
  private static final long T = 1_600_000_000_000L;
  private static final Source POD = source("api-server-0");

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
    e.putIfAbsent(StreamConfig.WALL_CLOCK_CLOSE.key(), "false");
    d = new Driver(stateDir, e);
  }

  @Test
  void everyStatsdTypeGetsItsTelegrafFields() {
    start(Map.of(StreamConfig.PERCENTILES.key(), "50,99.9"));
    double[] v = IntStream.rangeClosed(1, 100).asDoubleStream().toArray();
    d.send(
        batch(
            POD,
            T + 1_000,
            withRates(series("c", MetricType.COUNTER, T + 1, 2, 3), 0.25, 1),
            series("g", MetricType.GAUGE, T + 1, 3, 9),
            set("s", T + 1, "a", "b", "a"),
            series("ms", MetricType.TIMER, T + 1, v),
            series("h", MetricType.HISTOGRAM, T + 1, v),
            series("d", MetricType.DISTRIBUTION, T + 1, v)));
    d.send(batch(POD, T + W + G));

    Map<String, Aggregate> byName = new HashMap<>();
    d.records().forEach(r -> byName.put(r.value().getName(), r.value()));
    assertThat(byName.get("c").getFields()).containsExactly(Map.entry("value", 11.0));
    assertThat(byName.get("g").getFields()).containsExactly(Map.entry("value", 9.0));
    assertThat(byName.get("s").getFields()).containsExactly(Map.entry("value", 2.0));
    for (String n : List.of("ms", "h", "d")) {
      Aggregate a = byName.get(n);
      assertThat(a.getFields())
          .containsOnlyKeys(
              "count",
              "sum",
              "mean",
              "stddev",
              "lower",
              "upper",
              "median",
              "50_percentile",
              "99.9_percentile");
      assertThat(a.getFields().get("count")).isEqualTo(100.0);
      assertThat(a.getFields().get("sum")).isEqualTo(5050.0);
      assertThat(a.getFields().get("99.9_percentile"))
          .isCloseTo(100.0, Percentage.withPercentage(1));
      assertThat(a.getSketch()).as("sketch for Wavefront distributions and merges").isNotNull();
    }
    assertThat(byName)
        .extractingFromEntries(e -> e.getValue().getTags().get("metric_type"))
        .containsExactlyInAnyOrder(
            "counter", "gauge", "set", "timing", "histogram", "distribution");
  }

  @Test
  void setsCountExactlyUpToTheBoundThenEstimate() {
    start(Map.of(StreamConfig.SET_EXACT_LIMIT.key(), "100"));
    String[] few = IntStream.range(0, 100).mapToObj(i -> "u" + i).toArray(String[]::new);
    String[] many = IntStream.range(0, 50_000).mapToObj(i -> "user-" + i).toArray(String[]::new);
    d.send(batch(POD, T + 1_000, set("few", T + 1, few), set("many", T + 1, many)));
    // the same members again in a second batch change nothing
    d.send(batch(POD, T + 2_000, set("few", T + 2, few), set("many", T + 2, many)));
    d.send(batch(POD, T + W + G));

    Map<String, Aggregate> byName = new HashMap<>();
    d.records().forEach(r -> byName.put(r.value().getName(), r.value()));
    assertThat(byName.get("few").getFields().get("value")).isEqualTo(100.0);
    // UltraLogLog p=12: ~1.2 % standard error; 4 % is over three standard errors
    assertThat(byName.get("many").getFields().get("value"))
        .isCloseTo(50_000.0, Percentage.withPercentage(4));
  }

  @Test
  void clusterMetadataTagsEverySeriesOfThatClusterOnly() {
    start(Map.of());
    d.clusters.pipeInput(
        "local",
        ClusterMetadata.newBuilder()
            .setCluster("local")
            .setTags(
                Map.of(
                    "region",
                    "eu-west-1",
                    "environment",
                    "prod",
                    "owner",
                    "team-a",
                    "cluster",
                    "evil"))
            .build(),
        T);
    Source other =
        Source.newBuilder()
            .setCluster("other")
            .setNamespace("default")
            .setNode("n")
            .setPod("p")
            .build();
    d.send(
        batch(
            POD,
            T + 1_000,
            series("hits", MetricType.COUNTER, T + 1, 1),
            withTags(series("own", MetricType.COUNTER, T + 1, 1), Map.of("owner", "team-b"))));
    d.send(batch(other, T + 1_000, series("hits", MetricType.COUNTER, T + 1, 1)));
    d.heartbeat(T + W + G, POD, other);

    Map<String, Aggregate> byKey = d.byKey();
    assertThat(byKey.get("local/default/api-server-0/app|hits|counter|").getTags())
        .containsEntry("region", "eu-west-1")
        .containsEntry("environment", "prod")
        .containsEntry("owner", "team-a")
        .containsEntry("cluster", "local"); // metadata never overrides identity tags
    assertThat(byKey.get("local/default/api-server-0/app|own|counter|owner=team-b").getTags())
        .containsEntry("owner", "team-b"); // the series' own tag wins
    assertThat(byKey.get("other/default/p/|hits|counter|").getTags()).doesNotContainKey("region");

    // a tombstone removes the cluster's tags from later windows
    d.clusters.pipeInput("local", null, T + W);
    d.send(batch(POD, T + W + G + 1, series("hits", MetricType.COUNTER, T + W + 1, 1)));
    d.send(batch(POD, T + 2 * W + G));
    assertThat(d.records())
        .singleElement()
        .satisfies(r -> assertThat(r.value().getTags()).doesNotContainKey("region"));
  }

  @Test
  void metadataTagsCanGroupRollups() {
    start(
        Map.of(
            StreamConfig.ROLLUPS.key(), "region:keep=region",
            StreamConfig.WALL_CLOCK_CLOSE.key(), "true"));
    d.clusters.pipeInput(
        "local", ClusterMetadata.newBuilder().setTags(Map.of("region", "eu")).build(), T);
    d.send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1, 2)));
    d.send(batch(source("api-server-1"), T + 1_000, series("hits", MetricType.COUNTER, T + 1, 3)));
    d.heartbeat(T + W + G, POD, source("api-server-1"));

    assertThat(d.records())
        .filteredOn(r -> r.value().getTags().containsKey("rollup"))
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.key()).isEqualTo("rollup/fleet|hits|counter|region=eu,rollup=region");
              assertThat(r.value().getFields()).containsExactly(Map.entry("value", 5.0));
            });
  }

  @Test
  void samplesBeyondTheAllowedLatenessGoToTheDeadLetterTopicAsABatchOfOnlyThem() {
    start(Map.of(StreamConfig.ALLOWED_LATENESS.key(), "0s"));
    d.send(batch(POD, T + 1_000, series("hits", MetricType.COUNTER, T + 1_000, 1)));
    d.send(batch(POD, T + W + G));
    assertThat(d.records()).hasSize(1);

    Series mixed = series("hits", MetricType.COUNTER, 0, 5, 6, 7);
    mixed.setReceivedAt(List.of(T + 2_000, T + W + G + 1, T + 3_000));
    d.send(batch(POD, T + W + G + 2, mixed, series("ok", MetricType.GAUGE, T + W + G + 1, 1)));

    assertThat(d.metric(StreamMetrics.LATE_SAMPLES)).isEqualTo(2.0);
    assertThat(d.metric(StreamMetrics.DEAD_LETTERED)).isEqualTo(1.0);
    TestRecord<String, byte[]> dead = d.deadletter.readRecord();
    assertThat(d.deadletter.isEmpty()).isTrue();
    assertThat(dead.key()).isEqualTo("local/default/api-server-0/app");
    assertThat(header(dead, "fleetstats.reason")).isEqualTo("late");
    assertThat(header(dead, "fleetstats.source")).isEqualTo("local/default/api-server-0/app");
    assertThat(header(dead, "fleetstats.detail")).contains("FLEETSTATS_ALLOWED_LATENESS");
    StatsdBatch slice = Topics.STATSD_BATCH.decode(dead.value());
    assertThat(slice.getSource()).isEqualTo(POD);
    assertThat(slice.getCreatedAt()).isEqualTo(T + W + G + 2);
    assertThat(slice.getSeries())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getName()).isEqualTo("hits");
              assertThat(s.getValues()).containsExactly(5.0, 7.0);
              assertThat(s.getReceivedAt()).containsExactly(T + 2_000, T + 3_000);
            });

    // the on-time sample of the same series still counts in its window
    d.send(batch(POD, T + 2 * W + G));
    assertThat(d.records())
        .extracting(r -> r.value().getName())
        .containsExactlyInAnyOrder("hits", "ok");
  }

  @Test
  void lateSamplesAreOnlyCountedWhenDeadLetteringIsOff() {
    start(
        Map.of(
            StreamConfig.LATE_TO_DEADLETTER.key(), "false",
            StreamConfig.ALLOWED_LATENESS.key(), "0s"));
    d.send(batch(POD, T + W + G));
    d.send(batch(POD, T + W + G, series("hits", MetricType.COUNTER, T + 1, 1)));
    assertThat(d.metric(StreamMetrics.LATE_SAMPLES)).isEqualTo(1.0);
    assertThat(d.deadletter.isEmpty()).isTrue();
  }

  @Test
  void seriesBeyondThePerNameLimitFoldIntoTheNamesOverflowSeries() {
    start(Map.of(StreamConfig.MAX_SERIES_PER_NAME.key(), "2"));
    Series[] routes =
        IntStream.range(0, 5)
            .mapToObj(
                i ->
                    withTags(
                        series("req", MetricType.COUNTER, T + 1, 1), Map.of("route", "/r" + i)))
            .toArray(Series[]::new);
    d.send(batch(POD, T + 1_000, routes));
    d.send(batch(POD, T + 2_000, routes[4])); // the overflow series takes later samples too
    d.send(batch(POD, T + W + G));

    Map<String, Aggregate> byKey = d.byKey();
    assertThat(byKey.keySet())
        .containsExactlyInAnyOrder(
            "local/default/api-server-0/app|req|counter|route=/r0",
            "local/default/api-server-0/app|req|counter|route=/r1",
            "local/default/api-server-0/app|req|counter|overflow=true");
    assertThat(byKey.get("local/default/api-server-0/app|req|counter|overflow=true").getFields())
        .containsExactly(Map.entry("value", 4.0));
    assertThat(d.metric(StreamMetrics.OVERFLOW_SAMPLES)).isEqualTo(4.0);
    assertThat(
            d.metric(
                StreamMetrics.OVERFLOW_SAMPLES_BY_METRIC,
                Map.of("metric", "req", "reason", "series-per-name")))
        .isEqualTo(4.0);
  }

  @Test
  void seriesBeyondThePerSourceLimitFoldIntoFleetstatsOverflow() {
    start(Map.of(StreamConfig.MAX_SERIES_PER_SOURCE.key(), "2"));
    d.send(
        batch(
            POD,
            T + 1_000,
            series("a", MetricType.COUNTER, T + 1, 1),
            series("b", MetricType.COUNTER, T + 1, 1),
            series("c", MetricType.COUNTER, T + 1, 1),
            series("d", MetricType.COUNTER, T + 1, 2),
            series("t", MetricType.TIMER, T + 1, 7)));
    // another source has its own budget
    d.send(batch(source("api-server-1"), T + 1_000, series("c", MetricType.COUNTER, T + 1, 1)));
    d.heartbeat(T + W + G, POD, source("api-server-1"));

    Map<String, Aggregate> byKey = d.byKey();
    assertThat(
            byKey
                .get("local/default/api-server-0/app|fleetstats.overflow|counter|overflow=true")
                .getFields())
        .containsExactly(Map.entry("value", 3.0));
    assertThat(
            byKey
                .get("local/default/api-server-0/app|fleetstats.overflow|timing|overflow=true")
                .getFields())
        .containsEntry("count", 1.0);
    assertThat(byKey).containsKey("local/default/api-server-1/app|c|counter|");
    assertThat(byKey).hasSize(5);
    assertThat(
            d.metric(
                StreamMetrics.OVERFLOW_SAMPLES_BY_METRIC,
                Map.of("metric", "d", "reason", "series-per-source")))
        .isEqualTo(1.0);

    // the next window starts with a fresh budget
    d.send(batch(POD, T + W + G + 1, series("c", MetricType.COUNTER, T + W + 1, 1)));
    d.send(batch(POD, T + 2 * W + G));
    assertThat(d.byKey()).containsOnlyKeys("local/default/api-server-0/app|c|counter|");
  }

  @Test
  void newSeriesOfAnEmittedWindowStillCountAgainstTheSourceLimit() {
    start(Map.of(StreamConfig.MAX_SERIES_PER_SOURCE.key(), "2"));
    d.send(
        batch(
            POD,
            T + 1_000,
            series("a", MetricType.COUNTER, T + 1, 1),
            series("b", MetricType.COUNTER, T + 1, 1)));
    d.heartbeat(T + W + G, POD); // emitted, kept for corrections
    assertThat(d.byKey()).hasSize(2);

    // late but within the allowed lateness: a correction of the same window, over the limit
    d.send(
        batch(
            POD,
            T + W + G + 1,
            series("c", MetricType.COUNTER, T + 2, 1),
            series("d", MetricType.COUNTER, T + 2, 1)));
    d.tick(Duration.ofSeconds(1)); // corrections go out with the next wall-clock tick

    Map<String, Aggregate> byKey = d.byKey();
    assertThat(byKey)
        .containsOnlyKeys(
            "local/default/api-server-0/app|fleetstats.overflow|counter|overflow=true");
    assertThat(
            byKey
                .get("local/default/api-server-0/app|fleetstats.overflow|counter|overflow=true")
                .getFields())
        .containsExactly(Map.entry("value", 2.0));
    assertThat(
            d.metric(
                StreamMetrics.OVERFLOW_SAMPLES_BY_SOURCE,
                Map.of("source", "local/default/api-server-0/app")))
        .isEqualTo(2.0);
  }

  private static String header(TestRecord<String, byte[]> r, String name) {
    return new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
  }
}
