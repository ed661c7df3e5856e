package io.fleetstats.sink.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Debian's {@code prometheus} (the package's {@code /usr/bin/prometheus}, not its service) started
 * on a free loopback port with the remote-write receiver, an empty TSDB in a temp directory and a
 * config that scrapes nothing, so the only samples are the ones the sink writes.
 */
public final class DebianPrometheus implements AutoCloseable {
  public static final Path BINARY = Path.of("/usr/bin/prometheus");

  private final Process process;
  private final int port;
  private final Path log;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  private DebianPrometheus(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  public static boolean installed() {
    return Files.isExecutable(BINARY);
  }

  public static DebianPrometheus start(Path dir) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, "global:\n  scrape_interval: 1h\nscrape_configs: []\n");
    Path log = dir.resolve("prometheus.log");
    Process p =
        new ProcessBuilder(
                BINARY.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--web.enable-remote-write-receiver")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    DebianPrometheus prometheus = new DebianPrometheus(p, port, log);
    boolean ready;
    try {
      org.awaitility.Awaitility.await()
          .atMost(java.time.Duration.ofSeconds(60))
          .pollInterval(java.time.Duration.ofMillis(100))
          .until(() -> !p.isAlive() || prometheus.ready());
      ready = prometheus.ready();
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      ready = false;
    }
    if (!ready) {
      String out = Files.exists(log) ? Files.readString(log) : "";
      prometheus.close();
      throw new IllegalStateException("prometheus did not become ready:\n" + out);
    }
    return prometheus;
  }

  private boolean ready() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(base() + "/-/ready"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public String base() {
    return "http://127.0.0.1:" + port;
  }

  public URI writeUrl() {
    return URI.create(base() + "/api/v1/write");
  }

  /** {@code /api/v1/query} at {@code epochSeconds}; the {@code data.result} array. */
  public JsonNode query(String promql, double epochSeconds) throws Exception {
    String q =
        base()
            + "/api/v1/query?query="
            + URLEncoder.encode(promql, StandardCharsets.UTF_8)
            + "&time="
            + epochSeconds;
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(q)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode body = json.readTree(r.body());
    if (r.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
      throw new IllegalStateException("query " + promql + " failed: " + r.body());
    }
    return body.path("data").path("result");
  }

  public String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
