package io.fleetstats.helm;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import java.util.Map;

/** The sidecar the chart's ConfigMap defines (sidecar.yaml: container, volumes). */
final class Sidecar {
  private Sidecar() {}

  @SuppressWarnings("unchecked")
  static Container container(ConfigMap cm) {
    try {
      Map<String, Object> doc = Chart.YAML.readValue(cm.getData().get("sidecar.yaml"), Map.class);
      Container c =
          Chart.K8S.unmarshal(Chart.YAML.writeValueAsString(doc.get("container")), Container.class);
      var unknown = ModelCheck.unknownFields(c, "sidecar.yaml container");
      if (!unknown.isEmpty()) {
        throw new AssertionError("unknown fields in the sidecar: " + unknown);
      }
      return c;
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
