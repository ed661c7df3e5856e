package io.fleetstats.sink.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusSinkMainTest {
  @Test
  void helpListsEverySetting() {
    StringWriter out = new StringWriter();
    var cl = PrometheusSinkMain.commandLine(new PrometheusSinkMain(Map.of()));
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute("--help")).isZero();
    assertThat(out.toString())
        .contains("FLEETSTATS_REMOTE_WRITE_URL")
        .contains("http://localhost:9090/api/v1/write")
        .contains("FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN_FILE");
  }

  @Test
  void badConfigurationExitsWith2NamingTheKey() {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      assertThat(PrometheusSinkMain.run(Map.of("FLEETSTATS_REMOTE_WRITE_URL", "ftp://x/")))
          .isEqualTo(2);
    } finally {
      System.setErr(saved);
    }
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("FLEETSTATS_REMOTE_WRITE_URL='ftp://x/'");
  }
}
