package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs the sidecar start script ({@code bin/fleetstats-edge-agent}) with the real JVM and the
 * shaded jar that {@code package} built: this JDK must accept every flag the script passes, and the
 * footprint flags must be the ones in effect ({@code -XX:+PrintFlagsFinal}); the figures that
 * justify them are in the README's "Footprint" section.
 */
class StartScriptIT {

  @Test
  void startsTheAgentWithTheFootprintFlagsInEffect() throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of("bin/fleetstats-edge-agent").toAbsolutePath().toString(), "--version")
            .redirectErrorStream(true);
    builder.environment().put("FLEETSTATS_JAVA_OPTS", "-XX:+PrintFlagsFinal");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("fleetstats edge agent 0.1.0");
    assertThat(finalFlags(output))
        .containsAllEntriesOf(
            Map.of(
                "UseSerialGC", "true",
                "MaxHeapSize", String.valueOf(40L << 20),
                "TieredStopAtLevel", "1",
                "ReservedCodeCacheSize", String.valueOf(16L << 20),
                "ThreadStackSize", "256"));
  }

  @Test
  void warnsOfAMisspelledSettingNamingTheRightOneAndStartsAnyway()
      throws IOException, InterruptedException {
    ProcessBuilder builder = script().redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.put("FLEETSTATS_STATSD_ADDRES", "127.0.0.1:9999");
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_CREATE_TOPICS", "false");
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", "127.0.0.1:1");
    env.put("FLEETSTATS_ADMIN_ADDRESS", "off");
    Process process = builder.start();
    StringBuilder output = new StringBuilder();
    try (BufferedReader lines =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      // Read until the agent says it listens: the warning must come before, at start.
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        output.append(line).append('\n');
        if (line.contains("edge agent listening")) {
          break;
        }
      }
    } finally {
      process.destroy();
      process.waitFor(30, TimeUnit.SECONDS);
    }

    assertThat(output.toString())
        .contains(
            "unknown setting FLEETSTATS_STATSD_ADDRES is ignored. Did you mean FLEETSTATS_STATSD_ADDRESS?")
        .contains("edge agent listening for statsd on udp://127.0.0.1:");
  }

  @Test
  void exitsWithTwoOnAMisspelledSettingWhenConfigIsStrict()
      throws IOException, InterruptedException {
    ProcessBuilder builder = script().redirectErrorStream(true);
    builder.environment().put("FLEETSTATS_STATSD_ADDRES", "127.0.0.1:9999");
    builder.environment().put("FLEETSTATS_STRICT_CONFIG", "true");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(process.exitValue()).as(output).isEqualTo(2);
    assertThat(output)
        .contains("FLEETSTATS_STATSD_ADDRES is ignored. Did you mean FLEETSTATS_STATSD_ADDRESS?")
        .contains("FLEETSTATS_STRICT_CONFIG=true");
  }

  private static ProcessBuilder script(String... args) {
    java.util.List<String> command = new java.util.ArrayList<>();
    command.add(Path.of("bin/fleetstats-edge-agent").toAbsolutePath().toString());
    command.addAll(java.util.List.of(args));
    return new ProcessBuilder(command);
  }

  /** Name to value of every line of {@code -XX:+PrintFlagsFinal}. */
  private static Map<String, String> finalFlags(String output) {
    Matcher m = Pattern.compile("(?m)^\\s*\\S+\\s+(\\w+)\\s+:?=\\s+(\\S+)").matcher(output);
    Map<String, String> flags = new HashMap<>();
    while (m.find()) {
      flags.put(m.group(1), m.group(2));
    }
    return flags;
  }
}
