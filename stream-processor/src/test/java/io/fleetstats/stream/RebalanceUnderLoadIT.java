package io.fleetstats.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.ProcessorHarness.Reader;
import io.fleetstats.stream.ProcessorHarness.Totals;
import io.fleetstats.stream.ProcessorHarness.Traffic;
import io.fleetstats.testing.TestKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scaling out and in under load on a real KRaft broker, with the processor as child JVMs ({@code
 * StreamProcessorMain}, as in production): while eight pods of two clusters send the whole time,
 * instance A runs alone, instance B (same application id, own state directory and admin port) joins
 * so that tasks move to it, then A is killed with SIGKILL so that B takes all of them, and A comes
 * back. The per-pod and roll-up aggregates read with {@code read_committed} must equal what was
 * produced, every window once: nothing lost or counted twice while tasks moved.
 */
class RebalanceUnderLoadIT {
  private static final int PARTITIONS = 4;
  private static final String APP = "fleetstats-rebalance-it";

  private static KafkaClusterTestKit cluster;
  @TempDir static Path brokerDir;
  @TempDir Path stateA;
  @TempDir Path stateB;

  /** Kept after the run: the children's logs. */
  private final Path logDir = Path.of("target", "rebalance-it");

  private Process a;
  private Process b;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster =
        TestKafka.start(
            TestKafka.builder(true, brokerDir)
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.num.partitions", "1")
                .setConfigProp("group.min.session.timeout.ms", "2000")
                .setConfigProp("log.cleaner.dedupe.buffer.size", "2097152"));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void killChildren() {
    for (Process p : new Process[] {a, b}) {
      if (p != null) {
        p.destroyForcibly();
      }
    }
  }

