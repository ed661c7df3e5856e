package io.fleetstats.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code sidecar.podLabelsAsTags}: each label becomes a Downward API variable, and {@code
 * FLEETSTATS_GLOBAL_TAGS} names them with Kubernetes' {@code $(VAR)} expansion, so the agent tags
 * every statsd series with the pod's labels.
 */
class PodLabelsAsTagsTest {
  private static final Path EDGE = Chart.DIR.resolve("ci/edge-only-values.yaml");

  private static Container sidecar(String rendered) throws Exception {
    for (HasMetadata r : Chart.resources(rendered)) {
      if (r instanceof ConfigMap cm && cm.getMetadata().getName().endsWith("-sidecar")) {
        return Sidecar.container(cm);
      }
    }
    throw new AssertionError("no sidecar ConfigMap rendered");
  }

  @Test
  void labelsBecomeDownwardApiVariablesAndGlobalTags() throws Exception {
    Container c =
        sidecar(
            Chart.template(
                EDGE,
                t ->
                    t.set("sidecar.podLabelsAsTags[0]", "version")
                        .set("sidecar.podLabelsAsTags[1]", "app.kubernetes.io/part-of")));

    Map<String, EnvVar> env =
        c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
    assertThat(env.get("POD_LABEL_0").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.labels['version']");
    assertThat(env.get("POD_LABEL_1").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.labels['app.kubernetes.io/part-of']");
    assertThat(env.get("FLEETSTATS_GLOBAL_TAGS").getValue())
        .isEqualTo("version=$(POD_LABEL_0),app.kubernetes.io/part-of=$(POD_LABEL_1)");
    // $(VAR) expands only variables defined before it in the list
    List<String> names = c.getEnv().stream().map(EnvVar::getName).toList();
    assertThat(names.indexOf("FLEETSTATS_GLOBAL_TAGS")).isGreaterThan(names.indexOf("POD_LABEL_1"));
  }

  @Test
  void withoutLabelsNoGlobalTags() throws Exception {
    Container c = sidecar(Chart.template(EDGE, t -> t));

    assertThat(c.getEnv()).extracting(EnvVar::getName).doesNotContain("FLEETSTATS_GLOBAL_TAGS");
  }

  @Test
  void aLabelThatIsNoLabelNameFailsOnTheSchema() {
    assertThatThrownBy(
            () -> Chart.template(EDGE, t -> t.set("sidecar.podLabelsAsTags[0]", "not a label")))
        .hasMessageContaining("podLabelsAsTags");
  }
}
