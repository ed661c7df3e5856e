package io.fleetstats.edge.k8s;

import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.SettingsReader;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * How the statsd input tells which pod sent a sample. {@code sidecar} (the default): every sample
 * is the agent's own pod's, as the Downward API names it. {@code node}: the agent serves every pod
 * of its node (a DaemonSet behind a Service with {@code internalTrafficPolicy: Local}) and looks
 * each packet's source IP up in the node's pods ({@link PodIndex}); a sender it cannot find is
 * counted and its samples tagged {@code pod_name=unknown}, never dropped.
 *
 * @param node whether node mode is on
 * @param podIndex where and how to list and watch the node's pods (null in sidecar mode)
 */
public record AttributionConfig(boolean node, PodIndex.Options podIndex) {

  /** The pod name of samples whose sender is not a known pod of the node. */
  public static final String UNKNOWN_POD = "unknown";

  public static final String SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount/";

  /** Whose samples the statsd input receives. */
  public enum Mode {
    SIDECAR,
    NODE
  }

  public static final Setting<Mode> MODE =
      Setting.oneOf("FLEETSTATS_STATSD_ATTRIBUTION", Mode.SIDECAR, Mode.class)
          .doc(
              "sidecar: samples are this pod's; node: one agent per node attributes each packet to"
                  + " its pod by source IP (pods list/watch on the API server)");
  public static final Setting<String> API_SERVER =
      Setting.string("FLEETSTATS_KUBERNETES_API", null)
          .shownDefault("https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT")
          .doc("the API server node mode lists and watches the node's pods on");
  public static final Setting<String> TOKEN_FILE =
      Setting.string("FLEETSTATS_KUBERNETES_TOKEN_FILE", SERVICE_ACCOUNT + "token")
          .doc("bearer token for the API server, read before every request");
  public static final Setting<String> CA_FILE =
      Setting.string("FLEETSTATS_KUBERNETES_CA_FILE", SERVICE_ACCOUNT + "ca.crt")
          .doc("PEM CA of the API server's certificate (ignored when the file is absent)");

  /** Every attribution setting, in doc order. */
  public static final List<Setting<?>> SETTINGS = List.of(MODE, API_SERVER, TOKEN_FILE, CA_FILE);

  /**
   * Reads the settings; problems go to the reader.
   *
   * @param nodeName this node's name ({@code NODE_HOSTNAME}, the pods' {@code spec.nodeName})
   */
  public static AttributionConfig read(SettingsReader r, String nodeName) {
    Mode mode = r.get(MODE);
    String api = r.get(API_SERVER);
    Path token = Path.of(r.get(TOKEN_FILE));
    Path ca = Path.of(r.get(CA_FILE));
    if (mode != Mode.NODE) {
      return new AttributionConfig(false, null);
    }
    if (api == null) {
      String host = r.string(null, "KUBERNETES_SERVICE_HOST");
      String port = r.string("443", "KUBERNETES_SERVICE_PORT");
      if (host == null) {
        r.problem(
            MODE.key(),
            "node",
            "node mode needs the API server: set FLEETSTATS_KUBERNETES_API (in a pod,"
                + " KUBERNETES_SERVICE_HOST is set by Kubernetes)");
        return new AttributionConfig(false, null);
      }
      api = "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
    URI uri;
    try {
      uri = URI.create(api.trim());
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("no host");
      }
    } catch (IllegalArgumentException e) {
      r.problem(API_SERVER.key(), api, "a URL such as https://10.96.0.1:443");
      return new AttributionConfig(false, null);
    }
    return new AttributionConfig(
        true,
        new PodIndex.Options(uri, nodeName, token, java.nio.file.Files.exists(ca) ? ca : null));
  }
}
