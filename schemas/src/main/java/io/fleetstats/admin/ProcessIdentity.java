package io.fleetstats.admin;

import io.fleetstats.config.EnvReader;
import io.micrometer.core.instrument.Tags;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Where a service instance runs, read from the Kubernetes Downward API variables the edge agent
 * also reads, so that every service's self-metrics carry the same {@code cluster}, {@code
 * namespace} and {@code pod} tags as the data (a {@code FLEETSTATS_*} alternate, when set, wins).
 *
 * @param cluster {@code FLEETSTATS_CLUSTER} or {@code CLUSTER_NAME}; default {@code local}
 * @param namespace {@code FLEETSTATS_NAMESPACE} or {@code NAMESPACE}; default {@code default}
 * @param pod {@code FLEETSTATS_POD}, {@code POD_NAME} or {@code HOSTNAME}; default the machine's
 *     host name
 */
public record ProcessIdentity(String cluster, String namespace, String pod) {

  /** Reads the identity; never reports a problem (every key has a default). */
  public static ProcessIdentity read(EnvReader r) {
    String pod = r.string(null, "FLEETSTATS_POD", "POD_NAME", "HOSTNAME");
    return new ProcessIdentity(
        r.string("local", "FLEETSTATS_CLUSTER", "CLUSTER_NAME"),
        r.string("default", "FLEETSTATS_NAMESPACE", "NAMESPACE"),
        pod != null ? pod : machineHostname());
  }

  /** The common tags of a service's self-metrics: {@code cluster}, {@code namespace}, {@code pod}. */
  public Tags tags() {
    return Tags.of("cluster", cluster, "namespace", namespace, "pod", pod);
  }

  private static String machineHostname() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown";
    }
  }
}
