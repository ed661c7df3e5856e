package io.fleetstats.kit.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AdminServerTest {
  final HttpClient http = HttpClient.newHttpClient();

  HttpResponse<String> get(AdminServer admin, String path) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + admin.address().getPort() + path);
    return http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesHealthReadinessAndPrometheusMetrics() throws Exception {
    PrometheusMeterRegistry registry = AdminServer.newRegistry();
    registry.counter("fleetstats.test.lines", "reason", "bad_value").increment(3);
    AtomicReference<String> notReady = new AtomicReference<>("Kafka unreachable");
    try (AdminServer admin =
        AdminServer.start(new InetSocketAddress("127.0.0.1", 0), registry, notReady::get)) {
      assertThat(get(admin, "/healthz").statusCode()).isEqualTo(200);

      HttpResponse<String> ready = get(admin, "/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("Kafka unreachable");
      notReady.set("");
      assertThat(get(admin, "/readyz").statusCode()).isEqualTo(200);

      HttpResponse<String> metrics = get(admin, "/metrics");
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("fleetstats_test_lines_total{reason=\"bad_value\"} 3.0");
    }
  }
}
