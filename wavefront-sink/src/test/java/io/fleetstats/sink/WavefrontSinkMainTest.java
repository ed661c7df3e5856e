package io.fleetstats.sink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WavefrontSinkMainTest {

  @Test
  void badConfigurationExitsWithTwoAndNamesTheKey() {
    PrintStream original = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int code = WavefrontSinkMain.run(Map.of("FLEETSTATS_BATCH_LINES", "lots"));
      assertThat(code).isEqualTo(2);
    } finally {
      System.setErr(original);
    }
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("FLEETSTATS_BATCH_LINES='lots'");
  }

  @Test
  void helpListsEveryKeyAndExitsZero() {
    PrintStream original = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      assertThat(WavefrontSinkMain.run(Map.of(), "--help")).isZero();
    } finally {
      System.setOut(original);
    }
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "FLEETSTATS_PROXY_URL",
            "FLEETSTATS_BATCH_LINES",
            "FLEETSTATS_RETRY_MAX_BACKOFF",
            "FLEETSTATS_CREATE_TOPICS");
  }
}
