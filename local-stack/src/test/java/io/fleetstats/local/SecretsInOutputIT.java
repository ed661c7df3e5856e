package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets given to the local stack (a child JVM, as a user runs it) never show in what it prints or
 * serves, even while the Wavefront proxy refuses its token: the proxy is a real HTTP server on
 * loopback answering 401. The token, a SASL password (in {@code sasl.jaas.config}, passed to every
 * Kafka client) and a MySQL password are set; stdout, stderr, the sink's {@code /metrics} and the
 * live view's JSON are searched for each. The stack must also say what to fix, naming the setting.
 */
class SecretsInOutputIT {
  private static final Pattern SINK_ADMIN =
      Pattern.compile("wavefront sink consuming .* admin port /127\\.0\\.0\\.1:(\\d+)");

  @TempDir Path dir;
  private Process child;
  private HttpServer proxy;

  @AfterEach
  void stop() {
    if (child != null) {
      child.destroyForcibly();
    }
    if (proxy != null) {
      proxy.stop(0);
    }
  }

  @Test
  void noSecretInOutputWhileTheProxyRefusesTheToken() throws Exception {
    String token = "tok-" + UUID.randomUUID();
    String saslPassword = "sasl-" + UUID.randomUUID();
    String mysqlPassword = "mysql-" + UUID.randomUUID();
    ConcurrentLinkedQueue<String> authorizations = new ConcurrentLinkedQueue<>();
    proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    proxy.createContext(
        "/",
        ex -> {
          ex.getRequestBody().readAllBytes();
          authorizations.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
          byte[] body = "unauthorized".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(401, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    proxy.start();
    int statsdPort;
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      statsdPort = probe.getLocalPort();
    }
    int uiPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      uiPort = s.getLocalPort();
    }

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            LocalStackMain.class.getName(),
            "--proxy",
            "http://127.0.0.1:" + proxy.getAddress().getPort(),
            "--statsd-port",
            Integer.toString(statsdPort),
            "--window",
            "2s",
            "--grace",
            "1s",
            "--ui-port",
            Integer.toString(uiPort));
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("FLEETSTATS_"));
    env.put("FLEETSTATS_WAVEFRONT_TOKEN", token);
    // ignored by the clients on the embedded broker's PLAINTEXT listener, but read and passed on
    env.put(
        "FLEETSTATS_KAFKA_SASL_JAAS_CONFIG",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"fleet\""
            + " password=\""
            + saslPassword
            + "\";");
    env.put("FLEETSTATS_MYSQL_PASSWORD", mysqlPassword);
    File out = dir.resolve("stack.out").toFile();
    File err = dir.resolve("stack.err").toFile();
    child = pb.redirectOutput(out).redirectError(err).start();

    await()
        .atMost(Duration.ofSeconds(180))
        .until(
            () -> {
              assertThat(child.isAlive()).as(Files.readString(err.toPath())).isTrue();
              return Files.readString(out.toPath()).contains("ready in");
            });
    try (DatagramSocket socket = new DatagramSocket()) {
      byte[] sample = "secret.test.hits:1|c".getBytes(StandardCharsets.US_ASCII);
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                socket.send(
                    new DatagramPacket(
                        sample, sample.length, InetAddress.getLoopbackAddress(), statsdPort));
                return Files.readString(err.toPath()).contains("401 from proxy");
              });
    }
    // the token was sent, to the proxy only, as the Wavefront proxy expects it
    assertThat(authorizations).contains("Bearer " + token);
    String log = Files.readString(err.toPath());
    assertThat(log)
        .as("says what to fix")
        .containsPattern("401 from proxy.*FLEETSTATS_WAVEFRONT_TOKEN");

    List<String> served = new ArrayList<>();
    HttpClient http = HttpClient.newHttpClient();
    Matcher admin = SINK_ADMIN.matcher(log);
    assertThat(admin.find()).as("the sink's admin port in " + log).isTrue();
    served.add(get(http, "http://127.0.0.1:" + admin.group(1) + "/metrics"));
    for (String path : List.of("/api/metrics", "/api/series", "/api/platform", "/")) {
      served.add(get(http, "http://127.0.0.1:" + uiPort + path));
    }

    child.destroy(); // SIGTERM: the shutdown hook stops the stack and prints the stop line
    assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String stdout = Files.readString(out.toPath());
    String stderr = Files.readString(err.toPath());
    assertThat(stdout).contains("Fleetstats local stack stopped");
    for (String secret : List.of(token, saslPassword, mysqlPassword)) {
      assertThat(stdout).doesNotContain(secret);
      assertThat(stderr).doesNotContain(secret);
      assertThat(served).allSatisfy(body -> assertThat(body).doesNotContain(secret));
    }
    System.out.println(
        "secrets test, the stack's account of the 401: "
            + stderr.lines().filter(l -> l.contains("401 from proxy")).findFirst().orElseThrow());
  }

  private static String get(HttpClient http, String url) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(url).isEqualTo(200);
    return r.body();
  }
}
