package io.fleetstats.local;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stands in for a Wavefront proxy's HTTP listener: a POST on any path with newline-separated lines
 * (optionally gzip) is answered 202, as the proxy does, and each line is handed to the listeners
 * (print, capture file). It does not validate lines: tests do that with the proxy's own parser.
 */
public final class ProxyReceiver implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyReceiver.class);

  private final HttpServer server;
  private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();
  private final BufferedWriter capture;

  private ProxyReceiver(HttpServer server, BufferedWriter capture) {
    this.server = server;
    this.capture = capture;
  }

  /**
   * @param port 0 for a free port
   * @param captureFile lines are appended here as they arrive, if present
   */
  public static ProxyReceiver start(int port, Optional<Path> captureFile) {
    try {
      BufferedWriter capture = null;
      if (captureFile.isPresent()) {
        Path f = captureFile.get().toAbsolutePath();
        if (f.getParent() != null) {
          Files.createDirectories(f.getParent());
        }
        capture =
            Files.newBufferedWriter(
                f, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      }
      HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
      ProxyReceiver receiver = new ProxyReceiver(server, capture);
      server.createContext("/", receiver::handle);
      server.setExecutor(Executors.newSingleThreadExecutor(r -> new Thread(r, "proxy-receiver")));
      server.start();
      return receiver;
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot start the built-in proxy receiver on port " + port + ": " + e.getMessage(), e);
    }
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Called with every line received, in order, on the receiver's thread. */
  public void addListener(Consumer<String> listener) {
    listeners.add(listener);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      InputStream body = exchange.getRequestBody();
      String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
      if (encoding != null && encoding.equalsIgnoreCase("gzip")) {
        body = new GZIPInputStream(body);
      }
      String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
      for (String line : text.split("\n")) {
        String l = line.strip();
        if (!l.isEmpty()) {
          deliver(l);
        }
      }
      exchange.sendResponseHeaders(202, -1);
    } catch (IOException | RuntimeException e) {
      log.warn("built-in receiver could not read a request: {}", e.toString());
      throw e;
    }
  }

  private void deliver(String line) throws IOException {
    if (capture != null) {
      capture.write(line);
      capture.newLine();
      capture.flush();
    }
    for (Consumer<String> l : listeners) {
      l.accept(line);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdown();
    if (capture != null) {
      try {
        capture.close();
      } catch (IOException e) {
        log.warn("cannot close the capture file: {}", e.toString());
      }
    }
  }
}
