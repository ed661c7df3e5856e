package io.fleetstats.sink.delivery;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * A loopback HTTP server speaking the proxy's side of the protocol: any path, gzip or plain
 * bodies, 202 by default. Answers can be scripted (503 for the next N requests, 413 above a line
 * count, ...). Records the lines of every body it accepted with a 2xx.
 */
public final class RecordingProxy implements AutoCloseable {
  private final HttpServer server;
  private final Deque<Integer> scripted = new ArrayDeque<>();
  private int defaultStatus = 202;
  private int tooLargeAboveLines = Integer.MAX_VALUE;
  private String retryAfter;
  private final List<String> accepted = new ArrayList<>();
  private final List<Integer> statuses = new ArrayList<>();
  private final List<Integer> bodyLines = new ArrayList<>();

  private RecordingProxy(HttpServer server) {
    this.server = server;
  }

  /** Starts on a free loopback port. */
  public static RecordingProxy start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      RecordingProxy proxy = new RecordingProxy(server);
      server.createContext("/", proxy::handle);
      server.start();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The next {@code times} requests get {@code status}, then the default again. */
  public synchronized RecordingProxy answerNext(int status, int times) {
    for (int i = 0; i < times; i++) {
      scripted.add(status);
    }
    return this;
  }

  /** Every request not scripted gets {@code status} (202 unless changed). */
  public synchronized RecordingProxy answerByDefault(int status) {
    defaultStatus = status;
    return this;
  }

  /** Bodies with more than {@code lines} lines get 413, as a proxy with a small buffer would. */
  public synchronized RecordingProxy tooLargeAbove(int lines) {
    tooLargeAboveLines = lines;
    return this;
  }

  /** Sends {@code Retry-After: <value>} with every non-2xx answer. */
  public synchronized RecordingProxy retryAfter(String value) {
    retryAfter = value;
    return this;
  }

  /** Lines of all bodies answered with 2xx, in arrival order. */
  public synchronized List<String> acceptedLines() {
    return List.copyOf(accepted);
  }

  /** Status of every request so far. */
  public synchronized List<Integer> statuses() {
    return List.copyOf(statuses);
  }

  /** Line count of every request so far. */
  public synchronized List<Integer> bodyLines() {
    return List.copyOf(bodyLines);
  }

  public synchronized int requests() {
    return statuses.size();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      byte[] raw = exchange.getRequestBody().readAllBytes();
      boolean gzip = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
      String body;
      try (InputStream in = gzip ? new GZIPInputStream(new ByteArrayInputStream(raw)) : new ByteArrayInputStream(raw)) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      // As the proxy: split on '\n', trim, drop empty lines.
      List<String> lines = Arrays.stream(body.split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
      int status;
      synchronized (this) {
        if (!scripted.isEmpty()) {
          status = scripted.poll();
        } else if (lines.size() > tooLargeAboveLines) {
          status = 413;
        } else {
          status = defaultStatus;
        }
        statuses.add(status);
        bodyLines.add(lines.size());
        if (status >= 200 && status < 300) {
          accepted.addAll(lines);
        }
        if (retryAfter != null && status >= 300) {
          exchange.getResponseHeaders().add("Retry-After", retryAfter);
        }
      }
      exchange.sendResponseHeaders(status, -1);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
