package io.fleetstats.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.flipkart.zjsonpatch.JsonPatch;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * AdmissionReview in, JSON Patch out: each row is a pod as the api-server sends it; the patch is
 * applied with zjsonpatch (an independent RFC 6902 implementation) and the resulting pod checked.
 */
class PodMutatorTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static SidecarTemplate template;

  @BeforeAll
  static void readTemplate() throws Exception {
    template = SidecarTemplate.read(Path.of("src/test/resources/admission/sidecar.yaml"));
  }

  static Stream<Arguments> rows() {
    return Stream.of(
        row(
            "annotated pod: native sidecar first among no init containers",
            true,
            """
            metadata: {generateName: api-server-7d9f-, namespace: fitcycle,
                       labels: {app: api-server}, annotations: {fleetstats.io/inject: "true"}}
            spec: {containers: [{name: api-server, image: api:1}]}
            """,
            "injected",
            pod -> {
              assertThat(names(pod, "initContainers")).containsExactly("fleetstats-edge");
              assertThat(names(pod, "containers")).containsExactly("api-server");
              JsonNode sidecar = pod.at("/spec/initContainers/0");
              assertThat(sidecar.path("restartPolicy").asText()).isEqualTo("Always");
              assertThat(env(sidecar, "CONTAINER_NAME").path("value").asText())
                  .isEqualTo("api-server");
              assertThat(env(sidecar, "APP_NAME").at("/valueFrom/fieldRef/fieldPath").asText())
                  .isEqualTo("metadata.labels['app']");
              assertThat(env(sidecar, "FLEETSTATS_CLUSTER").path("value").asText())
                  .isEqualTo("prod-eu-1");
              assertThat(names(pod, "volumes")).containsExactly("fleetstats-tmp");
              assertThat(pod.at("/metadata/annotations/fleetstats.io~1injected").asText())
                  .isEqualTo("native-sidecar");
            }),
        row(
            "annotated pod on a cluster without native sidecars: a regular container",
            false,
            """
            metadata: {name: web-0, annotations: {fleetstats.io/inject: "true"}}
            spec: {containers: [{name: web, image: web:1}], volumes: [{name: data, emptyDir: {}}]}
            """,
            "injected",
            pod -> {
              assertThat(names(pod, "containers")).containsExactly("web", "fleetstats-edge");
              assertThat(pod.at("/spec/initContainers").isMissingNode()).isTrue();
              assertThat(pod.at("/spec/containers/1/restartPolicy").isMissingNode()).isTrue();
              assertThat(names(pod, "volumes")).containsExactly("data", "fleetstats-tmp");
            }),
        row(
            "not annotated: no patch",
            true,
            """
            metadata: {name: other, labels: {app: other}}
            spec: {containers: [{name: other, image: other:1}]}
            """,
            "not-annotated",
            pod -> assertThat(names(pod, "containers")).containsExactly("other")),
        row(
            "annotated false: no patch",
            true,
            """
            metadata: {name: other, annotations: {fleetstats.io/inject: "false"}}
            spec: {containers: [{name: other, image: other:1}]}
            """,
            "not-annotated",
            pod -> assertThat(names(pod, "containers")).containsExactly("other")),
        row(
            "already injected (hand-added with the named template): no patch",
            true,
            """
            metadata: {name: api-0, annotations: {fleetstats.io/inject: "true"}}
            spec: {containers: [{name: api, image: api:1}, {name: fleetstats-edge, image: e:1}]}
            """,
            "already-injected",
            pod -> assertThat(names(pod, "containers")).containsExactly("api", "fleetstats-edge")),
        row(
            "init containers present: the sidecar goes after them, they are kept",
            true,
            """
            metadata: {name: db-0, annotations: {fleetstats.io/inject: "true", fleetstats.io/container: mysql}}
            spec:
              initContainers: [{name: init-schema, image: tools:1}]
              containers: [{name: backup, image: b:1}, {name: mysql, image: mysql:8}]
              volumes: [{name: fleetstats-tmp, emptyDir: {medium: Memory}}]
            """,
            "injected",
            pod -> {
              assertThat(names(pod, "initContainers"))
                  .containsExactly("init-schema", "fleetstats-edge");
              assertThat(
                      env(pod.at("/spec/initContainers/1"), "CONTAINER_NAME")
                          .path("value")
                          .asText())
                  .isEqualTo("mysql");
              // the pod's own volume of that name is kept, not duplicated
              assertThat(names(pod, "volumes")).containsExactly("fleetstats-tmp");
              assertThat(pod.at("/spec/volumes/0/emptyDir/medium").asText()).isEqualTo("Memory");
            }),
        row(
            "a Job's pod with native sidecars: injected, the Job can finish",
            true,
            """
            metadata: {generateName: report-, annotations: {fleetstats.io/inject: "true"},
                       ownerReferences: [{apiVersion: batch/v1, kind: Job, name: report, uid: u1}]}
            spec: {restartPolicy: Never, containers: [{name: report, image: r:1}]}
            """,
            "injected",
            pod -> {
              assertThat(names(pod, "initContainers")).containsExactly("fleetstats-edge");
              assertThat(pod.at("/spec/initContainers/0/restartPolicy").asText())
                  .isEqualTo("Always");
              assertThat(names(pod, "containers")).containsExactly("report");
            }),
        row(
            "a Job's pod without native sidecars: left alone (a regular sidecar never exits)",
            false,
            """
            metadata: {generateName: report-, annotations: {fleetstats.io/inject: "true"}}
            spec: {restartPolicy: OnFailure, containers: [{name: report, image: r:1}]}
            """,
            "finishing-pod",
            pod -> assertThat(names(pod, "containers")).containsExactly("report")),
        row(
            "MySQL pod: poller settings from annotations, password from a Secret",
            true,
            """
            metadata:
              name: mysql-0
              labels: {app.kubernetes.io/name: mysql, app: db}
              annotations:
                fleetstats.io/inject: "true"
                fleetstats.io/mysql-server: "127.0.0.1:3306"
                fleetstats.io/mysql-user: telegraf
                fleetstats.io/mysql-password-secret: mysql-monitor/pw
                fleetstats.io/mysql-interval: 60s
            spec: {containers: [{name: mysql, image: percona:5.7}]}
            """,
            "injected",
            pod -> {
              JsonNode sidecar = pod.at("/spec/initContainers/0");
              assertThat(env(sidecar, "MYSQL_SERVER").path("value").asText())
                  .isEqualTo("127.0.0.1:3306");
              assertThat(env(sidecar, "FLEETSTATS_MYSQL_USER").path("value").asText())
                  .isEqualTo("telegraf");
              assertThat(env(sidecar, "FLEETSTATS_MYSQL_PASSWORD").at("/valueFrom/secretKeyRef"))
                  .isEqualTo(json("{\"name\":\"mysql-monitor\",\"key\":\"pw\"}"));
              assertThat(env(sidecar, "FLEETSTATS_MYSQL_INTERVAL").path("value").asText())
                  .isEqualTo("60s");
              // app.kubernetes.io/name wins over app
              assertThat(env(sidecar, "APP_NAME").at("/valueFrom/fieldRef/fieldPath").asText())
                  .isEqualTo("metadata.labels['app.kubernetes.io/name']");
              // the template's env stays, in its order, before the pod's
              assertThat(envNames(sidecar))
                  .startsWith("FLEETSTATS_CLUSTER", "POD_NAME", "FLEETSTATS_CREATE_TOPICS");
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void patchesThePodAsExpected(
      String name, boolean nativeSidecar, String podYaml, String reason, Consumer<JsonNode> check)
      throws Exception {
    JsonNode pod = YAML.readTree(podYaml);
    ObjectNode review = review("uid-" + name.hashCode(), pod);

    AdmissionReviews.Answer answer =
        AdmissionReviews.answer(review, new PodMutator(template, nativeSidecar));

    JsonNode response = answer.review().path("response");
    assertThat(answer.review().path("apiVersion").asText()).isEqualTo("admission.k8s.io/v1");
    assertThat(response.path("uid").asText()).isEqualTo("uid-" + name.hashCode());
    assertThat(response.path("allowed").asBoolean()).isTrue();
    assertThat(answer.mutation().reason()).isEqualTo(reason);
    JsonNode patched = pod;
    if (reason.equals("injected")) {
      assertThat(response.path("patchType").asText()).isEqualTo("JSONPatch");
      JsonNode patch = JSON.readTree(Base64.getDecoder().decode(response.path("patch").asText()));
      patched = JsonPatch.apply(patch, pod);
    } else {
      assertThat(response.has("patch")).isFalse();
      assertThat(response.has("patchType")).isFalse();
    }
    check.accept(patched);
  }

  @Test
  void aJobWithoutNativeSidecarsIsToldWhy() throws Exception {
    JsonNode pod =
        YAML.readTree(
            "metadata: {annotations: {fleetstats.io/inject: 'true'}}\n"
                + "spec: {restartPolicy: Never, containers: [{name: j}]}");
    JsonNode response =
        AdmissionReviews.answer(review("u", pod), new PodMutator(template, false))
            .review()
            .path("response");
    assertThat(response.path("warnings").get(0).asText())
        .contains("restartPolicy is Never", "sidecar.native");
  }

  @Test
  void badAnnotationsAreWarningsAndTheRestIsInjected() throws Exception {
    JsonNode pod =
        YAML.readTree(
            "metadata: {annotations: {fleetstats.io/inject: 'true',"
                + " fleetstats.io/mysql-url: 'mysql://db:3306',"
                + " fleetstats.io/container: nope}}\n"
                + "spec: {containers: [{name: app}]}");
    PodMutator.Mutation m = new PodMutator(template, true).mutate(pod);
    assertThat(m.changes()).isTrue();
    assertThat(m.warnings())
        .anySatisfy(w -> assertThat(w).contains("fleetstats.io/mysql-url", "jdbc:mysql://"))
        .anySatisfy(w -> assertThat(w).contains("fleetstats.io/container", "'nope'"));
    JsonNode sidecar = JsonPatch.apply(m.patch(), pod).at("/spec/initContainers/0");
    assertThat(envNames(sidecar)).doesNotContain("FLEETSTATS_MYSQL_URL", "MYSQL_SERVER");
  }

  @Test
  void otherRequestsAreAllowedUntouched() throws Exception {
    ObjectNode review = review("u2", YAML.readTree("metadata: {name: x}"));
    ((ObjectNode) review.get("request")).put("operation", "UPDATE");
    AdmissionReviews.Answer answer =
        AdmissionReviews.answer(review, new PodMutator(template, true));
    assertThat(answer.mutation()).isNull();
    assertThat(answer.review().path("response").path("allowed").asBoolean()).isTrue();
    assertThat(answer.review().path("response").has("patch")).isFalse();
  }

  @Test
  void rejectsWhatIsNotAnAdmissionReviewV1() {
    ObjectNode v1beta1 = review("u3", JSON.createObjectNode());
    v1beta1.put("apiVersion", "admission.k8s.io/v1beta1");
    assertThatThrownBy(() -> AdmissionReviews.answer(v1beta1, new PodMutator(template, true)))
        .isInstanceOf(AdmissionReviews.BadReview.class)
        .hasMessageContaining("admissionReviewVersions: [v1]");
    ObjectNode noUid = review("", JSON.createObjectNode());
    assertThatThrownBy(() -> AdmissionReviews.answer(noUid, new PodMutator(template, true)))
        .hasMessageContaining("request.uid");
  }

  @Test
  void aTemplateWithoutContainerIsRefused() {
    assertThatThrownBy(() -> SidecarTemplate.parse("volumes: []", "sidecar.yaml"))
        .hasMessageContaining("sidecar.yaml: no 'container'");
  }

  static ObjectNode review(String uid, JsonNode pod) {
    ObjectNode review = JSON.createObjectNode();
    review.put("apiVersion", "admission.k8s.io/v1");
    review.put("kind", "AdmissionReview");
    ObjectNode request = review.putObject("request");
    request.put("uid", uid);
    request.putObject("kind").put("group", "").put("version", "v1").put("kind", "Pod");
    request.putObject("resource").put("group", "").put("version", "v1").put("resource", "pods");
    request.put("namespace", pod.at("/metadata/namespace").asText("fitcycle"));
    request.put("operation", "CREATE");
    request.set("object", pod);
    return review;
  }

  private static Arguments row(
      String name, boolean nativeSidecar, String pod, String reason, Consumer<JsonNode> check) {
    return Arguments.of(name, nativeSidecar, pod, reason, check);
  }

  private static List<String> names(JsonNode pod, String list) {
    List<String> out = new ArrayList<>();
    pod.path("spec").path(list).forEach(c -> out.add(c.path("name").asText()));
    return out;
  }

  private static List<String> envNames(JsonNode container) {
    List<String> out = new ArrayList<>();
    container.path("env").forEach(e -> out.add(e.path("name").asText()));
    return out;
  }

  private static JsonNode env(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (e.path("name").asText().equals(name)) {
        return e;
      }
    }
    throw new AssertionError("no env " + name + " in " + container);
  }

  private static JsonNode json(String s) {
    try {
      return JSON.readTree(s.getBytes(StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
