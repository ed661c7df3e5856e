package io.fleetstats.kit;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.kit.settings.SettingsReader;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessIdentityTest {

  @Test
  void readsTheDownwardApiNamesAndLetsFleetstatsNamesWin() {
    ProcessIdentity id =
        ProcessIdentity.read(
            new SettingsReader(
                Map.of(
                    "CLUSTER_NAME", "prod-eu",
                    "NAMESPACE", "shop",
                    "POD_NAME", "processor-0",
                    "NODE_HOSTNAME", "node-3",
                    "CONTAINER_NAME", "processor",
                    "FLEETSTATS_CLUSTER", "prod-eu-1")));

    assertThat(id)
        .isEqualTo(
            new ProcessIdentity("prod-eu-1", "shop", "node-3", "processor-0", "processor", ""));
    assertThat(id.sourceId()).isEqualTo("prod-eu-1/shop/processor-0/processor");
  }

  @Test
  void defaultsLikeTheEdgeAgent() {
    ProcessIdentity id =
        ProcessIdentity.read(
            new SettingsReader(Map.of("HOSTNAME", "sink-7c9", "NODE_HOSTNAME", "n1")));

    assertThat(id).isEqualTo(new ProcessIdentity("local", "default", "n1", "sink-7c9", "", ""));
  }

  @Test
  void warnsThatClustersWithoutANameMergeUnderLocal() {
    assertThat(ProcessIdentity.clusterUnsetWarning(new SettingsReader(Map.of("POD_NAME", "a-0"))))
        .hasValueSatisfying(
            w ->
                assertThat(w)
                    .contains("FLEETSTATS_CLUSTER nor CLUSTER_NAME is set")
                    .contains("merge under that name")
                    .contains("'local'"));
    assertThat(
            ProcessIdentity.clusterUnsetWarning(
                new SettingsReader(Map.of("CLUSTER_NAME", "prod-eu"))))
        .isEmpty();
    assertThat(
            ProcessIdentity.clusterUnsetWarning(
                new SettingsReader(Map.of("FLEETSTATS_CLUSTER", "prod-eu"))))
        .isEmpty();
  }

  @Test
  void everyMeterOfTheRegistryCarriesTheIdentityTags() {
    PrometheusMeterRegistry registry =
        AdminServer.newRegistry(new ProcessIdentity("prod-eu", "shop", "n1", "sink-0", "", ""));
    registry.counter("fleetstats.test.lines", "reason", "bad_value").increment(2);

    assertThat(registry.scrape())
        .contains(
            "fleetstats_test_lines_total{cluster=\"prod-eu\",namespace=\"shop\",pod=\"sink-0\",reason=\"bad_value\"} 2.0");
  }

  @Test
  void aCentralServiceReadsOnlyItsTagSettings() {
    ProcessIdentity id =
        ProcessIdentity.readTags(
            new SettingsReader(
                Map.of("POD_NAME", "sink-0", "NODE_HOSTNAME", "node-3", "FLEETSTATS_APP", "x")));

    assertThat(id).isEqualTo(new ProcessIdentity("local", "default", "", "sink-0", "", ""));
    assertThat(id.tags().stream().map(t -> t.getKey()))
        .containsExactly("cluster", "namespace", "pod");
  }
}
