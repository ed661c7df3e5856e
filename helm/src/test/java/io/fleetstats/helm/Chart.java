package io.fleetstats.helm;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/** Renders the chart with Helm's own code (helm-java) and reads the manifests. */
final class Chart {
  static final Path DIR = Path.of("fleetstats");
  static final String RELEASE = "fs";
  static final String NAMESPACE = "fleetstats";
  static final String KUBE_VERSION = "1.31.0";

  static final ObjectMapper YAML =
      new ObjectMapper(
          new YAMLFactory()
              .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
              .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));
  static final KubernetesSerialization K8S = new KubernetesSerialization();
  private static final Pattern DOC = Pattern.compile("(?m)^---\\s*$");

  private Chart() {}

  /**
   * {@code helm template fs fleetstats -n fleetstats --kube-version ... [-f values]}. helm-java's
   * template prints the manifest without hooks, so the hook Jobs are rendered once more with {@code
   * jobsAsHooks=false} and appended (their hook annotations are checked apart).
   */
  static String template(Path valuesFile, UnaryOperator<TemplateCommand> more) {
    String manifest = render(valuesFile, more);
    String jobs =
        DOC.splitAsStream(render(valuesFile, t -> more.apply(t).set("jobsAsHooks", "false")))
            .filter(d -> d.contains("\nkind: Job\n"))
            .reduce("", (x, y) -> x + "\n---" + y);
    return manifest + jobs;
  }

  private static String render(Path valuesFile, UnaryOperator<TemplateCommand> more) {
    TemplateCommand t =
        new Helm(DIR)
            .template()
            .withName(RELEASE)
            .withNamespace(NAMESPACE)
            .withKubeVersion(KUBE_VERSION);
    if (valuesFile != null) {
      t = t.withValuesFile(valuesFile);
    }
    // helm-java's template answers Helm's lookup from a cluster (there is none here), where helm
    // template answers it empty: the certificate is then made anew, as on a first install
    return more.apply(t).set("webhook.keepCertificate", "false").call();
  }

  /** The rendered documents as plain maps, in order, comments and empty documents dropped. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> documents(String rendered) throws Exception {
    List<Map<String, Object>> docs = new ArrayList<>();
    for (String part : DOC.split(rendered)) {
      Object doc = YAML.readValue(part.isBlank() ? "{}" : part, Object.class);
      if (doc instanceof Map<?, ?> m && !m.isEmpty()) {
        docs.add((Map<String, Object>) m);
      }
    }
    return docs;
  }

  /** The documents as fabric8 model objects (CRD kinds as GenericKubernetesResource). */
  static List<HasMetadata> resources(String rendered) throws Exception {
    List<HasMetadata> out = new ArrayList<>();
    for (Map<String, Object> doc : documents(rendered)) {
      KubernetesResource r = K8S.unmarshal(YAML.writeValueAsString(doc), KubernetesResource.class);
      out.add((HasMetadata) r);
    }
    return out;
  }
}
