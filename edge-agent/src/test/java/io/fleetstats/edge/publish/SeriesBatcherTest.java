package io.fleetstats.edge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.edge.statsd.StatsdSample;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SeriesBatcherTest {
  private static final Source SOURCE =
      Source.newBuilder()
          .setCluster("c1")
          .setNamespace("ns")
          .setNode("node-1")
          .setPod("api-0")
          .setContainer("app")
          .setApp("api")
          .build();

  private final SeriesBatcher batcher = new SeriesBatcher(SOURCE, "agent-1", 5);

  @Test
  void groupsSamplesBySeriesNameTypeAndTags() {
    batcher.add(sample("req", MetricType.TIMER, 1, Map.of("uri", "/a")), 100);
    batcher.add(sample("req", MetricType.TIMER, 2, Map.of("uri", "/b")), 101);
    batcher.add(sample("req", MetricType.TIMER, 3, Map.of("uri", "/a")), 102);
    batcher.add(sample("req", MetricType.COUNTER, 4, Map.of("uri", "/a")), 103);

    StatsdBatch batch = batcher.drain(1_000);

    assertThat(batch.getSeries())
        .extracting(Series::getName, Series::getType, Series::getTags, Series::getValues, Series::getReceivedAt)
        .containsExactly(
            tuple("req", MetricType.TIMER, Map.of("uri", "/a"), List.of(1.0, 3.0), List.of(100L, 102L)),
            tuple("req", MetricType.TIMER, Map.of("uri", "/b"), List.of(2.0), List.of(101L)),
            tuple("req", MetricType.COUNTER, Map.of("uri", "/a"), List.of(4.0), List.of(103L)));
  }

  @Test
  void leavesRatesAndRelativeEmptyWhenAllDefault() {
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 1);
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 2);

    Series series = batcher.drain(10).getSeries().get(0);

    assertThat(series.getSampleRates()).isEmpty();
    assertThat(series.getRelative()).isEmpty();
  }

  @Test
  void backfillsRatesOnceOneSampleIsSampled() {
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 1);
    batcher.add(new StatsdSample("c", MetricType.COUNTER, Map.of(), 1, "", 0.25, false), 2);
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 3);

    assertThat(batcher.drain(10).getSeries().get(0).getSampleRates()).containsExactly(1.0, 0.25, 1.0);
  }

  @Test
  void backfillsRelativeOnceOneGaugeIsRelative() {
    batcher.add(sample("g", MetricType.GAUGE, 7, Map.of()), 1);
    batcher.add(new StatsdSample("g", MetricType.GAUGE, Map.of(), -2, "", 1.0, true), 2);

    Series series = batcher.drain(10).getSeries().get(0);

    assertThat(series.getValues()).containsExactly(7.0, -2.0);
    assertThat(series.getRelative()).containsExactly(false, true);
  }

  @Test
  void putsSetMembersInMembersNotValues() {
    batcher.add(new StatsdSample("users", MetricType.SET, Map.of(), 0, "alice", 1.0, false), 1);
    batcher.add(new StatsdSample("users", MetricType.SET, Map.of(), 0, "bob", 1.0, false), 2);

    Series series = batcher.drain(10).getSeries().get(0);

    assertThat(series.getMembers()).containsExactly("alice", "bob");
    assertThat(series.getValues()).isEmpty();
    assertThat(series.getReceivedAt()).containsExactly(1L, 2L);
  }

  @Test
  void stampsSourceAgentCreationTimeAndIncreasingSequence() {
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 1);
    StatsdBatch first = batcher.drain(1_000);
    StatsdBatch second = batcher.drain(2_000);

    assertThat(first.getSource()).isEqualTo(SOURCE);
    assertThat(first.getAgentId()).isEqualTo("agent-1");
    assertThat(first.getCreatedAt()).isEqualTo(1_000);
    assertThat(first.getSequence()).isEqualTo(1);
    assertThat(second.getSequence()).isEqualTo(2);
    assertThat(second.getCreatedAt()).isEqualTo(2_000);
  }

  @Test
  void drainWithoutSamplesIsAHeartbeat() {
    StatsdBatch heartbeat = batcher.drain(5_000);

    assertThat(heartbeat.getSeries()).isEmpty();
    assertThat(heartbeat.getSequence()).isEqualTo(1);
  }

  @Test
  void drainStartsAfresh() {
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 1);
    batcher.drain(10);

    assertThat(batcher.isEmpty()).isTrue();
    assertThat(batcher.pendingSamples()).isZero();
    assertThat(batcher.drain(20).getSeries()).isEmpty();
  }

  @Test
  void isFullAtMaxBatchSamples() {
    for (int i = 0; i < 4; i++) {
      batcher.add(sample("c", MetricType.COUNTER, i, Map.of("i", "" + i)), i);
    }
    assertThat(batcher.isFull()).isFalse();
    batcher.add(sample("c", MetricType.COUNTER, 4, Map.of()), 4);
    assertThat(batcher.isFull()).isTrue();
  }

  @Test
  void drainedBatchIsNotChangedByLaterSamples() {
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 1);
    StatsdBatch batch = batcher.drain(10);
    batcher.add(sample("c", MetricType.COUNTER, 2, Map.of()), 2);

    assertThat(batch.getSeries().get(0).getValues()).containsExactly(1.0);
  }

  private static StatsdSample sample(String name, MetricType type, double value, Map<String, String> tags) {
    return new StatsdSample(name, type, tags, value, "", 1.0, false);
  }

  private static org.assertj.core.groups.Tuple tuple(Object... values) {
    return org.assertj.core.groups.Tuple.tuple(values);
  }
}
