package io.fleetstats.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The sidecar to inject, as the chart renders it into its ConfigMap ({@code sidecar.yaml}): the
 * container under {@code container}, the volumes it mounts under {@code volumes}. It is the named
 * template {@code fleetstats.edgeSidecar}, so hand-added and injected sidecars are the same.
 *
 * @param container a Kubernetes {@code Container}; its {@code name} marks a pod as injected
 * @param volumes Kubernetes {@code Volume}s the container mounts
 */
public record SidecarTemplate(ObjectNode container, ArrayNode volumes) {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  public SidecarTemplate {
    container = container.deepCopy();
    volumes = volumes.deepCopy();
  }

  /** The container's name, which the injector looks for to skip pods already injected. */
  public String name() {
    return container.path("name").asText();
  }

  /** Reads {@code sidecar.yaml}. */
  public static SidecarTemplate read(Path file) throws IOException {
    return parse(Files.readString(file), file.toString());
  }

  /**
   * @param where the file, for messages
   * @throws IllegalArgumentException saying what is missing
   */
  public static SidecarTemplate parse(String yaml, String where) throws IOException {
    JsonNode root = YAML.readTree(yaml);
    if (root == null || !root.path("container").isObject()) {
      throw new IllegalArgumentException(
          where + ": no 'container' mapping (the chart's sidecar ConfigMap renders one)");
    }
    JsonNode name = root.path("container").path("name");
    if (!name.isTextual() || name.asText().isEmpty()) {
      throw new IllegalArgumentException(where + ": the container has no name");
    }
    JsonNode volumes = root.path("volumes");
    if (!volumes.isMissingNode() && !volumes.isNull() && !volumes.isArray()) {
      throw new IllegalArgumentException(where + ": 'volumes' must be a list");
    }
    return new SidecarTemplate(
        (ObjectNode) root.get("container"),
        volumes.isArray() ? (ArrayNode) volumes : YAML.createArrayNode());
  }
}
