package io.fleetstats.sink.delivery;

import io.fleetstats.sink.kit.delivery.HttpPost;
import io.fleetstats.sink.kit.delivery.Outcome;
import io.fleetstats.sink.kit.delivery.Outcome.Kind;
import io.fleetstats.sink.kit.delivery.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

/**
 * Sends batches of Wavefront lines to a proxy's HTTP listener and classifies the answer. One
 * synchronous request per call, so the caller knows exactly which lines a 2xx covers.
 *
 * <p>The body is the lines joined by {@code \n}, gzip-compressed ({@code Content-Encoding: gzip},
 * which the proxy decodes). Each request carries one kind of line and says so ({@code ?f=wavefront}
 * for points and delta counters, {@code ?f=histogram} for distributions), as the Wavefront SDKs do:
 * direct ingestion needs it, and an account without histograms then answers 403 (a clear error)
 * instead of the proxy discarding auto-detected distributions silently.
 *
 * <p>With a token, every request carries {@code Authorization: Bearer <token>}: the API token for
 * direct ingestion, or the proxy's token when its token authentication is on.
 */
public final class ProxyClient implements Transport<String> {
  /** Setting to name in errors about the URL. */
  public static final String URL_SETTING = "FLEETSTATS_PROXY_URL";

  /** Setting to name in errors about the token. */
  public static final String TOKEN_SETTING = "FLEETSTATS_WAVEFRONT_TOKEN";

  /** Setting to name when distributions are refused. */
  public static final String DISTRIBUTIONS_SETTING = "FLEETSTATS_DISTRIBUTIONS";

  /** {@code f=} of distribution requests (as {@code WavefrontDistribution.FORMAT}). */
  static final String HISTOGRAM_FORMAT = "histogram";

  private final URI endpoint;
  private final Optional<String> token;
  private final int gzipLevel;

  /**
   * Deflate level 1: about 3× faster than the JDK's default 6 on Wavefront lines for bodies about
   * 15 % larger (bench/README.md), the better trade for a sink that sits next to its proxy.
   */
  public static final int DEFAULT_GZIP_LEVEL = 1;

  private final HttpPost http;

  /**
   * @param proxyUrl base URL of the proxy listener, e.g. {@code http://wavefront-proxy:2878}
   * @param requestTimeout connect timeout and response timeout of each request
   */
  public ProxyClient(URI proxyUrl, Duration requestTimeout) {
    this(proxyUrl, requestTimeout, Optional.empty());
  }

  /**
   * @param proxyUrl base URL of the proxy listener or of the Wavefront cluster (direct ingestion)
   * @param requestTimeout connect timeout and response timeout of each request
   * @param token sent as {@code Authorization: Bearer}, if present
   */
  public ProxyClient(URI proxyUrl, Duration requestTimeout, Optional<String> token) {
    this(proxyUrl, requestTimeout, token, DEFAULT_GZIP_LEVEL);
  }

  /**
   * @param gzipLevel deflate level 0–9 ({@link #DEFAULT_GZIP_LEVEL} unless set)
   */
  public ProxyClient(URI proxyUrl, Duration requestTimeout, Optional<String> token, int gzipLevel) {
    this.gzipLevel = gzipLevel;
    String base = proxyUrl.toString();
    // The proxy ignores the path; /report is what the Wavefront SDKs use, and the direct
    // ingestion endpoint.
    this.endpoint =
        URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/report");
    this.token = token;
    this.http = new HttpPost(requestTimeout);
  }

  public URI endpoint() {
    return endpoint;
  }

  @Override
  public String peer() {
    return "proxy " + endpoint;
  }

  @Override
  public String itemName() {
    return "line";
  }

  /**
   * POSTs {@code lines} and waits for the answer.
   *
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  public Outcome send(List<String> lines) throws InterruptedException {
    return send(lines, null).outcome();
  }

  /**
   * POSTs {@code lines} with {@code ?f=<format>} (none if null) and waits for the answer.
   *
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  @Override
  public Sent send(List<String> lines, String format) throws InterruptedException {
    byte[] body = gzip(lines, gzipLevel);
    HttpRequest.Builder b =
        HttpRequest.newBuilder(format == null ? endpoint : URI.create(endpoint + "?f=" + format))
            .header("Content-Type", "text/plain; charset=utf-8")
            .header("Content-Encoding", "gzip");
    token.ifPresent(t -> b.header("Authorization", "Bearer " + t));
    return http.send(
        b,
        body,
        (status, retryAfter, text) -> {
          Outcome outcome = classify(status, retryAfter, text);
          if (status == 403 && HISTOGRAM_FORMAT.equals(format)) {
            return Outcome.of(
                Outcome.Kind.FATAL,
                403,
                outcome.detail()
                    + "; distributions may be disabled for this account: set "
                    + DISTRIBUTIONS_SETTING
                    + "=off or ask for histograms to be enabled");
          }
          return outcome;
        });
  }

  /**
   * The outcome of an HTTP status ({@link Outcome#ofHttpStatus}) with the settings to fix named;
   * pure, so the table is testable without a server.
   */
  static Outcome classify(int status, Optional<String> retryAfterHeader, String body) {
    String detail = HttpPost.detail(status, " from proxy", body);
    Outcome outcome = Outcome.ofHttpStatus(status, retryAfterHeader, detail);
    if (outcome.kind() != Kind.FATAL) {
      return outcome;
    }
    if (status == 401 || status == 403) {
      return Outcome.of(
          Kind.FATAL,
          status,
          detail
              + ": the proxy refuses our data; check "
              + URL_SETTING
              + " points at a Wavefront proxy (or, for direct ingestion, at the cluster's https URL) and that "
              + TOKEN_SETTING
              + " (or "
              + TOKEN_SETTING
              + "_FILE) holds a token it accepts");
    }
    return Outcome.of(
        Kind.FATAL,
        status,
        detail + ": not an answer a Wavefront proxy gives; check " + URL_SETTING);
  }

  static byte[] gzip(List<String> lines) {
    return gzip(lines, DEFAULT_GZIP_LEVEL);
  }

  // Lines are copied into a 64 KiB block and each block is deflated at once: the deflater is
  // much faster on large inputs than on a write per line, and no joined String is built.
  static byte[] gzip(List<String> lines, int level) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(4096 + lines.size() * 16);
    byte[] block = new byte[65536];
    int pos = 0;
    try (GZIPOutputStream gz = new LevelGzip(bytes, level)) {
      for (String line : lines) {
        byte[] b = line.getBytes(StandardCharsets.UTF_8);
        if (pos + b.length + 1 > block.length) {
          gz.write(block, 0, pos);
          pos = 0;
        }
        if (b.length + 1 > block.length) {
          gz.write(b);
          gz.write('\n');
          continue;
        }
        System.arraycopy(b, 0, block, pos, b.length);
        pos += b.length;
        block[pos++] = '\n';
      }
      gz.write(block, 0, pos);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot gzip in memory", e);
    }
    return bytes.toByteArray();
  }

  private static final class LevelGzip extends GZIPOutputStream {
    LevelGzip(java.io.OutputStream out, int level) throws IOException {
      super(out, 65536);
      def.setLevel(level);
    }
  }
}
