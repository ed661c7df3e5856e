package io.fleetstats.sink.delivery;

import io.fleetstats.sink.delivery.Outcome.Kind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

/**
 * Sends batches of Wavefront lines to a proxy's HTTP listener and classifies the answer. One
 * synchronous request per call, so the caller knows exactly which lines a 2xx covers.
 *
 * <p>The body is the lines joined by {@code \n}, gzip-compressed ({@code Content-Encoding:
 * gzip}, which the proxy decodes). No {@code f=} parameter: the proxy then detects each line's
 * format itself, so distributions can later share a request with plain points.
 */
public final class ProxyClient {
  /** Setting to name in errors about the URL. */
  public static final String URL_SETTING = "FLEETSTATS_PROXY_URL";

  private final URI endpoint;
  private final Duration requestTimeout;
  private final HttpClient http;

  /**
   * @param proxyUrl base URL of the proxy listener, e.g. {@code http://wavefront-proxy:2878}
   * @param requestTimeout connect timeout and response timeout of each request
   */
  public ProxyClient(URI proxyUrl, Duration requestTimeout) {
    String base = proxyUrl.toString();
    // The proxy ignores the path; /report is what the Wavefront SDKs use.
    this.endpoint = URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/report");
    this.requestTimeout = requestTimeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(requestTimeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  public URI endpoint() {
    return endpoint;
  }

  /**
   * POSTs {@code lines} and waits for the answer.
   *
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public Outcome send(List<String> lines) throws InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(endpoint)
            .timeout(requestTimeout)
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Content-Encoding", "gzip")
            .POST(HttpRequest.BodyPublishers.ofByteArray(gzip(lines)))
            .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (HttpTimeoutException e) {
      return Outcome.retryable(-1, Optional.empty(), "no answer from " + endpoint + " within " + requestTimeout.toMillis() + " ms");
    } catch (ConnectException e) {
      return Outcome.retryable(-1, Optional.empty(), "cannot connect to " + endpoint + ": " + (e.getMessage() == null ? "connection refused" : e.getMessage()));
    } catch (IOException e) {
      return Outcome.retryable(-1, Optional.empty(), "I/O error talking to " + endpoint + ": " + e);
    }
    return classify(response.statusCode(), response.headers().firstValue("Retry-After"), response.body());
  }

  /** The outcome of an HTTP status; pure, so the table is testable without a server. */
  static Outcome classify(int status, Optional<String> retryAfterHeader, String body) {
    String detail = "HTTP " + status + " from proxy" + (body == null || body.isBlank() ? "" : ": " + abbreviate(body));
    if (status >= 200 && status < 300) {
      return Outcome.accepted(status);
    }
    if (status >= 500 || status == 429 || status == 408) {
      return Outcome.retryable(status, retryAfter(retryAfterHeader), detail);
    }
    if (status == 413) {
      return Outcome.of(Kind.TOO_LARGE, status, detail);
    }
    if (status == 400) {
      return Outcome.of(Kind.BAD_REQUEST, status, detail);
    }
    if (status == 401 || status == 403) {
      return Outcome.of(
          Kind.FATAL,
          status,
          detail
              + ": the proxy refuses our data; check "
              + URL_SETTING
              + " points at a Wavefront proxy and that its token authentication (if enabled) accepts this sink");
    }
    return Outcome.of(
        Kind.FATAL,
        status,
        detail + ": not an answer a Wavefront proxy gives; check " + URL_SETTING);
  }

  /** {@code Retry-After} in delta-seconds; the HTTP-date form is rare from proxies and ignored. */
  static Optional<Duration> retryAfter(Optional<String> header) {
    return header.flatMap(
        h -> {
          try {
            long seconds = Long.parseLong(h.trim());
            return seconds >= 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
          } catch (NumberFormatException e) {
            return Optional.empty();
          }
        });
  }

  static byte[] gzip(List<String> lines) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + lines.size() * 40);
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 8192)) {
      for (String line : lines) {
        gz.write(line.getBytes(StandardCharsets.UTF_8));
        gz.write('\n');
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot gzip in memory", e);
    }
    return bytes.toByteArray();
  }

  private static String abbreviate(String s) {
    String oneLine = s.strip().replace('\n', ' ');
    return oneLine.length() <= 200 ? oneLine : oneLine.substring(0, 200) + "…";
  }
}
