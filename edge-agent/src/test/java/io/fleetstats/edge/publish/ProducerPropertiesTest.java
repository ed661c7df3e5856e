package io.fleetstats.edge.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ProducerPropertiesTest {

  @Test
  void sidecarDefaultsAreDurableAndLean() {
    Map<String, Object> props = BatchPublisher.producerProperties("k:9092", Map.of());

    assertThat(props)
        .containsEntry("bootstrap.servers", "k:9092")
        .containsEntry("acks", "all")
        .containsEntry("enable.idempotence", true)
        .containsEntry("metric.reporters", "")
        .containsEntry("enable.metrics.push", false)
        .containsEntry("buffer.memory", 4L * 1024 * 1024);
  }

  @Test
  void passThroughPropertiesWin() {
    Map<String, Object> props =
        BatchPublisher.producerProperties(
            "k:9092",
            Map.of(
                "metric.reporters", "org.apache.kafka.common.metrics.JmxReporter",
                "enable.metrics.push", "true",
                "linger.ms", "5"));

    assertThat(props)
        .containsEntry("metric.reporters", "org.apache.kafka.common.metrics.JmxReporter")
        .containsEntry("enable.metrics.push", "true")
        .containsEntry("linger.ms", "5");
  }
}
