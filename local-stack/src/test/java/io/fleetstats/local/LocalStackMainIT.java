package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.sink.format.ProxyParser;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What README command (1) does: the local stack with --demo prints the demo's Wavefront lines. */
class LocalStackMainIT {

  @Test
  void demoPrintsWavefrontLinesForEverySimulatedPodAndStopsAfterTheDuration(@TempDir Path dir)
      throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path capture = dir.resolve("lines.txt");

    int exit =
        LocalStackMain.run(
            new String[] {
              "--demo",
              "--duration",
              "20s",
              "--statsd-port",
              "0",
              "--window",
              "2s",
              "--grace",
              "1s",
              "--capture",
              capture.toString(),
              // the live view has a test of its own (LiveViewIT); its default port may be taken
              // here
              "--ui-port",
              "off"
            },
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

    String stdout = out.toString(StandardCharsets.UTF_8);
    assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(stdout)
        .containsPattern(
            "Fleetstats local stack ready in [0-9.]+ s: statsd udp://127\\.0\\.0\\.1:\\d+, kafka bootstrap 127\\.0\\.0\\.1:\\d+, receiver http://127\\.0\\.0\\.1:\\d+");
    assertThat(stdout).contains("Stopping after 20s");
    List<String> captured = Files.readAllLines(capture);
    assertThat(captured).isNotEmpty();
    for (String pod : List.of("api-server-0", "api-server-1", "api-server-2")) {
      assertThat(captured)
          .anySatisfy(
              l ->
                  assertThat(l)
                      .startsWith("\"fitcycle-api-server.prospectPullTime.90.percentile\" ")
                      .contains("\"pod_name\"=\"" + pod + "\""));
      assertThat(captured)
          .anySatisfy(
              l ->
                  assertThat(l)
                      .startsWith("\"fitcycle-api-server.ProspectPull\" ")
                      .contains("\"pod_name\"=\"" + pod + "\""));
    }
    assertThat(captured)
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith("\"fitcycle-server.signupTime.mean\" ")
                    .contains("source=\"node-2\""));
    // the printed lines are the captured ones, and the Wavefront proxy's own parser accepts them
    // all
    assertThat(stdout).contains(captured.get(0));
    assertThat(captured).allSatisfy(ProxyParser::parseAndValidate);
  }
}
