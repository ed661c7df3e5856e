package io.fleetstats.kit;

import io.fleetstats.kit.settings.EnvReader;
import io.micrometer.core.instrument.Tags;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Where a process runs, read from the Kubernetes Downward API variables (the seed's names) or their
 * {@code FLEETSTATS_*} alternates, which win when set. The edge agent stamps it on every sample as
 * the source; every service tags its self-metrics with its {@code cluster}, {@code namespace} and
 * {@code pod}, so the platform's own meters line up with the data. The only reader of these
 * variables: one set of names, one set of defaults.
 *
 * @param cluster {@code FLEETSTATS_CLUSTER} or {@code CLUSTER_NAME}; default {@code local}
 * @param namespace {@code FLEETSTATS_NAMESPACE} or {@code NAMESPACE}; default {@code default}
 * @param node {@code FLEETSTATS_NODE} or {@code NODE_HOSTNAME}; the Wavefront source; default the
 *     machine's host name
 * @param pod {@code FLEETSTATS_POD}, {@code POD_NAME} or {@code HOSTNAME}; default the machine's
 *     host name
 * @param container {@code FLEETSTATS_CONTAINER} or {@code CONTAINER_NAME}; default empty
 * @param app {@code FLEETSTATS_APP} or {@code APP_NAME}; default empty
 */
public record ProcessIdentity(
    String cluster, String namespace, String node, String pod, String container, String app) {

  /** Used when the machine's host name cannot be resolved (and no variable names the pod). */
  public static final String UNKNOWN_HOST = "localhost";

  /** Reads the identity; never reports a problem (every key has a default). */
  public static ProcessIdentity read(EnvReader r) {
    String node = r.string(null, "FLEETSTATS_NODE", "NODE_HOSTNAME");
    String pod = r.string(null, "FLEETSTATS_POD", "POD_NAME", "HOSTNAME");
    String host = node == null || pod == null ? machineHostname() : null;
    return new ProcessIdentity(
        r.string("local", "FLEETSTATS_CLUSTER", "CLUSTER_NAME"),
        r.string("default", "FLEETSTATS_NAMESPACE", "NAMESPACE"),
        node != null ? node : host,
        pod != null ? pod : host,
        r.string("", "FLEETSTATS_CONTAINER", "CONTAINER_NAME"),
        r.string("", "FLEETSTATS_APP", "APP_NAME"));
  }

  /**
   * {@code cluster/namespace/pod/container}: the Kafka key of this source's raw records, the same
   * as {@code Sources.id} of the Avro {@code Source} with these fields.
   */
  public String sourceId() {
    return cluster + '/' + namespace + '/' + pod + '/' + container;
  }

  /** The common tags of a service's self-metrics: {@code cluster}, {@code namespace}, {@code pod}. */
  public Tags tags() {
    return Tags.of("cluster", cluster, "namespace", namespace, "pod", pod);
  }

  @Override
  public String toString() {
    return cluster + "/" + namespace + "/" + pod + (container.isEmpty() ? "" : "/" + container) + " on " + node;
  }

  private static String machineHostname() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return UNKNOWN_HOST;
    }
  }
}
