package io.fleetstats.kit.settings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingsReaderTest {

  @ParameterizedTest(name = "{0} = {1} ms")
  @CsvSource({
    "500ms,500",
    "10s,10000",
    "1m,60000",
    "60s,60000",
    "2h,7200000",
    "1.5s,1500",
    "PT10S,10000"
  })
  void parsesTelegrafStyleDurations(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void reportsEveryBadKeyAtOnce() {
    SettingsReader env =
        new SettingsReader(
            Map.of("FLEETSTATS_WINDOW", "ten", "FLEETSTATS_PARTITIONS", "0", "A", ":x"));
    env.duration(Duration.ofSeconds(10), Duration.ofMillis(100), "FLEETSTATS_WINDOW");
    env.integer(3, 1, 1000, "FLEETSTATS_PARTITIONS");
    env.address(null, "A");

    assertThatThrownBy(env::check)
        .isInstanceOf(ConfigException.class)
        .satisfies(
            e ->
                assertThat(((ConfigException) e).problems())
                    .containsExactly(
                        "FLEETSTATS_WINDOW='ten' is invalid: expected a duration such as 500ms, 10s, 1m",
                        "FLEETSTATS_PARTITIONS='0' is invalid: expected an integer from 1 to 1000",
                        "A=':x' is invalid: expected host:port, e.g. 127.0.0.1:8125 or :8125"));
  }

  @Test
  void firstNonBlankKeyWinsSoSeedNamesWork() {
    SettingsReader env =
        new SettingsReader(Map.of("NODE_HOSTNAME", "node-7", "FLEETSTATS_NODE", " "));
    assertThat(env.string("unknown", "FLEETSTATS_NODE", "NODE_HOSTNAME")).isEqualTo("node-7");
    assertThat(env.string("unknown", "MISSING")).isEqualTo("unknown");
  }

  @Test
  void optionalAddressIsOffForOffOrNoneAndTheFallbackWhenUnset() {
    InetSocketAddress fallback = new InetSocketAddress("0.0.0.0", 9126);
    SettingsReader env = new SettingsReader(Map.of("A", "off", "B", "NONE", "C", "127.0.0.1:9000"));

    assertThat(env.optionalAddress(fallback, "A")).isEmpty();
    assertThat(env.optionalAddress(fallback, "B")).isEmpty();
    assertThat(env.optionalAddress(fallback, "C"))
        .contains(new InetSocketAddress("127.0.0.1", 9000));
    assertThat(env.optionalAddress(fallback, "UNSET")).contains(fallback);
    assertThat(env.optionalAddress(null, "UNSET")).isEmpty();
    env.check();
  }

  @Test
  void passesKafkaPropertiesThrough() {
    SettingsReader env =
        new SettingsReader(
            Map.of(
                "FLEETSTATS_KAFKA_BOOTSTRAP", "b:9092",
                "FLEETSTATS_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "FLEETSTATS_WINDOW", "10s"));
    assertThat(env.kafkaProperties()).containsExactly(Map.entry("security.protocol", "SASL_SSL"));
  }
}
