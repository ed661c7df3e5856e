package io.fleetstats.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Renders the chart with each values file of {@code fleetstats/ci/} and the defaults, and checks
 * the manifests typed (fabric8's Kubernetes model): no unknown field anywhere; every container
 * non-root, read-only root filesystem, capabilities dropped, requests and limits, a writable /tmp;
 * every long-running container probed on /healthz; PDBs of maxUnavailable 1; the webhook's
 * configuration. Then compares them with the golden files (volatile fields stripped).
 */
class ChartTest {
  private static final Path PROMETHEUS_SINK_VALUES =
      Chart.DIR.resolve("ci/prometheus-sink-values.yaml");

  /** Every values file of ci/, and null for the chart's defaults. */
  static Stream<Path> valuesFiles() throws Exception {
    try (Stream<Path> files = Files.list(Chart.DIR.resolve("ci"))) {
      List<Path> all = new ArrayList<>(files.sorted().toList());
      all.add(0, null);
      return all.stream();
    }
  }

  static String caseName(Path valuesFile) {
    return valuesFile == null
        ? "default"
        : valuesFile.getFileName().toString().replace("-values.yaml", "");
  }

  @Test
  void lintPasses() {
    LintResult lint = new Helm(Chart.DIR).lint().strict().call();
    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valuesFiles")
  void rendersManifestsTheChecksAccept(Path valuesFile) throws Exception {
    String rendered = Chart.template(valuesFile, t -> t);
    List<HasMetadata> resources = Chart.resources(rendered);

    assertThat(resources).isNotEmpty();
    List<String> unknown = new ArrayList<>();
    for (HasMetadata r : resources) {
      unknown.addAll(ModelCheck.unknownFields(r, r.getKind() + "/" + r.getMetadata().getName()));
    }
    assertThat(unknown).as("fields the Kubernetes model does not know").isEmpty();

    for (HasMetadata r : resources) {
      podSpec(r).ifPresent(spec -> checkPod(r, spec, !(r instanceof Job)));
      if (r instanceof PodDisruptionBudget pdb) {
        assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(pdb.getSpec().getMinAvailable()).isNull();
      }
      if (r instanceof MutatingWebhookConfiguration mwc) {
        checkWebhook(mwc, valuesFile);
      }
      if (r instanceof ConfigMap cm && cm.getMetadata().getName().endsWith("-sidecar")) {
        checkSidecar(Sidecar.container(cm));
      }
    }
    Golden.check(caseName(valuesFile), rendered);
  }

  @Test
  void eachRoleRendersItsParts() throws Exception {
    assertThat(kinds(Chart.template(Chart.DIR.resolve("ci/edge-only-values.yaml"), t -> t)))
        .containsExactlyInAnyOrder(
            "ConfigMap/fs-fleetstats-sidecar",
            "Secret/fs-fleetstats-webhook-tls",
            "MutatingWebhookConfiguration/fs-fleetstats-webhook",
            "ServiceAccount/fs-fleetstats-webhook",
            "Service/fs-fleetstats-webhook",
            "Deployment/fs-fleetstats-webhook",
            "PodDisruptionBudget/fs-fleetstats-webhook",
            "Job/fs-fleetstats-cluster-record");
    assertThat(kinds(Chart.template(Chart.DIR.resolve("ci/central-only-values.yaml"), t -> t)))
        .containsExactlyInAnyOrder(
            "Service/fs-fleetstats-stream-processor",
            "StatefulSet/fs-fleetstats-stream-processor",
            "PodDisruptionBudget/fs-fleetstats-stream-processor",
            "Deployment/fs-fleetstats-wavefront-sink",
            "PodDisruptionBudget/fs-fleetstats-wavefront-sink",
            "Job/fs-fleetstats-topics");
  }

  @Test
  void thePrometheusSinkRendersOnlyWhenEnabled() throws Exception {
    assertThat(kinds(Chart.template(PROMETHEUS_SINK_VALUES, t -> t)))
        .contains(
            "Deployment/fs-fleetstats-prometheus-sink",
            "PodDisruptionBudget/fs-fleetstats-prometheus-sink",
            "Deployment/fs-fleetstats-wavefront-sink");
    assertThat(kinds(Chart.template(null, t -> t))).noneMatch(k -> k.contains("prometheus-sink"));
    // the central role off (an edge install): no sink even when enabled
    assertThat(
            kinds(
                Chart.template(
                    Chart.DIR.resolve("ci/edge-only-values.yaml"),
                    t ->
                        t.set("prometheusSink.enabled", "true")
                            .set("prometheusSink.url", "http://prometheus:9090/api/v1/write"))))
        .isNotEmpty()
        .noneMatch(k -> k.contains("prometheus-sink"));
  }

  @Test
  void thePrometheusSinkWritesToItsUrlWithSecretsAsMountedFiles() throws Exception {
    Deployment d =
        named(
            Chart.resources(Chart.template(PROMETHEUS_SINK_VALUES, t -> t)),
            Deployment.class,
            "fs-fleetstats-prometheus-sink");
    PodSpec spec = d.getSpec().getTemplate().getSpec();
    assertThat(d.getSpec().getReplicas()).isEqualTo(2);
    assertThat(spec.getContainers()).hasSize(1);
    Container c = spec.getContainers().get(0);
    checkContainer("prometheus-sink", c, true);
    assertThat(c.getImage()).isEqualTo("fleetstats/prometheus-sink:0.1.0");
    assertThat(c.getPorts())
        .singleElement()
        .satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(9128));
    assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/readyz");
    assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("admin");
    assertThat(env(c, "FLEETSTATS_ADMIN_ADDRESS")).isEqualTo(":9128");
    assertThat(env(c, "FLEETSTATS_REMOTE_WRITE_URL"))
        .isEqualTo("https://mimir.monitoring.svc:8080/api/v1/push");
    // its own consumer group: both sinks read every aggregate
    assertThat(env(c, "FLEETSTATS_GROUP_ID")).isEqualTo("fleetstats-prometheus-sink");
    assertThat(env(c, "FLEETSTATS_CREATE_TOPICS")).isEqualTo("false");
    assertThat(env(c, "FLEETSTATS_KAFKA_BOOTSTRAP")).isEqualTo("kafka-kafka-bootstrap.kafka:9092");
    assertThat(env(c, "FLEETSTATS_METRIC_PREFIX")).isEqualTo("app.");
    assertThat(env(c, "FLEETSTATS_REQUEST_TIMEOUT")).isEqualTo("20s");
    assertThat(spec.getTolerations())
        .singleElement()
        .satisfies(t -> assertThat(t.getKey()).isEqualTo("monitoring"));

    // the user of a kubernetes.io/basic-auth Secret may be an env value; its password never
    assertThat(envVar(c, "FLEETSTATS_REMOTE_WRITE_USERNAME").getValueFrom().getSecretKeyRef())
        .satisfies(
            ref -> {
              assertThat(ref.getName()).isEqualTo("mimir-remote-write");
              assertThat(ref.getKey()).isEqualTo("username");
            });
    assertThat(mountedSecretFile(spec, c, env(c, "FLEETSTATS_REMOTE_WRITE_PASSWORD_FILE")))
        .isEqualTo("mimir-remote-write/password");
    assertThat(mountedSecretFile(spec, c, env(c, "FLEETSTATS_REMOTE_WRITE_CA_FILE")))
        .isEqualTo("mimir-ca/ca.crt");
    assertSecretsOnlyAsFiles(c, "password");
    assertThat(c.getEnv().stream().map(EnvVar::getName))
        .doesNotContain(
            "FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN_FILE",
            "FLEETSTATS_REMOTE_WRITE_INSECURE_SKIP_VERIFY");
  }

  @Test
  void thePrometheusSinksBearerTokenIsAMountedFileToo() throws Exception {
    Deployment d =
        named(
            Chart.resources(
                Chart.template(
                    PROMETHEUS_SINK_VALUES,
                    t ->
                        t.set("prometheusSink.basicAuth.secretName", "")
                            .set("prometheusSink.bearerTokenSecret.name", "grafana-cloud")
                            .set("prometheusSink.bearerTokenSecret.key", "api-key")
                            .set("prometheusSink.tls.caSecret.name", "")
                            .set("prometheusSink.tls.insecureSkipVerify", "true"))),
            Deployment.class,
            "fs-fleetstats-prometheus-sink");
    PodSpec spec = d.getSpec().getTemplate().getSpec();
    Container c = spec.getContainers().get(0);
    assertThat(mountedSecretFile(spec, c, env(c, "FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN_FILE")))
        .isEqualTo("grafana-cloud/api-key");
    assertSecretsOnlyAsFiles(c, "api-key");
    assertThat(env(c, "FLEETSTATS_REMOTE_WRITE_INSECURE_SKIP_VERIFY")).isEqualTo("true");
    assertThat(c.getEnv().stream().map(EnvVar::getName))
        .doesNotContain(
            "FLEETSTATS_REMOTE_WRITE_USERNAME",
            "FLEETSTATS_REMOTE_WRITE_PASSWORD_FILE",
            "FLEETSTATS_REMOTE_WRITE_CA_FILE");
    assertThat(spec.getVolumes().stream().map(v -> v.getName()))
        .containsExactlyInAnyOrder("fleetstats-tmp", "remote-write-token");

    // a plain user name stays a plain value
    Container plain =
        named(
                Chart.resources(
                    Chart.template(
                        PROMETHEUS_SINK_VALUES,
                        t -> t.set("prometheusSink.basicAuth.username", "tenant-1"))),
                Deployment.class,
                "fs-fleetstats-prometheus-sink")
            .getSpec()
            .getTemplate()
            .getSpec()
            .getContainers()
            .get(0);
    assertThat(env(plain, "FLEETSTATS_REMOTE_WRITE_USERNAME")).isEqualTo("tenant-1");
  }

  @Test
  void aPrometheusSinkWithoutAUrlOrWithTwoCredentialsFailsNamingTheValues() {
    assertThatThrownBy(() -> Chart.template(null, t -> t.set("prometheusSink.enabled", "true")))
        .hasMessageContaining("prometheusSink")
        .hasMessageContaining("url");
    assertThatThrownBy(
            () ->
                Chart.template(
                    null,
                    t ->
                        t.set("prometheusSink.enabled", "true")
                            .set("prometheusSink.url", "prometheus:9090/api/v1/write")))
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining("url");
    assertThatThrownBy(
            () ->
                Chart.template(
                    PROMETHEUS_SINK_VALUES,
                    t -> t.set("prometheusSink.bearerTokenSecret.name", "token")))
        .hasMessageContaining(
            "prometheusSink.basicAuth.secretName and prometheusSink.bearerTokenSecret.name are both set");
    assertThatThrownBy(
            () ->
                Chart.template(
                    PROMETHEUS_SINK_VALUES,
                    t -> t.set("prometheusSink.tls.insecureSkipVerify", "true")))
        .hasMessageContaining("prometheusSink.tls.insecureSkipVerify");
    assertThatThrownBy(
            () ->
                Chart.template(
                    PROMETHEUS_SINK_VALUES, t -> t.set("prometheusSink.basicauth.secretName", "x")))
        .hasMessageContaining("basicauth");
  }

  @Test
  void selfMetricsGoToTheTargetFromEachCentralServiceAndTheNodeAgent() throws Exception {
    List<HasMetadata> rs = Chart.resources(Chart.template(PROMETHEUS_SINK_VALUES, t -> t));
    List<Container> central = new ArrayList<>();
    central.add(containerOf(rs, "StatefulSet/fs-fleetstats-stream-processor"));
    central.add(containerOf(rs, "Deployment/fs-fleetstats-wavefront-sink"));
    central.add(containerOf(rs, "Deployment/fs-fleetstats-prometheus-sink"));
    for (Container c : central) {
      assertThat(env(c, "FLEETSTATS_SELF_METRICS"))
          .as(c.getName())
          .isEqualTo("udp://fs-fleetstats-node-agent.fleetstats.svc.cluster.local:8125");
      assertThat(env(c, "FLEETSTATS_SELF_METRICS_STEP")).as(c.getName()).isEqualTo("30s");
    }
    // the hook Jobs run for seconds: no self-metrics
    for (Job j : rs.stream().filter(Job.class::isInstance).map(Job.class::cast).toList()) {
      assertThat(j.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv())
          .noneMatch(e -> e.getName().startsWith("FLEETSTATS_SELF_METRICS"));
    }

    // off by default: the services' own default (off), nothing set
    List<HasMetadata> defaults =
        Chart.resources(
            Chart.template(PROMETHEUS_SINK_VALUES, t -> t.set("selfMetrics.target", "")));
    for (String owner :
        List.of(
            "StatefulSet/fs-fleetstats-stream-processor",
            "Deployment/fs-fleetstats-wavefront-sink",
            "Deployment/fs-fleetstats-prometheus-sink")) {
      assertThat(containerOf(defaults, owner).getEnv())
          .as(owner)
          .noneMatch(e -> e.getName().startsWith("FLEETSTATS_SELF_METRICS"));
    }

    // the node agent sends to its own Service (a pod of its node, so its packets are attributed)
    Container agent =
        containerOf(
            Chart.resources(
                Chart.template(
                    Chart.DIR.resolve("ci/node-agent-values.yaml"),
                    t ->
                        t.set(
                            "selfMetrics.target",
                            "udp://fs-fleetstats-node-agent.fleetstats.svc:8125"))),
            "DaemonSet/fs-fleetstats-node-agent");
    assertThat(env(agent, "FLEETSTATS_SELF_METRICS"))
        .isEqualTo("udp://fs-fleetstats-node-agent.fleetstats.svc:8125");
    assertThat(agent.getEnv()).noneMatch(e -> e.getName().equals("FLEETSTATS_SELF_METRICS_STEP"));

    assertThatThrownBy(() -> Chart.template(null, t -> t.set("selfMetrics.target", "statsd:8125")))
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining("target");
  }

  @Test
  void theInstallNotesNameThePrometheusSinkAndTheSelfMetricsTarget() {
    String notes =
        new Helm(Chart.DIR)
            .install()
            .withName(Chart.RELEASE)
            .withNamespace(Chart.NAMESPACE)
            .withKubeVersion(Chart.KUBE_VERSION)
            .withValuesFile(PROMETHEUS_SINK_VALUES)
            .set("webhook.keepCertificate", "false")
            .dryRun()
            .clientOnly()
            .call()
            .getOutput();
    assertThat(notes)
        .contains("The Prometheus sink (2 replicas, consumer group fleetstats-prometheus-sink)")
        .contains("https://mimir.monitoring.svc:8080/api/v1/push")
        .contains(
            "DogStatsD to udp://fs-fleetstats-node-agent.fleetstats.svc.cluster.local:8125\n(every 30s)");
  }

  @Test
  void centralRoleStoresStateAndCreatesTopicsFirst() throws Exception {
    List<HasMetadata> rs =
        Chart.resources(Chart.template(Chart.DIR.resolve("ci/central-only-values.yaml"), t -> t));
    StatefulSet sts = one(rs, StatefulSet.class);
    assertThat(sts.getSpec().getReplicas()).isEqualTo(3);
    assertThat(
            sts.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests())
        .containsEntry("storage", new Quantity("10Gi"));
    Container sp = sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(env(sp, "FLEETSTATS_KAFKA_NUM_STANDBY_REPLICAS")).isEqualTo("1");
    assertThat(env(sp, "FLEETSTATS_STATE_DIR")).isEqualTo("/var/lib/fleetstats/state");
    assertThat(env(sp, "FLEETSTATS_CREATE_TOPICS")).isEqualTo("false");
    assertThat(sp.getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/var/lib/fleetstats"));
    Job topics = one(rs, Job.class);
    assertThat(Files.readString(Chart.DIR.resolve("templates/topics-job.yaml")))
        .contains("helm.sh/hook: pre-install,pre-upgrade");
    assertThat(Files.readString(Chart.DIR.resolve("templates/cluster-record-job.yaml")))
        .contains("helm.sh/hook: post-install,post-upgrade");
    Container t = topics.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(t.getArgs()).containsExactly("--create-topics-and-exit");
    assertThat(t.getImage()).isEqualTo("fleetstats/stream-processor:0.1.0");
    assertThat(env(t, "FLEETSTATS_TOPIC_PARTITIONS")).isEqualTo("6");
    assertThat(env(t, "FLEETSTATS_TOPIC_REPLICATION")).isEqualTo("3");
    assertThat(env(t, "FLEETSTATS_RAW_RETENTION")).isEqualTo("168h");
  }

  @Test
  void kafkaSecuritySettingsComeFromStrimziSecrets() throws Exception {
    Container sasl =
        Sidecar.container(
            one(
                Chart.resources(
                    Chart.template(Chart.DIR.resolve("ci/sasl-ssl-values.yaml"), t -> t)),
                ConfigMap.class));
    assertThat(env(sasl, "FLEETSTATS_KAFKA_SECURITY_PROTOCOL")).isEqualTo("SASL_SSL");
    assertThat(env(sasl, "FLEETSTATS_KAFKA_SASL_MECHANISM")).isEqualTo("SCRAM-SHA-512");
    assertThat(envVar(sasl, "FLEETSTATS_KAFKA_SASL_JAAS_CONFIG").getValueFrom().getSecretKeyRef())
        .satisfies(
            ref -> {
              assertThat(ref.getName()).isEqualTo("fleetstats-edge");
              assertThat(ref.getKey()).isEqualTo("sasl.jaas.config");
            });
    assertThat(env(sasl, "FLEETSTATS_KAFKA_SSL_TRUSTSTORE_LOCATION"))
        .isEqualTo("/etc/fleetstats/kafka-ca/ca.crt");
    assertThat(env(sasl, "FLEETSTATS_KAFKA_LINGER_MS")).isEqualTo("50");
    assertThat(env(sasl, "FLEETSTATS_KAFKA_CLIENT_DNS_LOOKUP")).isEqualTo("use_all_dns_ips");

    Container mtls =
        Sidecar.container(
            one(
                Chart.resources(Chart.template(Chart.DIR.resolve("ci/mtls-values.yaml"), t -> t)),
                ConfigMap.class));
    assertThat(env(mtls, "FLEETSTATS_KAFKA_SECURITY_PROTOCOL")).isEqualTo("SSL");
    assertThat(env(mtls, "FLEETSTATS_KAFKA_SSL_KEYSTORE_LOCATION"))
        .isEqualTo("/etc/fleetstats/kafka-user/user.p12");
    assertThat(envVar(mtls, "FLEETSTATS_KAFKA_SSL_KEYSTORE_PASSWORD").getValueFrom())
        .satisfies(v -> assertThat(v.getSecretKeyRef().getKey()).isEqualTo("user.password"));
  }

  @Test
  void nativeSidecarsFollowTheClusterVersion() throws Exception {
    Path edge = Chart.DIR.resolve("ci/edge-only-values.yaml");
    assertThat(injectorEnv(Chart.template(edge, t -> t), "FLEETSTATS_INJECTOR_NATIVE_SIDECAR"))
        .isEqualTo("true");
    assertThat(
            injectorEnv(
                Chart.template(edge, t -> t.withKubeVersion("1.28.4")),
                "FLEETSTATS_INJECTOR_NATIVE_SIDECAR"))
        .isEqualTo("false");
  }

  @Test
  void anUnknownKeyFailsWithTheSchemasMessage() {
    assertThatThrownBy(() -> Chart.template(null, t -> t.set("nonsense", "1")))
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining("nonsense");
    assertThatThrownBy(
            () -> Chart.template(null, t -> t.set("sidecar.resourcess.limits.memory", "64Mi")))
        .hasMessageContaining("sidecar")
        .hasMessageContaining("resourcess");
  }

  @Test
  void aMisspelledSecurityContextFieldFailsToo() {
    assertThatThrownBy(
            () ->
                Chart.template(null, t -> t.set("securityContext.readOnlyRootFileSystem", "true")))
        .hasMessageContaining("readOnlyRootFileSystem");
  }

  @Test
  void aBadValueFailsWithTheSchemasMessage() {
    assertThatThrownBy(() -> Chart.template(null, t -> t.set("webhook.failurePolicy", "Sometimes")))
        .hasMessageContaining("failurePolicy");
  }

  @Test
  void theEdgeRoleWithoutClusterNameFailsNamingIt() {
    assertThatThrownBy(() -> Chart.template(null, t -> t.set("edge.enabled", "true")))
        .hasMessageContaining("clusterName is required when edge.enabled");
  }

  @Test
  void worksAsASubchartWithGlobals() throws Exception {
    String rendered =
        Chart.template(
            Chart.DIR.resolve("ci/central-only-values.yaml"),
            t -> t.set("global.imageRegistry", "ignored").set("enabled", "true"));
    assertThat(Chart.resources(rendered)).isNotEmpty();
  }

  // ---------------------------------------------------------------------------------------------

  private static void checkPod(HasMetadata owner, PodSpec spec, boolean longRunning) {
    String who = owner.getKind() + "/" + owner.getMetadata().getName();
    assertThat(spec.getSecurityContext().getRunAsNonRoot()).as(who).isTrue();
    // only the node agent talks to the kubelet and the API server
    assertThat(spec.getAutomountServiceAccountToken())
        .as(who + " token")
        .isEqualTo(owner instanceof DaemonSet);
    assertThat(spec.getHostNetwork()).as(who + " hostNetwork").isNotEqualTo(Boolean.TRUE);
    for (Container c : spec.getContainers()) {
      assertThat(c.getPorts())
          .as(who + " " + c.getName() + ": no hostPort (stale conntrack black-holes UDP)")
          .allSatisfy(p -> assertThat(p.getHostPort()).isNull());
    }
    List<String> volumes =
        new ArrayList<>(spec.getVolumes().stream().map(v -> v.getName()).toList());
    if (owner instanceof StatefulSet s) {
      s.getSpec().getVolumeClaimTemplates().forEach(c -> volumes.add(c.getMetadata().getName()));
    }
    for (Container c : spec.getContainers()) {
      checkContainer(who + " " + c.getName(), c, longRunning);
      c.getVolumeMounts()
          .forEach(m -> assertThat(volumes).as(who + " mounts").contains(m.getName()));
    }
  }

  static void checkContainer(String who, Container c, boolean longRunning) {
    var sc = c.getSecurityContext();
    assertThat(sc).as(who + " securityContext").isNotNull();
    assertThat(sc.getRunAsNonRoot()).as(who + " runAsNonRoot").isTrue();
    assertThat(sc.getRunAsUser()).as(who + " uid").isEqualTo(10001L);
    assertThat(sc.getReadOnlyRootFilesystem()).as(who + " readOnlyRootFilesystem").isTrue();
    assertThat(sc.getAllowPrivilegeEscalation()).as(who + " privilege escalation").isFalse();
    assertThat(sc.getCapabilities().getDrop()).as(who + " capabilities").containsExactly("ALL");
    Map<String, Quantity> limits = c.getResources().getLimits();
    Map<String, Quantity> requests = c.getResources().getRequests();
    assertThat(limits).as(who + " limits").containsKeys("cpu", "memory");
    assertThat(requests).as(who + " requests").containsKeys("cpu", "memory");
    assertThat(c.getVolumeMounts())
        .as(who + ": a writable /tmp for the native libraries")
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    assertThat(c.getImage()).as(who + " image").matches("(.+/)?fleetstats/[a-z-]+:0\\.1\\.0");
    if (longRunning) {
      assertThat(c.getLivenessProbe()).as(who + " liveness").isNotNull();
      assertThat(c.getLivenessProbe().getHttpGet().getPath()).as(who).isEqualTo("/healthz");
      assertThat(c.getReadinessProbe()).as(who + " readiness").isNotNull();
    }
  }

  /** The injected sidecar: probes that never depend on Kafka, the agent told not to make topics. */
  static void checkSidecar(Container c) {
    checkContainer("sidecar", c, true);
    assertThat(c.getName()).isEqualTo("fleetstats-edge");
    assertThat(c.getReadinessProbe().getHttpGet().getPath())
        .as("readiness must not depend on Kafka (/readyz does)")
        .isEqualTo("/healthz");
    assertThat(c.getStartupProbe().getHttpGet().getPath()).isEqualTo("/healthz");
    assertThat(env(c, "FLEETSTATS_CREATE_TOPICS")).isEqualTo("false");
    assertThat(c.getEnv().stream().map(EnvVar::getName))
        .contains("FLEETSTATS_CLUSTER", "POD_NAME", "NAMESPACE", "NODE_HOSTNAME", "POD_UID");
    // the measured footprint: 85 MiB at 10 k lines/s, 109 MiB at the end of an outage
    assertThat(Quantity.getAmountInBytes(c.getResources().getLimits().get("memory")).longValue())
        .isGreaterThanOrEqualTo(110L << 20);
  }

  private static void checkWebhook(MutatingWebhookConfiguration mwc, Path valuesFile) {
    assertThat(mwc.getWebhooks()).hasSize(1);
    MutatingWebhook w = mwc.getWebhooks().get(0);
    assertThat(w.getFailurePolicy()).isEqualTo("Ignore");
    assertThat(w.getSideEffects()).isEqualTo("None");
    assertThat(w.getAdmissionReviewVersions()).containsExactly("v1");
    assertThat(w.getRules()).hasSize(1);
    assertThat(w.getRules().get(0).getResources()).containsExactly("pods");
    assertThat(w.getRules().get(0).getOperations()).containsExactly("CREATE");
    assertThat(w.getClientConfig().getService().getPath()).isEqualTo("/mutate");
    assertThat(w.getNamespaceSelector().getMatchExpressions())
        .anySatisfy(
            e -> {
              assertThat(e.getKey()).isEqualTo("kubernetes.io/metadata.name");
              assertThat(e.getOperator()).isEqualTo("NotIn");
              assertThat(e.getValues()).contains(Chart.NAMESPACE, "kube-system");
            });
    boolean certManager = caseName(valuesFile).equals("webhook-cert-manager");
    if (certManager) {
      assertThat(mwc.getMetadata().getAnnotations())
          .containsEntry("cert-manager.io/inject-ca-from", "fleetstats/fs-fleetstats-webhook");
      assertThat(w.getClientConfig().getCaBundle()).isNull();
    } else {
      assertThat(w.getClientConfig().getCaBundle()).isNotBlank();
    }
  }

  static Optional<PodSpec> podSpec(HasMetadata r) {
    PodTemplateSpec t = null;
    if (r instanceof Deployment d) {
      t = d.getSpec().getTemplate();
    } else if (r instanceof DaemonSet d) {
      t = d.getSpec().getTemplate();
    } else if (r instanceof StatefulSet s) {
      t = s.getSpec().getTemplate();
    } else if (r instanceof Job j) {
      t = j.getSpec().getTemplate();
    }
    return Optional.ofNullable(t).map(PodTemplateSpec::getSpec);
  }

  private static List<String> kinds(String rendered) throws Exception {
    return Chart.resources(rendered).stream()
        .map(r -> r.getKind() + "/" + r.getMetadata().getName())
        .toList();
  }

  static <T extends HasMetadata> T named(List<HasMetadata> rs, Class<T> type, String name) {
    List<T> found =
        rs.stream()
            .filter(type::isInstance)
            .map(type::cast)
            .filter(r -> r.getMetadata().getName().equals(name))
            .toList();
    assertThat(found).as(type.getSimpleName() + "/" + name).hasSize(1);
    return found.get(0);
  }

  /** The one container of the workload {@code Kind/name}. */
  private static Container containerOf(List<HasMetadata> rs, String kindAndName) {
    HasMetadata r =
        rs.stream()
            .filter(x -> (x.getKind() + "/" + x.getMetadata().getName()).equals(kindAndName))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no " + kindAndName));
    List<Container> cs = podSpec(r).orElseThrow().getContainers();
    assertThat(cs).as(kindAndName).hasSize(1);
    return cs.get(0);
  }

  /**
   * {@code secretName/key} of the file at {@code path}: a read-only mount of a Secret volume in
   * {@code c}, and the Secret item whose path is the file's name.
   */
  private static String mountedSecretFile(PodSpec spec, Container c, String path) {
    VolumeMount mount =
        c.getVolumeMounts().stream()
            .filter(m -> path.startsWith(m.getMountPath() + "/"))
            .findFirst()
            .orElseThrow(() -> new AssertionError(path + " is on no mount of " + c.getName()));
    assertThat(mount.getReadOnly()).as(mount.getName() + " read-only").isTrue();
    String file = path.substring(mount.getMountPath().length() + 1);
    Volume volume =
        spec.getVolumes().stream()
            .filter(v -> v.getName().equals(mount.getName()))
            .findFirst()
            .orElseThrow();
    assertThat(volume.getSecret()).as(volume.getName() + " is a Secret volume").isNotNull();
    KeyToPath item =
        volume.getSecret().getItems().stream()
            .filter(i -> i.getPath().equals(file))
            .findFirst()
            .orElseThrow(() -> new AssertionError(file + " is no item of " + volume.getName()));
    return volume.getSecret().getSecretName() + "/" + item.getKey();
  }

  /** Neither the password nor the token is an env value, given or taken from a Secret. */
  private static void assertSecretsOnlyAsFiles(Container c, String secretKey) {
    assertThat(c.getEnv().stream().map(EnvVar::getName))
        .doesNotContain("FLEETSTATS_REMOTE_WRITE_PASSWORD", "FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN");
    assertThat(c.getEnv())
        .as("env values taken from the Secret key " + secretKey)
        .noneMatch(
            e ->
                e.getValueFrom() != null
                    && e.getValueFrom().getSecretKeyRef() != null
                    && secretKey.equals(e.getValueFrom().getSecretKeyRef().getKey()));
    assertThat(c.getEnvFrom()).as("envFrom").isEmpty();
  }

  static <T> T one(List<HasMetadata> rs, Class<T> type) {
    List<T> found = rs.stream().filter(type::isInstance).map(type::cast).toList();
    assertThat(found).as(type.getSimpleName()).hasSize(1);
    return found.get(0);
  }

  private static String injectorEnv(String rendered, String name) throws Exception {
    return Chart.resources(rendered).stream()
        .filter(r -> r instanceof Deployment && r.getMetadata().getName().endsWith("-webhook"))
        .map(
            r ->
                env(
                    ((Deployment) r).getSpec().getTemplate().getSpec().getContainers().get(0),
                    name))
        .findFirst()
        .orElseThrow();
  }

  static EnvVar envVar(Container c, String name) {
    return c.getEnv().stream()
        .filter(e -> e.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no env " + name + " in " + c.getName()));
  }

  static String env(Container c, String name) {
    return envVar(c, name).getValue();
  }
}
