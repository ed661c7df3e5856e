package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.edge.kubelet.SummaryParser;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.KubeletSummary;
import io.fleetstats.schemas.Source;
import io.fleetstats.sink.format.WavefrontFormatter;
import io.fleetstats.sink.format.WavefrontPoint;
import io.fleetstats.stream.kubelet.KubeletRates;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Kubelet summaries in the API's shape (fixtures under {@code kubelet/}) through the agent's
 * parser, the processor's naming and rates and the sink's formatter: the exact Wavefront lines.
 * Regenerate the golden files with {@code -Dfleetstats.writeGolden=true} and review the diff.
 */
class KubeletStatsGoldenTest {
  private static final long FIRST = Instant.parse("2026-12-06T09:00:00.200Z").toEpochMilli();
  private static final long SECOND = FIRST + 10_000;
  private final SummaryParser parser = new SummaryParser();
  private final WavefrontFormatter formatter = new WavefrontFormatter("");

  @Test
  void secondScrapeGivesRatesAndNamesAsWavefrontCollector() throws Exception {
    KubeletSummary first = parse("summary-1.json", FIRST);
    KubeletSummary second = parse("summary-2.json", SECOND);

    KubeletRates.Result none = KubeletRates.apply("kubernetes.", null, first);
    KubeletRates.Result rates = KubeletRates.apply("kubernetes.", first, second);

    List<String> firstLines = lines(none);
    assertThat(firstLines).noneMatch(l -> l.contains("_rate\""));
    List<String> lines = lines(rates);
    // the api-server pod used 2.5e9 core-ns in 10 s: 250 millicores
    assertThat(value(lines, "kubernetes.pod.cpu.usage_rate", "fitcycle-api-server-7d4b9c-x2x7q"))
        .contains(250.0);
    assertThat(
            value(
                lines,
                "kubernetes.pod_container.cpu.usage_rate",
                "\"container_name\"=\"api-server\""))
        .contains(250.0);
    // node: 12e9 core-ns in 10 s = 1200 millicores; working set as the fixture's bytes
    assertThat(value(lines, "kubernetes.node.cpu.usage_rate", "\"type\"=\"node\""))
        .contains(1200.0);
    assertThat(value(lines, "kubernetes.node.memory.working_set", "\"type\"=\"node\""))
        .contains(2147483648.0 + 1048576);
    assertThat(value(lines, "kubernetes.pod.network.rx_rate", "x2x7q")).contains(50_000.0);
    assertThat(value(lines, "kubernetes.pod.network.tx_rate", "x2x7q")).contains(25_000.0);
    // the mysql container restarted: its cpu counter went down, so no rate, one reset counted
    assertThat(
            value(lines, "kubernetes.pod_container.cpu.usage_rate", "\"container_name\"=\"mysql\""))
        .isEmpty();
    assertThat(rates.resets()).isEqualTo(1);
    assertThat(value(lines, "kubernetes.pod.uptime", "x2x7q"))
        .contains((double) (SECOND - Instant.parse("2026-12-06T08:00:00Z").toEpochMilli()));
    assertThat(lines)
        .allSatisfy(
            l ->
                assertThat(l)
                    .contains(" source=\"node-a\"")
                    .contains("\"cluster\"=\"east\"")
                    .contains("\"nodename\"=\"node-a\"")
                    .doesNotContain("metric_type"));

    golden("expected-first.txt", firstLines);
    golden("expected-second.txt", lines);
  }

  @Test
  void absentFieldsAreAbsentNeverZero() throws Exception {
    KubeletSummary sparse = parse("summary-sparse.json", FIRST);

    List<String> lines = lines(KubeletRates.apply("kubernetes.", null, sparse));

    assertThat(value(lines, "kubernetes.node.memory.working_set", "node-b")).contains(1073741824.0);
    assertThat(lines).noneMatch(l -> l.startsWith("\"kubernetes.node.cpu."));
    assertThat(lines).noneMatch(l -> l.startsWith("\"kubernetes.node.filesystem."));
    // the stopped pod: no start time, so no uptime; its container's cpu counter still reported
    assertThat(lines).noneMatch(l -> l.contains("uptime") && l.contains("stopped-job-1"));
    assertThat(value(lines, "kubernetes.pod_container.cpu.usage", "stopped-job-1")).contains(7.0e9);
    assertThat(lines)
        .noneMatch(l -> l.contains(".network.") && l.contains("\"pod_name\"=\"no-network\""));
    golden("expected-sparse.txt", lines);
  }

  @Test
  void prefixGivesTheSeedsHeapsterNames() throws Exception {
    KubeletSummary first = parse("summary-1.json", FIRST);
    KubeletSummary second = parse("summary-2.json", SECOND);

    List<String> lines = lines(KubeletRates.apply("heapster.", first, second));

    assertThat(value(lines, "heapster.pod.cpu.usage_rate", "x2x7q")).contains(250.0);
    assertThat(lines).allMatch(l -> l.startsWith("\"heapster."));
  }

  private KubeletSummary parse(String fixture, long takenAt) throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/kubelet/" + fixture)) {
      Source source =
          Source.newBuilder()
              .setCluster("east")
              .setNamespace("fleetstats")
              .setNode("node-a")
              .setPod("fleetstats-node-agent-abcde")
              .setContainer("")
              .setApp("")
              .build();
      return parser.parse(in.readAllBytes(), source, takenAt);
    }
  }

  private List<String> lines(KubeletRates.Result result) {
    List<String> out = new ArrayList<>();
    for (Aggregate a : result.aggregates().values()) {
      for (WavefrontPoint p : formatter.format(a).points()) {
        out.add(p.toLine());
      }
    }
    return out;
  }

  private static Optional<Double> value(List<String> lines, String metric, String containing) {
    return lines.stream()
        .filter(l -> l.startsWith("\"" + metric + "\" ") && l.contains(containing))
        .map(l -> Double.parseDouble(l.split(" ")[1]))
        .findFirst();
  }

  private static void golden(String name, List<String> lines) throws IOException {
    Path file = Path.of("src/test/resources/kubelet", name);
    String text = String.join("\n", lines) + "\n";
    if (Boolean.getBoolean("fleetstats.writeGolden")) {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    }
    assertThat(text).isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
  }
}
