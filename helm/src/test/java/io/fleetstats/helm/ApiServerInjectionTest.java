package io.fleetstats.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.flipkart.zjsonpatch.JsonPatch;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fleetstats.injector.AdmissionReviews;
import io.fleetstats.injector.PodMutator;
import io.fleetstats.injector.SidecarTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * The webhook's patch on the seed's api-server: the chart's rendered sidecar (edge-only values)
 * injected into a pod of the fitcycle api-server Deployment, as the api-server would send it. The
 * resulting sidecar is kept in {@code golden/api-server-sidecar.yaml} (docs/deploy.md shows it).
 */
class ApiServerInjectionTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theAnnotatedApiServerPodGetsTheChartsSidecar() throws Exception {
    ConfigMap cm =
        ChartTest.one(
            Chart.resources(Chart.template(Chart.DIR.resolve("ci/edge-only-values.yaml"), t -> t)),
            ConfigMap.class);
    SidecarTemplate template =
        SidecarTemplate.parse(cm.getData().get("sidecar.yaml"), "the chart's sidecar ConfigMap");
    JsonNode deployment =
        Chart.YAML.readTree(
            Files.readString(Path.of("src/test/resources/fitcycle/api-server-deployment.yaml")));
    // a pod as the ReplicaSet controller creates it from the template
    ObjectNode pod = JSON.createObjectNode();
    pod.put("apiVersion", "v1");
    pod.put("kind", "Pod");
    ObjectNode metadata = ((ObjectNode) deployment.at("/spec/template/metadata")).deepCopy();
    metadata.put("generateName", "api-server-5d8c7b9f6-");
    metadata.put("namespace", "fitcycle");
    pod.set("metadata", metadata);
    pod.set("spec", deployment.at("/spec/template/spec").deepCopy());
    ObjectNode review = JSON.createObjectNode();
    review.put("apiVersion", "admission.k8s.io/v1");
    review.put("kind", "AdmissionReview");
    ObjectNode request = review.putObject("request");
    request.put("uid", "0d5b1a7e-api-server");
    request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
    request.put("namespace", "fitcycle");
    request.put("operation", "CREATE");
    request.set("object", pod);

    JsonNode response =
        AdmissionReviews.answer(review, new PodMutator(template, true)).review().path("response");
    JsonNode patched =
        JsonPatch.apply(
            JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText())), pod);

    Pod result = Chart.K8S.convertValue(patched, Pod.class);
    assertThat(ModelCheck.unknownFields(result, "pod")).isEmpty();
    assertThat(result.getSpec().getContainers())
        .extracting(Container::getName)
        .containsExactly("api-server");
    assertThat(result.getSpec().getInitContainers()).hasSize(1);
    Container sidecar = result.getSpec().getInitContainers().get(0);
    ChartTest.checkSidecar(sidecar);
    assertThat(sidecar.getRestartPolicy()).isEqualTo("Always");
    assertThat(ChartTest.env(sidecar, "FLEETSTATS_CLUSTER")).isEqualTo("prod-eu-1");
    assertThat(ChartTest.env(sidecar, "CONTAINER_NAME")).isEqualTo("api-server");
    assertThat(ChartTest.envVar(sidecar, "APP_NAME").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.labels['app.kubernetes.io/name']");
    assertThat(ChartTest.env(sidecar, "FLEETSTATS_STATSD_ADDRESS")).isEqualTo("127.0.0.1:8125");
    assertThat(result.getSpec().getVolumes())
        .extracting(v -> v.getName())
        .containsExactly("fleetstats-tmp");
    assertThat(result.getMetadata().getAnnotations())
        .containsEntry("fleetstats.io/injected", "native-sidecar");

    Golden.check(
        "api-server-sidecar",
        "apiVersion: v1\nkind: Pod\n"
            + Chart.YAML
                .writeValueAsString(patched)
                .replaceFirst("(?s)^apiVersion: v1\\nkind: Pod\\n", ""));
  }

  @Test
  void docsDeployShowsTheSidecarOfTheGoldenFile() throws Exception {
    String golden = Files.readString(Golden.DIR.resolve("api-server-sidecar.yaml"));
    String sidecar = golden.substring(golden.indexOf("  initContainers:")).strip();
    assertThat(Files.readString(Path.of("../docs/deploy.md")))
        .as(
            "docs/deploy.md shows the api-server's sidecar as golden/api-server-sidecar.yaml has it")
        .contains(sidecar);
  }
}
