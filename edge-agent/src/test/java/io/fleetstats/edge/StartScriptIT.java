package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
 * shaded jar that {@code package} built: this JDK must accept every flag the script passes, and
 * the footprint flags must be the ones in effect ({@code -XX:+PrintFlagsFinal}); the figures that
 * justify them are in the README's "Footprint" section.
 */
class StartScriptIT {

  @Test
  void startsTheAgentWithTheFootprintFlagsInEffect() throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(Path.of("bin/fleetstats-edge-agent").toAbsolutePath().toString(), "--version")
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
