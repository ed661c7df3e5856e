package io.fleetstats.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboards as ConfigMaps (grafanaDashboards.enabled): one per JSON file of the
 * repository's {@code dashboards/grafana/}, whose copies the chart keeps under {@code
 * fleetstats/dashboards/} (Helm reads no file outside the chart). {@code
 * -Dfleetstats.writeGolden=true} refreshes the copies.
 */
class GrafanaDashboardsTest {
  static final Path SOURCE = Path.of("../dashboards/grafana");
  static final Path COPIES = Chart.DIR.resolve("dashboards");
  static final Path VALUES = Chart.DIR.resolve("ci/grafana-dashboards-values.yaml");
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theChartsCopiesAreTheRepositorysDashboards() throws Exception {
    Map<String, String> source = jsonFiles(SOURCE);
    assertThat(source).as("dashboards in " + SOURCE).isNotEmpty();
    if (Boolean.getBoolean("fleetstats.writeGolden")) {
      for (Path old : jsonFiles(COPIES).keySet().stream().map(COPIES::resolve).toList()) {
        Files.delete(old);
      }
      for (Map.Entry<String, String> e : source.entrySet()) {
        Files.writeString(COPIES.resolve(e.getKey()), e.getValue());
      }
    }
    Map<String, String> copies = jsonFiles(COPIES);
    List<String> differing =
        source.keySet().stream()
            .filter(name -> !source.get(name).equals(copies.get(name)))
            .toList();
    String fix = ": copy them from " + SOURCE + " (or run with -Dfleetstats.writeGolden=true)";
    assertThat(differing).as("dashboards missing or different in " + COPIES + fix).isEmpty();
    assertThat(copies.keySet()).as("dashboards in " + COPIES + fix).isEqualTo(source.keySet());
  }

  @Test
  void oneConfigMapPerDashboardLabelledForGrafanasSidecar() throws Exception {
    List<ConfigMap> maps = dashboards(Chart.resources(Chart.template(VALUES, t -> t)));
    Map<String, String> source = jsonFiles(SOURCE);
    assertThat(maps).hasSize(source.size());
    Map<String, String> seen = new TreeMap<>();
    for (ConfigMap cm : maps) {
      assertThat(cm.getMetadata().getNamespace()).isEqualTo("monitoring");
      assertThat(cm.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
      assertThat(cm.getMetadata().getAnnotations()).containsEntry("grafana_folder", "Fleetstats");
      assertThat(cm.getData()).hasSize(1);
      seen.putAll(cm.getData());
    }
    assertThat(seen.keySet())
        .containsExactlyElementsOf(
            source.keySet().stream().map(f -> "fleetstats-" + f).sorted().toList());
    for (Map.Entry<String, String> e : source.entrySet()) {
      String data = seen.get("fleetstats-" + e.getKey());
      JsonNode parsed = JSON.readTree(data);
      assertThat(parsed.path("uid").asText()).as(e.getKey() + " uid").isNotBlank();
      assertThat(parsed).as(e.getKey()).isEqualTo(JSON.readTree(e.getValue()));
      assertThat(data).as(e.getKey() + ", byte for byte").isEqualTo(e.getValue());
    }
  }

  @Test
  void theNamespaceAndLabelAreSettableAndOffByDefault() throws Exception {
    assertThat(dashboards(Chart.resources(Chart.template(null, t -> t)))).isEmpty();
    List<ConfigMap> maps =
        dashboards(
            Chart.resources(
                Chart.template(
                    null,
                    t ->
                        t.set("grafanaDashboards.enabled", "true")
                            .set("grafanaDashboards.label", "dashboards")
                            .set("grafanaDashboards.labelValue", "fleet"))));
    assertThat(maps).isNotEmpty();
    assertThat(maps)
        .allSatisfy(
            cm -> {
              assertThat(cm.getMetadata().getNamespace()).isEqualTo(Chart.NAMESPACE);
              assertThat(cm.getMetadata().getLabels())
                  .containsEntry("dashboards", "fleet")
                  .doesNotContainKey("grafana_dashboard");
            });
  }

  static List<ConfigMap> dashboards(List<HasMetadata> rs) {
    return rs.stream()
        .filter(r -> r instanceof ConfigMap)
        .map(ConfigMap.class::cast)
        .filter(
            cm ->
                "grafana-dashboard"
                    .equals(cm.getMetadata().getLabels().get("app.kubernetes.io/component")))
        .toList();
  }

  /** File name to content of the *.json files of a folder, sorted by name. */
  private static Map<String, String> jsonFiles(Path dir) throws Exception {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".json")).toList()) {
        out.put(f.getFileName().toString(), Files.readString(f));
      }
    }
    return out;
  }
}
