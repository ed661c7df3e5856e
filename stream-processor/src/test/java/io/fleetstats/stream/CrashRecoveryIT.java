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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Must-show crash test on a real KRaft broker: the processor runs in a child JVM ({@code
 * StreamProcessorMain}, as in production) and is killed with SIGKILL ({@link
 * Process#destroyForcibly()}: no shutdown hook, no clean close) five times while a known stream is
 * produced, each time after it has made progress, i.e. in the middle of open windows and
 * transactions. The final per-source and roll-up aggregates, read with {@code read_committed}, must
 * equal the ones computed from what was produced: nothing lost, nothing counted twice, no window
 * emitted twice.
 */
class CrashRecoveryIT {
  private static final int KILLS = 5;
  private static final int PARTITIONS = 3;

  private static KafkaClusterTestKit cluster;
  @TempDir static Path brokerDir;
  @TempDir Path stateDir;
  @TempDir Path logDir;
  private Process child;

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
  void killChild() {
    if (child != null) {
      child.destroyForcibly();
    }
  }

  @Test
  void fiveKillsMidWindowLoseNothingAndCountNothingTwice() throws Exception {
    Topics topics = Topics.defaults();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        PARTITIONS,
        Optional.empty(),
        Duration.ofHours(1),
        Duration.ofSeconds(30));

    // six pods in one cluster on two nodes, spread over the partitions by their ids
    List<Source> pods = ProcessorHarness.pods(6, "prod");
    Map<String, Totals> expected;
    try (Reader reader = new Reader(cluster.bootstrapServers(), topics, "crash-it-reader");
        Traffic traffic =
            new Traffic(cluster.bootstrapServers(), topics, pods, Duration.ofMillis(100))) {
      for (int kill = 1; kill <= KILLS; kill++) {
        child = startChild(kill);
        int before = reader.poll();
        // progress under this incarnation: new windows emitted, so it is mid-stream when killed
        await().atMost(Duration.ofSeconds(90)).until(() -> reader.poll() > before);
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        assertThat(child.exitValue()).as("killed, not exited").isEqualTo(137);
      }
      // the last incarnation: keeps running while production stops, then closes every window
      child = startChild(KILLS + 1);
      await().atMost(Duration.ofSeconds(60)).until(() -> reader.poll() > 0);
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
      // no sample arrives late here: a window emitted again, even as a correction, is a repeat
      assertThat(reader.corrections).as("windows emitted again as corrections").isZero();
      assertThat(reader.seen.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
      assertThat(ProcessorHarness.wrong(expected, reader))
          .as(ProcessorHarness.windowRange(expected))
          .isEmpty();
    }
    System.out.printf(
        "crash test: %d kills, %d series-windows (%d roll-up) exact, 0 duplicates%n",
        KILLS,
        expected.size(),
        expected.keySet().stream().filter(k -> k.startsWith("rollup/")).count());
  }

  private Process startChild(int incarnation) throws Exception {
    return ProcessorHarness.startChild(
        cluster.bootstrapServers(),
        "fleetstats-crash-it",
        stateDir,
        logDir.resolve("processor-" + incarnation + ".log").toFile(),
        Map.of());
  }
}
