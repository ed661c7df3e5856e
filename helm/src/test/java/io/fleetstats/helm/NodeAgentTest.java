package io.fleetstats.helm;

import static io.fleetstats.helm.ChartTest.env;
import static io.fleetstats.helm.ChartTest.envVar;
import static io.fleetstats.helm.ChartTest.one;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The node agent (nodeAgent.enabled): a DaemonSet of the edge agent that scrapes its node's kubelet
 * and receives its node's statsd through an internalTrafficPolicy: Local Service, with RBAC of
 * exactly nodes/stats get and pods list, watch.
 */
class NodeAgentTest {
  static final Path VALUES = Chart.DIR.resolve("ci/node-agent-values.yaml");
  static final Path EDGE = Chart.DIR.resolve("ci/edge-only-values.yaml");
  static final String SA_TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount/";

  @Test
  void theDaemonSetScrapesItsKubeletAndReceivesItsNodesStatsd() throws Exception {
    List<HasMetadata> rs = Chart.resources(Chart.template(VALUES, t -> t));
    DaemonSet ds = one(rs, DaemonSet.class);
    Container c = ds.getSpec().getTemplate().getSpec().getContainers().get(0);

    assertThat(c.getImage()).isEqualTo("fleetstats/edge-agent:0.1.0");
    assertThat(env(c, "FLEETSTATS_CLUSTER")).isEqualTo("prod-eu-1");
    // cluster stats: https://$NODE_IP:10250 with the service-account token (default path)
    assertThat(env(c, "FLEETSTATS_KUBELET_ENABLED")).isEqualTo("true");
    assertThat(fieldRef(c, "NODE_IP")).isEqualTo("status.hostIP");
    assertThat(env(c, "FLEETSTATS_KUBELET_INSECURE_SKIP_VERIFY")).isEqualTo("true");
    assertThat(names(c)).doesNotContain("FLEETSTATS_KUBELET_CA_FILE", "FLEETSTATS_KUBELET_URL");
    assertThat(names(c)).doesNotContain("FLEETSTATS_KUBELET_TOKEN_FILE");
    assertThat(ds.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isTrue();
    assertThat(env(c, "FLEETSTATS_KUBELET_INTERVAL")).isEqualTo("60s");
    // node-mode statsd: every address, each packet attributed to a pod of this node
    assertThat(env(c, "FLEETSTATS_STATSD_ATTRIBUTION")).isEqualTo("node");
    assertThat(env(c, "FLEETSTATS_STATSD_ADDRESS")).isEqualTo("0.0.0.0:8125");
    assertThat(env(c, "FLEETSTATS_STATSD_TCP_ADDRESS")).isEqualTo("0.0.0.0:8125");
    assertThat(fieldRef(c, "NODE_HOSTNAME")).isEqualTo("spec.nodeName");
    assertThat(env(c, "FLEETSTATS_CREATE_TOPICS")).isEqualTo("false");
    assertThat(env(c, "JDK_JAVA_OPTIONS")).isEqualTo("-XX:MaxHeapFreeRatio=30");
    // the measured footprint (about 110 MiB resident)
    assertThat(c.getResources().getRequests()).containsEntry("memory", new Quantity("128Mi"));
    assertThat(c.getResources().getLimits()).containsEntry("memory", new Quantity("192Mi"));
    assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin");
    assertThat(c.getPorts())
        .anySatisfy(
            p -> {
              assertThat(p.getName()).isEqualTo("admin");
              assertThat(p.getContainerPort()).isEqualTo(9125);
            });
    assertThat(env(c, "FLEETSTATS_ADMIN_ADDRESS")).isEqualTo(":9125");
    assertThat(ds.getSpec().getUpdateStrategy().getRollingUpdate().getMaxSurge().getIntVal())
        .isEqualTo(1);
  }

  @Test
  void clusterNameAndKafkaAreTheSidecars() throws Exception {
    List<HasMetadata> rs = Chart.resources(Chart.template(VALUES, t -> t));
    Container agent =
        one(rs, DaemonSet.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    Container sidecar = Sidecar.container(one(rs, ConfigMap.class));
    List<EnvVar> shared = sidecar.getEnv().stream().filter(NodeAgentTest::shared).toList();
    assertThat(shared).extracting(EnvVar::getName).contains("FLEETSTATS_KAFKA_SASL_JAAS_CONFIG");
    assertThat(agent.getEnv().stream().filter(NodeAgentTest::shared).toList())
        .containsExactlyElementsOf(shared);
    assertThat(agent.getVolumeMounts()).containsAll(sidecar.getVolumeMounts());
  }

  @Test
  void rbacIsExactlyNodesStatsAndTheNodesPods() throws Exception {
    List<HasMetadata> rs = Chart.resources(Chart.template(VALUES, t -> t));
    ClusterRole role = one(rs, ClusterRole.class);
    assertThat(rules(role))
        .containsExactlyInAnyOrder(
            List.of(List.of(""), List.of("nodes/stats"), List.of("get")),
            List.of(List.of(""), List.of("pods"), List.of("list", "watch")));
    ClusterRoleBinding binding = one(rs, ClusterRoleBinding.class);
    assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());
    assertThat(binding.getRoleRef().getKind()).isEqualTo("ClusterRole");
    String account =
        one(rs, DaemonSet.class).getSpec().getTemplate().getSpec().getServiceAccountName();
    assertThat(binding.getSubjects())
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getKind()).isEqualTo("ServiceAccount");
              assertThat(s.getName()).isEqualTo(account);
              assertThat(s.getNamespace()).isEqualTo(Chart.NAMESPACE);
            });
    assertThat(rs)
        .anySatisfy(
            r -> {
              assertThat(r.getKind()).isEqualTo("ServiceAccount");
              assertThat(r.getMetadata().getName()).isEqualTo(account);
            });
  }

  @Test
  void theStatsdServiceStaysOnTheNode() throws Exception {
    List<HasMetadata> rs = Chart.resources(Chart.template(VALUES, t -> t));
    Service svc =
        rs.stream()
            .filter(r -> r instanceof Service && r.getMetadata().getName().endsWith("-node-agent"))
            .map(Service.class::cast)
            .findFirst()
            .orElseThrow();
    assertThat(svc.getSpec().getInternalTrafficPolicy()).isEqualTo("Local");
    assertThat(svc.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(svc.getSpec().getPorts())
        .extracting(p -> p.getProtocol() + "/" + p.getPort() + "->" + p.getTargetPort().getStrVal())
        .containsExactly("UDP/8125->statsd", "TCP/8125->statsd-tcp");
    DaemonSet ds = one(rs, DaemonSet.class);
    assertThat(ds.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(svc.getSpec().getSelector());
    Container c = ds.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(c.getPorts())
        .extracting(p -> p.getName() + "/" + p.getProtocol() + "/" + p.getContainerPort())
        .contains("statsd/UDP/8125", "statsd-tcp/TCP/8125");
    // the manifests without comments: no field anywhere asks for the host's ports or network
    assertThat(Golden.stable(Chart.template(VALUES, t -> t)))
        .doesNotContain("hostPort", "hostNetwork");
  }

  @Test
  void byDefaultTheKubeletIsVerifiedWithTheClusterCaAndUdpOnly() throws Exception {
    List<HasMetadata> rs = Chart.resources(Chart.template(EDGE, enabled()));
    Container c = one(rs, DaemonSet.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(env(c, "FLEETSTATS_KUBELET_CA_FILE")).isEqualTo(SA_TOKEN_DIR + "ca.crt");
    assertThat(names(c)).doesNotContain("FLEETSTATS_KUBELET_INSECURE_SKIP_VERIFY");
    assertThat(names(c)).doesNotContain("FLEETSTATS_STATSD_TCP_ADDRESS", "JDK_JAVA_OPTIONS");
    assertThat(env(c, "FLEETSTATS_KUBELET_INTERVAL")).isEqualTo("10s");
    assertThat(rules(one(rs, ClusterRole.class))).hasSize(2);
  }

  @Test
  void withoutTheKubeletNeitherItsVariablesNorNodesStats() throws Exception {
    UnaryOperator<com.marcnuri.helm.TemplateCommand> off =
        t -> enabled().apply(t).set("nodeAgent.kubelet.enabled", "false");
    List<HasMetadata> rs = Chart.resources(Chart.template(EDGE, off));
    Container c = one(rs, DaemonSet.class).getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(names(c)).noneMatch(n -> n.startsWith("FLEETSTATS_KUBELET_") || n.equals("NODE_IP"));
    assertThat(env(c, "FLEETSTATS_STATSD_ATTRIBUTION")).isEqualTo("node");
    assertThat(rules(one(rs, ClusterRole.class)))
        .containsExactly(List.of(List.of(""), List.of("pods"), List.of("list", "watch")));
  }

  @Test
  void offByDefaultAndOnlyInTheEdgeRole() throws Exception {
    assertThat(Chart.template(EDGE, t -> t)).doesNotContain("kind: DaemonSet", "ClusterRole");
    assertThat(Chart.template(null, t -> t.set("nodeAgent.enabled", "true")))
        .doesNotContain("kind: DaemonSet");
  }

  @Test
  void tooOldAClusterOrTwoKubeletTrustSettingsFailNamingThem() {
    assertThatThrownBy(
            () -> Chart.template(EDGE, t -> enabled().apply(t).withKubeVersion("1.21.5")))
        .hasMessageContaining("nodeAgent.enabled needs Kubernetes 1.22 or newer");
    assertThatThrownBy(
            () ->
                Chart.template(
                    EDGE,
                    t -> enabled().apply(t).set("nodeAgent.kubelet.insecureSkipVerify", "true")))
        .hasMessageContaining("set caFile or insecureSkipVerify, not both");
    assertThatThrownBy(
            () ->
                Chart.template(
                    EDGE, t -> enabled().apply(t).set("nodeAgent.kubelet.interval", "soon")))
        .hasMessageContaining("interval");
  }

  @Test
  void theInstallNotesSayWhereAppsSendStatsd() {
    String notes =
        new Helm(Chart.DIR)
            .install()
            .withName(Chart.RELEASE)
            .withNamespace(Chart.NAMESPACE)
            .withKubeVersion(Chart.KUBE_VERSION)
            .withValuesFile(VALUES)
            .set("webhook.keepCertificate", "false")
            .dryRun()
            .clientOnly()
            .call()
            .getOutput();
    assertThat(notes)
        .contains("Node agent on every node")
        .contains("fs-fleetstats-node-agent.fleetstats.svc:8125 (UDP and TCP)");
  }

  // ---------------------------------------------------------------------------------------------

  private static UnaryOperator<com.marcnuri.helm.TemplateCommand> enabled() {
    return t -> t.set("nodeAgent.enabled", "true");
  }

  /** Cluster name and Kafka connection: what the node agent shares with the sidecar. */
  private static boolean shared(EnvVar e) {
    return e.getName().equals("FLEETSTATS_CLUSTER")
        || e.getName().startsWith("FLEETSTATS_KAFKA_")
        || e.getName().equals("FLEETSTATS_TOPIC_PREFIX");
  }

  /** Each rule as [apiGroups, resources, verbs]; rules with more than those fail. */
  private static List<List<List<String>>> rules(ClusterRole role) {
    assertThat(role.getAggregationRule()).isNull();
    for (PolicyRule r : role.getRules()) {
      assertThat(r.getResourceNames()).as("resourceNames").isNullOrEmpty();
      assertThat(r.getNonResourceURLs()).as("nonResourceURLs").isNullOrEmpty();
    }
    return role.getRules().stream()
        .map(r -> List.of(r.getApiGroups(), r.getResources(), r.getVerbs()))
        .toList();
  }

  private static List<String> names(Container c) {
    return c.getEnv().stream().map(EnvVar::getName).toList();
  }

  private static String fieldRef(Container c, String name) {
    return envVar(c, name).getValueFrom().getFieldRef().getFieldPath();
  }
}
