package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.fleetstats.sink.format.ProxyParser;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Cluster stats end to end, as {@code --kubelet URL} sets them up: a kubelet fixture server on
 * loopback answering two scrapes 10 s apart (the second with the api-server pod 2.5 × 10⁹ core-ns
 * further) → the stack's edge agent → Kafka → stream processor (values, and the namespace and
 * cluster roll-ups through their repartition topic) → sink → receiver, every line validated by the
 * Wavefront proxy's parser.
 */
class LocalStackKubeletIT {

  @Test
  void twoScrapesGiveThePodsCpuRateTheNodesWorkingSetAndTheNamespaceAndClusterSums()
      throws Exception {
    byte[][] answers = {fixture("summary-1.json"), fixture("summary-2.json")};
    AtomicInteger served = new AtomicInteger();
    HttpServer kubelet =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    kubelet.createContext(
        "/stats/summary",
        ex -> {
          byte[] body = answers[Math.min(served.getAndIncrement(), answers.length - 1)];
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    kubelet.start();
    ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    try (LocalStack stack =
        LocalStack.start(
            new LocalStack.Options(
                0,
                0,
                Duration.ofSeconds(5),
                Duration.ofSeconds(1),
                Optional.empty(),
                Optional.empty(),
                false,
                Optional.empty(),
                Map.of(
                    "FLEETSTATS_KUBELET_URL",
                    "http://127.0.0.1:" + kubelet.getAddress().getPort(),
                    "FLEETSTATS_KUBELET_INTERVAL",
                    "10s",
                    "CLUSTER_NAME",
                    "east",
                    "NODE_HOSTNAME",
                    "node-a"),
                lines::add))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> find(lines, "kubernetes.pod.cpu.usage_rate", "x2x7q").isPresent());
      String rate = find(lines, "kubernetes.pod.cpu.usage_rate", "x2x7q").get();
      assertThat(value(rate)).isEqualTo(250.0);
      assertThat(rate)
          .contains(" source=\"node-a\"")
          .contains("\"cluster\"=\"east\"")
          .contains("\"namespace\"=\"fitcycle\"")
          .contains("\"type\"=\"pod\"");
      // node memory working set: the fixtures' bytes, first scrape and second
      List<Double> workingSet =
          lines.stream()
              .filter(l -> l.startsWith("\"kubernetes.node.memory.working_set\" "))
              .map(LocalStackKubeletIT::value)
              .distinct()
              .toList();
      assertThat(workingSet).contains(2147483648.0, 2147483648.0 + 1048576);
      // namespace and cluster roll-ups: the fitcycle pods' 250 + 100 millicores, the node's 1200;
      // a window is emitted once the next scrape is past its end, so the third scrape brings them
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> values(lines, "kubernetes.ns.cpu.usage_rate").contains(350.0));
      String ns = find(lines, "kubernetes.ns.cpu.usage_rate", "\"type\"=\"ns\"").get();
      assertThat(ns)
          .contains(" source=\"fitcycle-ns\"")
          .contains("\"cluster\"=\"east\"")
          .contains("\"namespace\"=\"fitcycle\"");
      assertThat(values(lines, "kubernetes.ns.memory.working_set"))
          .contains(250004096.0 + 450000000.0);
      assertThat(values(lines, "kubernetes.ns.pod.count")).containsOnly(2.0);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> values(lines, "kubernetes.cluster.cpu.usage_rate").contains(1200.0));
      assertThat(find(lines, "kubernetes.cluster.cpu.usage_rate", "\"type\"=\"cluster\"").get())
          .contains(" source=\"east\"");
      assertThat(values(lines, "kubernetes.cluster.pod.count")).containsOnly(2.0);
      assertThat(lines).allSatisfy(ProxyParser::parseAndValidate);
      assertThat(
              stack
                  .agent()
                  .kubelet()
                  .orElseThrow()
                  .scrapes(io.fleetstats.edge.kubelet.KubeletInput.Result.OK))
          .isGreaterThanOrEqualTo(2);
    } finally {
      kubelet.stop(0);
    }
  }

  private static byte[] fixture(String name) throws Exception {
    try (InputStream in = LocalStackKubeletIT.class.getResourceAsStream("/kubelet/" + name)) {
      return in.readAllBytes();
    }
  }

  private static Optional<String> find(
      ConcurrentLinkedQueue<String> lines, String metric, String containing) {
    return lines.stream()
        .filter(l -> l.startsWith("\"" + metric + "\" ") && l.contains(containing))
        .findFirst();
  }

  private static List<Double> values(ConcurrentLinkedQueue<String> lines, String metric) {
    return lines.stream()
        .filter(l -> l.startsWith("\"" + metric + "\" "))
        .map(LocalStackKubeletIT::value)
        .toList();
  }

  private static double value(String line) {
    return Double.parseDouble(line.substring(line.indexOf("\" ") + 2).split(" ")[0]);
  }
}
