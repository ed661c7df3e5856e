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
 * A loopback HTTP server speaking the proxy's side of the protocol: any path, gzip or plain bodies,
 * 202 by default. Answers can be scripted (503 for the next N requests, 413 above a line count or a
 * body size, 400 for bodies holding a line it is told to refuse, ...). Records the lines of every
 * body it accepted with a 2xx, and the {@code f=} parameter and {@code Authorization} header of
 * every request. It can be stopped and restarted on the same port, to play a proxy that refuses
 * connections for a while.
 */
public final class RecordingProxy implements AutoCloseable {
  private HttpServer server;
  private final int port;
  private boolean running = true;
  private final Deque<Integer> scripted = new ArrayDeque<>();
  private int defaultStatus = 202;
  private int tooLargeAboveLines = Integer.MAX_VALUE;
  private long tooLargeAboveBytes = Long.MAX_VALUE;
  private final List<String> refusedMarkers = new ArrayList<>();
  private String retryAfter;
  private Runnable onRequest = () -> {};
  private final List<String> accepted = new ArrayList<>();
  private final List<Integer> statuses = new ArrayList<>();
  private final List<Integer> bodyLines = new ArrayList<>();
  private final List<String> formats = new ArrayList<>();
  private final List<String> authorizations = new ArrayList<>();

  private RecordingProxy(HttpServer server) {
    this.server = server;
    this.port = server.getAddress().getPort();
  }

  /** Starts on a free loopback port. */
  public static RecordingProxy start() {
    try {
      RecordingProxy proxy = new RecordingProxy(bind(0));
      proxy.server.createContext("/", proxy::handle);
      proxy.server.start();
      return proxy;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static HttpServer bind(int port) throws IOException {
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
    server.setExecutor(
        java.util.concurrent.Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "recording-proxy");
              t.setDaemon(true);
              return t;
            }));
    return server;
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + port);
  }

  /** Stops listening: connections to {@link #url()} are refused until {@link #restart()}. */
  public synchronized void stop() {
    if (running) {
      running = false;
      server.stop(0);
    }
  }

  /** Listens again on the same port, with the same script and records. */
  public synchronized void restart() {
    try {
      server = bind(port);
      server.createContext("/", this::handle);
      server.start();
      running = true;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen again on port " + port, e);
    }
  }

  /**
   * Bodies holding a line that contains {@code marker} get 400, as a proxy would for a line it
   * cannot parse. Our own validator catches every line the real proxy would refuse, so tests name
   * an ordinary line as "bad" to exercise bisection.
   */
  public synchronized RecordingProxy refuseLinesContaining(String marker) {
    refusedMarkers.add(marker);
    return this;
  }

  /** Bodies larger than {@code bytes} (uncompressed) get 413, as the proxy's buffer limit does. */
  public synchronized RecordingProxy tooLargeAboveBytes(long bytes) {
    tooLargeAboveBytes = bytes;
    return this;
  }

  /** Runs {@code hook} on the server thread before answering each request. */
  public synchronized RecordingProxy onRequest(Runnable hook) {
    onRequest = hook;
    return this;
  }

  /** The {@code f=} parameter of every request ({@code ""} when absent). */
  public synchronized List<String> formats() {
    return List.copyOf(formats);
  }

  /** The {@code Authorization} header of every request ({@code ""} when absent). */
  public synchronized List<String> authorizations() {
    return List.copyOf(authorizations);
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
      boolean gzip =
          "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
      String body;
      try (InputStream in =
          gzip
              ? new GZIPInputStream(new ByteArrayInputStream(raw))
              : new ByteArrayInputStream(raw)) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      // As the proxy: split on '\n', trim, drop empty lines.
      List<String> lines =
          Arrays.stream(body.split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
      Runnable hook;
      synchronized (this) {
        hook = onRequest;
      }
      hook.run();
      int status;
      synchronized (this) {
        if (!scripted.isEmpty()) {
          status = scripted.poll();
        } else if (lines.size() > tooLargeAboveLines
            || body.getBytes(StandardCharsets.UTF_8).length > tooLargeAboveBytes) {
          status = 413;
        } else if (lines.stream().anyMatch(l -> refusedMarkers.stream().anyMatch(l::contains))) {
          status = 400;
        } else {
          status = defaultStatus;
        }
        String query = exchange.getRequestURI().getRawQuery();
        formats.add(query != null && query.startsWith("f=") ? query.substring(2) : "");
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        authorizations.add(auth == null ? "" : auth);
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
  public synchronized void close() {
    stop();
  }
}
