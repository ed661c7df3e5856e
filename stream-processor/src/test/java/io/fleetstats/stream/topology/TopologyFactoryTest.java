package io.fleetstats.stream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopologyFactoryTest {

  @Test
  void namesEverySourceProcessorSinkAndStore() {
    String d =
        TopologyFactory.build(StreamConfig.fromEnv(Map.of()), Topics.defaults())
            .describe()
            .toString();

    assertThat(d)
        .contains("Source: raw-statsd-source (topics: [fleetstats.raw.statsd])")
        .contains("Processor: window-aggregator (stores: [fleetstats-window-store])")
        .contains("Sink: aggregates-sink (topic: fleetstats.aggregates)")
        .contains("Source: raw-mysql-source (topics: [fleetstats.raw.mysql])")
        .contains("Processor: mysql-rates (stores: [fleetstats-mysql-baseline-store])")
        .contains("Sink: mysql-aggregates-sink (topic: fleetstats.aggregates)")
        .doesNotContain("KSTREAM-")
        .doesNotContain("KTABLE-");
  }

  @Test
  void storeKeysSortByWindowStart() {
    assertThat(WindowClock.key(0x10, "a")).isEqualTo("0000000000000010|a");
    assertThat(WindowClock.key(9_000, "z")).isLessThan(WindowClock.key(10_000, "a"));
    assertThat(WindowClock.key(Long.MAX_VALUE, "z")).isLessThan(WindowClock.HORIZON_KEY);
  }
}
