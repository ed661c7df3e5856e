package io.fleetstats.sink.prometheus.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The naming rules of Telegraf's Prometheus output (prometheus_client, metric_version 1), row by
 * row: the statsd names of the seed, then every rule at its edge.
 */
class PromNamesTest {

  @ParameterizedTest(name = "{0} + {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      nullValues = "NONE",
      value = {
        // the seed's timer and counter
        "fitcycle-api-server.prospectPullTime | mean          | fitcycle_api_server_prospectPullTime_mean",
        "fitcycle-api-server.prospectPullTime | 90_percentile | fitcycle_api_server_prospectPullTime_90_percentile",
        "fitcycle-api-server.ProspectPull     | value         | fitcycle_api_server_ProspectPull",
        "fitcycle-web-server.signupTime       | count         | fitcycle_web_server_signupTime_count",
        // a percentile with a decimal point
        "api.timer                            | 99.9_percentile | api_timer_99_9_percentile",
        // ':' is a name character; '/', ' ', '=' and ',' are not
        "rpc:calls/total x=y,z                | value         | rpc:calls_total_x_y_z",
        // one '_' per character (code point), not per UTF-8 byte
        "café.latency                         | value         | caf__latency",
        "emoji😀.count                         | value         | emoji__count",
        // already valid: as it is, capitals kept
        "Http_Requests                        | sum           | Http_Requests_sum",
        // a name must start with a letter or '_' (Telegraf skips the others)
        "5xx.count                            | value         | NONE",
        ":x                                   | value         | NONE",
        "-leading                             | value         | _leading",
      })
  void namesLikeTelegraf(String measurement, String field, String expected) {
    assertThat(PromNames.metricName("", measurement, field))
        .isEqualTo(Optional.ofNullable(expected));
  }

  @ParameterizedTest(name = "prefix {0} + {1} -> {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "app.    | 5xx.count | app_5xx_count",
        "fleet_  | api.timer | fleet_api_timer",
      })
  void prefixComesFirstAndIsSanitisedWithTheName(String prefix, String name, String expected) {
    assertThat(PromNames.metricName(prefix, name, "value")).contains(expected);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      nullValues = "NONE",
      value = {
        "pod_name  | pod_name",
        "metric_type | metric_type",
        "Zone      | Zone",
        "_private  | _private",
        // invalid names: other characters become '_', then '_' is trimmed at both ends
        "pod-name  | pod_name",
        "k8s.io/app | k8s_io_app",
        "-x-       | x",
        "_a-b_     | a_b",
        // a first character that cannot start a name is dropped, not replaced
        "1zone     | zone",
        "9         | NONE",
        "---       | NONE",
        // ':' is not a label character
        "a:b       | a_b",
        "zoné      | zon",
      })
  void labelNamesLikeTelegraf(String key, String expected) {
    assertThat(PromNames.labelName(key)).isEqualTo(Optional.ofNullable(expected));
  }
}
