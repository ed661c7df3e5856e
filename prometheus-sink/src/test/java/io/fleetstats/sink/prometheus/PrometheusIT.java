package io.fleetstats.sink.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import com.fasterxml.jackson.databind.JsonNode;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.sink.format.Aggregates;
import io.fleetstats.sink.prometheus.PrometheusDelivery.Refused;
import io.fleetstats.sink.prometheus.format.PromFormatter;
import io.fleetstats.sink.prometheus.format.PromSample;
import io.fleetstats.testing.TestKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sink against Debian's Prometheus (2.42 here) with its remote-write receiver: the demo's
 * series (api-server timer and counter on three pods and two nodes, web-server timer and counter,
 * their roll-ups across pods) are written through a real broker, then read back through {@code
 * /api/v1/query} at each window's timestamp and compared exactly with the aggregates and with the
 * values of the Wavefront lines the other sink sends for them. Then what Prometheus does with
 * windows sent again and corrected, and what the sink counts.
 */
class PrometheusIT {
  @TempDir static Path dir;
  private static DebianPrometheus prometheus;
  private static KafkaClusterTestKit cluster;
  private static Admin admin;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(
        DebianPrometheus.installed(),
        "Debian's prometheus is not installed (no /usr/bin/prometheus): apt-get install prometheus"
            + " (.ci/run does)");
    prometheus = DebianPrometheus.start(dir);
    cluster =
        TestKafka.start(
            TestKafka.builder(true, null).setConfigProp("offsets.topic.num.partitions", "1"));
    admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (admin != null) {
      admin.close();
    }
    if (cluster != null) {
      cluster.close();
    }
    if (prometheus != null) {
      prometheus.close();
    }
  }

  /**
   * Window starts in the recent past (Prometheus takes samples within its head's range), fixed once
   * so that a window means the same time all through the class.
   */
  private static final long BASE = (System.currentTimeMillis() / 10_000) * 10_000 - 600_000;

  private static long windowStart(int k) {
    return BASE + k * 10_000L;
  }

  private static Map<String, Double> timerFields(Random random, int n) {
    DDSketch sketch = DDSketches.unboundedDense(0.01);
    double sum = 0;
    double lower = Double.MAX_VALUE;
    double upper = -Double.MAX_VALUE;
    double sumSq = 0;
    for (int i = 0; i < n; i++) {
      double v = 50 + random.nextDouble() * 400;
      sketch.accept(v);
      sum += v;
      sumSq += v * v;
      lower = Math.min(lower, v);
      upper = Math.max(upper, v);
    }
    double mean = sum / n;
    Map<String, Double> f = new TreeMap<>();
    f.put("count", (double) n);
    f.put("sum", sum);
    f.put("mean", mean);
    f.put("stddev", Math.sqrt(Math.max(0, sumSq / n - mean * mean)));
    f.put("lower", lower);
    f.put("upper", upper);
    f.put("median", sketch.getValueAtQuantile(0.5));
    f.put("90_percentile", sketch.getValueAtQuantile(0.9));
    return f;
  }

  private static Map<String, String> tags(String type, String pod) {
    Map<String, String> t = new LinkedHashMap<>();
    t.put("metric_type", type);
    t.put("cluster", "local");
    t.put("namespace", "default");
    if (pod != null) {
      t.put("pod_name", pod);
    } else {
      t.put("app", "fitcycle");
      t.put("rollup", "app");
    }
    return t;
  }

  /** The demo's series for window {@code k}: per pod, then the roll-ups (source = the cluster). */
  private static List<Aggregate> demoWindow(Random random, int k) {
    long start = windowStart(k);
    List<Aggregate> out = new ArrayList<>();
    String[][] pods = {
      {"fitcycle-api-server", "api-server-0", "node-1"},
      {"fitcycle-api-server", "api-server-1", "node-1"},
      {"fitcycle-api-server", "api-server-2", "node-2"},
      {"fitcycle-web-server", "web-server-0", "node-2"},
    };
    for (String[] pod : pods) {
      String timer = pod[0].contains("api") ? ".prospectPullTime" : ".signupTime";
      String counter = pod[0].contains("api") ? ".ProspectPull" : ".Signup";
      int n = 20 + random.nextInt(20);
      out.add(
          Aggregates.aggregate(
              pod[0] + timer,
              "timing",
              pod[2],
              tags("timing", pod[1]),
              start,
              timerFields(random, n)));
      out.add(
          Aggregates.aggregate(
              pod[0] + counter,
              "counter",
              pod[2],
              tags("counter", pod[1]),
              start,
              Map.of("value", (double) n)));
    }
    out.add(
        Aggregates.aggregate(
            "fitcycle-api-server.prospectPullTime",
            "timing",
            "local",
            tags("timing", null),
            start,
            timerFields(random, 90)));
    out.add(
        Aggregates.aggregate(
            "fitcycle-api-server.ProspectPull",
            "counter",
            "local",
            tags("counter", null),
            start,
            Map.of("value", 90.0)));
    return out;
  }

  /** Series → [timestamp seconds, value] from a range query's matrix at one time. */
  private static Map<String, double[]> read(String selector, long windowStartMs) throws Exception {
    JsonNode result = prometheus.query(selector + "[5s]", windowStartMs / 1000.0);
    Map<String, double[]> out = new HashMap<>();
    for (JsonNode series : result) {
      TreeMap<String, String> labels = new TreeMap<>();
      Iterator<Map.Entry<String, JsonNode>> it = series.get("metric").fields();
      it.forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      JsonNode values = series.get("values");
      assertThat(values).as("one sample per series and window: %s", labels).hasSize(1);
      out.put(
          labels.toString(),
          new double[] {
            values.get(0).get(0).asDouble(), Double.parseDouble(values.get(0).get(1).asText())
          });
    }
    return out;
  }

  private static String key(PromSample s) {
    TreeMap<String, String> labels = new TreeMap<>();
    labels.put("__name__", s.name());
    for (int i = 0; i < s.labels().size(); i++) {
      labels.put(s.labels().name(i), s.labels().value(i));
    }
    return labels.toString();
  }

  @Test
  void demoSeriesReadBackExactlyAsTheAggregatesAndTheWavefrontLinesSay() throws Exception {
    PromSinkConfig config =
        SinkFixture.config(
            cluster.bootstrapServers(),
            "demo",
            prometheus.writeUrl().toString(),
            "FLEETSTATS_BATCH_SAMPLES",
            "100");
    Random random = new Random(20);
    List<List<Aggregate>> windows = new ArrayList<>();
    List<Aggregate> all = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      windows.add(demoWindow(random, k));
      all.addAll(windows.get(k));
    }
    SinkFixture.produce(config, all, List.of());

    try (PrometheusSink sink = PrometheusSink.start(config)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> SinkFixture.committed(admin, config) == all.size());
      assertThat(sink.deadLettered()).isZero();
    }

    PromFormatter formatter = new PromFormatter("");
    AggregateLines wavefront = AggregateLines.withPrefix("");
    int compared = 0;
    for (List<Aggregate> window : windows) {
      long start = window.get(0).getWindowStart();
      Map<String, double[]> stored = read("{__name__=~\"fitcycle_.*\"}", start);
      int expectedSeries = 0;
      for (Aggregate a : window) {
        List<PromSample> samples = formatter.format(a).samples();
        List<String> lines = wavefront.apply(a).text();
        assertThat(samples).hasSameSizeAs(lines);
        expectedSeries += samples.size();
        for (int i = 0; i < samples.size(); i++) {
          PromSample s = samples.get(i);
          double[] got = stored.get(key(s));
          assertThat(got).as("stored: %s", key(s)).isNotNull();
          assertThat(got[0]).isEqualTo(start / 1000.0);
          // the Wavefront line of the same field: "<name>" <value> <seconds> source=...
          String[] line = lines.get(i).split(" ");
          assertThat(got[1])
              .as("%s against %s", key(s), lines.get(i))
              .isEqualTo(Double.parseDouble(line[1]))
              .isEqualTo(s.value());
          assertThat(Long.parseLong(line[2]) * 1000).isEqualTo(start);
          compared++;
        }
      }
      assertThat(stored).as("no other series at %d", start).hasSize(expectedSeries);
    }
    assertThat(compared).isEqualTo(3 * (5 * 8 + 5));

    // the must-show query: the per-pod count of the api-server timer, as the Wavefront lines say
    JsonNode counts =
        prometheus.query(
            "fitcycle_api_server_prospectPullTime_count{rollup=\"\"}", windowStart(2) / 1000.0);
    assertThat(counts).hasSize(3);
    for (JsonNode c : counts) {
      String pod = c.get("metric").get("pod_name").asText();
      Aggregate a =
          windows.get(2).stream()
              .filter(x -> pod.equals(x.getTags().get("pod_name")))
              .filter(x -> x.getName().endsWith("prospectPullTime"))
              .findFirst()
              .orElseThrow();
      assertThat(Double.parseDouble(c.get("value").get(1).asText()))
          .isEqualTo(a.getFields().get("count"));
    }
  }

  @Test
  void windowsSentAgainOrCorrectedAreCountedNotRetriedNorDeadLettered() throws Exception {
    PromSinkConfig config =
        SinkFixture.config(
            cluster.bootstrapServers(),
            "corrections",
            prometheus.writeUrl().toString(),
            "FLEETSTATS_METRIC_PREFIX",
            "corr.");
    Random random = new Random(7);
    Map<String, String> tags = tags("timing", "api-server-0");
    List<Aggregate> first = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      first.add(
          Aggregates.aggregate(
              "api.timer", "timing", "node-1", tags, windowStart(k), timerFields(random, 10)));
    }
    SinkFixture.produce(config, first, List.of());
    // the same window t0 again (a redelivery), t2 corrected (count and sum changed, the rest
    // equal), and a new window t3
    Map<String, Double> corrected = new TreeMap<>(first.get(2).getFields());
    corrected.put("count", corrected.get("count") + 1);
    corrected.put("sum", corrected.get("sum") + 300.5);
    Aggregate correction =
        Aggregates.aggregate("api.timer", "timing", "node-1", tags, windowStart(2), corrected);
    Aggregate t3 =
        Aggregates.aggregate(
            "api.timer", "timing", "node-1", tags, windowStart(3), timerFields(random, 12));

    try (PrometheusSink sink = PrometheusSink.start(config)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> SinkFixture.committed(admin, config) == 3);
      SinkFixture.produce(config, List.of(first.get(0), correction, t3), List.of());
      await().atMost(Duration.ofSeconds(60)).until(() -> SinkFixture.committed(admin, config) == 6);

      // t0: all 8 fields older than the series' newest sample; t2: the 2 changed fields refused,
      // the 6 identical ones accepted (Prometheus takes an identical sample at its newest time)
      assertThat(sink.samplesRefused(Refused.OUT_OF_ORDER)).isEqualTo(8);
      assertThat(sink.samplesRefused(Refused.DUPLICATE_TIMESTAMP)).isEqualTo(2);
      assertThat(sink.deadLettered()).isZero();
      assertThat(sink.state()).isEqualTo(PrometheusSink.State.RUNNING);
    }
    assertThat(SinkFixture.deadLetters(config, 0)).isEmpty();
    // Prometheus keeps the first value of t2; t3 arrived whole
    assertThat(value("corr_api_timer_count", windowStart(2)))
        .isEqualTo(first.get(2).getFields().get("count"));
    assertThat(value("corr_api_timer_sum", windowStart(3))).isEqualTo(t3.getFields().get("sum"));

    // An original and its correction in one poll: only the later record is sent.
    Map<String, Double> t4fields = timerFields(random, 5);
    Aggregate t4 =
        Aggregates.aggregate("api.timer", "timing", "node-1", tags, windowStart(4), t4fields);
    Map<String, Double> t4better = new TreeMap<>(t4fields);
    t4better.put("count", 6.0);
    Aggregate t4corrected =
        Aggregates.aggregate("api.timer", "timing", "node-1", tags, windowStart(4), t4better);
    SinkFixture.produce(config, List.of(t4, t4corrected), List.of());
    try (PrometheusSink sink = PrometheusSink.start(config)) {
      await().atMost(Duration.ofSeconds(60)).until(() -> SinkFixture.committed(admin, config) == 8);
      assertThat(sink.samplesSuperseded()).isEqualTo(8);
      assertThat(sink.samplesRefused(Refused.DUPLICATE_TIMESTAMP)).isZero();
    }
    assertThat(value("corr_api_timer_count", windowStart(4))).isEqualTo(6.0);
  }

  private static double value(String name, long windowStartMs) throws Exception {
    JsonNode r = prometheus.query(name + "[5s]", windowStartMs / 1000.0);
    assertThat(r).as(name).hasSize(1);
    JsonNode values = r.get(0).get("values");
    assertThat(values).hasSize(1);
    assertThat(values.get(0).get(0).asDouble()).isEqualTo(windowStartMs / 1000.0);
    return Double.parseDouble(values.get(0).get(1).asText());
  }
}
