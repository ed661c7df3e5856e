package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleetstats.sink.prometheus.DebianPrometheus;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --remote-write}: the stack runs the Prometheus sink beside the Wavefront one, and every
 * line the Wavefront sink sends is, as a sample at the same time with the same value, in Debian's
 * Prometheus (started by the test; skipped, saying why, where it is not installed).
 */
class LocalStackRemoteWriteIT {
  private static final Pattern LINE =
      Pattern.compile("\"([^\"]+)\" (\\S+) (\\d+) source=\"([^\"]+)\"(.*)");
  private static final Pattern TAG = Pattern.compile("\"([^\"]+)\"=\"([^\"]*)\"");

  @TempDir Path dir;

  @Test
  void everyWavefrontLineIsTheSameSampleInPrometheus() throws Exception {
    assumeTrue(
        DebianPrometheus.installed(),
        "Debian's prometheus is not installed (no /usr/bin/prometheus): apt-get install"
            + " prometheus (.ci/run does)");
    ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    try (DebianPrometheus prometheus = DebianPrometheus.start(dir);
        LocalStack stack =
            LocalStack.start(
                new LocalStack.Options(
                    0,
                    0,
                    Duration.ofSeconds(2),
                    Duration.ofSeconds(1),
                    Optional.empty(),
                    Optional.empty(),
                    false,
                    Optional.of(dir.resolve("stack")),
                    Map.of(
                        "POD_NAME", "api-server-0",
                        "NODE_HOSTNAME", "node-1",
                        "CLUSTER_NAME", "local",
                        "NAMESPACE", "default"),
                    lines::add,
                    Optional.of(prometheus.writeUrl())))) {
      assertThat(stack.prometheusSink()).isPresent();
      InetSocketAddress statsd = stack.statsdAddress();
      try (DatagramSocket socket = new DatagramSocket()) {
        for (int i = 1; i <= 50; i++) {
          byte[] packet =
              ("fitcycle-api-server.prospectPullTime:"
                      + (i * 7)
                      + "|ms\n"
                      + "fitcycle-api-server.ProspectPull:1|c")
                  .getBytes(StandardCharsets.UTF_8);
          socket.send(new DatagramPacket(packet, packet.length, statsd));
        }
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  lines.stream().anyMatch(l -> l.contains("prospectPullTime.count"))
                      && lines.stream()
                          .anyMatch(l -> l.startsWith("\"fitcycle-api-server.ProspectPull\"")));
      // the Prometheus sink commits on its own schedule: wait until the last line is there too
      List<String> sent = List.copyOf(lines);
      await().atMost(Duration.ofSeconds(60)).until(() -> allStored(prometheus, sent));
      assertThat(sent).hasSizeGreaterThanOrEqualTo(9);
    }
  }

  private static boolean allStored(DebianPrometheus prometheus, List<String> sent)
      throws Exception {
    for (String line : sent) {
      if (!stored(prometheus, line)) {
        return false;
      }
    }
    return true;
  }

  // Whether Prometheus holds the sample of a Wavefront line: same name (Telegraf's Prometheus
  // naming of the same field), labels (tags + source), time and value.
  private static boolean stored(DebianPrometheus prometheus, String line) throws Exception {
    Matcher m = LINE.matcher(line);
    assertThat(m.matches()).as(line).isTrue();
    TreeMap<String, String> labels = new TreeMap<>();
    Matcher t = TAG.matcher(m.group(5));
    while (t.find()) {
      labels.put(t.group(1), t.group(2));
    }
    labels.put("source", m.group(4));
    StringBuilder selector =
        new StringBuilder(m.group(1).replaceAll("[^a-zA-Z0-9_:]", "_")).append('{');
    labels.forEach((k, v) -> selector.append(k).append("=\"").append(v).append("\","));
    selector.setLength(selector.length() - 1);
    selector.append("}[1s]");
    long seconds = Long.parseLong(m.group(3));
    JsonNode result = prometheus.query(selector.toString(), seconds);
    if (result.size() != 1) {
      return false;
    }
    JsonNode values = result.get(0).get("values");
    return values.size() == 1
        && values.get(0).get(0).asDouble() == seconds
        && Double.parseDouble(values.get(0).get(1).asText()) == Double.parseDouble(m.group(2));
  }
}
