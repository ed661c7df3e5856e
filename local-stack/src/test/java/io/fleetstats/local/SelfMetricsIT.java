package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.sink.format.ProxyParser;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The services' own meters through the real pipeline, as the stack turns them on: each service's
 * statsd registry → the stack's edge agent (UDP) → Kafka → stream processor → sink → receiver,
 * tagged like the data with the sending service's own pod.
 */
class SelfMetricsIT {
  static final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
  static LocalStack stack;

  @BeforeAll
  static void startStack() {
    stack =
        LocalStack.start(
            new LocalStack.Options(
                0,
                0,
                Duration.ofSeconds(2),
                Duration.ofSeconds(1),
                Optional.empty(),
                Optional.empty(),
                false,
                Optional.empty(),
                Map.of("CLUSTER_NAME", "selfcheck", "FLEETSTATS_SELF_METRICS_STEP", "2s"),
                lines::add));
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void everyServicesMetersArriveAsWavefrontLinesWithItsOwnPodClusterAndNamespace() {
    // one meter of each service's own code, and a JVM meter of each
    List<String[]> expected =
        List.of(
            new String[] {"fleetstats.edge.statsd.packets", "local-0"},
            new String[] {"fleetstats.stream.running", StackConfig.PROCESSOR_POD},
            new String[] {"fleetstats.sink.records.consumed", StackConfig.SINK_POD},
            new String[] {"jvm.memory.used", "local-0"},
            new String[] {"jvm.memory.used", StackConfig.PROCESSOR_POD},
            new String[] {"jvm.memory.used", StackConfig.SINK_POD},
            new String[] {"process.uptime", StackConfig.SINK_POD},
            new String[] {
              "kafka.consumer.fetch.manager.records.lag.max", StackConfig.PROCESSOR_POD
            });
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () -> {
              for (String[] e : expected) {
                assertThat(lines)
                    .as("a line of %s from pod %s", e[0], e[1])
                    .anyMatch(
                        l ->
                            l.startsWith("\"" + e[0] + "\" ")
                                && l.contains("\"pod_name\"=\"" + e[1] + "\"")
                                && l.contains("\"cluster\"=\"selfcheck\"")
                                && l.contains("\"namespace\"=\"default\""));
              }
            });
    // the proxy's own parser takes every self-metric line
    lines.stream()
        .filter(l -> l.contains("\"pod_name\"=\"" + StackConfig.SINK_POD + "\""))
        .forEach(ProxyParser::parseAndValidate);
  }

  @Test
  void theSinkReportsTheAgeOfTheNewestDeliveredWindowPerCluster() {
    await()
        .atMost(Duration.ofSeconds(60))
        .untilAsserted(
            () ->
                assertThat(lines)
                    .anyMatch(
                        l ->
                            l.startsWith("\"fleetstats.sink.freshness\" ")
                                && l.contains("\"data_cluster\"=\"selfcheck\"")
                                && l.contains("\"pod_name\"=\"" + StackConfig.SINK_POD + "\"")));
    String line =
        lines.stream()
            .filter(l -> l.startsWith("\"fleetstats.sink.freshness\" "))
            .findFirst()
            .orElseThrow();
    double age = Double.parseDouble(line.split(" ")[1]);
    // window 2 s + grace 1 s + a self-metrics step of 2 s and the agent's flush: seconds, not
    // minutes
    assertThat(age).isBetween(0.0, 30.0);
  }
}
