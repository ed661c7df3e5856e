package io.fleetstats.kit.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fleetstats.kit.ProcessIdentity;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Every service's admin port: {@code /healthz} (the process is alive), {@code /readyz} (it can do
 * its work: 200, else 503 with the reason), {@code /metrics} (Prometheus text from the service's
 * Micrometer registry). One small thread; it never touches the data path.
 */
public final class AdminServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;

  /** Readiness: empty when ready, else why not (shown in the 503 body). */
  @FunctionalInterface
  public interface Readiness extends Supplier<String> {}

  private AdminServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * @param address where to listen; port 0 for a free one
   * @param registry the service's registry, scraped on {@code /metrics}
   * @param readiness null or empty string when ready, otherwise the reason it is not
   */
  public static AdminServer start(
      InetSocketAddress address, PrometheusMeterRegistry registry, Readiness readiness) {
    try {
      HttpServer server = HttpServer.create(address, 16);
      ExecutorService executor =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "admin-http");
                t.setDaemon(true);
                return t;
              });
      server.setExecutor(executor);
      server.createContext("/healthz", ex -> respond(ex, 200, "ok\n", "text/plain"));
      server.createContext(
          "/readyz",
          ex -> {
            String why = readiness.get();
            if (why == null || why.isEmpty()) {
              respond(ex, 200, "ready\n", "text/plain");
            } else {
              respond(ex, 503, "not ready: " + why + "\n", "text/plain");
            }
          });
      server.createContext(
          "/metrics",
          ex -> respond(ex, 200, registry.scrape(), "text/plain; version=0.0.4; charset=utf-8"));
      server.start();
      return new AdminServer(server, executor);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot listen on admin address "
              + address
              + ": "
              + e.getMessage()
              + " (set FLEETSTATS_ADMIN_ADDRESS)",
          e);
    }
  }

  /** A registry with Prometheus defaults, for services that have none yet. */
  public static PrometheusMeterRegistry newRegistry() {
    return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  }

  /**
   * A registry with Prometheus defaults whose every meter carries {@code identity}'s tags (set
   * before any meter is registered, as Micrometer requires).
   */
  public static PrometheusMeterRegistry newRegistry(ProcessIdentity identity) {
    PrometheusMeterRegistry registry = newRegistry();
    registry.config().commonTags(identity.tags());
    return registry;
  }

  public InetSocketAddress address() {
    return server.getAddress();
  }

  private static void respond(HttpExchange ex, int status, String body, String type)
      throws IOException {
    try (ex) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", type);
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
