package io.fleetstats.stream.topology;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A raw batch that reaches the processor twice (the edge spool's copy after a restart, a retried
 * send, a mirror's resend) is aggregated once, by its agent id and sequence.
 */
class BatchIdsTest {
  private static final long NOW = 1_800_000_000_000L;
  private static final Source POD = RollupTopologyTest.pod("east", "node-1", "api-0");

  @TempDir Path stateDir;
  private Driver d;

  @AfterEach
  void close() {
    if (d != null) {
      d.close();
    }
  }

  private static StatsdBatch hit(String agent, long sequence, double value) {
    StatsdBatch b = batch(POD, NOW + 1_000, series("hits", MetricType.COUNTER, NOW + 1_000, value));
    b.setAgentId(agent);
    b.setSequence(sequence);
    return b;
  }

  private double windowValue() {
    d.tick(Duration.ofSeconds(20));
    Aggregate a =
        d.byKey().values().stream()
            .filter(x -> x.getName().equals("hits"))
            .findFirst()
            .orElseThrow();
    return a.getFields().get("value");
  }

  @Test
  void aResentBatchIsCountedOnceAndOutOfOrderBatchesAllCount() {
    d = new Driver(stateDir, Map.of());
    // a spool draining beside newer batches: 1, 2, 5 first, then 3 and 4
    for (long seq : new long[] {1, 2, 5, 3, 4}) {
      d.send(hit("agent-a", seq, seq));
    }
    // copies of 2 and 5 (the spool sent again what Kafka had taken), then a new one
    d.send(hit("agent-a", 2, 2));
    d.send(hit("agent-a", 5, 5));
    d.send(hit("agent-a", 6, 6));
    // another incarnation of the agent starts its sequences again: not a copy
    d.send(hit("agent-b", 1, 100));

    assertThat(windowValue()).isEqualTo(1 + 2 + 3 + 4 + 5 + 6 + 100.0);
    assertThat(d.metric(StreamMetrics.DUPLICATE_BATCHES)).isEqualTo(2.0);
  }

  @Test
  void batchesWithoutAnIdAreAlwaysAggregated() {
    d = new Driver(stateDir, Map.of());
    StatsdBatch b = hit("agent-a", 0, 1);
    d.send(b);
    d.send(b);
    d.send(hit("", 7, 1));
    d.send(hit("", 7, 1));

    assertThat(windowValue()).isEqualTo(4.0);
    assertThat(d.metric(StreamMetrics.DUPLICATE_BATCHES)).isZero();
  }

  @Test
  void rangesStayFewMergeWhenGapsCloseAndSurviveARestartOfTheTask() {
    LiveWindowStore<StringBuilder> store = store();
    BatchIds ids = new BatchIds(store);
    for (long seq = 1; seq <= 40; seq += 2) {
      assertThat(ids.firstTime("a", seq, NOW)).isTrue(); // 1, 3, 5, ...: 20 ranges
    }
    // never more than MAX_RANGES: the oldest gaps are forgotten (taken as seen)
    assertThat(ids.ranges("a")).hasSize(2 * BatchIds.MAX_RANGES);
    assertThat(ids.firstTime("a", 2, NOW)).isFalse();
    assertThat(ids.firstTime("a", 38, NOW)).isTrue();
    assertThat(ids.firstTime("a", 36, NOW)).isTrue();
    assertThat(ids.firstTime("a", 38, NOW)).isFalse();

    // the task restarts: the ids come back from the store
    BatchIds again = new BatchIds(store);
    assertThat(again.ranges("a")).containsExactly(ids.ranges("a"));
    assertThat(again.firstTime("a", 39, NOW)).isFalse();
    assertThat(again.firstTime("a", 40, NOW)).isTrue();

    // an agent silent for long is forgotten, in memory and in the store
    again.firstTime("b", 1, NOW + 100_000);
    again.forgetSilentSince(NOW + 1);
    assertThat(again.agents()).isEqualTo(1);
    assertThat(new BatchIds(store).ranges("a")).isEmpty();
    assertThat(new BatchIds(store).ranges("b")).containsExactly(1, 1);
  }

  private static LiveWindowStore<StringBuilder> store() {
    LiveWindowStore<StringBuilder> store =
        new LiveWindowStore<>(
            Stores.keyValueStoreBuilder(
                    Stores.inMemoryKeyValueStore("ids-test"), Serdes.String(), Serdes.ByteArray())
                .withLoggingDisabled()
                .withCachingDisabled()
                .build(),
            sb -> sb.toString().getBytes(StandardCharsets.UTF_8),
            b -> new StringBuilder(new String(b, StandardCharsets.UTF_8)),
            3);
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    return store;
  }
}
