package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.timgroup.statsd.NonBlockingStatsDClientBuilder;
import com.timgroup.statsd.StatsDClient;
import io.fleetstats.sink.format.ProxyParser;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * End to end on the real platform: a real statsd client library → edge agent (UDP) → embedded Kafka
 * broker → stream processor → Wavefront sink → HTTP receiver, in one JVM.
 */
class LocalStackIT {
  static final Duration WINDOW = Duration.ofSeconds(5);
  static final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
  static LocalStack stack;

  @BeforeAll
  static void startStack() {
    stack =
        LocalStack.start(
            new LocalStack.Options(
                0,
                0,
                WINDOW,
                Duration.ofSeconds(1),
                Optional.empty(),
                Optional.empty(),
                false,
                Optional.empty(),
                Map.of(
                    "POD_NAME", "api-server-0",
                    "NODE_HOSTNAME", "node-1",
                    "CLUSTER_NAME", "local",
                    "NAMESPACE", "default"),
                lines::add));
  }

  @AfterAll
  static void stopStack() {
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void aggregatesTimerAndCounterFromARealStatsdClientIntoOneLinePerFieldPerWindow() {
    List<Long> values =
        new ArrayList<>(IntStream.rangeClosed(1, 1000).mapToObj(i -> (long) i).toList());
    Collections.shuffle(values, new Random(7));
    StatsDClient client =
        new NonBlockingStatsDClientBuilder()
            .prefix("fitcycle-api-server")
            .hostname("127.0.0.1")
            .port(stack.statsdAddress().getPort())
            // the client pre-aggregates counts unless told not to; we want every increment on the
            // wire
            .enableAggregation(false)
            .enableTelemetry(false)
            .originDetectionEnabled(false)
            .build();
    // send everything early in one window so that all samples share it
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> System.currentTimeMillis() % WINDOW.toMillis() < 1_000);
    long before = stack.agent().samplesReceived();
    try (client) {
      for (int i = 0; i < values.size(); i++) {
        client.recordExecutionTime("prospectPullTime", values.get(i));
        if (i % 2 == 0) {
          client.increment("ProspectPull");
        }
      }
      // the client drops what it has not sent yet when closed: wait until the agent has it all
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> stack.agent().samplesReceived() - before >= 1_500);
    }

    String timer = "\"fitcycle-api-server.prospectPullTime.";
    List<String> fields =
        List.of("count", "sum", "mean", "stddev", "lower", "upper", "median", "90.percentile");
    await()
        .atMost(Duration.ofSeconds(40))
        .until(
            () ->
                fields.stream().allMatch(f -> line(timer + f + "\"").isPresent())
                    && line("\"fitcycle-api-server.ProspectPull\"").isPresent());

    Map<String, Double> got =
        fields.stream().collect(Collectors.toMap(f -> f, f -> value(line(timer + f + "\"").get())));
    assertThat(got.get("count")).isEqualTo(1000.0);
    assertThat(got.get("sum")).isEqualTo(500_500.0);
    assertThat(got.get("lower")).isEqualTo(1.0);
    assertThat(got.get("upper")).isEqualTo(1000.0);
    assertThat(got.get("mean")).isEqualTo(500.5);
    assertThat(got.get("90.percentile"))
        .isCloseTo(900.0, org.assertj.core.data.Percentage.withPercentage(1));
    assertThat(value(line("\"fitcycle-api-server.ProspectPull\"").get())).isEqualTo(500.0);

    // exactly one per-pod line per field per window, with the source and tags of the seed's
    // Telegraf
    for (String f : fields) {
      assertThat(
              lines.stream()
                  .filter(l -> l.startsWith(timer + f + "\" ") && !l.contains("\"rollup\"")))
          .hasSize(1);
    }
    // and one roll-up line per field (the stack's default rule app:drop=pod_name,node), from the
    // cluster, merged over the pods: here just the one
    await().atMost(Duration.ofSeconds(20)).until(() -> rollupLine(timer + "count\"").isPresent());
    String rolled = rollupLine(timer + "count\"").get();
    assertThat(rolled)
        .contains(" source=\"local\"")
        .contains("\"rollup\"=\"app\"")
        .doesNotContain("pod_name");
    assertThat(value(rolled)).isEqualTo(1000.0);
    String mean = line(timer + "mean\"").get();
    assertThat(mean)
        .contains(" source=\"node-1\"")
        .contains("\"metric_type\"=\"timing\"")
        .contains("\"pod_name\"=\"api-server-0\"")
        .contains("\"cluster\"=\"local\"")
        .contains("\"namespace\"=\"default\"");
    long ts = Long.parseLong(mean.split(" ")[2]);
    assertThat(ts * 1000 % WINDOW.toMillis()).isZero();

    // every line the sink emitted parses and validates with the Wavefront proxy's own code
    assertThat(lines).isNotEmpty().allSatisfy(ProxyParser::parseAndValidate);
  }

  /** The first per-pod line of {@code prefix}. */
  static Optional<String> line(String prefix) {
    return lines.stream()
        .filter(l -> l.startsWith(prefix + " ") && !l.contains("\"rollup\""))
        .findFirst();
  }

  static Optional<String> rollupLine(String prefix) {
    return lines.stream()
        .filter(l -> l.startsWith(prefix + " ") && l.contains("\"rollup\"=\"app\""))
        .findFirst();
  }

  static double value(String line) {
    return Double.parseDouble(line.substring(line.indexOf("\" ") + 2).split(" ")[0]);
  }
}
