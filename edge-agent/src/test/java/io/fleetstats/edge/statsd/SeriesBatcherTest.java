package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.edge.publish.PendingBatch;
import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The batches are read back with Avro's own decoder, as the stream processor reads them. */
class SeriesBatcherTest {
  private static final ProcessIdentity IDENTITY =
      new ProcessIdentity("c1", "ns", "node-1", "api-0", "app", "api");
  private static final Source SOURCE =
      Source.newBuilder()
          .setCluster("c1")
          .setNamespace("ns")
          .setNode("node-1")
          .setPod("api-0")
          .setContainer("app")
          .setApp("api")
          .build();

  private final SeriesBatcher batcher = new SeriesBatcher(IDENTITY, "agent-1", 5);

  @Test
  void groupsSamplesBySeriesNameTypeAndTags() {
    batcher.add(sample("req", MetricType.TIMER, 1, Map.of("uri", "/a")), 100);
    batcher.add(sample("req", MetricType.TIMER, 2, Map.of("uri", "/b")), 101);
    batcher.add(sample("req", MetricType.TIMER, 3, Map.of("uri", "/a")), 102);
    batcher.add(sample("req", MetricType.COUNTER, 4, Map.of("uri", "/a")), 103);

    StatsdBatch batch = drain(1_000);

    assertThat(batch.getSeries())
        .extracting(
            Series::getName,
            s -> s.getType().name(),
            Series::getTags,
            Series::getValues,
            Series::getReceivedAt)
        .containsExactly(
            tuple("req", "TIMER", Map.of("uri", "/a"), List.of(1.0, 3.0), List.of(100L, 102L)),
            tuple("req", "TIMER", Map.of("uri", "/b"), List.of(2.0), List.of(101L)),
            tuple("req", "COUNTER", Map.of("uri", "/a"), List.of(4.0), List.of(103L)));
  }

  @Test
  void globalTagsAreAddedToEverySeriesThatLacksTheKey() {
    SeriesBatcher tagged =
        new SeriesBatcher(IDENTITY, "agent-1", 5, Map.of("app", "checkout", "team", "payments"));
    tagged.add(sample("req", MetricType.COUNTER, 1, Map.of("uri", "/a")), 100);
    tagged.add(sample("req", MetricType.COUNTER, 1, Map.of("app", "own")), 101);

    StatsdBatch batch = Topics.STATSD_BATCH.decode(tagged.drain(1_000).value());

    assertThat(batch.getSeries())
        .extracting(Series::getTags)
        .containsExactly(
            Map.of("uri", "/a", "app", "checkout", "team", "payments"),
            // the series' own tag wins, as with Telegraf's global_tags
            Map.of("app", "own", "team", "payments"));
  }

