package io.fleetstats.sink.kit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback HTTP server for {@link PostDelivery}: plain bodies of lines, 202 unless told
 * otherwise, 400 for a body holding a line it is told to refuse. It records the lines of every body
 * it accepted and the status of every request, and runs a hook before answering (to read the
 * committed offsets while a request is in flight).
 */
final class RecordingServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final List<String> accepted = new ArrayList<>();
  private final List<Integer> statuses = new ArrayList<>();
  private int status = 202;
  private String refused = null;
  private Runnable onRequest = () -> {};

  private RecordingServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "recording-server"));
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  static RecordingServer start() {
    try {
      return new RecordingServer();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/ingest");
  }

  /** Every request gets {@code status} unless it holds a refused line. */
  synchronized RecordingServer answer(int status) {
    this.status = status;
    return this;
  }

  /** Bodies holding a line that contains {@code marker} get 400. */
  synchronized RecordingServer refuseLinesContaining(String marker) {
    this.refused = marker;
    return this;
  }

  synchronized RecordingServer onRequest(Runnable hook) {
    this.onRequest = hook;
    return this;
  }

  /** Lines of the bodies answered 2xx, in arrival order. */
  synchronized List<String> accepted() {
    return List.copyOf(accepted);
  }

  synchronized List<Integer> statuses() {
    return List.copyOf(statuses);
  }

  synchronized int requests() {
    return statuses.size();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      List<String> lines = Arrays.asList(body.split("\n"));
      Runnable hook;
      synchronized (this) {
        hook = onRequest;
      }
      hook.run();
      int answer;
      synchronized (this) {
        boolean refuse = refused != null && lines.stream().anyMatch(l -> l.contains(refused));
        answer = refuse ? 400 : status;
        statuses.add(answer);
        if (answer >= 200 && answer < 300) {
          accepted.addAll(lines);
        }
      }
      exchange.sendResponseHeaders(answer, -1);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
