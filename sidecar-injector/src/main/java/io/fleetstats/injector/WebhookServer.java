package io.fleetstats.injector;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The webhook's HTTPS server: {@code POST /mutate} (AdmissionReview v1), {@code GET /healthz}. The
 * certificate comes from PEM files, checked for a change every reload interval.
 */
public final class WebhookServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The api-server sends a pod of some KiB; anything near this is not an AdmissionReview. */
  static final int MAX_BODY_BYTES = 4 << 20;

  private final HttpsServer server;
  private final ExecutorService executor;
  private final ScheduledExecutorService reloader;
  private final ReloadingKeyManager keys;
  private final PodMutator mutator;
  private final AtomicLong injected = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();

  private WebhookServer(
      HttpsServer server,
      ExecutorService executor,
      ScheduledExecutorService reloader,
      ReloadingKeyManager keys,
      PodMutator mutator) {
    this.server = server;
    this.executor = executor;
    this.reloader = reloader;
    this.keys = keys;
    this.mutator = mutator;
  }

  /**
   * Starts listening.
   *
   * @throws UncheckedIOException when the address cannot be bound (the message names the setting)
   */
  public static WebhookServer start(
      InetSocketAddress address,
      ReloadingKeyManager keys,
      Duration reloadInterval,
      PodMutator mutator) {
    SSLContext tls;
    try {
      tls = SSLContext.getInstance("TLS");
      tls.init(new KeyManager[] {keys}, null, null);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK offers no TLS context: " + e, e);
    }
    HttpsServer server;
    try {
      server = HttpsServer.create(address, 64);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on "
              + address
              + ": "
              + e.getMessage()
              + " (set "
              + InjectorConfig.ADDRESS.key()
              + ")",
          e);
    }
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    ExecutorService executor =
        Executors.newFixedThreadPool(
            4,
            r -> {
              Thread t = new Thread(r, "webhook-https");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    ScheduledExecutorService reloader =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "webhook-tls-reload");
              t.setDaemon(true);
              return t;
            });
    WebhookServer webhook = new WebhookServer(server, executor, reloader, keys, mutator);
    server.createContext("/mutate", webhook::mutate);
    server.createContext("/healthz", ex -> respond(ex, 200, "ok\n", "text/plain"));
    long every = reloadInterval.toMillis();
    reloader.scheduleWithFixedDelay(keys::reloadIfChanged, every, every, TimeUnit.MILLISECONDS);
    server.start();
    return webhook;
  }

  /** The bound address (port 0 resolved). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** Pods that got the sidecar. */
  public long injected() {
    return injected.get();
  }

  /** Pod requests answered without a patch (not annotated, already injected …). */
  public long skipped() {
    return skipped.get();
  }

  /** Requests answered 4xx. */
  public long rejected() {
    return rejected.get();
  }

  private void mutate(HttpExchange ex) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("POST")) {
        rejected.incrementAndGet();
        respond(ex, 405, "POST an AdmissionReview v1 to /mutate\n", "text/plain");
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readNBytes(MAX_BODY_BYTES + 1);
      }
      if (body.length > MAX_BODY_BYTES) {
        rejected.incrementAndGet();
        respond(ex, 413, "request larger than " + MAX_BODY_BYTES + " bytes\n", "text/plain");
        return;
      }
      JsonNode review;
      try {
        review = JSON.readTree(body);
      } catch (JsonProcessingException e) {
        rejected.incrementAndGet();
        respond(ex, 400, "not JSON: " + e.getOriginalMessage() + "\n", "text/plain");
        return;
      }
      AdmissionReviews.Answer answer;
      try {
        answer = AdmissionReviews.answer(review == null ? JSON.nullNode() : review, mutator);
      } catch (AdmissionReviews.BadReview e) {
        rejected.incrementAndGet();
        respond(ex, 400, e.getMessage() + "\n", "text/plain");
        return;
      }
      PodMutator.Mutation m = answer.mutation();
      if (m != null) {
        JsonNode request = review.path("request");
        String pod =
            request.path("namespace").asText()
                + "/"
                + request
                    .path("object")
                    .path("metadata")
                    .path("name")
                    .asText(
                        request.path("object").path("metadata").path("generateName").asText("")
                            + "*");
        if (m.changes()) {
          injected.incrementAndGet();
          log.info("sidecar added to pod {}", pod);
        } else {
          skipped.incrementAndGet();
          log.debug("pod {} left as it is: {}", pod, m.reason());
        }
        m.warnings().forEach(w -> log.warn("pod {}: {}", pod, w));
      }
      respond(ex, 200, JSON.writeValueAsString(answer.review()), "application/json");
    }
  }

  private static void respond(HttpExchange ex, int status, String body, String type)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** The certificate now served (changes after a reload). */
  public ReloadingKeyManager keys() {
    return keys;
  }

  @Override
  public void close() {
    reloader.shutdownNow();
    server.stop(0);
    executor.shutdownNow();
  }
}
