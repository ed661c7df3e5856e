package io.fleetstats.dashboards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.fleetstats.local.LocalStack;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every metric a dashboard queries is one the platform emits: the whole platform in this JVM (local
 * stack: demo traffic from four pods, the MySQL input polling the machine's MariaDB on
 * 127.0.0.1:3306 as fleetstats/fleetstats, the services' self-metrics through the pipeline, and the
 * fleet-wide roll-up rule beside the per-cluster one), then each name of each WQL query must match
 * a line the built-in receiver got, and each name of each PromQL query a series on a service's
 * {@code /metrics} page. The stack's agent also scrapes a kubelet fixture (cluster stats for the
 * Kubernetes dashboard). A name without a source here is in {@link #NEEDS_A_SOURCE} with the
 * reason.
 */
class EmittedMetricsIT {
  /** Names (globs) that need a source this test has not got, with why. */
  static final Map<String, String> NEEDS_A_SOURCE =
      Map.of(
          "mysql.slave.Seconds.Behind.Master",
          "replica status: the test MariaDB is no replica",
          "fleetstats.sink.deadlettered",
          "registered on the sink's first dead letter (per reason); the demo sends none",
          "fleetstats_sink_deadlettered_total",
          "registered on the sink's first dead letter (per reason); the demo sends none");

  static final Set<String> names = ConcurrentHashMap.newKeySet();
  static LocalStack stack;
  static HttpServer kubelet;

  /**
   * A kubelet's Summary API (the API's shape: a node and one pod with cpu, memory and network)
   * whose cumulative counters grow at every scrape, so the rates the dashboard plots exist.
   */
  static HttpServer kubelet() throws java.io.IOException {
    AtomicLong scrapes = new AtomicLong();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/stats/summary",
        ex -> {
          long n = scrapes.incrementAndGet();
          String t = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
          String stats =
              """
              "cpu": {"time": "%1$s", "usageNanoCores": 250000000, "usageCoreNanoSeconds": %2$d},
              "memory": {"time": "%1$s", "workingSetBytes": 262144000},
              "network": {"time": "%1$s", "rxBytes": %3$d, "txBytes": %4$d}"""
                  .formatted(t, n * 500_000_000L, n * 100_000L, n * 50_000L);
          byte[] body =
              ("{\"node\": {\"nodeName\": \"node-1\", "
                      + stats
                      + "}, \"pods\": [{\"podRef\": {\"name\": \"fitcycle-api-server-0\","
                      + " \"namespace\": \"fitcycle\", \"uid\": \"u-0\"}, "
                      + stats
                      + "}]}")
                  .getBytes(StandardCharsets.UTF_8);
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    return server;
  }

  @BeforeAll
  static void start() throws Exception {
    kubelet = kubelet();
    stack =
        LocalStack.start(
            new LocalStack.Options(
                0,
                0,
                Duration.ofSeconds(2),
                Duration.ofSeconds(1),
                Optional.empty(),
                Optional.empty(),
                true,
                Optional.empty(),
                Map.of(
                    "FLEETSTATS_MYSQL_URL", "jdbc:mysql://127.0.0.1:3306/",
                    "FLEETSTATS_MYSQL_USER", "fleetstats",
                    "FLEETSTATS_MYSQL_PASSWORD", "fleetstats",
                    "FLEETSTATS_MYSQL_INTERVAL", "2s",
                    "FLEETSTATS_ROLLUPS", "app:drop=pod_name,node;fleet:drop=pod_name,node,cluster",
                    "FLEETSTATS_SELF_METRICS_STEP", "2s",
                    "FLEETSTATS_KUBELET_URL", "http://127.0.0.1:" + kubelet.getAddress().getPort(),
                    "FLEETSTATS_KUBELET_INTERVAL", "2s"),
                line -> {
                  int space = line.indexOf(' ');
                  if (line.startsWith("\"") && space > 1) {
                    names.add(line.substring(1, space - 1));
                  }
                }));
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
    if (kubelet != null) {
      kubelet.stop(0);
    }
  }

  /** One metric a query needs: where, the name as written, and the names it may stand for. */
  record Need(String where, String written, List<Pattern> candidates) {}

  static List<Need> wavefrontNeeds() {
    List<Need> needs = new ArrayList<>();
    for (DashboardFiles.Dashboard d : DashboardFiles.folder(Path.of("wavefront"))) {
      Map<String, List<String>> values = listValues(d.json());
      for (Queries.Query q : Queries.wavefront(d.json())) {
        for (String name : Queries.wqlMetrics(q.text())) {
          needs.add(new Need(d.file() + ": " + q.where(), name, expand(name, values)));
        }
      }
    }
    for (DashboardFiles.Dashboard d : DashboardFiles.folder(Path.of("grafana"))) {
      Map<String, List<String>> values = new LinkedHashMap<>();
      for (JsonNode v : d.json().path("templating").path("list")) {
        if (v.path("type").asText().equals("custom")) {
          values.put(v.path("name").asText(), List.of(v.path("query").asText().split(",")));
        }
      }
      for (Queries.Query q : Queries.grafana(d.json())) {
        for (String name : Queries.wqlMetrics(q.text())) {
          needs.add(new Need(d.file() + ": " + q.where(), name, expand(name, values)));
        }
      }
    }
    return needs;
  }

  static List<Need> prometheusNeeds() {
    List<Need> needs = new ArrayList<>();
    for (DashboardFiles.Dashboard d : DashboardFiles.folder(Path.of("grafana"))) {
      for (Queries.Query q : Queries.grafana(d.json())) {
        for (String name : Queries.promMetrics(q.text())) {
          needs.add(
              new Need(
                  d.file() + ": " + q.where(),
                  name,
                  List.of(Pattern.compile(Pattern.quote(name)))));
        }
      }
    }
    return needs;
  }

  /** The LIST parameters' values (Wavefront): what {@code ${app}} stands for. */
  static Map<String, List<String>> listValues(JsonNode dashboard) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    dashboard
        .path("parameterDetails")
        .fields()
        .forEachRemaining(
            p -> {
              if (p.getValue().path("parameterType").asText().equals("LIST")) {
                List<String> v = new ArrayList<>();
                p.getValue().path("valuesToReadableStrings").fieldNames().forEachRemaining(v::add);
                values.put(p.getKey(), v);
              }
            });
    return values;
  }

  /** Each value of the variables in {@code name}, as a pattern ({@code *} matches anything). */
  static List<Pattern> expand(String name, Map<String, List<String>> values) {
    List<String> names = List.of(name);
    for (Map.Entry<String, List<String>> v : values.entrySet()) {
      String token = "${" + v.getKey() + "}";
      names =
          names.stream()
              .flatMap(
                  n ->
                      n.contains(token)
                          ? v.getValue().stream().map(x -> n.replace(token, x))
                          : Stream.of(n))
              .toList();
    }
    return names.stream().map(EmittedMetricsIT::glob).toList();
  }

  static Pattern glob(String name) {
    StringBuilder regex = new StringBuilder();
    for (String part : name.split("\\*", -1)) {
      if (regex.length() > 0) {
        regex.append(".*");
      }
      regex.append(Pattern.quote(part));
    }
    return Pattern.compile(name.endsWith("*") ? regex + ".*" : regex.toString());
  }

  static Optional<String> reason(String name) {
    return NEEDS_A_SOURCE.entrySet().stream()
        .filter(e -> glob(e.getKey()).matcher(name).matches())
        .map(Map.Entry::getValue)
        .findFirst();
  }

  static List<String> missing(List<Need> needs, Set<String> emitted) {
    List<String> missing = new ArrayList<>();
    for (Need need : needs) {
      if (reason(need.written()).isPresent()) {
        continue;
      }
      for (Pattern p : need.candidates()) {
        if (emitted.stream().noneMatch(n -> p.matcher(n).matches())) {
          missing.add(need.where() + ": " + p.pattern().replace("\\Q", "").replace("\\E", ""));
        }
      }
    }
    return missing;
  }

  @Test
  void everyWavefrontQueryNamesAMetricTheReceiverGot() {
    List<Need> needs = wavefrontNeeds();
    assertThat(needs).hasSizeGreaterThan(100);
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(missing(needs, names)).isEmpty());
    // the list only names what is really absent: none of its entries was emitted
    for (String glob : NEEDS_A_SOURCE.keySet()) {
      assertThat(names).noneMatch(n -> glob(glob).matcher(n).matches());
    }
    // and the roll-ups the Applications dashboard reads, per cluster and fleet-wide, are there
    assertThat(names).contains("fitcycle-api-server.prospectPullTime.90.percentile");
  }

  @Test
  void everyPrometheusQueryNamesASeriesOfAServicesMetricsPage() {
    List<Need> needs = prometheusNeeds();
    assertThat(needs).hasSizeGreaterThan(20);
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofSeconds(2))
        .untilAsserted(() -> assertThat(missing(needs, scrapedNames())).isEmpty());
  }

  static Set<String> scrapedNames() {
    Set<String> out = new java.util.HashSet<>();
    List<String> pages = new ArrayList<>();
    pages.add(stack.agent().meterRegistry().scrape());
    stack.demoAgents().forEach(a -> pages.add(a.meterRegistry().scrape()));
    pages.add(stack.processor().registry().scrape());
    pages.add(stack.sink().registry().scrape());
    for (String page : pages) {
      page.lines()
          .filter(l -> !l.startsWith("#") && !l.isBlank())
          .forEach(l -> out.add(l.split("[{ ]", 2)[0]));
    }
    return out;
  }
}
