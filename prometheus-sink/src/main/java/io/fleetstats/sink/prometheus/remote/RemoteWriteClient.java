package io.fleetstats.sink.prometheus.remote;

import io.fleetstats.sink.kit.delivery.HttpPost;
import io.fleetstats.sink.kit.delivery.Outcome;
import io.fleetstats.sink.kit.delivery.Outcome.Kind;
import io.fleetstats.sink.kit.delivery.Transport;
import io.fleetstats.sink.prometheus.format.PromSample;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;

/**
 * One remote-write request per call: the samples as a snappy-compressed {@code WriteRequest}
 * ({@link WriteRequests}) POSTed with the headers of the protocol (remote write 1.0): {@code
 * Content-Type: application/x-protobuf}, {@code Content-Encoding: snappy}, {@code
 * X-Prometheus-Remote-Write-Version: 0.1.0}, plus {@code Authorization} when credentials are set.
 * The answer is classified as every HTTP sink's ({@link Outcome#ofHttpStatus}), with the settings
 * to fix named for the answers that stop the sink.
 */
public final class RemoteWriteClient implements Transport<PromSample> {
  /** Setting to name in errors about the URL. */
  public static final String URL_SETTING = "FLEETSTATS_REMOTE_WRITE_URL";

  /** Settings to name in errors about credentials. */
  public static final String CREDENTIAL_SETTINGS =
      "FLEETSTATS_REMOTE_WRITE_USERNAME and FLEETSTATS_REMOTE_WRITE_PASSWORD(_FILE), or"
          + " FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN(_FILE)";

  static final String USER_AGENT = "fleetstats-prometheus-sink";

  private final URI url;
  private final Optional<String> authorization;
  private final HttpPost http;

  /**
   * @param url the receiver's remote-write endpoint, e.g. {@code
   *     http://prometheus:9090/api/v1/write}
   * @param timeout connect and response timeout of each request
   * @param credentials what goes into {@code Authorization}
   * @param tls the TLS context for https (empty: the JVM's default trust store)
   */
  public RemoteWriteClient(
      URI url, Duration timeout, Credentials credentials, Optional<SSLContext> tls) {
    this.url = url;
    this.authorization = credentials.header();
    this.http = new HttpPost(timeout, tls);
  }

  @Override
  public Sent send(List<PromSample> samples, String format) throws InterruptedException {
    byte[] body = WriteRequests.body(samples);
    HttpRequest.Builder b =
        HttpRequest.newBuilder(url)
            .header("Content-Type", "application/x-protobuf")
            .header("Content-Encoding", "snappy")
            .header("X-Prometheus-Remote-Write-Version", "0.1.0")
            .header("User-Agent", USER_AGENT);
    authorization.ifPresent(a -> b.header("Authorization", a));
    return http.send(b, body, RemoteWriteClient::classify);
  }

  /**
   * {@link Outcome#ofHttpStatus} with the settings to fix named where the sink must stop; pure, so
   * the table is testable without a server.
   */
  static Outcome classify(int status, Optional<String> retryAfterHeader, String body) {
    String detail = HttpPost.detail(status, " from receiver", body);
    Outcome outcome = Outcome.ofHttpStatus(status, retryAfterHeader, detail);
    if (outcome.kind() != Kind.FATAL) {
      return outcome;
    }
    if (status == 401 || status == 403) {
      return Outcome.of(
          Kind.FATAL,
          status,
          detail
              + ": the receiver refuses our credentials; check "
              + URL_SETTING
              + " and "
              + CREDENTIAL_SETTINGS);
    }
    if (status == 404 || status == 405) {
      return Outcome.of(
          Kind.FATAL,
          status,
          detail
              + ": no remote-write endpoint there; check "
              + URL_SETTING
              + " (Prometheus: http://<host>:9090/api/v1/write, started with"
              + " --web.enable-remote-write-receiver)");
    }
    return Outcome.of(
        Kind.FATAL,
        status,
        detail + ": not an answer a remote-write receiver gives; check " + URL_SETTING);
  }

  @Override
  public String peer() {
    return "receiver " + url;
  }

  @Override
  public String itemName() {
    return "sample";
  }

  public URI url() {
    return url;
  }
}
