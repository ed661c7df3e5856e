package io.fleetstats.sink.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.sink.kit.delivery.Outcome.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ProxyClientTest {

  static Stream<Arguments> statuses() {
    return Stream.of(
        Arguments.of("202 from the proxy", 202, Kind.ACCEPTED),
        Arguments.of("200", 200, Kind.ACCEPTED),
        Arguments.of("204", 204, Kind.ACCEPTED),
        Arguments.of("500", 500, Kind.RETRYABLE),
        Arguments.of("503 while the proxy starts", 503, Kind.RETRYABLE),
        Arguments.of("429 throttled", 429, Kind.RETRYABLE),
        Arguments.of("408 request timeout", 408, Kind.RETRYABLE),
        Arguments.of("413 body too large", 413, Kind.TOO_LARGE),
        Arguments.of("400 body unreadable", 400, Kind.BAD_REQUEST),
        Arguments.of("401 token auth", 401, Kind.FATAL),
        Arguments.of("403 forbidden", 403, Kind.FATAL),
        Arguments.of("404 not a proxy", 404, Kind.FATAL),
        Arguments.of("302 redirect not followed", 302, Kind.FATAL));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("statuses")
  void classifiesStatus(String name, int status, Kind expected) {
    assertThat(ProxyClient.classify(status, Optional.empty(), "").kind()).isEqualTo(expected);
  }

  @Test
  void fatalOutcomeNamesTheSettingToFix() {
    assertThat(ProxyClient.classify(401, Optional.empty(), "").detail())
        .contains("FLEETSTATS_PROXY_URL", "token");
  }

  @Test
  void readsRetryAfterSeconds() {
    assertThat(ProxyClient.classify(503, Optional.of("7"), "").retryAfter())
        .contains(Duration.ofSeconds(7));
    assertThat(
            ProxyClient.classify(503, Optional.of("Wed, 21 Oct 2015 07:28:00 GMT"), "")
                .retryAfter())
        .isEmpty();
    assertThat(ProxyClient.classify(503, Optional.of("-1"), "").retryAfter()).isEmpty();
  }

  @Test
  void bodyIsGzippedNewlineTerminatedLines() throws IOException {
    byte[] body = ProxyClient.gzip(List.of("a 1 source=h", "b 2 source=\"ü\""));
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("a 1 source=h\nb 2 source=\"ü\"\n");
    }
  }

  @Test
  void postsToReportUnderTheBaseUrl() {
    assertThat(new ProxyClient(URI.create("http://p:2878"), Duration.ofSeconds(1)).endpoint())
        .isEqualTo(URI.create("http://p:2878/report"));
    assertThat(new ProxyClient(URI.create("http://p:2878/"), Duration.ofSeconds(1)).endpoint())
        .isEqualTo(URI.create("http://p:2878/report"));
  }
}
