package io.fleetstats.stream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.StreamProcessor;
import java.nio.file.Path;
import java.util.Map;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TopologyFactoryTest {
  @TempDir Path stateDir;

  @Test
  void namesEverySourceProcessorSinkStoreAndInternalTopic() {
    String d =
        TopologyFactory.build(
                StreamConfig.fromEnv(Map.of(StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node")),
                Topics.defaults())
            .describe()
            .toString();

    assertThat(d)
        .contains(
            "Source: raw-statsd-source (topics: ([A-Za-z0-9_-]+\\.)?\\Qfleetstats.raw.statsd\\E)")
        .contains("Processor: window-aggregator (stores: [fleetstats-window-store])")
        .contains("Sink: aggregates-sink (topic: fleetstats.aggregates)")
        .contains(
            "Source: raw-mysql-source (topics: ([A-Za-z0-9_-]+\\.)?\\Qfleetstats.raw.mysql\\E)")
        .contains("Processor: mysql-rates (stores: [fleetstats-mysql-baseline-store])")
        .contains("Sink: mysql-aggregates-sink (topic: fleetstats.aggregates)")
        .contains("Sink: deadletter-sink (topic: fleetstats.deadletter)")
        .contains("fleetstats-rollup-repartition")
        .contains("Processor: rollup-aggregator (stores: [fleetstats-rollup-store])")
        .contains("Sink: rollup-aggregates-sink (topic: fleetstats.aggregates)")
        .contains(
            "Source: raw-kubelet-source (topics: ([A-Za-z0-9_-]+\\.)?\\Qfleetstats.raw.kubelet\\E)")
        .contains("Processor: kubelet-rates (stores: [fleetstats-kubelet-baseline-store])")
        .contains("Sink: kubelet-aggregates-sink (topic: fleetstats.aggregates)")
        .contains("fleetstats-kubelet-rollup-repartition")
        .contains("Processor: kubelet-rollup (stores: [fleetstats-kubelet-rollup-store])")
        .contains("Sink: kubelet-rollup-aggregates-sink (topic: fleetstats.aggregates)")
        .contains("Source: clusters-source (topics: [fleetstats.clusters])")
        .doesNotContain("KSTREAM-")
        .doesNotContain("KTABLE-");
  }

  @Test
  void startsWithExplicitNamingEnforced() {
    StreamConfig config =
        StreamConfig.fromEnv(
            Map.of(
                StreamConfig.ROLLUPS.key(),
                "app:drop=pod_name,node",
                StreamConfig.STATE_DIR.key(),
                stateDir.toString()));
    assertThat(StreamProcessor.streamsProperties(config))
        .containsEntry("ensure.explicit.internal.resource.naming", "true");
    // the driver applies the same config checks as KafkaStreams; unnamed resources would throw
    try (TopologyTestDriver driver =
        new TopologyTestDriver(
            TopologyFactory.build(config, Topics.defaults()),
            StreamProcessor.streamsProperties(config))) {
      assertThat(driver.producedTopicNames()).isEmpty();
    }
  }

  @Test
  void storeKeysSortByWindowStart() {
    assertThat(WindowClock.key(0x10, "a")).isEqualTo("0000000000000010|a");
    assertThat(WindowClock.key(9_000, "z")).isLessThan(WindowClock.key(10_000, "a"));
    assertThat(WindowClock.key(Long.MAX_VALUE, "z")).isLessThan(WindowClock.HORIZON_KEY);
    assertThat(WindowClock.key(Long.MAX_VALUE, "z")).isLessThan(RollupAggregator.WATERMARK_PREFIX);
  }
}