  @Test
  void leavesRatesAndRelativeEmptyWhenAllDefault() {
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 1);
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 2);

    Series series = drain(10).getSeries().get(0);

    assertThat(series.getSampleRates()).isEmpty();
    assertThat(series.getRelative()).isEmpty();
  }

  @Test
  void backfillsRatesOnceOneSampleIsSampled() {
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 1);
    batcher.add(new StatsdSample("c", MetricType.COUNTER, Map.of(), 1, "", 0.25, false), 2);
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 3);

    assertThat(drain(10).getSeries().get(0).getSampleRates()).containsExactly(1.0, 0.25, 1.0);
  }

  @Test
  void backfillsRelativeOnceOneGaugeIsRelative() {
    batcher.add(sample("g", MetricType.GAUGE, 7, Map.of()), 1);
    batcher.add(new StatsdSample("g", MetricType.GAUGE, Map.of(), -2, "", 1.0, true), 2);

    Series series = drain(10).getSeries().get(0);

    assertThat(series.getValues()).containsExactly(7.0, -2.0);
    assertThat(series.getRelative()).containsExactly(false, true);
  }

  @Test
  void putsSetMembersInMembersNotValues() {
    batcher.add(new StatsdSample("users", MetricType.SET, Map.of(), 0, "alice", 1.0, false), 1);
    batcher.add(new StatsdSample("users", MetricType.SET, Map.of(), 0, "bob", 1.0, false), 2);

    Series series = drain(10).getSeries().get(0);

    assertThat(series.getMembers()).containsExactly("alice", "bob");
    assertThat(series.getValues()).isEmpty();
    assertThat(series.getReceivedAt()).containsExactly(1L, 2L);
  }

  @Test
  void stampsSourceAgentCreationTimeAndIncreasingSequence() {
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 1);
    PendingBatch pending = batcher.drain(1_000);
    StatsdBatch first = Topics.STATSD_BATCH.decode(pending.value());
    StatsdBatch second = drain(2_000);

    assertThat(first.getSource()).isEqualTo(SOURCE);
    assertThat(first.getAgentId()).isEqualTo("agent-1");
    assertThat(first.getCreatedAt()).isEqualTo(1_000);
    assertThat(first.getSequence()).isEqualTo(1);
    assertThat(second.getSequence()).isEqualTo(2);
    assertThat(second.getCreatedAt()).isEqualTo(2_000);
    assertThat(new String(pending.key(), StandardCharsets.UTF_8)).isEqualTo(Sources.id(SOURCE));
    assertThat(pending.timestamp()).isEqualTo(1_000);
    assertThat(pending.samples()).isEqualTo(1);
    assertThat(pending.sequence()).isEqualTo(1);
  }

  @Test
  void countsTheSamplesOfEveryDrainedBatch() {
    batcher.add(sample("a", MetricType.COUNTER, 1, Map.of()), 1);
    batcher.add(sample("b", MetricType.TIMER, 1, Map.of()), 1);
    batcher.add(new StatsdSample("u", MetricType.SET, Map.of(), 0, "x", 1.0, false), 1);

    assertThat(batcher.drain(10).samples()).isEqualTo(3);
    assertThat(batcher.drain(20).samples()).isZero();
  }

  @Test
  void drainWithoutSamplesIsAHeartbeat() {
    StatsdBatch heartbeat = drain(5_000);

    assertThat(heartbeat.getSeries()).isEmpty();
    assertThat(heartbeat.getSequence()).isEqualTo(1);
  }

  @Test
  void drainStartsAfresh() {
    batcher.add(sample("c", MetricType.COUNTER, 1, Map.of()), 1);
    batcher.drain(10);

    assertThat(batcher.isEmpty()).isTrue();
    assertThat(batcher.pendingSamples()).isZero();
    assertThat(drain(20).getSeries()).isEmpty();
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
    StatsdBatch batch = drain(10);
    batcher.add(sample("c", MetricType.COUNTER, 2, Map.of()), 2);

    assertThat(batch.getSeries().get(0).getValues()).containsExactly(1.0);
  }

  @Test
  void ordersEachBatchBySeriesFirstSampleInThatBatch() {
    batcher.add(sample("a", MetricType.COUNTER, 1, Map.of()), 1);
    batcher.add(sample("b", MetricType.COUNTER, 2, Map.of()), 2);
    drain(10);
    batcher.add(sample("b", MetricType.COUNTER, 3, Map.of()), 11);
    batcher.add(sample("a", MetricType.COUNTER, 4, Map.of()), 12);

    assertThat(drain(20).getSeries())
        .extracting(Series::getName, Series::getValues)
        .containsExactly(tuple("b", List.of(3.0)), tuple("a", List.of(4.0)));
  }

  @Test
  void aSeriesInTheNextBatchCarriesOnlyItsNewSamplesAndDefaults() {
    for (int i = 0; i < 3; i++) {
      batcher.add(new StatsdSample("g", MetricType.GAUGE, Map.of(), i, "", 0.5, true), i);
    }
    drain(10);
    batcher.add(sample("g", MetricType.GAUGE, 9, Map.of()), 11);

    Series series = drain(20).getSeries().get(0);
    assertThat(series.getValues()).containsExactly(9.0);
    assertThat(series.getReceivedAt()).containsExactly(11L);
    assertThat(series.getSampleRates()).isEmpty();
    assertThat(series.getRelative()).isEmpty();
  }

  @Test
  void aSeriesBackAfterABatchWithoutItStartsEmpty() {
    batcher.add(sample("a", MetricType.COUNTER, 1, Map.of()), 1);
    drain(10);
    batcher.add(sample("b", MetricType.COUNTER, 2, Map.of()), 11);
    drain(20);
    batcher.add(sample("a", MetricType.COUNTER, 3, Map.of()), 21);

    assertThat(drain(30).getSeries())
        .extracting(Series::getName, Series::getValues, Series::getReceivedAt)
        .containsExactly(tuple("a", List.of(3.0), List.of(21L)));
  }

  @Test
  void aBurstThenFewSamplesPerBatchKeepsEveryValue() {
    SeriesBatcher big = new SeriesBatcher(IDENTITY, "agent-1", 100_000);
    for (int batch = 0; batch < 6; batch++) {
      int n = batch == 0 ? 5_000 : 3; // the arrays shrink over the following batches
      for (int i = 0; i < n; i++) {
        big.add(sample("t", MetricType.TIMER, batch * 10_000 + i, Map.of()), batch);
      }
      Series series = Topics.STATSD_BATCH.decode(big.drain(batch).value()).getSeries().get(0);
      assertThat(series.getValues())
          .hasSize(n)
          .startsWith(batch * 10_000.0)
          .endsWith(batch * 10_000.0 + n - 1);
      assertThat(series.getReceivedAt()).hasSize(n).containsOnly((long) batch);
    }
  }

  /**
   * A batch whose record would exceed the producer's max.request.size (Kafka refuses such a record:
   * RecordTooLargeException, the batch lost) goes out as several records, split by series, each
   * under the limit with its own sequence, together holding every sample once.
   */
  @Test
  void aBatchTooLargeForOneKafkaRecordIsSplitBySeries() {
    int maxRequestSize = 8_192;
    SeriesBatcher split =
        new SeriesBatcher(IDENTITY, "agent-1", 1_000_000, Map.of(), maxRequestSize);
    String longTag = "x".repeat(60);
    for (int s = 0; s < 300; s++) {
      for (int i = 0; i < 3; i++) {
        split.add(
            sample("svc.request.time." + s, MetricType.TIMER, s * 10 + i, Map.of("t", longTag)),
            1_000 + i);
      }
    }
    List<PendingBatch> batches = split.drainAll(5_000);

    assertThat(batches).hasSizeGreaterThan(1);
    assertThat(batches)
        .allSatisfy(
            b -> assertThat(b.key().length + b.value().length).isLessThan(maxRequestSize - 200));
    assertThat(batches)
        .extracting(PendingBatch::sequence)
        .containsExactly(
            IntStream.rangeClosed(1, batches.size()).mapToObj(Long::valueOf).toArray(Long[]::new));
    assertThat(batches.stream().mapToInt(PendingBatch::samples).sum()).isEqualTo(900);
    Map<String, List<Double>> values = new HashMap<>();
    for (PendingBatch b : batches) {
      StatsdBatch decoded = Topics.STATSD_BATCH.decode(b.value());
      assertThat(decoded.getSequence()).isEqualTo(b.sequence());
      assertThat(decoded.getCreatedAt()).isEqualTo(5_000L);
      decoded.getSeries().forEach(s -> values.merge(s.getName(), s.getValues(), (x, y) -> null));
    }
    assertThat(values).hasSize(300).doesNotContainValue(null);
    assertThat(values.get("svc.request.time.7")).containsExactly(70.0, 71.0, 72.0);
    // and the next batch goes on from the sequences used
    split.add(sample("after", MetricType.COUNTER, 1, Map.of()), 6_000);
    assertThat(split.drainAll(7_000))
        .singleElement()
        .extracting(PendingBatch::sequence)
        .isEqualTo(batches.size() + 1L);
  }

  @Test
  void setMembersOfADrainedBatchStayWhenTheSetGoesOn() {
    batcher.add(new StatsdSample("users", MetricType.SET, Map.of(), 0, "alice", 1.0, false), 1);
    StatsdBatch first = drain(10);
    batcher.add(new StatsdSample("users", MetricType.SET, Map.of(), 0, "bob", 1.0, false), 11);
    StatsdBatch second = drain(20);

    assertThat(first.getSeries().get(0).getMembers()).containsExactly("alice");
    assertThat(second.getSeries().get(0).getMembers()).containsExactly("bob");
  }

  /**
   * The ingester's path (the same {@code SeriesId} instance per series): more series than the
   * batcher's slots of recently used series, equal ids that are other instances, and series that
   * skip a batch and come back each keep exactly their own samples.
   */
  @Test
  void manySeriesByTheirIdsKeepTheirOwnSamplesAcrossBatches() {
    SeriesBatcher big = new SeriesBatcher(IDENTITY, "agent-1", 1_000_000);
    List<SeriesId> ids =
        IntStream.range(0, 600)
            .mapToObj(i -> new SeriesId("s" + i, MetricType.GAUGE, Map.of("k", "v")))
            .toList();
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < ids.size(); i++) {
        big.add(ids.get(i), i * 10 + round, 1.0, false, round);
      }
    }
    big.add(new SeriesId("s7", MetricType.GAUGE, Map.of("k", "v")), 7.5, 1.0, false, 2);
    Map<String, List<Double>> first = valuesByName(big.drain(10));
    assertThat(first).hasSize(600);
    for (int i = 0; i < ids.size(); i++) {
      assertThat(first.get("s" + i))
          .as("s%d", i)
          .isEqualTo(i == 7 ? List.of(70.0, 71.0, 7.5) : List.of(i * 10.0, i * 10.0 + 1));
    }
    for (int i = 0; i < ids.size(); i += 2) { // the odd series skip this batch and are forgotten
      big.add(ids.get(i), -i, 1.0, false, 20);
    }
    Map<String, List<Double>> second = valuesByName(big.drain(30));
    assertThat(second)
        .hasSize(300)
        .containsEntry("s2", List.of(-2.0))
        .containsEntry("s598", List.of(-598.0));
    for (int i = 1; i < ids.size(); i += 2) { // and come back, also as equal ids of other instances
      big.add(ids.get(i), i, 1.0, false, 40);
      big.add(new SeriesId("s" + i, MetricType.GAUGE, Map.of("k", "v")), i + 0.5, 1.0, false, 41);
    }
    Map<String, List<Double>> third = valuesByName(big.drain(50));
    assertThat(third).hasSize(300);
    for (int i = 1; i < ids.size(); i += 2) {
      assertThat(third.get("s" + i)).as("s%d", i).isEqualTo(List.of((double) i, i + 0.5));
    }
  }

  private static Map<String, List<Double>> valuesByName(PendingBatch batch) {
    Map<String, List<Double>> values = new HashMap<>();
    for (Series s : Topics.STATSD_BATCH.decode(batch.value()).getSeries()) {
      assertThat(values.put(s.getName(), s.getValues()))
          .as("one series named %s", s.getName())
          .isNull();
    }
    return values;
  }

  private StatsdBatch drain(long createdAt) {
    return Topics.STATSD_BATCH.decode(batcher.drain(createdAt).value());
  }

  private static StatsdSample sample(
      String name, MetricType type, double value, Map<String, String> tags) {
    return new StatsdSample(name, type, tags, value, "", 1.0, false);
  }

  private static org.assertj.core.groups.Tuple tuple(Object... values) {
    return org.assertj.core.groups.Tuple.tuple(values);
  }
}
