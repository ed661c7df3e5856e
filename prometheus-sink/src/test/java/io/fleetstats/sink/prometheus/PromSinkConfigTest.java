package io.fleetstats.sink.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.sink.prometheus.remote.Credentials;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromSinkConfigTest {
  @TempDir Path dir;

  @Test
  void defaultsWriteToALocalPrometheus() {
    PromSinkConfig c = PromSinkConfig.defaults();
    assertThat(c.url()).hasToString("http://localhost:9090/api/v1/write");
    assertThat(c.groupId()).isEqualTo("fleetstats-prometheus-sink");
    assertThat(c.batchSamples()).isEqualTo(2000);
    assertThat(c.credentials()).isInstanceOf(Credentials.None.class);
    assertThat(c.adminAddress()).hasValueSatisfying(a -> assertThat(a.getPort()).isEqualTo(9128));
  }

  @Test
  void passwordFromAFileAndNeverShown() throws Exception {
    Path secret = dir.resolve("password");
    Files.writeString(secret, "\n  hunter2  \n");
    PromSinkConfig c =
        PromSinkConfig.fromEnv(
            Map.of(
                "FLEETSTATS_REMOTE_WRITE_USERNAME",
                "fleet",
                "FLEETSTATS_REMOTE_WRITE_PASSWORD_FILE",
                secret.toString()));
    assertThat(c.credentials()).isEqualTo(new Credentials.Basic("fleet", "hunter2"));
    assertThat(c.toString()).doesNotContain("hunter2").contains("basic auth as fleet");
  }

  @Test
  void everyProblemAtOnceWithoutEchoingSecrets() {
    assertThatThrownBy(
            () ->
                PromSinkConfig.fromEnv(
                    Map.of(
                        "FLEETSTATS_REMOTE_WRITE_URL", "prometheus:9090",
                        "FLEETSTATS_REMOTE_WRITE_USERNAME", "fleet",
                        "FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN", "tok-123",
                        "FLEETSTATS_BATCH_SAMPLES", "0",
                        "FLEETSTATS_REMOTE_WRITE_CA_FILE", dir.resolve("none.pem").toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_REMOTE_WRITE_URL='prometheus:9090'")
        .hasMessageContaining("http://prometheus:9090/api/v1/write")
        .hasMessageContaining("FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN")
        .hasMessageContaining("FLEETSTATS_BATCH_SAMPLES='0'")
        .hasMessageContaining("FLEETSTATS_REMOTE_WRITE_CA_FILE")
        .hasMessageNotContaining("tok-123");
  }

  @Test
  void aCaFileThatHoldsNoCertificateIsAConfigurationError() throws Exception {
    Path pem = dir.resolve("ca.pem");
    Files.writeString(pem, "not a certificate\n");
    assertThatThrownBy(
            () -> PromSinkConfig.fromEnv(Map.of("FLEETSTATS_REMOTE_WRITE_CA_FILE", pem.toString())))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_REMOTE_WRITE_CA_FILE")
        .hasMessageContaining("PEM");
  }
}
