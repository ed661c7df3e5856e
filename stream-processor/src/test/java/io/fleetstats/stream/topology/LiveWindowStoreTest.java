package io.fleetstats.stream.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.stream.aggregate.SeriesWindow;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveWindowStoreTest {
  @TempDir Path stateDir;

  private final LiveWindowStore<StringBuilder> store =
      new LiveWindowStore<>(
          Stores.keyValueStoreBuilder(
                  Stores.inMemoryKeyValueStore("live-test"), Serdes.String(), Serdes.ByteArray())
              .withLoggingDisabled()
              .withCachingDisabled()
              .build(),
          sb -> sb.toString().getBytes(StandardCharsets.UTF_8),
          LiveWindowStoreTest::decode,
          3);

  LiveWindowStoreTest() {
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
  }

  private static StringBuilder decode(byte[] b) {
    String s = new String(b, StandardCharsets.UTF_8);
    if (s.startsWith("!")) {
      throw new IllegalArgumentException("not a window: " + s);
    }
    return new StringBuilder(s);
  }

  @AfterEach
  void close() {
    store.close();
  }

  private String stored(String key) {
    byte[] b = store.storedBytes(key);
    return b == null ? null : new String(b, StandardCharsets.UTF_8);
  }

  @Test
  void changesReachTheByteStoreOnlyAtFlushOncePerKey() {
    StringBuilder w = new StringBuilder("a");
    store.put("k", w);
    w.append('b');
    store.put("k", w);

    assertThat(stored("k")).isNull();
    assertThat(store.get("k")).isSameAs(w);

    store.flushCache();
    assertThat(stored("k")).isEqualTo("ab");

    store.get("k").append('c');
    store.put("k", w);
    assertThat(stored("k")).isEqualTo("ab");
    store.flushCache();
    assertThat(stored("k")).isEqualTo("abc");
  }

  @Test
  void aStoredWindowIsDecodedOnceThenKeptLive() {
    store.putMeta("m", "x".getBytes(StandardCharsets.UTF_8));
    store.put("k", new StringBuilder("v"));
    store.flushCache();
    store.clearCache();
    assertThat(store.liveCount()).isZero();

    StringBuilder first = store.get("k");
    assertThat(first).hasToString("v");
    assertThat(store.get("k")).isSameAs(first);
    assertThat(store.get("absent")).isNull();
    assertThat(store.getMeta("m")).asString(StandardCharsets.UTF_8).isEqualTo("x");
  }

  @Test
  void beyondTheBoundTheLeastRecentlyUsedIsWrittenOut() {
    for (String k : List.of("k1", "k2", "k3")) {
      store.put(k, new StringBuilder(k));
    }
    store.get("k1"); // k2 is now the least recently used
    store.put("k4", new StringBuilder("k4"));

    assertThat(store.liveCount()).isEqualTo(3);
    assertThat(stored("k2")).isEqualTo("k2");
    assertThat(stored("k1")).isNull();
    // the evicted window comes back from its bytes
    assertThat(store.get("k2")).hasToString("k2");
  }

  @Test
  void keysSpanStoredAndLiveOnlyWindowsAndDeleteRemovesBoth() {
    store.put("0001|a", new StringBuilder("a"));
    store.flushCache();
    store.put("0002|b", new StringBuilder("b")); // live only
    store.put("0009|z", new StringBuilder("z")); // outside the range asked for
    store.putMeta("~meta", new byte[] {1});

    assertThat(store.keys("0000", "0002}")).containsExactly("0001|a", "0002|b");

    store.delete("0001|a");
    store.delete("0002|b");
    assertThat(stored("0001|a")).isNull();
    assertThat(store.get("0001|a")).isNull();
    assertThat(store.get("0002|b")).isNull();
    assertThat(store.keys("0000", "0002}")).isEmpty();
  }

  @Test
  void aNewObjectForAStoredKeyStillDeletesTheStoredBytes() {
    store.put("k", new StringBuilder("old"));
    store.flushCache();
    store.clearCache();

    store.put("k", new StringBuilder("new")); // without a get first
    store.delete("k");

    assertThat(stored("k")).isNull();
  }

  @Test
  void unreadableBytesAreReportedToTheCaller() {
    store.putMeta("bad", "!garbage".getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> store.get("bad")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theTopologyCommitWritesEveryOpenWindowToTheLoggedStore() {
    try (Driver d = new Driver(stateDir, Map.of())) {
      long t = 1_700_000_000_000L;
      Source pod =
          Source.newBuilder()
              .setCluster("c")
              .setNamespace("n")
              .setNode("node")
              .setPod("p")
              .setContainer("app")
              .build();
      Series series =
          Series.newBuilder()
              .setName("hits")
              .setType(MetricType.COUNTER)
              .setTags(Map.of())
              .setValues(List.of(1.0, 2.0, 3.0))
              .setMembers(List.of())
              .setReceivedAt(List.of(t + 1, t + 2, t + 3))
              .build();
      d.send(
          StatsdBatch.newBuilder()
              .setSource(pod)
              .setCreatedAt(t + 10)
              .setSeries(List.of(series))
              .build());

      @SuppressWarnings("unchecked")
      LiveWindowStore<SeriesWindow> live =
          (LiveWindowStore<SeriesWindow>) d.driver.getStateStore(TopologyFactory.STORE);
      String key = WindowClock.key(t - t % 10_000, SeriesWindow.id(pod, series));
      // the driver commits after each record: the window must be in the byte store (and so in
      // the changelog of that commit), equal to the live one
      byte[] committed = live.storedBytes(key);
      assertThat(committed).isNotNull();
      assertThat(committed).isEqualTo(live.get(key).toBytes());
      assertThat(
              SeriesWindow.fromBytes(committed)
                  .toAggregate(0, 10_000, List.of(), Map.of())
                  .getFields())
          .containsEntry("value", 6.0);
    }
  }
}
