package io.fleetstats.sink.kit.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.sink.kit.delivery.Outcome.Kind;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OutcomeTest {

  static Stream<Arguments> statuses() {
    return Stream.of(
        Arguments.of("200", 200, Kind.ACCEPTED, "2xx"),
        Arguments.of("202 from a proxy", 202, Kind.ACCEPTED, "2xx"),
        Arguments.of("204", 204, Kind.ACCEPTED, "2xx"),
        Arguments.of("500", 500, Kind.RETRYABLE, "5xx"),
        Arguments.of("503 while the server starts", 503, Kind.RETRYABLE, "5xx"),
        Arguments.of("429 throttled", 429, Kind.RETRYABLE, "429"),
        Arguments.of("408 request timeout", 408, Kind.RETRYABLE, "408"),
        Arguments.of("413 body too large: split", 413, Kind.TOO_LARGE, "413"),
        Arguments.of("400 body refused: bisect", 400, Kind.BAD_REQUEST, "400"),
        Arguments.of("401 never retried", 401, Kind.FATAL, "4xx"),
        Arguments.of("403 never retried", 403, Kind.FATAL, "4xx"),
        Arguments.of("404 wrong URL", 404, Kind.FATAL, "4xx"),
        Arguments.of("302 redirect not followed", 302, Kind.FATAL, "4xx"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("statuses")
  void readsAnHttpStatus(String name, int status, Kind kind, String cause) {
    Outcome outcome = Outcome.ofHttpStatus(status, Optional.empty(), "HTTP " + status);
    assertThat(outcome.kind()).isEqualTo(kind);
    assertThat(outcome.cause()).isEqualTo(cause);
    assertThat(outcome.status()).isEqualTo(status);
  }

  @Test
  void honoursRetryAfterSecondsOnRetryableAnswersOnly() {
    assertThat(Outcome.ofHttpStatus(503, Optional.of(" 7 "), "").retryAfter())
        .contains(Duration.ofSeconds(7));
    Optional<String> date = Optional.of("Wed, 21 Oct 2015 07:28:00 GMT");
    assertThat(Outcome.ofHttpStatus(429, date, "").retryAfter()).isEmpty();
    assertThat(Outcome.ofHttpStatus(503, Optional.of("-1"), "").retryAfter()).isEmpty();
    assertThat(Outcome.ofHttpStatus(400, Optional.of("7"), "").retryAfter()).isEmpty();
  }

  @Test
  void detailKeepsTheStartOfTheBodyOnOneLine() {
    assertThat(HttpPost.detail(503, " from proxy", "")).isEqualTo("HTTP 503 from proxy");
    assertThat(HttpPost.detail(400, "", "bad\nline\n")).isEqualTo("HTTP 400: bad line");
    assertThat(HttpPost.detail(500, "", "x".repeat(300)))
        .isEqualTo("HTTP 500: " + "x".repeat(200) + "…");
  }
}
