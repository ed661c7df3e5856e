package io.fleetstats.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.injector.InjectorConfig;
import io.fleetstats.kit.settings.Settings;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.sink.SinkConfig;
import io.fleetstats.sink.prometheus.PromSinkConfig;
import io.fleetstats.stream.StreamConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code FLEETSTATS_*} variable the chart sets is one the container's service reads: a key of
 * its settings table, or a {@code FLEETSTATS_KAFKA_<PROPERTY>} its Kafka clients accept. A
 * misspelled variable would otherwise only be a warning in a pod's log.
 */
class EnvNamesTest {
  private static final Map<String, Settings> BY_IMAGE =
      Map.of(
          "edge-agent", EdgeConfig.SETTINGS,
          "stream-processor", StreamConfig.SETTINGS,
          "wavefront-sink", SinkConfig.SETTINGS,
          "prometheus-sink", PromSinkConfig.SETTINGS,
          "tools", InjectorConfig.SETTINGS);

  static java.util.stream.Stream<Path> valuesFiles() throws Exception {
    return ChartTest.valuesFiles();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("valuesFiles")
  void everyVariableIsOneTheServiceReads(Path valuesFile) throws Exception {
    List<String> unknown = new ArrayList<>();
    int checked = 0;
    int seen = 0;
    for (HasMetadata r : Chart.resources(Chart.template(valuesFile, t -> t))) {
      List<Container> containers = new ArrayList<>();
      ChartTest.podSpec(r).ifPresent(spec -> containers.addAll(spec.getContainers()));
      if (r instanceof ConfigMap cm && cm.getMetadata().getName().endsWith("-sidecar")) {
        containers.add(Sidecar.container(cm));
      }
      for (Container c : containers) {
        seen++;
        String image = c.getImage().replaceAll(".*/([a-z-]+):.*", "$1");
        Settings settings = BY_IMAGE.get(image);
        assertThat(settings).as("a service for image " + c.getImage()).isNotNull();
        for (EnvVar e : c.getEnv()) {
          String name = e.getName();
          if (!name.startsWith(SettingsReader.PREFIX)) {
            continue;
          }
          checked++;
          boolean known =
              settings.keys().contains(name)
                  || (name.startsWith(SettingsReader.KAFKA_PREFIX)
                      && settings.kafka().accepts(SettingsReader.property(name)));
          if (!known) {
            unknown.add(r.getKind() + "/" + r.getMetadata().getName() + " " + image + ": " + name);
          }
        }
      }
    }
    // a values file may render no container at all (the dashboards alone)
    if (seen > 0) {
      assertThat(checked).isPositive();
    }
    assertThat(unknown).as("variables no service reads").isEmpty();
  }
}
