package io.fleetstats.edge.kubelet;

import io.fleetstats.kit.settings.Durations;
import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.SettingsReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Settings of the kubelet input, read from the agent's environment. The input is on when {@link
 * #URL} is set, or when {@link #ENABLED} is and {@code NODE_IP} gives the kubelet's address (the
 * Downward API's {@code status.hostIP}, as a DaemonSet sets it).
 *
 * @param enabled whether to scrape at all
 * @param summaryUri the Summary API's address: {@link #URL} with {@code /stats/summary} appended
 *     unless it already ends so
 * @param tokenFile {@link #TOKEN_FILE}; read before every scrape (service-account tokens rotate)
 * @param caFile {@link #CA_FILE}, or null for the JVM's trusted CAs
 * @param insecureSkipVerify {@link #INSECURE_SKIP_VERIFY}
 * @param interval {@link #INTERVAL}
 * @param timeout {@link #TIMEOUT}
 */
public record KubeletConfig(
    boolean enabled,
    URI summaryUri,
    Path tokenFile,
    Path caFile,
    boolean insecureSkipVerify,
    Duration interval,
    Duration timeout) {

  /** Where Kubernetes mounts a pod's service-account token. */
  public static final String SERVICE_ACCOUNT_TOKEN =
      "/var/run/secrets/kubernetes.io/serviceaccount/token";

  /** The Summary API's path on the kubelet. */
  public static final String SUMMARY_PATH = "/stats/summary";

  public static final Setting<String> URL =
      Setting.string("FLEETSTATS_KUBELET_URL", null)
          .shownDefault("off; https://$NODE_IP:10250 with FLEETSTATS_KUBELET_ENABLED")
          .doc(
              "scrape this kubelet's Summary API (cluster stats); http:// only for tests (a warning)");
  public static final Setting<Boolean> ENABLED =
      Setting.bool("FLEETSTATS_KUBELET_ENABLED", false)
          .doc("scrape the node's kubelet at https://$NODE_IP:10250 (the node agent sets it)");
  public static final Setting<String> NODE_IP =
      Setting.string("NODE_IP", null)
          .doc("the node's IP (Downward API status.hostIP): the kubelet's default address");
  public static final Setting<String> TOKEN_FILE =
      Setting.string("FLEETSTATS_KUBELET_TOKEN_FILE", SERVICE_ACCOUNT_TOKEN)
          .doc(
              "bearer token sent to the kubelet, read before every scrape; none when the file is absent");
  public static final Setting<String> CA_FILE =
      Setting.string("FLEETSTATS_KUBELET_CA_FILE", null)
          .shownDefault("the JVM's trusted CAs")
          .doc("PEM file of the CA that signed the kubelet's serving certificate");
  public static final Setting<Boolean> INSECURE_SKIP_VERIFY =
      Setting.bool("FLEETSTATS_KUBELET_INSECURE_SKIP_VERIFY", false)
          .doc(
              "accept any kubelet certificate and host name (self-signed kubelet certificates; as Telegraf's insecure_skip_verify)");
  public static final Setting<Duration> INTERVAL =
      Setting.duration(
              "FLEETSTATS_KUBELET_INTERVAL", Duration.ofSeconds(10), Duration.ofMillis(100))
          .aliases("INTERVAL")
          .doc("time between scrapes (the seed's INTERVAL when set)");
  public static final Setting<Duration> TIMEOUT =
      Setting.duration("FLEETSTATS_KUBELET_TIMEOUT", Duration.ofSeconds(5), Duration.ofMillis(100))
          .doc("connect and read timeout of one scrape");

  /** Every kubelet setting, in doc order. */
  public static final List<Setting<?>> SETTINGS =
      List.of(URL, ENABLED, NODE_IP, TOKEN_FILE, CA_FILE, INSECURE_SKIP_VERIFY, INTERVAL, TIMEOUT);

  /** Reads the settings; problems go to the reader, which reports them all at once. */
  public static KubeletConfig read(SettingsReader r) {
    String url = r.get(URL);
    boolean enabled = r.get(ENABLED);
    String nodeIp = r.get(NODE_IP);
    Path tokenFile = Path.of(r.get(TOKEN_FILE));
    String ca = r.get(CA_FILE);
    boolean insecure = r.get(INSECURE_SKIP_VERIFY);
    Duration interval = r.get(INTERVAL);
    Duration timeout = r.get(TIMEOUT);
    URI uri = null;
    if (url == null && enabled) {
      if (nodeIp == null || nodeIp.isBlank()) {
        r.problem(
            ENABLED.key(),
            "true",
            "needs NODE_IP (env: valueFrom.fieldRef.fieldPath: status.hostIP) or FLEETSTATS_KUBELET_URL");
      } else {
        url = "https://" + (nodeIp.contains(":") ? "[" + nodeIp + "]" : nodeIp) + ":10250";
      }
    }
    if (url != null) {
      uri = summaryUri(r, url);
    }
    return new KubeletConfig(
        uri != null, uri, tokenFile, ca == null ? null : Path.of(ca), insecure, interval, timeout);
  }

  private static URI summaryUri(SettingsReader r, String url) {
    try {
      URI base = new URI(url.trim());
      String scheme = base.getScheme();
      if (base.getHost() == null || !("https".equals(scheme) || "http".equals(scheme))) {
        r.problem(URL.key(), url, "an http(s) URL such as https://10.0.0.5:10250");
        return null;
      }
      String path = base.getPath() == null ? "" : base.getPath();
      if (path.endsWith(SUMMARY_PATH)) {
        return base;
      }
      String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
      return new URI(
          scheme,
          base.getUserInfo(),
          base.getHost(),
          base.getPort(),
          trimmed + SUMMARY_PATH,
          null,
          null);
    } catch (URISyntaxException e) {
      r.problem(
          URL.key(), url, "an http(s) URL such as https://10.0.0.5:10250 (" + e.getReason() + ")");
      return null;
    }
  }

  /** One line for the start-up log. */
  public String summary() {
    if (!enabled) {
      return "kubelet off";
    }
    return "kubelet "
        + summaryUri
        + " every "
        + Durations.format(interval)
        + (insecureSkipVerify ? " (certificate not verified)" : "");
  }
}