  @Test
  void tasksMoveOutAndBackWithoutLosingOrDoublingAnything() throws Exception {
    long t0 = System.nanoTime();
    Files.createDirectories(logDir);
    Topics topics = Topics.defaults();
    String bootstrap = cluster.bootstrapServers();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", bootstrap),
        topics,
        PARTITIONS,
        Optional.empty(),
        Duration.ofHours(1),
        Duration.ofSeconds(30));
    String raw = topics.rawStatsd().name();
    List<Source> pods = ProcessorHarness.pods(8, "prod", "stage");
    Map<String, Totals> expected;
    int moved = 0;
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap));
        Reader reader = new Reader(bootstrap, topics, "rebalance-it-reader");
        Traffic traffic = new Traffic(bootstrap, topics, pods, Duration.ofMillis(100))) {
      // A alone owns every input partition and emits
      a = start("a", stateA, 1);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> reader.poll() > 0 && owners(admin).values().stream().distinct().count() == 1);
      Map<TopicPartition, String> alone = owners(admin);
      assertThat(rawPartitions(alone, raw)).hasSize(PARTITIONS);

      // scale out: B joins, tasks move to it, both emit
      b = start("b", stateB, 1);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                reader.poll();
                Map<TopicPartition, String> o = owners(admin);
                return o.size() == alone.size()
                    && rawPartitions(o, raw).values().stream().distinct().count() == 2;
              });
      Map<TopicPartition, String> shared = owners(admin);
      moved += moved(alone, shared);
      System.out.println("rebalance test: A alone " + split(alone));
      System.out.println("rebalance test: A and B " + split(shared));
      int beforeKill = reader.poll();
      await().atMost(Duration.ofSeconds(30)).until(() -> reader.poll() > beforeKill);

      // scale in, the hard way: A is killed mid-stream, B takes its tasks
      a.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      assertThat(a.exitValue()).as("killed, not exited").isEqualTo(137);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                reader.poll();
                Map<TopicPartition, String> o = owners(admin);
                return o.size() == alone.size()
                    && o.values().stream().allMatch(c -> c.startsWith("b"));
              });
      Map<TopicPartition, String> onB = owners(admin);
      moved += moved(shared, onB);
      System.out.println("rebalance test: B alone " + split(onB));
      int afterKill = reader.poll();
      await().atMost(Duration.ofSeconds(30)).until(() -> reader.poll() > afterKill);

      // A comes back on its old state directory: tasks move again
      a = start("a", stateA, 2);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                reader.poll();
                Map<TopicPartition, String> o = owners(admin);
                return o.size() == alone.size()
                    && rawPartitions(o, raw).values().stream().distinct().count() == 2;
              });
      Map<TopicPartition, String> back = owners(admin);
      moved += moved(onB, back);
      System.out.println("rebalance test: A back  " + split(back));
      int afterReturn = reader.poll();
      await().atMost(Duration.ofSeconds(30)).until(() -> reader.poll() > afterReturn);

      // traffic stops; both keep running and close every window
      expected = traffic.stop();
      await().atMost(Duration.ofSeconds(60)).until(() -> reader.poll() >= expected.size());
      // anything emitted twice would arrive now, right after the last windows
      await()
          .pollDelay(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                reader.poll();
                return true;
              });
      assertThat(reader.duplicates).as("windows emitted twice").isEmpty();
      assertThat(reader.seen.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
      assertThat(ProcessorHarness.wrong(expected, reader))
          .as(ProcessorHarness.windowRange(expected))
          .isEmpty();
      System.out.printf(
          "rebalance test: %d pods in 2 clusters, %d batches, %d series-windows (%d roll-up)"
              + " exact, 0 duplicates, %d corrections, %d tasks moved over 3 rebalances"
              + " (one per input partition: each sub-topology reads one topic), %.1f s%n",
          pods.size(),
          traffic.batches(),
          expected.size(),
          expected.keySet().stream().filter(k -> k.startsWith("rollup/")).count(),
          reader.corrections,
          moved,
          (System.nanoTime() - t0) / 1e9);
      if (!reader.corrected.isEmpty()) {
        System.out.println("rebalance test: corrected " + reader.corrected);
      }
    }
  }

  /**
   * Which instance ({@code a} or {@code b}, from its client id) owns each input partition of the
   * application's consumer group; empty while the group is rebalancing.
   */
  private static Map<TopicPartition, String> owners(Admin admin) throws Exception {
    ConsumerGroupDescription g =
        admin.describeConsumerGroups(List.of(APP)).all().get(10, TimeUnit.SECONDS).get(APP);
    Map<TopicPartition, String> owners =
        new TreeMap<>(
            (x, y) ->
                x.topic().equals(y.topic())
                    ? Integer.compare(x.partition(), y.partition())
                    : x.topic().compareTo(y.topic()));
    if (!g.groupState().toString().equalsIgnoreCase("stable")) {
      return owners;
    }
    for (MemberDescription m : g.members()) {
      for (TopicPartition tp : m.assignment().topicPartitions()) {
        owners.put(tp, m.clientId().substring(0, 1));
      }
    }
    return owners;
  }

  private static Map<TopicPartition, String> rawPartitions(
      Map<TopicPartition, String> owners, String raw) {
    Map<TopicPartition, String> out =
        new TreeMap<>((x, y) -> Integer.compare(x.partition(), y.partition()));
    owners.forEach(
        (tp, c) -> {
          if (tp.topic().equals(raw)) {
            out.put(tp, c);
          }
        });
    return out;
  }

  /** How many partitions of each input topic each instance owns: {@code topic a=2 b=2; ...}. */
  private static String split(Map<TopicPartition, String> owners) {
    Map<String, Map<String, Integer>> counts = new TreeMap<>();
    owners.forEach(
        (tp, c) ->
            counts.computeIfAbsent(tp.topic(), t -> new TreeMap<>()).merge(c, 1, Integer::sum));
    StringBuilder out = new StringBuilder();
    counts.forEach(
        (topic, byInstance) -> {
          out.append(out.length() == 0 ? "" : "; ").append(topic);
          byInstance.forEach((c, n) -> out.append(' ').append(c).append('=').append(n));
        });
    return out.toString();
  }

  private static int moved(Map<TopicPartition, String> before, Map<TopicPartition, String> after) {
    int n = 0;
    for (Map.Entry<TopicPartition, String> e : after.entrySet()) {
      if (!e.getValue().equals(before.get(e.getKey()))) {
        n++;
      }
    }
    return n;
  }

  private Process start(String instance, Path stateDir, int incarnation) throws Exception {
    return ProcessorHarness.startChild(
        cluster.bootstrapServers(),
        APP,
        stateDir,
        logDir.resolve("processor-" + instance + incarnation + ".log").toFile(),
        Map.of("FLEETSTATS_KAFKA_CLIENT_ID", instance));
  }
}
