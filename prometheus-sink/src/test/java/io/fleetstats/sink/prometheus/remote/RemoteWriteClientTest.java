package io.fleetstats.sink.prometheus.remote;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.sink.kit.delivery.Outcome.Kind;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each answer of a receiver means, and which setting the stopping ones name. */
class RemoteWriteClientTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "200 | ACCEPTED    | HTTP 200",
        "204 | ACCEPTED    | HTTP 204",
        "500 | RETRYABLE   | HTTP 500 from receiver",
        "503 | RETRYABLE   | HTTP 503 from receiver",
        "429 | RETRYABLE   | HTTP 429 from receiver",
        "400 | BAD_REQUEST | HTTP 400 from receiver: the body",
        "413 | TOO_LARGE   | HTTP 413 from receiver",
        "401 | FATAL       | FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN",
        "403 | FATAL       | FLEETSTATS_REMOTE_WRITE_USERNAME",
        "404 | FATAL       | --web.enable-remote-write-receiver",
        "302 | FATAL       | check FLEETSTATS_REMOTE_WRITE_URL",
      })
  void classifiesAnswers(int status, Kind kind, String detailPart) {
    var outcome = RemoteWriteClient.classify(status, Optional.empty(), "the body");
    assertThat(outcome.kind()).isEqualTo(kind);
    assertThat(outcome.detail()).contains(detailPart);
  }

  @ParameterizedTest
  @CsvSource({"429", "503"})
  void honoursRetryAfterSeconds(int status) {
    assertThat(RemoteWriteClient.classify(status, Optional.of("7"), "").retryAfter())
        .contains(Duration.ofSeconds(7));
  }
}
