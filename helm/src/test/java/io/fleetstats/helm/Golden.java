package io.fleetstats.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Golden rendered manifests under {@code src/test/resources/golden/}, volatile fields stripped
 * (generated certificates, checksums, the chart version label). Rewrite them with {@code
 * -Dfleetstats.writeGolden=true} and read the diff.
 */
final class Golden {
  static final Path DIR = Path.of("src/test/resources/golden");
  static final String STRIPPED = "(stripped: differs on every render)";
  static final String DASHBOARD = "(dashboard JSON: see GrafanaDashboardsTest)";

  private Golden() {}

  static void check(String name, String rendered) throws Exception {
    String stable = stable(rendered);
    Path file = DIR.resolve(name + ".yaml");
    if (Boolean.getBoolean("fleetstats.writeGolden")) {
      Files.createDirectories(DIR);
      Files.writeString(file, stable);
    }
    assertThat(file)
        .as("golden file of " + name + "; rewrite with -Dfleetstats.writeGolden=true")
        .exists();
    assertThat(stable)
        .as(file + " (-Dfleetstats.writeGolden=true rewrites it)")
        .isEqualTo(Files.readString(file));
  }

  /** The rendered documents without what changes from one render to the next. */
  @SuppressWarnings("unchecked")
  static String stable(String rendered) throws Exception {
    List<String> docs = new ArrayList<>();
    for (Map<String, Object> doc : Chart.documents(rendered)) {
      strip(doc);
      docs.add(Chart.YAML.writeValueAsString(doc));
    }
    return "# helm template "
        + Chart.RELEASE
        + " -n "
        + Chart.NAMESPACE
        + " --kube-version "
        + Chart.KUBE_VERSION
        + "\n---\n"
        + String.join("---\n", docs);
  }

  @SuppressWarnings("unchecked")
  private static void strip(Object node) {
    if (node instanceof Map<?, ?> m) {
      Map<String, Object> map = (Map<String, Object>) m;
      if ("Secret".equals(map.get("kind")) && map.get("data") instanceof Map<?, ?> data) {
        ((Map<String, Object>) data).replaceAll((k, v) -> STRIPPED);
      }
      if (map.get("metadata") instanceof Map<?, ?> meta
          && meta.get("labels") instanceof Map<?, ?> labels
          && "grafana-dashboard".equals(labels.get("app.kubernetes.io/component"))
          && map.get("data") instanceof Map<?, ?> data) {
        ((Map<String, Object>) data).replaceAll((k, v) -> DASHBOARD);
      }
      for (Map.Entry<String, Object> e : map.entrySet()) {
        String k = e.getKey();
        if (k.startsWith("checksum/") || k.equals("caBundle") || k.equals("helm.sh/chart")) {
          e.setValue(STRIPPED);
        } else {
          strip(e.getValue());
        }
      }
    } else if (node instanceof List<?> l) {
      l.forEach(Golden::strip);
    }
  }
}
