package io.fleetstats.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code push} against a real HTTP server on loopback that keeps dashboards as the Wavefront API
 * does (by url, {@code {"response": …}} on GET, server fields added on write) and records every
 * request.
 */
class PushIT {
  static final String TOKEN = "s3cr3t-token-4711";

  record Request(String method, String path, String auth) {}

  final List<Request> requests = new CopyOnWriteArrayList<>();
  final Map<String, JsonNode> stored = new ConcurrentHashMap<>();
  volatile int forcedStatus;
  HttpServer server;
  @TempDir Path tmp;
  Path tokenFile;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/api/v2/dashboard", this::handle);
    server.start();
    tokenFile = Files.writeString(tmp.resolve("token"), TOKEN + "\n");
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      requests.add(
          new Request(
              ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Authorization")));
      if (forcedStatus != 0) {
        respond(
            ex, forcedStatus, "{\"status\":{\"result\":\"ERROR\",\"message\":\"Unauthorized\"}}");
        return;
      }
      String id =
          path.startsWith("/api/v2/dashboard/")
              ? path.substring("/api/v2/dashboard/".length())
              : "";
      switch (ex.getRequestMethod()) {
        case "GET" -> {
          JsonNode d = stored.get(id);
          if (d == null) {
            respond(ex, 404, "{\"status\":{\"result\":\"ERROR\",\"code\":404}}");
          } else {
            respond(ex, 200, "{\"status\":{\"result\":\"OK\"},\"response\":" + d + "}");
          }
        }
        case "POST", "PUT" -> {
          ObjectNode d = (ObjectNode) DashboardFiles.JSON.readTree(ex.getRequestBody());
          // what the server adds of its own: ids, times, defaults
          d.put("id", d.path("url").asText());
          d.put("updatedEpochMillis", System.currentTimeMillis());
          d.put("hidden", false);
          d.put("chartTitleScalar", 100);
          stored.put(d.path("url").asText(), d);
          respond(ex, 200, "{\"status\":{\"result\":\"OK\"},\"response\":" + d + "}");
        }
        default -> respond(ex, 405, "{}");
      }
    }
  }

  private static void respond(HttpExchange ex, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  record Run(int code, String out, String err) {}

  Run push(String... more) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] args =
        java.util.stream.Stream.concat(
                java.util.stream.Stream.of(
                    "push", "--url", url(), "--token-file", tokenFile.toString()),
                java.util.stream.Stream.of(more))
            .toArray(String[]::new);
    int code = DashboardsMain.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
    return new Run(code, out.toString(), err.toString());
  }

  long count(String method) {
    return requests.stream().filter(r -> r.method().equals(method)).count();
  }

  @Test
  void createsThenUpdatesThenDoesNothing() throws IOException {
    Run first = push();
    assertThat(first.code()).isZero();
    assertThat(count("POST")).isEqualTo(4);
    assertThat(count("PUT")).isZero();
    assertThat(stored.keySet())
        .containsExactlyInAnyOrder(
            "fleetstats-applications",
            "fleetstats-mysql",
            "fleetstats-kubernetes",
            "fleetstats-platform");
    assertThat(requests).allSatisfy(r -> assertThat(r.auth()).isEqualTo("Bearer " + TOKEN));
    assertThat(first.out()).contains("4 dashboards: 4 created, 0 updated, 0 unchanged");

    // one chart's query changed in a folder of our own: exactly that dashboard is updated
    Path dir = Files.createDirectories(tmp.resolve("dashboards"));
    for (DashboardFiles.Dashboard d : DashboardFiles.bundledWavefront()) {
      String name = d.json().path("url").asText();
      JsonNode json = d.json();
      if (name.equals("fleetstats-mysql")) {
        ObjectNode source =
            (ObjectNode)
                json.path("sections")
                    .get(0)
                    .path("rows")
                    .get(0)
                    .path("charts")
                    .get(0)
                    .path("sources")
                    .get(0);
        source.put("query", "ts(\"mysql.queries.rate\")");
      }
      Files.writeString(dir.resolve(name + ".json"), json.toString());
    }
    requests.clear();
    Run dry = push("--dir", dir.toString(), "--dry-run");
    assertThat(dry.code()).isZero();
    assertThat(dry.out())
        .contains("would update fleetstats-mysql (1 differences)")
        .contains("sections[0].rows[0].charts[0].sources[0].query:")
        .contains("\"ts(\\\"mysql.queries.rate\\\")\"")
        .contains("unchanged fleetstats-platform");
    assertThat(count("PUT") + count("POST")).isZero();

    requests.clear();
    Run second = push("--dir", dir.toString());
    assertThat(second.code()).isZero();
    assertThat(count("PUT")).isEqualTo(1);
    assertThat(requests)
        .filteredOn(r -> r.method().equals("PUT"))
        .extracting(Request::path)
        .containsExactly("/api/v2/dashboard/fleetstats-mysql");
    assertThat(count("POST")).isZero();
    assertThat(stored.get("fleetstats-mysql").toString())
        .contains("ts(\\\"mysql.queries.rate\\\")");

    requests.clear();
    Run third = push("--dir", dir.toString());
    assertThat(third.code()).isZero();
    assertThat(third.out()).contains("4 dashboards: 0 created, 0 updated, 4 unchanged");
    assertThat(requests).extracting(Request::method).containsOnly("GET").hasSize(4);
  }

  @Test
  void a401SaysWhatToCheckAndNeverPrintsTheToken() {
    forcedStatus = 401;
    Run run = push();
    assertThat(run.code()).isEqualTo(1);
    assertThat(run.err())
        .contains("HTTP 401")
        .contains("refused the token")
        .contains("--token-file")
        .doesNotContain(TOKEN);
    assertThat(run.out()).doesNotContain(TOKEN);
    assertThat(count("PUT") + count("POST")).isZero();
  }

  @Test
  void helpListsTheOptionsAndAMissingTokenFileIsAUsageError() {
    StringWriter out = new StringWriter();
    int code =
        DashboardsMain.run(
            new String[] {"push", "--help"},
            new PrintWriter(out, true),
            new PrintWriter(new StringWriter(), true));
    assertThat(code).isZero();
    assertThat(out.toString()).contains("--url", "--token-file", "--dry-run", "--dir");
    StringWriter err = new StringWriter();
    int c =
        DashboardsMain.run(
            new String[] {"push", "--url", url(), "--token-file", tmp.resolve("absent").toString()},
            new PrintWriter(new StringWriter(), true),
            new PrintWriter(err, true));
    assertThat(c).isEqualTo(2);
    assertThat(err.toString()).contains("cannot read --token-file");
    assertThat(requests).isEmpty();
  }
}
