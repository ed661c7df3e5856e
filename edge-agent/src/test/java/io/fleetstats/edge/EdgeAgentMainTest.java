package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EdgeAgentMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(Map<String, String> env, String... args) {
    return EdgeAgentMain.commandLine(new EdgeAgentMain(env))
        .setOut(new PrintWriter(out))
        .setErr(new PrintWriter(err))
        .execute(args);
  }

  @Test
  void exitsWithTwoNamingTheKeyOnBadSettings() {
    int code = run(Map.of("FLEETSTATS_FLUSH_INTERVAL", "soon"));

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("FLEETSTATS_FLUSH_INTERVAL='soon'");
  }

  @Test
  void reportsMysqlAndAgentProblemsTogether() {
    int code =
        run(
            Map.of(
                "FLEETSTATS_FLUSH_INTERVAL",
                "soon",
                "MYSQL_SERVER",
                "db",
                "FLEETSTATS_MYSQL_SSL_MODE",
                "maybe"));

    assertThat(code).isEqualTo(2);
    assertThat(err.toString())
        .contains("FLEETSTATS_FLUSH_INTERVAL='soon'")
        .contains("FLEETSTATS_MYSQL_SSL_MODE='MAYBE'");
  }

  @Test
  void flagOverridesAreValidatedLikeTheEnvironment() {
    int code = run(Map.of(), "--statsd-address", "nowhere");

    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("FLEETSTATS_STATSD_ADDRESS='nowhere'");
  }

  @Test
  void helpListsFlagsAndEnvironment() {
    int code = run(Map.of(), "--help");

    assertThat(code).isZero();
    assertThat(out.toString())
        .contains(
            "--statsd-address",
            "--kafka-bootstrap",
            "FLEETSTATS_FLUSH_INTERVAL",
            "POD_NAME",
            "FLEETSTATS_MYSQL_URL",
            "MYSQL_SERVER",
            "MYSQL_PASSWORD");
  }
}
