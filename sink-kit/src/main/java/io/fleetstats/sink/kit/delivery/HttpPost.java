package io.fleetstats.sink.kit.delivery;

import io.fleetstats.sink.kit.delivery.Transport.Sent;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * One synchronous HTTP POST and what its answer means: the part of a {@link Transport} every HTTP
 * sink would otherwise repeat. No answer (timeout, refused connection, I/O error) becomes a
 * retryable {@link Outcome} naming the endpoint; a status is read by a {@link Classifier}, {@link
 * #standard} unless the sink can name the setting to fix. Synchronous, so the caller knows exactly
 * which items a 2xx covers; redirects are not followed (a 3xx means a wrong URL).
 */
public final class HttpPost {
  private final HttpClient http;
  private final Duration timeout;

  /** What an HTTP answer means for a sink. */
  @FunctionalInterface
  public interface Classifier {
    /**
     * @param retryAfterHeader the {@code Retry-After} header, if any
     * @param body the answer's body (may be empty)
     */
    Outcome classify(int status, Optional<String> retryAfterHeader, String body);
  }

  /**
   * @param timeout connect timeout and response timeout of each request
   */
  public HttpPost(Duration timeout) {
    this(timeout, Optional.empty());
  }

  /**
   * @param timeout connect timeout and response timeout of each request
   * @param tls the TLS context of https requests (a private CA, or no verification), else the JVM's
   *     default
   */
  public HttpPost(Duration timeout, Optional<SSLContext> tls) {
    this.timeout = timeout;
    HttpClient.Builder b =
        HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER);
    tls.ifPresent(b::sslContext);
    this.http = b.build();
  }

  /**
   * POSTs {@code body} with the URI and headers of {@code request} and waits for the answer.
   *
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public Sent send(HttpRequest.Builder request, byte[] body, Classifier classifier)
      throws InterruptedException {
    HttpRequest post =
        request.timeout(timeout).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    // the endpoint without its query, as logs and readiness name it
    URI endpoint = post.uri().resolve(post.uri().getRawPath());
    try {
      HttpResponse<String> answer = http.send(post, HttpResponse.BodyHandlers.ofString());
      Optional<String> retryAfter = answer.headers().firstValue("Retry-After");
      Outcome outcome = classifier.classify(answer.statusCode(), retryAfter, answer.body());
      return new Sent(outcome, body.length);
    } catch (HttpTimeoutException e) {
      String detail = "no answer from " + endpoint + " within " + timeout.toMillis() + " ms";
      return new Sent(Outcome.noAnswer("timeout", detail), body.length);
    } catch (ConnectException e) {
      String why = e.getMessage() == null ? "connection refused" : e.getMessage();
      String detail = "cannot connect to " + endpoint + ": " + why;
      return new Sent(Outcome.noAnswer("refused", detail), body.length);
    } catch (IOException e) {
      String detail = "I/O error talking to " + endpoint + ": " + e;
      return new Sent(Outcome.noAnswer("io", detail), body.length);
    }
  }

  /** {@link Outcome#ofHttpStatus} with the status and the start of the body as detail. */
  public static Outcome standard(int status, Optional<String> retryAfterHeader, String body) {
    return Outcome.ofHttpStatus(status, retryAfterHeader, detail(status, "", body));
  }

  /**
   * {@code HTTP <status><from>: <body>}, the body on one line and cut at 200 characters (a proxy
   * may answer with a whole HTML page).
   *
   * @param from e.g. {@code " from proxy"}, or empty
   */
  public static String detail(int status, String from, String body) {
    String text = body == null ? "" : body.strip().replace('\n', ' ');
    if (text.length() > 200) {
      text = text.substring(0, 200) + "…";
    }
    return "HTTP " + status + from + (text.isEmpty() ? "" : ": " + text);
  }
}
