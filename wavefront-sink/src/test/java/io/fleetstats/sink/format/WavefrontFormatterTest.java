package io.fleetstats.sink.format;

import static io.fleetstats.sink.format.Aggregates.WINDOW_START_MS;
import static io.fleetstats.sink.format.Aggregates.aggregate;
import static io.fleetstats.sink.format.Aggregates.seedTags;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertAll;

import io.fleetstats.schemas.Aggregate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import wavefront.report.ReportPoint;

class WavefrontFormatterTest {
  private static final String SEED_TAGS =
      " \"cluster\"=\"local\" \"metric_type\"=\"timing\" \"namespace\"=\"default\" \"pod_name\"=\"api-server-0\"";
  private static final String T = " 1764086400 source=\"node-1\"";

  private final WavefrontFormatter formatter = new WavefrontFormatter("");

  static Stream<Arguments> golden() {
    return Stream.of(
        row(
            "issue example: timer mean",
            Aggregates.timer("fitcycle-api-server.prospectPullTime", Map.of("mean", 212.5)),
            "\"fitcycle-api-server.prospectPullTime.mean\" 212.5" + T + SEED_TAGS),
        row(
            "timer fields in field order, percentile path-converted",
            Aggregates.timer(
                "api.timer",
                Map.of("upper", 320.0, "90_percentile", 300.25, "count", 1000.0, "mean", 0.5)),
            "\"api.timer.90.percentile\" 300.25" + T + SEED_TAGS,
            "\"api.timer.count\" 1000" + T + SEED_TAGS,
            "\"api.timer.mean\" 0.5" + T + SEED_TAGS,
            "\"api.timer.upper\" 320" + T + SEED_TAGS),
        row(
            "a lean timer (FLEETSTATS_TIMER_FIELDS=count,upper,percentiles): its fields only",
            Aggregates.timer(
                "api.timer", Map.of("count", 1000.0, "upper", 320.0, "99_percentile", 310.5)),
            "\"api.timer.99.percentile\" 310.5" + T + SEED_TAGS,
            "\"api.timer.count\" 1000" + T + SEED_TAGS,
            "\"api.timer.upper\" 320" + T + SEED_TAGS),
        row(
            "counter keeps the bucket name (field value adds nothing)",
            aggregate(
                "fitcycle-api-server.ProspectPull",
                "counter",
                "node-1",
                Map.of("metric_type", "counter"),
                WINDOW_START_MS,
                Map.of("value", 500.0)),
            "\"fitcycle-api-server.ProspectPull\" 500" + T + " \"metric_type\"=\"counter\""),
        row(
            "underscores in the bucket become dots (statsd separator _ then convert_paths)",
            Aggregates.timer("api_server_timer", Map.of("mean", 1.0)),
            "\"api.server.timer.mean\" 1" + T + SEED_TAGS),
        row(
            "hostile name: space quote equals backslash colon become -",
            gauge("my metric\"x=y\\z:w", Map.of("k", "v")),
            "\"my-metric-x-y-z-w\" 1" + T + " \"k\"=\"v\""),
        row(
            "comma and slash become - as in Telegraf's non-strict sanitiser",
            gauge("a,b/c", Map.of()),
            "\"a-b-c\" 1" + T),
        row(
            "non-ASCII becomes one - per UTF-8 byte, as the Go SDK did",
            gauge("café.latency😀", Map.of()),
            "\"caf--.latency----\" 1" + T),
        row(
            "leading delta kept for delta counters",
            gauge("∆requests", Map.of()),
            "\"∆requests\" 1" + T),
        row(
            "leading tilde kept, inner one replaced",
            gauge("~internal~x", Map.of()),
            "\"~internal-x\" 1" + T),
        row(
            "tag values: quotes escaped, inner backslashes literal, spaces and = and unicode kept",
            gauge(
                "m",
                ordered(
                    "a",
                    "say \"hi\"",
                    "b",
                    "C:\\temp\\x",
                    "c",
                    "x = y",
                    "d",
                    "ünïcødé ✓",
                    "e",
                    "it's")),
            "\"m\" 1"
                + T
                + " \"a\"=\"say \\\"hi\\\"\" \"b\"=\"C:\\temp\\x\" \"c\"=\"x = y\" \"d\"=\"ünïcødé ✓\" \"e\"=\"it's\""),
        row(
            "tag values: trailing backslashes stripped, newline escaped, star replaced, trimmed",
            gauge(
                "m",
                ordered("a", "C:\\dir\\\\", "b", "line1\nline2", "c", "a*b", "d", "  padded  ")),
            "\"m\" 1"
                + T
                + " \"a\"=\"C:\\dir\" \"b\"=\"line1\\nline2\" \"c\"=\"a-b\" \"d\"=\"padded\""),
        row(
            "empty, blank and backslash-only tag values are dropped",
            gauge("m", ordered("empty", "", "blank", "   ", "slash", "\\", "kept", "x")),
            "\"m\" 1" + T + " \"kept\"=\"x\""),
        row(
            "hostile tag keys sanitised, underscores kept in keys",
            gauge("m", ordered("my key=x", "1", "zoné", "2", "pod_name", "p", "a\"b", "3")),
            "\"m\" 1" + T + " \"a-b\"=\"3\" \"my-key-x\"=\"1\" \"pod_name\"=\"p\" \"zon--\"=\"2\""),
        row(
            "reserved keys renamed so they cannot replace the source",
            gauge("m", ordered("source", "s", "host", "h", "tag", "t")),
            "\"m\" 1" + T + " \"_host\"=\"h\" \"_source\"=\"s\" \"_tag\"=\"t\""),
        row(
            "keys that sanitise alike: the first in key order wins",
            gauge("m", ordered("a-b", "first", "a b", "second")),
            "\"m\" 1" + T + " \"a-b\"=\"second\""),
        row(
            "hostile source escaped; star replaced",
            aggregate("m", "gauge", "node \"1\"*", Map.of(), WINDOW_START_MS, Map.of("value", 1.0)),
            "\"m\" 1 1764086400 source=\"node \\\"1\\\"-\""),
        row(
            "timestamp is the window start in whole seconds",
            aggregate(
                "m", "gauge", "node-1", Map.of(), WINDOW_START_MS + 999, Map.of("value", 1.0)),
            "\"m\" 1" + T),
        row(
            "values: shortest round-trip decimal, exponent only outside 1e-6..1e15",
            aggregate(
                "m",
                "timing",
                "node-1",
                Map.of(),
                WINDOW_START_MS,
                Map.of(
                    "a",
                    0.1 + 0.2,
                    "b",
                    -0.0,
                    "c",
                    1e20,
                    "d",
                    1.5e-7,
                    "e",
                    123456789.125,
                    "f",
                    -42.0)),
            "\"m.a\" 0.30000000000000004" + T,
            "\"m.b\" 0" + T,
            "\"m.c\" 1.0E20" + T,
            "\"m.d\" 1.5E-7" + T,
            "\"m.e\" 123456789.125" + T,
            "\"m.f\" -42" + T));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("golden")
  void formatsAsTelegrafDid(String name, Aggregate input, List<String> expected) {
    List<WavefrontPoint> points = formatter.format(input).points();
    assertThat(points).extracting(WavefrontPoint::toLine).containsExactlyElementsOf(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("golden")
  void proxyParsesEveryLineBackToTheSamePoint(String name, Aggregate input, List<String> expected) {
    for (WavefrontPoint p : formatter.format(input).points()) {
      assertThat(LineValidator.backendDefaults().check(p).ok()).as(p.toLine()).isTrue();
      ReportPoint parsed = ProxyParser.parseAndValidate(p.toLine());
      assertAll(
          p.toLine(),
          () -> assertThat(parsed.getMetric()).isEqualTo(p.name()),
          () -> assertThat(parsed.getHost()).isEqualTo(p.source()),
          () -> assertThat(parsed.getTimestamp()).isEqualTo(p.epochSeconds() * 1000),
          () -> assertThat((Double) parsed.getValue()).isEqualTo(p.value() == 0 ? 0.0 : p.value()),
          () -> assertThat(parsed.getAnnotations()).containsExactlyInAnyOrderEntriesOf(p.tags()));
    }
  }

  @Test
  void skipsAndCountsNonFiniteValues() {
    Aggregate a =
        Aggregates.timer(
            "api.timer",
            Map.of(
                "mean",
                Double.NaN,
                "upper",
                Double.POSITIVE_INFINITY,
                "lower",
                Double.NEGATIVE_INFINITY,
                "count",
                3.0));
    WavefrontFormatter.Formatted f = formatter.format(a);
    assertThat(f.nonFinite()).isEqualTo(3);
    assertThat(f.points()).extracting(WavefrontPoint::name).containsExactly("api.timer.count");
  }

  @Test
  void prefixIsPrependedAndPathConverted() {
    WavefrontFormatter prefixed = new WavefrontFormatter("fleet_");
    Aggregate a = Aggregates.timer("api.timer", Map.of("mean", 1.0, "value", 2.0));
    assertThat(prefixed.format(a).points())
        .extracting(WavefrontPoint::name)
        .containsExactly("fleet.api.timer.mean", "fleet.api.timer");
  }

  @Test
  void seedTagsAreSortedByKey() {
    WavefrontPoint p =
        formatter
            .format(
                aggregate(
                    "m",
                    "timing",
                    "node-1",
                    seedTags("timing"),
                    WINDOW_START_MS,
                    Map.of("mean", 1.0)))
            .points()
            .get(0);
    assertThat(p.tags().keySet())
        .containsExactly("cluster", "metric_type", "namespace", "pod_name");
  }

  private static Aggregate gauge(String name, Map<String, String> tags) {
    return aggregate(name, "gauge", "node-1", tags, WINDOW_START_MS, Map.of("value", 1.0));
  }

  private static Map<String, String> ordered(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static Arguments row(String name, Aggregate input, String... expected) {
    return Arguments.of(name, input, List.of(expected));
  }
}
