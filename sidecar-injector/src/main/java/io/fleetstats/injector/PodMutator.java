package io.fleetstats.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Decides whether a pod gets the edge sidecar and builds the JSON Patch (RFC 6902) that adds it.
 * Pure: a pod in, a {@link Mutation} out; no I/O.
 *
 * <p>A pod is injected when annotated {@value #INJECT}{@code : "true"} and it has no container or
 * init container of the sidecar's name yet. As a native sidecar (Kubernetes 1.29+) it is appended
 * to the init containers with {@code restartPolicy: Always}: it starts before the app's containers
 * and does not keep a Job's pod running. Without native sidecars it is appended to the containers,
 * except in pods that are meant to finish ({@code restartPolicy} Never or OnFailure: Jobs), where
 * it would never exit: those are left alone with a warning.
 *
 * <p>Per-pod settings come from annotations: {@value #CONTAINER} (the container whose statsd it
 * receives; default the first), {@value #APP} or {@value #APP_LABEL} (the {@code app} of the
 * source; default the label {@code app.kubernetes.io/name}, else {@code app}), and for MySQL
 * {@value #MYSQL_URL} or {@value #MYSQL_SERVER}, {@value #MYSQL_USER}, {@value
 * #MYSQL_PASSWORD_SECRET} ({@code name} or {@code name/key}, key default {@code password}), {@value
 * #MYSQL_INTERVAL}.
 */
public final class PodMutator {
  public static final String INJECT = "fleetstats.io/inject";
  public static final String INJECTED = "fleetstats.io/injected";
  public static final String CONTAINER = "fleetstats.io/container";
  public static final String APP = "fleetstats.io/app";
  public static final String APP_LABEL = "fleetstats.io/app-label";
  public static final String MYSQL_URL = "fleetstats.io/mysql-url";
  public static final String MYSQL_SERVER = "fleetstats.io/mysql-server";
  public static final String MYSQL_USER = "fleetstats.io/mysql-user";
  public static final String MYSQL_PASSWORD_SECRET = "fleetstats.io/mysql-password-secret";
  public static final String MYSQL_INTERVAL = "fleetstats.io/mysql-interval";

  private static final Pattern LABEL_KEY =
      Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
  private static final Pattern SECRET_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  private static final Pattern DURATION = Pattern.compile("[0-9]+(ms|s|m|h)");
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final SidecarTemplate template;
  private final boolean nativeSidecar;

  /**
   * @param template the sidecar to add
   * @param nativeSidecar add it as an init container with {@code restartPolicy: Always}
   */
  public PodMutator(SidecarTemplate template, boolean nativeSidecar) {
    this.template = template;
    this.nativeSidecar = nativeSidecar;
  }

  /**
   * What to do with one pod.
   *
   * @param patch JSON Patch operations; empty when the pod is left as it is
   * @param reason why (for the log and the tests): {@code injected}, {@code not-annotated} …
   * @param warnings shown to the user by kubectl (AdmissionResponse warnings)
   */
  public record Mutation(ArrayNode patch, String reason, List<String> warnings) {
    public Mutation {
      warnings = List.copyOf(warnings);
    }

    public boolean changes() {
      return !patch.isEmpty();
    }
  }

  /** The mutation of {@code pod} (a Kubernetes Pod as JSON). */
  public Mutation mutate(JsonNode pod) {
    JsonNode annotations = pod.path("metadata").path("annotations");
    if (!"true".equalsIgnoreCase(annotations.path(INJECT).asText(""))) {
      return none("not-annotated", List.of());
    }
    JsonNode spec = pod.path("spec");
    if (has(spec.path("containers"), template.name())
        || has(spec.path("initContainers"), template.name())) {
      return none("already-injected", List.of());
    }
    String restartPolicy = spec.path("restartPolicy").asText("Always");
    if (!nativeSidecar && !restartPolicy.equals("Always")) {
      return none(
          "finishing-pod",
          List.of(
              "fleetstats: no sidecar added to this pod: its restartPolicy is "
                  + restartPolicy
                  + " (a Job's pod) and a regular sidecar container would keep it running;"
                  + " native sidecars (Kubernetes 1.29+, chart value sidecar.native) finish with"
                  + " the pod"));
    }
    List<String> warnings = new ArrayList<>();
    ObjectNode sidecar = template.container().deepCopy();
    Map<String, JsonNode> env = new LinkedHashMap<>();
    for (JsonNode e : sidecar.path("env")) {
      env.put(e.path("name").asText(), e);
    }
    String container = annotations.path(CONTAINER).asText("");
    if (container.isEmpty()) {
      container = spec.path("containers").path(0).path("name").asText("");
    } else if (!has(spec.path("containers"), container)) {
      warnings.add(
          "fleetstats: annotation "
              + CONTAINER
              + " names container '"
              + container
              + "', which the pod does not have; its series carry that name anyway");
    }
    if (!container.isEmpty()) {
      put(env, literal("CONTAINER_NAME", container));
    }
    JsonNode app = appEnv(annotations, pod.path("metadata").path("labels"), warnings);
    if (app != null) {
      put(env, app);
    }
    mysqlEnv(annotations, env, warnings);
    ArrayNode envArray = sidecar.putArray("env");
    env.values().forEach(envArray::add);
    if (nativeSidecar) {
      sidecar.put("restartPolicy", "Always");
    }

    ArrayNode patch = JSON.arrayNode();
    String list = nativeSidecar ? "initContainers" : "containers";
    append(patch, spec, list, sidecar);
    Set<String> podVolumes = new HashSet<>();
    spec.path("volumes").forEach(v -> podVolumes.add(v.path("name").asText()));
    boolean volumesExist = spec.path("volumes").isArray();
    for (JsonNode volume : template.volumes()) {
      if (podVolumes.contains(volume.path("name").asText())) {
        continue; // the pod already defines it (e.g. the Kafka CA Secret): share it
      }
      if (volumesExist) {
        patch.add(op("/spec/volumes/-", volume));
      } else {
        patch.add(op("/spec/volumes", JSON.arrayNode().add(volume)));
        volumesExist = true;
      }
    }
    patch.add(
        op(
            "/metadata/annotations/" + escape(INJECTED),
            JSON.textNode(nativeSidecar ? "native-sidecar" : "container")));
    return new Mutation(patch, "injected", warnings);
  }

  private static Mutation none(String reason, List<String> warnings) {
    return new Mutation(JSON.arrayNode(), reason, warnings);
  }

  private static void append(ArrayNode patch, JsonNode spec, String list, JsonNode value) {
    if (spec.path(list).isArray()) {
      patch.add(op("/spec/" + list + "/-", value));
    } else {
      patch.add(op("/spec/" + list, JSON.arrayNode().add(value)));
    }
  }

  private static ObjectNode op(String path, JsonNode value) {
    ObjectNode op = JSON.objectNode();
    op.put("op", "add");
    op.put("path", path);
    op.set("value", value);
    return op;
  }

  /** JSON Pointer escaping (RFC 6901) of one path segment. */
  static String escape(String segment) {
    return segment.replace("~", "~0").replace("/", "~1");
  }

  private static boolean has(JsonNode containers, String name) {
    for (JsonNode c : containers) {
      if (name.equals(c.path("name").asText())) {
        return true;
      }
    }
    return false;
  }

  private static JsonNode appEnv(JsonNode annotations, JsonNode labels, List<String> warnings) {
    String literal = annotations.path(APP).asText("");
    if (!literal.isEmpty()) {
      return literal("APP_NAME", literal);
    }
    String label = annotations.path(APP_LABEL).asText("");
    if (!label.isEmpty()) {
      if (!LABEL_KEY.matcher(label).matches()) {
        warnings.add(
            "fleetstats: annotation " + APP_LABEL + " is not a label key: '" + label + "'");
        return null;
      }
      return fieldRef("APP_NAME", "metadata.labels['" + label + "']");
    }
    for (String key : List.of("app.kubernetes.io/name", "app")) {
      if (labels.has(key)) {
        return fieldRef("APP_NAME", "metadata.labels['" + key + "']");
      }
    }
    return null;
  }

  private static void mysqlEnv(
      JsonNode annotations, Map<String, JsonNode> env, List<String> warnings) {
    String url = annotations.path(MYSQL_URL).asText("");
    String server = annotations.path(MYSQL_SERVER).asText("");
    if (url.isEmpty() && server.isEmpty()) {
      return;
    }
    if (!url.isEmpty()) {
      if (!url.startsWith("jdbc:mysql://") && !url.startsWith("jdbc:mariadb://")) {
        warnings.add(
            "fleetstats: annotation "
                + MYSQL_URL
                + " must be a Connector/J URL such as jdbc:mysql://127.0.0.1:3306/; MySQL is not"
                + " polled");
        return;
      }
      put(env, literal("FLEETSTATS_MYSQL_URL", url));
    } else {
      put(env, literal("MYSQL_SERVER", server));
    }
    String user = annotations.path(MYSQL_USER).asText("");
    if (!user.isEmpty()) {
      put(env, literal("FLEETSTATS_MYSQL_USER", user));
    }
    String secret = annotations.path(MYSQL_PASSWORD_SECRET).asText("");
    if (!secret.isEmpty()) {
      int slash = secret.indexOf('/');
      String name = slash < 0 ? secret : secret.substring(0, slash);
      String key = slash < 0 ? "password" : secret.substring(slash + 1);
      if (!SECRET_NAME.matcher(name).matches() || key.isEmpty()) {
        warnings.add(
            "fleetstats: annotation "
                + MYSQL_PASSWORD_SECRET
                + " must be <secret> or <secret>/<key>, got '"
                + secret
                + "'; no password is set");
      } else {
        ObjectNode e = JSON.objectNode();
        e.put("name", "FLEETSTATS_MYSQL_PASSWORD");
        ObjectNode ref = e.putObject("valueFrom").putObject("secretKeyRef");
        ref.put("name", name);
        ref.put("key", key);
        put(env, e);
      }
    }
    String interval = annotations.path(MYSQL_INTERVAL).asText("");
    if (!interval.isEmpty()) {
      if (DURATION.matcher(interval).matches()) {
        put(env, literal("FLEETSTATS_MYSQL_INTERVAL", interval));
      } else {
        warnings.add(
            "fleetstats: annotation "
                + MYSQL_INTERVAL
                + " must be a duration such as 10s or 1m, got '"
                + interval
                + "'; the default is used");
      }
    }
  }

  private static void put(Map<String, JsonNode> env, JsonNode var) {
    env.put(var.path("name").asText(), var);
  }

  private static ObjectNode literal(String name, String value) {
    ObjectNode e = JSON.objectNode();
    e.put("name", name);
    e.put("value", value);
    return e;
  }

  private static ObjectNode fieldRef(String name, String path) {
    ObjectNode e = JSON.objectNode();
    e.put("name", name);
    e.putObject("valueFrom").putObject("fieldRef").put("fieldPath", path);
    return e;
  }
}
