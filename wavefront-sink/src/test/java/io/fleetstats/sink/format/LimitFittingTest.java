package io.fleetstats.sink.format;

import static io.fleetstats.sink.format.Aggregates.WINDOW_START_MS;
import static io.fleetstats.sink.format.Aggregates.aggregate;
import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The limit-fitting policy of {@link WavefrontFormatter}: hostile aggregates in, exact lines and
 * counted changes out; every line must pass the proxy's own parser under the backend's limits.
 */
class LimitFittingTest {
  private static final String T = " 1764086400 source=\"node-1\"";
  private final WavefrontFormatter formatter = new WavefrontFormatter("");

  static Stream<Arguments> cases() {
    Map<String, String> twentyFive = new LinkedHashMap<>(Aggregates.seedTags("timing"));
    for (int i = 0; i < 21; i++) {
      twentyFive.put(String.format("t%02d", 20 - i), "v" + i);
    }
    StringBuilder kept = new StringBuilder();
    // seed tags first, then the other keys alphabetically (t00..t15) until 20
    Map<String, String> expectedTags = new java.util.TreeMap<>();
    expectedTags.putAll(Aggregates.seedTags("timing"));
    for (int i = 0; i <= 15; i++) {
      expectedTags.put(String.format("t%02d", i), "v" + (20 - i));
    }
    expectedTags.forEach(
        (k, v) -> kept.append(" \"").append(k).append("\"=\"").append(v).append('"'));

    String v300 = "x".repeat(299) + "y";
    return Stream.of(
        row(
            "25 tags: seed tags kept, then keys alphabetically until 20",
            aggregate("m", "timing", "node-1", twentyFive, WINDOW_START_MS, Map.of("mean", 1.0)),
            List.of("\"m.mean\" 1" + T + kept),
            Map.of(Fit.TAG_DROPPED_OVER_COUNT, 5)),
        row(
            "priority tags survive even when last alphabetically",
            aggregate(
                "m",
                "gauge",
                "node-1",
                withPriorityAndMany(),
                WINDOW_START_MS,
                Map.of("value", 1.0)),
            List.of("\"m\" 1" + T + priorityKept()),
            Map.of(Fit.TAG_DROPPED_OVER_COUNT, 3)),
        row(
            "300-char value cut so that key+value is 254",
            gauge(Map.of("k", v300)),
            List.of("\"m\" 1" + T + " \"k\"=\"" + "x".repeat(253) + "\""),
            Map.of(Fit.TAG_VALUE_TRUNCATED, 1)),
        row(
            "cut value ending in backslash loses the backslash too",
            gauge(Map.of("key", "a".repeat(250) + "\\\\bcd")),
            List.of("\"m\" 1" + T + " \"key\"=\"" + "a".repeat(250) + "\""),
            Map.of(Fit.TAG_VALUE_TRUNCATED, 1)),
        row(
            "cut never splits a surrogate pair",
            gauge(Map.of("k", "a".repeat(252) + "😀😀")),
            List.of("\"m\" 1" + T + " \"k\"=\"" + "a".repeat(252) + "\""),
            Map.of(Fit.TAG_VALUE_TRUNCATED, 1)),
        row(
            "300-char hostile value: quotes, spaces, =, backslashes, unicode",
            gauge(Map.of("k", "a \"q\" = C:\\x ü".repeat(20))),
            List.of(
                "\"m\" 1"
                    + T
                    + " \"k\"=\""
                    + escape(Names.truncate("a \"q\" = C:\\x ü".repeat(20), 253))
                    + "\""),
            Map.of(Fit.TAG_VALUE_TRUNCATED, 1)),
        row(
            "key longer than 64 drops its tag",
            gauge(ordered("k".repeat(65), "v", "ok", "1")),
            List.of("\"m\" 1" + T + " \"ok\"=\"1\""),
            Map.of(Fit.TAG_DROPPED_BAD_KEY, 1)),
        row(
            "key of exactly 64 kept; its value cut to 190",
            gauge(Map.of("k".repeat(64), v300)),
            List.of("\"m\" 1" + T + " \"" + "k".repeat(64) + "\"=\"" + "x".repeat(190) + "\""),
            Map.of(Fit.TAG_VALUE_TRUNCATED, 1)),
        row(
            "empty, blank, null-like and backslash-only values dropped and counted",
            gauge(ordered("a", "", "b", "  ", "c", "\\", "d", "x\\")),
            List.of("\"m\" 1" + T + " \"d\"=\"x\""),
            Map.of(Fit.TAG_DROPPED_EMPTY_VALUE, 3, Fit.TRAILING_BACKSLASH_REMOVED, 2)),
        row(
            "keys that sanitise alike: later one dropped and counted",
            gauge(ordered("a b", "first", "a=b", "second")),
            List.of("\"m\" 1" + T + " \"a-b\"=\"first\""),
            Map.of(Fit.TAG_DROPPED_DUPLICATE_KEY, 1)),
        row(
            "300-char source cut to 128",
            aggregate(
                "m", "gauge", "s".repeat(300), Map.of(), WINDOW_START_MS, Map.of("value", 1.0)),
            List.of("\"m\" 1 1764086400 source=\"" + "s".repeat(128) + "\""),
            Map.of(Fit.SOURCE_TRUNCATED, 1)),
        row(
            "hostile source: quotes, spaces, backslash at the end",
            aggregate(
                "m",
                "gauge",
                " my \"node\" = C:\\ ",
                Map.of(),
                WINDOW_START_MS,
                Map.of("value", 1.0)),
            List.of("\"m\" 1 1764086400 source=\"my \\\"node\\\" = C:\""),
            Map.of(Fit.TRAILING_BACKSLASH_REMOVED, 1)),
        row(
            "300-char name: series part cut, field suffixes kept distinct",
            Aggregates.timer("n".repeat(300), Map.of("mean", 1.0, "90_percentile", 2.0)),
            List.of(
                "\""
                    + "n".repeat(256 - ".90.percentile".length())
                    + ".90.percentile\" 2"
                    + T
                    + Aggregates.SEED_TAG_TEXT,
                "\""
                    + "n".repeat(256 - ".mean".length())
                    + ".mean\" 1"
                    + T
                    + Aggregates.SEED_TAG_TEXT),
            Map.of(Fit.NAME_TRUNCATED, 1)),
        row(
            "name of exactly 256 untouched",
            gauge("n".repeat(256), Map.of()),
            List.of("\"" + "n".repeat(256) + "\" 1" + T),
            Map.of()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void fitsTheLimitsAsDocumented(
      String name, Aggregate input, List<String> expected, Map<Fit, Integer> fits) {
    WavefrontFormatter.Formatted f = formatter.format(input);
    assertThat(f.points()).extracting(WavefrontPoint::toLine).containsExactlyElementsOf(expected);
    assertThat(f.fits()).containsExactlyInAnyOrderEntriesOf(fits);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void everyFittedLineIsAcceptedByTheProxy(
      String name, Aggregate input, List<String> expected, Map<Fit, Integer> fits) {
    for (WavefrontPoint p : formatter.format(input).points()) {
      assertThat(LineValidator.backendDefaults().check(p).ok()).as(p.toLine()).isTrue();
      assertThat(ProxyParser.rejection(p.toLine())).as(p.toLine()).isEmpty();
    }
  }

  private static Map<String, String> withPriorityAndMany() {
    Map<String, String> tags = new LinkedHashMap<>();
    for (int i = 0; i < 15; i++) {
      tags.put("a" + (char) ('a' + i), "v");
    }
    for (String k :
        List.of(
            "metric_type",
            "cluster",
            "namespace",
            "pod_name",
            "node",
            "app",
            "container",
            "rollup")) {
      tags.put(k, k.substring(0, 1));
    }
    return tags; // 23 tags
  }

  private static String priorityKept() {
    Map<String, String> expected = new java.util.TreeMap<>();
    for (String k :
        List.of(
            "metric_type",
            "cluster",
            "namespace",
            "pod_name",
            "node",
            "app",
            "container",
            "rollup")) {
      expected.put(k, k.substring(0, 1));
    }
    for (int i = 0; i < 12; i++) {
      expected.put("a" + (char) ('a' + i), "v");
    }
    StringBuilder b = new StringBuilder();
    expected.forEach((k, v) -> b.append(" \"").append(k).append("\"=\"").append(v).append('"'));
    return b.toString();
  }

  private static String escape(String s) {
    return s.replace("\"", "\\\"");
  }

  private static Aggregate gauge(Map<String, String> tags) {
    return gauge("m", tags);
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

  private static Arguments row(
      String name, Aggregate input, List<String> expected, Map<Fit, Integer> fits) {
    return Arguments.of(name, input, expected, fits);
  }
}
