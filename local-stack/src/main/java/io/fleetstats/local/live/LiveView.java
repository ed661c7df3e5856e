package io.fleetstats.local.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The local stack's live view: a page that draws the aggregated series as the sink delivers them
 * (pick a metric and a field: one line per pod and the roll-ups, over the last minutes) and the
 * platform panel (samples received and dropped by the agents, lines sent by the sink, the sink's
 * and the processor's Kafka lag). Served by the JDK's HTTP server on one small thread; uPlot comes
 * from its WebJar on the classpath. History is bounded ({@link SeriesStore.Bounds}; the platform
 * panel keeps {@link PlatformSampler#CAPACITY} one-second samples).
 *
 * <pre>
 *   GET /                      the page (index.html)
 *   GET /uplot/uPlot.min.js    uPlot from org.webjars.npm:uplot
 *   GET /api/metrics           {"metrics": {name: [fields]}, "refused": n, "bounds": {...}}
 *   GET /api/series?metric=M&amp;field=F&amp;minutes=N   {"t": [...], "series": [{label, rollup, values}]}
 *   GET /api/platform          {"t": [...], "received": [...], "dropped": [...], "linesSent": [...], ...}
 * </pre>
 */
public final class LiveView implements AutoCloseable {
  /** Where the WebJar keeps uPlot's files. */
  static final String UPLOT = "/META-INF/resources/webjars/uplot/1.6.30/dist/";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final ExecutorService executor;
  private final ScheduledExecutorService sampler;
  private final SeriesStore store;
  private final PlatformSampler platform;

  private LiveView(
      HttpServer server,
      ExecutorService executor,
      ScheduledExecutorService sampler,
      SeriesStore store,
      PlatformSampler platform) {
    this.server = server;
    this.executor = executor;
    this.sampler = sampler;
    this.store = store;
    this.platform = platform;
  }

  /**
   * Starts serving on {@code address}.
   *
   * @param lines where to register for every line the receiver gets
   * @param platform read once a second for the platform panel
   * @throws UncheckedIOException when the address cannot be bound (the message names {@code
   *     --ui-port})
   */
  public static LiveView start(
      InetSocketAddress address, Consumer<Consumer<String>> lines, PlatformSampler platform) {
    SeriesStore store = new SeriesStore(SeriesStore.Bounds.DEFAULT);
    HttpServer server;
    try {
      server = HttpServer.create(address, 16);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot serve the live view on "
              + address.getHostString()
              + ":"
              + address.getPort()
              + ": "
              + e.getMessage()
              + " (choose another --ui-port, or --ui-port off)",
          e);
    }
    ExecutorService executor =
        Executors.newSingleThreadExecutor(daemon("fleetstats-live-view-http"));
    ScheduledExecutorService sampler =
        Executors.newSingleThreadScheduledExecutor(daemon("fleetstats-live-view-sampler"));
    LiveView view = new LiveView(server, executor, sampler, store, platform);
    server.setExecutor(executor);
    server.createContext("/", view::page);
    server.createContext("/uplot/", view::uplot);
    server.createContext("/api/metrics", view::metrics);
    server.createContext("/api/series", view::series);
    server.createContext("/api/platform", view::platform);
    lines.accept(line -> PointLine.parse(line).ifPresent(store::add));
    sampler.scheduleAtFixedRate(platform::sample, 0, 1, TimeUnit.SECONDS);
    server.start();
    return view;
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  /** The page's address, e.g. {@code http://127.0.0.1:8088/}. */
  public URI url() {
    InetSocketAddress a = server.getAddress();
    return URI.create("http://" + a.getHostString() + ":" + a.getPort() + "/");
  }

  /** The series behind the page (for tests and embedding). */
  public SeriesStore store() {
    return store;
  }

  private void page(HttpExchange ex) throws IOException {
    if (!ex.getRequestURI().getPath().equals("/")) {
      respond(ex, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8));
      return;
    }
    respond(ex, 200, "text/html; charset=utf-8", resource("/io/fleetstats/local/live/index.html"));
  }

  private void uplot(HttpExchange ex) throws IOException {
    String file = ex.getRequestURI().getPath().substring("/uplot/".length());
    String type =
        switch (file) {
          case "uPlot.iife.min.js" -> "text/javascript";
          case "uPlot.min.css" -> "text/css";
          default -> null;
        };
    if (type == null) {
      respond(ex, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8));
      return;
    }
    respond(ex, 200, type, resource(UPLOT + file));
  }

  private void metrics(HttpExchange ex) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode metrics = root.putObject("metrics");
    store.metrics().forEach((name, fields) -> fields.forEach(metrics.putArray(name)::add));
    root.put("refused", store.refused());
    ObjectNode bounds = root.putObject("bounds");
    bounds.put("pointsPerSeries", store.bounds().pointsPerSeries());
    bounds.put("metrics", store.bounds().metrics());
    bounds.put("seriesPerMetric", store.bounds().seriesPerMetric());
    json(ex, root);
  }

  private void series(HttpExchange ex) throws IOException {
    Map<String, String> q = query(ex.getRequestURI());
    String metric = q.getOrDefault("metric", "");
    String field = q.getOrDefault("field", "value");
    int minutes;
    try {
      minutes = Math.max(1, Math.min(60, Integer.parseInt(q.getOrDefault("minutes", "10"))));
    } catch (NumberFormatException e) {
      minutes = 10;
    }
    long since = System.currentTimeMillis() / 1000 - minutes * 60L;
    List<SeriesStore.Series> series = store.series(metric, field, since);
    List<Long> axis = SeriesStore.timeAxis(series);
    Map<Long, Integer> index = new HashMap<>();
    for (int i = 0; i < axis.size(); i++) {
      index.put(axis.get(i), i);
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("metric", metric);
    root.put("field", field);
    ArrayNode t = root.putArray("t");
    axis.forEach(t::add);
    ArrayNode out = root.putArray("series");
    for (SeriesStore.Series s : series) {
      ObjectNode o = out.addObject();
      o.put("label", s.label());
      o.put("rollup", s.rollup());
      Double[] aligned = new Double[axis.size()];
      for (int i = 0; i < s.times().size(); i++) {
        aligned[index.get(s.times().get(i)[0])] = s.values().get(i);
      }
      ArrayNode values = o.putArray("values");
      for (Double v : aligned) {
        if (v == null) {
          values.addNull();
        } else {
          values.add(v);
        }
      }
    }
    json(ex, root);
  }

  private void platform(HttpExchange ex) throws IOException {
    json(ex, platform.toJson(JSON));
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> out = new HashMap<>();
    String raw = uri.getRawQuery();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static byte[] resource(String path) throws IOException {
    try (InputStream in = LiveView.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IOException("missing resource " + path);
      }
      return in.readAllBytes();
    }
  }

  private static void json(HttpExchange ex, Object body) throws IOException {
    respond(ex, 200, "application/json", JSON.writeValueAsBytes(body));
  }

  private static void respond(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    try (ex) {
      ex.getResponseHeaders().set("Content-Type", type);
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      ex.sendResponseHeaders(status, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    sampler.shutdownNow();
    server.stop(0);
    executor.shutdownNow();
  }
}
