package io.fleetstats.stream.topology;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.set;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.stream.StreamConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay's in-process run of the window and roll-up processors against the live topology in
 * {@link org.apache.kafka.streams.TopologyTestDriver}: the same records give the same aggregates,
 * per source and rolled up, every type, with samples inside the grace and a source that goes quiet.
 */
class ReplayTopologyTest {
  @TempDir Path stateDir;

  private static final long T0 = 1_800_000_000_000L - 300_000; // before the driver's wall clock

  private static Source pod(int i) {
    return Source.newBuilder()
        .setCluster("local")
        .setNamespace("default")
        .setNode("node-" + (i % 2))
        .setPod("api-server-" + i)
        .setContainer("app")
        .build();
  }

  /**
   * 5 pods, a batch a second for 60 s (pod 4 stops after 20 s), 4 metric types, some samples late
   * within the grace.
   */
  private static List<StatsdBatch> traffic() {
    Random rnd = new Random(11);
    List<StatsdBatch> out = new ArrayList<>();
    for (int sec = 0; sec < 60; sec++) {
      for (int p = 0; p < 5; p++) {
        if (p == 4 && sec >= 20) {
          continue;
        }
        long at = T0 + sec * 1000L + 300;
        // a third of the timer samples were received up to 4 s earlier (within the 5 s grace)
        long earlier = at - rnd.nextInt(4000);
        out.add(
            batch(
                pod(p),
                at,
                series("api.timer", MetricType.TIMER, at, rnd.nextInt(100), rnd.nextInt(1000)),
                series("api.timer", MetricType.TIMER, earlier, rnd.nextInt(500)),
                series("api.calls", MetricType.COUNTER, at, 1, 1, rnd.nextInt(3)),
                series("api.queue", MetricType.GAUGE, at, rnd.nextInt(50)),
                set("api.users", at, "u" + rnd.nextInt(20), "u" + rnd.nextInt(20))));
      }
    }
    return out;
  }

  private static TreeMap<String, String> points(List<Aggregate> aggregates) {
    AggregateLines format = AggregateLines.withPrefix("");
    TreeMap<String, String> out = new TreeMap<>();
    for (Aggregate a : aggregates) {
      for (String line : format.apply(a).text()) {
        int q = line.indexOf('"', 1);
        int sp = line.indexOf(' ', q + 2);
        // identity: name, timestamp, source and tags; the last emission of a window wins
        out.put(line.substring(0, q + 1) + line.substring(sp), line.substring(q + 2, sp));
      }
    }
    return out;
  }

  @Test
  void replayEmitsWhatTheLiveTopologyEmitsPerSourceAndRolledUp() {
    Map<String, String> env = new HashMap<>();
    env.put(StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node");
    env.put(StreamConfig.ROLLUP_GRACE.key(), "5s");
    List<StatsdBatch> traffic = traffic();

    List<Aggregate> live = new ArrayList<>();
    try (Driver d = new Driver(stateDir, env)) {
      for (StatsdBatch b : traffic) {
        d.send(b);
      }
      // the wall clock closes what the records left open, the quiet pod's windows included
      for (int i = 0; i < 10; i++) {
        d.tick(Duration.ofMinutes(10));
      }
      for (TestRecord<String, Aggregate> r : d.records()) {
        live.add(r.value());
      }
    }

    Map<String, String> e = new HashMap<>(env);
    e.put(StreamConfig.WINDOW.key(), "10s");
    e.put(StreamConfig.GRACE.key(), "5s");
    StreamConfig config = StreamConfig.fromEnv(e);
    List<Aggregate> replayed = new ArrayList<>();
    List<String> deadLetters = new ArrayList<>();
    ReplayTopology replay =
        new ReplayTopology(
            config,
            List.of(0),
            Map.of(),
            T0 - 3_600_000,
            new ReplayTopology.Output() {
              @Override
              public void aggregate(String key, Aggregate aggregate) {
                replayed.add(aggregate);
              }

              @Override
              public void deadLetter(String reason, String key, byte[] value) {
                deadLetters.add(reason);
              }
            },
            null);
    for (StatsdBatch b : traffic) {
      replay.process(0, io.fleetstats.schemas.Sources.id(b.getSource()), b, b.getCreatedAt());
    }
    replay.finish();

    TreeMap<String, String> livePoints = points(live);
    TreeMap<String, String> replayPoints = points(replayed);
    assertThat(replayPoints.keySet()).isEqualTo(livePoints.keySet());
    // a roll-up's variance merges its partials in the order they arrive, which the clock decides:
    // the replay's clock runs with the records, the driver's stood still until the end
    List<String> differing =
        livePoints.keySet().stream()
            .filter(k -> !sameValue(livePoints.get(k), replayPoints.get(k)))
            .map(k -> k + ": live " + livePoints.get(k) + ", replay " + replayPoints.get(k))
            .toList();
    assertThat(differing).isEmpty();
    assertThat(deadLetters).isEmpty();
    TreeSet<String> kinds = new TreeSet<>();
    livePoints.keySet().forEach(k -> kinds.add(k.substring(0, k.indexOf('"', 1) + 1)));
    assertThat(kinds)
        .contains("\"api.timer.upper\"", "\"api.calls\"", "\"api.queue\"", "\"api.users\"");
    assertThat(livePoints.keySet())
        .anyMatch(k -> k.contains("\"rollup\"=\"app\""))
        .anyMatch(k -> k.contains("\"pod_name\"=\"api-server-4\""));
  }

  private static boolean sameValue(String live, String replay) {
    if (live.equals(replay)) {
      return true;
    }
    double a = Double.parseDouble(live);
    double b = Double.parseDouble(replay);
    return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  }

  @Test
  void aStateTakenMidwayContinuesToTheSameResult() {
    Map<String, String> e = new HashMap<>();
    e.put(StreamConfig.WINDOW.key(), "10s");
    e.put(StreamConfig.GRACE.key(), "5s");
    e.put(StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node");
    StreamConfig config = StreamConfig.fromEnv(e);
    List<StatsdBatch> traffic = traffic();

    List<Aggregate> whole = new ArrayList<>();
    ReplayTopology one = replay(config, whole, null);
    traffic.forEach(b -> one.process(0, "k", b, b.getCreatedAt()));
    one.finish();

    List<Aggregate> parts = new ArrayList<>();
    ReplayTopology first = replay(config, parts, null);
    int half = traffic.size() / 2;
    traffic.subList(0, half).forEach(b -> first.process(0, "k", b, b.getCreatedAt()));
    ReplayTopology.State state = first.state();
    ReplayTopology second = replay(config, parts, state);
    traffic.subList(half, traffic.size()).forEach(b -> second.process(0, "k", b, b.getCreatedAt()));
    second.finish();

    assertThat(points(parts)).isEqualTo(points(whole));
    assertThat(parts).hasSameSizeAs(whole);
  }

  private static ReplayTopology replay(
      StreamConfig config, List<Aggregate> sink, ReplayTopology.State state) {
    return new ReplayTopology(
        config,
        List.of(0),
        Map.of(),
        T0 - 3_600_000,
        new ReplayTopology.Output() {
          @Override
          public void aggregate(String key, Aggregate aggregate) {
            sink.add(aggregate);
          }

          @Override
          public void deadLetter(String reason, String key, byte[] value) {}
        },
        state);
  }
}
