package io.fleetstats.local.live;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SeriesStoreTest {
  static PointLine line(String text) {
    return PointLine.parse(text).orElseThrow();
  }

  @Test
  void readsTheSinksLineWithQuotedNameSourceAndTags() {
    PointLine p =
        line(
            "\"fitcycle-api-server.prospectPullTime.90.percentile\" 303.03431338103366 1796547370"
                + " source=\"node-1\" \"cluster\"=\"local\" \"metric_type\"=\"timing\""
                + " \"pod_name\"=\"api-server-1\" \"note\"=\"say \\\"hi\\\"\"");
    assertThat(p.name()).isEqualTo("fitcycle-api-server.prospectPullTime.90.percentile");
    assertThat(p.value()).isEqualTo(303.03431338103366);
    assertThat(p.epochSeconds()).isEqualTo(1796547370L);
    assertThat(p.source()).isEqualTo("node-1");
    assertThat(p.tags())
        .containsEntry("pod_name", "api-server-1")
        .containsEntry("note", "say \"hi\"")
        .hasSize(4);
  }

  @ParameterizedTest(name = "row {index}: {0}")
  @ValueSource(
      strings = {
        "!M 1796547370 #3 12.5 \"api.timer\" source=\"n\"",
        "\"a.b\" NaNx 1796547370 source=\"n\"",
        "\"a.b\" 1 notatime source=\"n\"",
        "\"a.b\" 1 1796547370 source=\"unterminated",
        ""
      })
  void aLineItCannotReadIsEmptyNotAnException(String text) {
    assertThat(PointLine.parse(text)).isEqualTo(Optional.empty());
  }

  @Test
  void groupsFieldsUnderTheSeriesNameWithOneSeriesPerPodAndOnePerRollup() {
    SeriesStore store = new SeriesStore(SeriesStore.Bounds.DEFAULT);
    for (String pod : List.of("api-server-0", "api-server-1")) {
      store.add(line("\"t.x.median\" 5 100 source=\"node-1\" \"pod_name\"=\"" + pod + "\""));
    }
    store.add(line("\"t.x.median\" 6 100 source=\"local\" \"rollup\"=\"app\""));
    store.add(line("\"t.c\" 3 100 source=\"node-1\" \"pod_name\"=\"api-server-0\""));
    assertThat(store.metrics())
        .isEqualTo(Map.of("t.c", List.of("value"), "t.x", List.of("median")));
    List<SeriesStore.Series> series = store.series("t.x", "median", 0);
    assertThat(series)
        .extracting(SeriesStore.Series::label)
        .containsExactly("api-server-0", "api-server-1", "roll-up app (local)");
    assertThat(series).extracting(SeriesStore.Series::rollup).containsExactly(false, false, true);
  }

  @Test
  void keepsABoundedHistoryAndCountsWhatItRefuses() {
    SeriesStore store = new SeriesStore(new SeriesStore.Bounds(3, 2, 2));
    for (int t = 1; t <= 5; t++) {
      store.add(line("\"a\" " + t + " " + t + " source=\"n\" \"pod_name\"=\"p0\""));
    }
    assertThat(store.series("a", "value", 0).get(0).values()).containsExactly(3.0, 4.0, 5.0);
    // a redelivered window replaces its point
    store.add(line("\"a\" 50 5 source=\"n\" \"pod_name\"=\"p0\""));
    assertThat(store.series("a", "value", 0).get(0).values()).containsExactly(3.0, 4.0, 50.0);
    store.add(line("\"a\" 1 1 source=\"n\" \"pod_name\"=\"p1\""));
    store.add(line("\"a\" 1 1 source=\"n\" \"pod_name\"=\"p2\""));
    store.add(line("\"b\" 1 1 source=\"n\""));
    store.add(line("\"c\" 1 1 source=\"n\""));
    assertThat(store.metrics()).containsOnlyKeys("a", "b");
    assertThat(store.series("a", "value", 0)).hasSize(2);
    assertThat(store.refused()).isEqualTo(2);
  }
}
