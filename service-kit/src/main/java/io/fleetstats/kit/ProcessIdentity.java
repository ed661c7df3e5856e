package io.fleetstats.kit;

import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.SettingsReader;
import io.micrometer.core.instrument.Tags;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

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

  public static final Setting<String> CLUSTER =
      Setting.string("FLEETSTATS_CLUSTER", "local")
          .aliases("CLUSTER_NAME")
          .doc("the cluster this process runs in: a tag of every series and self-metric");
  public static final Setting<String> NAMESPACE =
      Setting.string("FLEETSTATS_NAMESPACE", "default")
          .aliases("NAMESPACE")
          .doc("the Kubernetes namespace");
  public static final Setting<String> NODE =
      Setting.string("FLEETSTATS_NODE", null)
          .aliases("NODE_HOSTNAME")
          .shownDefault("the host name")
          .doc("the node: the Wavefront source of the samples");
  public static final Setting<String> POD =
      Setting.string("FLEETSTATS_POD", null)
          .aliases("POD_NAME", "HOSTNAME")
          .shownDefault("the host name")
          .doc("the pod");
  public static final Setting<String> CONTAINER =
      Setting.string("FLEETSTATS_CONTAINER", "").aliases("CONTAINER_NAME").doc("the container");
  public static final Setting<String> APP =
      Setting.string("FLEETSTATS_APP", "").aliases("APP_NAME").doc("the application");

  /** Every identity setting: the edge agent's, which stamps all six on its samples. */
  public static final List<Setting<?>> SETTINGS =
      List.of(CLUSTER, NAMESPACE, NODE, POD, CONTAINER, APP);

  /** The settings of the self-metrics tags: what the central services read. */
  public static final List<Setting<?>> TAG_SETTINGS = List.of(CLUSTER, NAMESPACE, POD);

  /** Reads the identity; never reports a problem (every key has a default). */
  public static ProcessIdentity read(SettingsReader r) {
    String node = r.get(NODE);
    String pod = r.get(POD);
    String host = node == null || pod == null ? machineHostname() : null;
    return new ProcessIdentity(
        r.get(CLUSTER),
        r.get(NAMESPACE),
        node != null ? node : host,
        pod != null ? pod : host,
        r.get(CONTAINER),
        r.get(APP));
  }

  /**
   * What to warn of when {@link #CLUSTER} is not set: the cluster then defaults to {@code local},
   * so the samples of every cluster that forgets it merge under one name. Empty when it is set.
   */
  public static Optional<String> clusterUnsetWarning(SettingsReader r) {
    if (r.isSet(CLUSTER)) {
      return Optional.empty();
    }
    return Optional.of(
        "neither "
            + String.join(" nor ", CLUSTER.keys())
            + " is set: this process reports as cluster '"
            + CLUSTER.defaultValue()
            + "', and the series of every cluster that leaves it unset merge under that name;"
            + " set "
            + CLUSTER.aliases().get(0)
            + " to this cluster's name");
  }

  /**
   * Reads only what a central service's self-metrics carry ({@link #TAG_SETTINGS}: cluster,
   * namespace, pod); node, container and app stay empty, so their variables are not read, and the
   * service's table rightly calls them unknown.
   */
  public static ProcessIdentity readTags(SettingsReader r) {
    String pod = r.get(POD);
    return new ProcessIdentity(
        r.get(CLUSTER), r.get(NAMESPACE), "", pod != null ? pod : machineHostname(), "", "");
  }

  /**
   * {@code cluster/namespace/pod/container}: the Kafka key of this source's raw records, the same
   * as {@code Sources.id} of the Avro {@code Source} with these fields.
   */
  public String sourceId() {
    return cluster + '/' + namespace + '/' + pod + '/' + container;
  }

  /**
   * The common tags of a service's self-metrics: {@code cluster}, {@code namespace}, {@code pod}.
   */
  public Tags tags() {
    return Tags.of("cluster", cluster, "namespace", namespace, "pod", pod);
  }

  @Override
  public String toString() {
    return cluster
        + "/"
        + namespace
        + "/"
        + pod
        + (container.isEmpty() ? "" : "/" + container)
        + " on "
        + node;
  }

  private static String machineHostname() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return UNKNOWN_HOST;
    }
  }
}
