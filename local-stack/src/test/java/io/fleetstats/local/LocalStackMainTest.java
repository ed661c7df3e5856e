package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LocalStackMainTest {
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  int run(String... args) {
    return LocalStackMain.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void helpListsEveryOption() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains(
            "--statsd-port",
            "--kafka-port",
            "--window",
            "--grace",
            "--proxy",
            "--capture",
            "--demo",
            "--duration",
            "--data-dir",
            "--quiet",
            "--mysql",
            "--ui-port",
            "--remote-write");
  }

  @Test
  void helpSaysTheServicesSettingsPassThroughAndStrictConfigApplies() {
    assertThat(run("--help")).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("every FLEETSTATS_* variable of the services")
        .contains("FLEETSTATS_CONFIG_FILE")
        .contains("FLEETSTATS_STRICT_CONFIG=true");
  }

  @Test
  void rejectsABadDurationNamingTheOption() {
    assertThat(run("--window", "ten")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--window")
        .contains("'ten' is not a duration; use a number with a unit: 500ms, 10s, 1m, 2h");
  }

  @Test
  void rejectsABadUiPortNamingTheOption() {
    assertThat(run("--ui-port", "web")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--ui-port needs a port from 1 to 65535, or 0 or off, got 'web'");
  }

  @Test
  void rejectsCaptureWithARealProxy() {
    assertThat(run("--proxy", "http://proxy:2878", "--capture", "x.txt")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--capture works with the built-in receiver only");
  }

  @Test
  void rejectsAMysqlValueThatIsNoJdbcUrl() {
    assertThat(run("--mysql", "127.0.0.1:3306")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--mysql needs a JDBC URL such as jdbc:mysql://");
  }

  @Test
  void rejectsARemoteWriteValueThatIsNoHttpUrl() {
    assertThat(run("--remote-write", "prometheus:9090")).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--remote-write needs an http(s) URL such as http://127.0.0.1:9090/api/v1/write");
  }
}
