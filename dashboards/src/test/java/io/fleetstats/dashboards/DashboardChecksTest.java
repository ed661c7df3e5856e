package io.fleetstats.dashboards;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DashboardChecksTest {
  static final Path WAVEFRONT = Path.of("wavefront");
  static final Path GRAFANA = Path.of("grafana");

  static Stream<Path> wavefrontFiles() throws Exception {
    return Files.list(WAVEFRONT).sorted();
  }

  static Stream<Path> grafanaFiles() throws Exception {
    return Files.list(GRAFANA).sorted();
  }

  @Test
  void theJarListsEveryDashboardOfTheFolders() throws Exception {
    try (Stream<Path> w = Files.list(WAVEFRONT);
        Stream<Path> g = Files.list(GRAFANA)) {
      assertThat(w.map(p -> p.getFileName().toString().replace(".json", "")))
          .containsExactlyInAnyOrderElementsOf(DashboardFiles.WAVEFRONT);
      assertThat(g.map(p -> p.getFileName().toString().replace(".json", "")))
          .containsExactlyInAnyOrderElementsOf(DashboardFiles.GRAFANA);
    }
    assertThat(DashboardFiles.bundledWavefront()).hasSize(4);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wavefrontFiles")
  void wavefrontDashboardParsesAndPassesTheLinterRules(Path file) {
    JsonNode d = DashboardFiles.read(file);
    assertThat(WavefrontLint.check(d)).isEmpty();
    assertThat(Queries.wavefront(d)).isNotEmpty();
    assertThat(d.path("url").asText())
        .isEqualTo("fleetstats-" + file.getFileName().toString().replace(".json", ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("grafanaFiles")
  void grafanaDashboardParsesAndFitsTheDashboardModel(Path file) {
    JsonNode d = DashboardFiles.read(file);
    assertThat(GrafanaModel.check(d)).isEmpty();
    assertThat(Queries.grafana(d)).isNotEmpty();
  }

  /** A shipped dashboard broken in one way, and the words the problem must contain. */
  static Stream<Arguments> brokenWavefront() {
    return Stream.of(
        row(
            "unquoted metric",
            c -> src(c).put("query", "ts(mysql.queries.rate)"),
            "unquoted metric name mysql.queries.rate"),
        row(
            "unquoted variable",
            c -> src(c).put("query", "ts(\"a.b\", cluster=${cluster})"),
            "unquoted variable ${cluster}"),
        row(
            "unit not allowed",
            c -> c.put("units", "requests/s"),
            "unit 'requests/s' is not in the allowed list"),
        row(
            "lower-case title",
            c -> c.put("name", "queries per second"),
            "title not in Title Case"),
        row("empty description", c -> c.put("description", ""), "description is empty"),
        row(
            "description without period",
            c -> c.put("description", "Queries per second"),
            "end with a period"),
        row(
            "sparkline font",
            c -> ((ObjectNode) c.path("chartSettings")).put("sparklineDisplayFontSize", "120"),
            "sparklineDisplayFontSize must be 150"),
        row(
            "markdown with a unit",
            c -> ((ObjectNode) c.path("chartSettings")).put("type", "markdown-widget"),
            "a markdown chart has no unit"),
        row(
            "colour off the palette",
            c -> ((ObjectNode) c.path("chartSettings")).put("lineColor", "#123456"),
            "colour #123456 is not in the palette"),
        row("no sources", c -> c.putArray("sources"), "no sources"));
  }

  static Arguments row(String name, Consumer<ObjectNode> breakIt, String problem) {
    return Arguments.of(name, breakIt, problem);
  }

  static ObjectNode src(ObjectNode chart) {
    return (ObjectNode) chart.path("sources").get(0);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenWavefront")
  void lintFindsEachBrokenRule(String name, Consumer<ObjectNode> breakIt, String problem) {
    ObjectNode d = (ObjectNode) DashboardFiles.read(WAVEFRONT.resolve("mysql.json"));
    ObjectNode chart =
        (ObjectNode) d.path("sections").get(0).path("rows").get(0).path("charts").get(0);
    breakIt.accept(chart);
    assertThat(WavefrontLint.check(d)).anySatisfy(p -> assertThat(p).contains(problem));
  }

  @Test
  void lintChecksDynamicParameterQueries() {
    ObjectNode d = (ObjectNode) DashboardFiles.read(WAVEFRONT.resolve("platform.json"));
    ((ObjectNode) d.path("parameterDetails").path("cluster"))
        .put("queryValue", "ts(fleetstats.sink.points.sent)");
    assertThat(WavefrontLint.check(d))
        .anySatisfy(p -> assertThat(p).contains("parameter cluster: unquoted metric name"));
  }

  static Stream<Arguments> brokenGrafana() {
    return Stream.of(
        Arguments.of(
            "unknown top-level field",
            (Consumer<ObjectNode>) d -> d.put("rows", 1),
            "unknown top-level field 'rows'"),
        Arguments.of("short uid", (Consumer<ObjectNode>) d -> d.put("uid", "abc"), "uid 'abc'"),
        Arguments.of(
            "no schemaVersion",
            (Consumer<ObjectNode>) d -> d.remove("schemaVersion"),
            "schemaVersion must be an integer"),
        Arguments.of(
            "no annotations",
            (Consumer<ObjectNode>) d -> d.remove("annotations"),
            "annotations.list must be an array"),
        Arguments.of(
            "duplicate panel id",
            (Consumer<ObjectNode>) d -> ((ObjectNode) d.path("panels").get(2)).put("id", 1),
            "id missing or not unique"),
        Arguments.of(
            "grid overflow",
            (Consumer<ObjectNode>)
                d -> ((ObjectNode) d.path("panels").get(1).path("gridPos")).put("x", 20),
            "gridPos outside"),
        Arguments.of(
            "unknown panel type",
            (Consumer<ObjectNode>)
                d -> ((ObjectNode) d.path("panels").get(1)).put("type", "graphz"),
            "unknown panel type 'graphz'"),
        Arguments.of(
            "undeclared variable",
            (Consumer<ObjectNode>)
                d ->
                    ((ObjectNode) d.path("panels").get(1).path("targets").get(0))
                        .put("expr", "up{pod=\"$podx\"}"),
            "undeclared variable $podx"),
        Arguments.of(
            "bad refresh",
            (Consumer<ObjectNode>)
                d -> ((ObjectNode) d.path("templating").path("list").get(1)).put("refresh", 5),
            "refresh must be 0, 1 or 2"),
        Arguments.of(
            "repeated refId",
            (Consumer<ObjectNode>)
                d -> {
                  ArrayNode targets = (ArrayNode) d.path("panels").get(1).path("targets");
                  targets.add(targets.get(0).deepCopy());
                },
            "refId missing or repeated"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenGrafana")
  void grafanaChecksFindEachBrokenField(String name, Consumer<ObjectNode> breakIt, String problem) {
    ObjectNode d = (ObjectNode) DashboardFiles.read(GRAFANA.resolve("platform.json"));
    breakIt.accept(d);
    assertThat(GrafanaModel.check(d)).anySatisfy(p -> assertThat(p).contains(problem));
  }

  @Test
  void extractsQuotedWqlNamesAndPromqlSelectors() {
    assertThat(
            Queries.wqlMetrics(
                "sum(align(1m, sum, ts(\"${app}.*\", pod_name=\"*\")), pod_name) / ts(\"b.c\")"))
        .containsExactly("${app}.*", "b.c");
    assertThat(
            Queries.promMetrics(
                "sum by (pod) (rate(fleetstats_sink_retries_total{cluster=~\"$cluster\"}[5m]))"))
        .containsExactly("fleetstats_sink_retries_total");
  }
}
