package io.fleetstats.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.stream.aggregate.TimerFields;
import io.fleetstats.stream.aggregate.TimerFields.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StreamConfigTest {

  @Test
  void defaultsMatchTheReadme() {
    StreamConfig c = StreamConfig.fromEnv(Map.of());

    assertThat(c.bootstrap()).isEqualTo("localhost:9092");
    assertThat(c.kafka()).isEmpty();
    assertThat(c.applicationId()).isEqualTo("fleetstats-stream-processor");
    assertThat(c.topicPrefix()).isEqualTo("fleetstats");
    assertThat(c.topics().rawStatsd().name()).isEqualTo("fleetstats.raw.statsd");
    assertThat(c.window()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.grace()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.percentiles()).containsExactly(90.0);
    assertThat(c.timerFields()).isEqualTo(TimerFields.ALL);
    assertThat(c.rollupTimerFields()).isEqualTo(TimerFields.ALL);
    assertThat(c.sketchAccuracy()).isEqualTo(0.01);
    assertThat(c.stateDir())
        .isEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "fleetstats-stream-processor"));
    assertThat(c.streamThreads()).isEqualTo(1);
    assertThat(c.commitInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.wallClockClose()).isTrue();
    assertThat(c.createTopics()).isTrue();
    assertThat(c.setExactLimit()).isEqualTo(1000);
    assertThat(c.rollups()).isEmpty();
    assertThat(c.rollupGrace()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.maxSeriesPerSource()).isEqualTo(10_000);
    assertThat(c.maxSeriesPerName()).isEqualTo(10_000);
    assertThat(c.lateToDeadletter()).isTrue();
    assertThat(c.allowedLateness()).isEqualTo(Duration.ofHours(1));
    assertThat(c.maxClockSkew()).isEqualTo(Duration.ofSeconds(60));
  }

  @ParameterizedTest(name = "{0} matches: {1}")
  @CsvSource({
    "fleetstats.raw.statsd, true",
    "east.fleetstats.raw.statsd, true",
    "us-west_2.fleetstats.raw.statsd, true",
    "a.b.fleetstats.raw.statsd, false",
    "fleetstats.raw.statsdx, false",
    "fleetstatsxraw.statsd, false",
    "fleetstats.raw.mysql, false",
  })
  void defaultRawTopicPatternReadsTheTopicAndItsMirrorMaker2Copies(String topic, boolean matches) {
    StreamConfig c = StreamConfig.fromEnv(Map.of());
    assertThat(c.rawStatsdTopics().matcher(topic).matches()).isEqualTo(matches);
    if (topic.contains("statsd")) {
      assertThat(c.rawMysqlTopics().matcher(topic.replace("statsd", "mysql")).matches())
          .isEqualTo(matches);
    }
  }

  @Test
  void rawTopicPatternsFollowThePrefixOrAreGiven() {
    StreamConfig prefixed = StreamConfig.fromEnv(Map.of("FLEETSTATS_TOPIC_PREFIX", "m"));
    assertThat(prefixed.rawStatsdTopics().matcher("east.m.raw.statsd").matches()).isTrue();
    assertThat(prefixed.rawMysqlTopics().matcher("m.raw.mysql").matches()).isTrue();
    StreamConfig given =
        StreamConfig.fromEnv(Map.of("FLEETSTATS_RAW_TOPIC_PATTERN", "(east|west)\\.raw"));
    assertThat(given.rawStatsdTopics().matcher("west.raw").matches()).isTrue();
    assertThat(given.rawStatsdTopics().matcher("fleetstats.raw.statsd").matches()).isFalse();
  }

  @Test
  void aBadRawTopicPatternIsReportedWithAnExample() {
    assertThatThrownBy(() -> StreamConfig.fromEnv(Map.of("FLEETSTATS_RAW_TOPIC_PATTERN", "(a")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_RAW_TOPIC_PATTERN")
        .hasMessageContaining("regular expression");
  }

  @Test
  void theSeedsIntervalIsTheWindowUnlessFleetstatsWindowIsSet() {
    assertThat(StreamConfig.fromEnv(Map.of("INTERVAL", "60s")).window())
        .isEqualTo(Duration.ofSeconds(60));
    assertThat(StreamConfig.fromEnv(Map.of("INTERVAL", "60s", "FLEETSTATS_WINDOW", "10s")).window())
        .isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void readsRollupsAndLimits() {
    StreamConfig c =
        StreamConfig.fromEnv(
            Map.of(
                "FLEETSTATS_ROLLUPS", "app:drop=pod_name,node;fleet:drop=pod_name,node,cluster",
                "FLEETSTATS_ROLLUP_GRACE", "30s",
                "FLEETSTATS_SET_EXACT_LIMIT", "0",
                "FLEETSTATS_MAX_SERIES_PER_SOURCE", "0",
                "FLEETSTATS_MAX_SERIES_PER_NAME", "500",
                "FLEETSTATS_LATE_TO_DEADLETTER", "false"));
    assertThat(c.rollups())
        .extracting(io.fleetstats.stream.rollup.RollupRule::name)
        .containsExactly("app", "fleet");
    assertThat(c.rollupGrace()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.setExactLimit()).isZero();
    assertThat(c.maxSeriesPerSource()).isZero();
    assertThat(c.maxSeriesPerName()).isEqualTo(500);
    assertThat(c.lateToDeadletter()).isFalse();
  }

  @Test
  void aBadRollupRuleIsReportedWithTheOtherProblems() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                StreamConfig.fromEnv(
                    Map.of("FLEETSTATS_ROLLUPS", "app:group=pod_name", "FLEETSTATS_GRACE", "x")));
    assertThat(e.getMessage())
        .contains("FLEETSTATS_ROLLUPS='app:group=pod_name'")
        .contains("neither drop nor keep")
        .contains("FLEETSTATS_GRACE");
  }

  @Test
  void readsEveryKey() {
    StreamConfig c =
        StreamConfig.fromEnv(
            Map.ofEntries(
                Map.entry("FLEETSTATS_KAFKA_BOOTSTRAP", "k1:9093,k2:9093"),
                Map.entry("FLEETSTATS_KAFKA_SECURITY_PROTOCOL", "SSL"),
                Map.entry("FLEETSTATS_APPLICATION_ID", "fs-test"),
                Map.entry("FLEETSTATS_TOPIC_PREFIX", "staging"),
                Map.entry("FLEETSTATS_WINDOW", "1m"),
                Map.entry("FLEETSTATS_GRACE", "0s"),
                Map.entry("FLEETSTATS_PERCENTILES", "99.9, 50,90,90"),
                Map.entry("FLEETSTATS_SKETCH_ACCURACY", "0.005"),
                Map.entry("FLEETSTATS_STATE_DIR", "/var/lib/fs"),
                Map.entry("FLEETSTATS_STREAM_THREADS", "4"),
                Map.entry("FLEETSTATS_COMMIT_INTERVAL", "250ms"),
                Map.entry("FLEETSTATS_WALL_CLOCK_CLOSE", "false"),
                Map.entry("FLEETSTATS_CREATE_TOPICS", "no")));

    assertThat(c.bootstrap()).isEqualTo("k1:9093,k2:9093");
    assertThat(c.kafka()).containsExactly(Map.entry("security.protocol", "SSL"));
    assertThat(c.applicationId()).isEqualTo("fs-test");
    assertThat(c.topics().aggregates().name()).isEqualTo("staging.aggregates");
    assertThat(c.window()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.grace()).isZero();
    assertThat(c.percentiles()).containsExactly(50.0, 90.0, 99.9);
    assertThat(c.sketchAccuracy()).isEqualTo(0.005);
    assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/fs"));
    assertThat(c.streamThreads()).isEqualTo(4);
    assertThat(c.commitInterval()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.wallClockClose()).isFalse();
    assertThat(c.createTopics()).isFalse();
  }

  @Test
  void reportsEveryProblemAtOnce() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                StreamConfig.fromEnv(
                    Map.of(
                        "FLEETSTATS_WINDOW", "10",
                        "FLEETSTATS_GRACE", "-1s",
                        "FLEETSTATS_PERCENTILES", "90,101",
                        "FLEETSTATS_SKETCH_ACCURACY", "1",
                        "FLEETSTATS_STREAM_THREADS", "0",
                        "FLEETSTATS_WALL_CLOCK_CLOSE", "maybe")));

    assertThat(e.problems()).hasSize(6);
    assertThat(String.join("\n", e.problems()))
        .contains("FLEETSTATS_WINDOW='10'")
        .contains("FLEETSTATS_PERCENTILES='90,101'")
        .contains("(0,100]")
        .contains("FLEETSTATS_SKETCH_ACCURACY='1'")
        .contains("FLEETSTATS_WALL_CLOCK_CLOSE='maybe'");
  }

  @ParameterizedTest(name = "{0} is rejected")
  @CsvSource(
      delimiter = ';',
      value = {"0", "-5", "abc", "''", "100.5"})
  void rejectsPercentilesOutsideZeroToHundred(String raw) {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () -> StreamConfig.fromEnv(Map.of("FLEETSTATS_PERCENTILES", raw + ",")));
    assertThat(e.problems()).singleElement().asString().startsWith("FLEETSTATS_PERCENTILES=");
  }

  @Test
  void bootstrapServersAloneReachesEveryClientTheProcessorCreates() {
    StreamConfig c = StreamConfig.fromEnv(Map.of("FLEETSTATS_KAFKA_BOOTSTRAP_SERVERS", "b:9092"));
    Properties streams = StreamProcessor.streamsProperties(c);
    // what Kafka Streams derives for each of its clients, with the prefixes applied
    StreamsConfig derived = new StreamsConfig(streams);

    assertThat(c.bootstrap()).isEqualTo("b:9092");
    assertThat(c.kafka()).isEmpty();
    assertThat(streams).containsEntry("bootstrap.servers", "b:9092");
    assertThat(c.adminProperties()).containsEntry("bootstrap.servers", "b:9092");
    assertThat(
            List.of(
                derived.getMainConsumerConfigs("g", "c", 0),
                derived.getRestoreConsumerConfigs("c"),
                derived.getGlobalConsumerConfigs("c"),
                derived.getProducerConfigs("c"),
                derived.getAdminConfigs("c")))
        .allSatisfy(client -> assertThat(client).containsEntry("bootstrap.servers", "b:9092"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({
    // commit interval, FLEETSTATS_KAFKA_ property given, the producers' transaction timeout
    "1s, '', 10000",
    "10m, '', 610000",
    "10m, TRANSACTION_TIMEOUT_MS=900000, 900000",
    "30s, PRODUCER_TRANSACTION_TIMEOUT_MS=60000, 60000",
  })
  void aLongCommitIntervalGetsATransactionTimeoutKafkaStreamsAccepts(
      String commit, String property, long timeout) {
    Map<String, String> env = new java.util.HashMap<>();
    env.put("FLEETSTATS_COMMIT_INTERVAL", commit);
    if (!property.isEmpty()) {
      String[] kv = property.split("=");
      env.put("FLEETSTATS_KAFKA_" + kv[0], kv[1]);
    }
    StreamConfig c = StreamConfig.fromEnv(env);
    // Kafka Streams' own check (it refuses a timeout below the commit interval) runs here
    StreamsConfig derived = new StreamsConfig(StreamProcessor.streamsProperties(c));
    assertThat(String.valueOf(derived.getProducerConfigs("c").get("transaction.timeout.ms")))
        .isEqualTo(Long.toString(timeout));
  }

  @Test
  void aKafkaPropertyAloneSetsTheSettingThatOwnsIt() {
    StreamConfig c =
        StreamConfig.fromEnv(
            Map.of(
                "FLEETSTATS_KAFKA_APPLICATION_ID", "fs-app",
                "FLEETSTATS_KAFKA_NUM_STREAM_THREADS", "3",
                "FLEETSTATS_KAFKA_STATE_DIR", "/var/lib/fs"));
    Properties streams = StreamProcessor.streamsProperties(c);

    assertThat(c.applicationId()).isEqualTo("fs-app");
    assertThat(c.streamThreads()).isEqualTo(3);
    assertThat(c.stateDir()).isEqualTo(Path.of("/var/lib/fs"));
    assertThat(c.kafka()).isEmpty();
    assertThat(streams)
        .containsEntry("application.id", "fs-app")
        .containsEntry("num.stream.threads", "3")
        .containsEntry("state.dir", "/var/lib/fs");
  }

  @Test
  void aPrefixedBootstrapIsAnErrorNamingTheSetting() {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                StreamConfig.fromEnv(
                    Map.of("FLEETSTATS_KAFKA_MAIN_CONSUMER_BOOTSTRAP_SERVERS", "other:9092")));

    assertThat(e.problems())
        .singleElement()
        .asString()
        .startsWith("FLEETSTATS_KAFKA_MAIN_CONSUMER_BOOTSTRAP_SERVERS would set bootstrap.servers")
        .contains("FLEETSTATS_KAFKA_BOOTSTRAP sets it for every client");
  }

  @Test
  void passesStreamsAndPrefixedClientPropertiesAndGivesTheAdminClientItsOwn() {
    StreamConfig c =
        StreamConfig.fromEnv(
            Map.of(
                "FLEETSTATS_KAFKA_NUM_STANDBY_REPLICAS", "1",
                "FLEETSTATS_KAFKA_MAIN_CONSUMER_MAX_POLL_RECORDS", "500",
                "FLEETSTATS_KAFKA_TOPIC_MIN_INSYNC_REPLICAS", "2",
                "FLEETSTATS_KAFKA_SECURITY_PROTOCOL", "SSL",
                "FLEETSTATS_KAFKA_ADMIN_REQUEST_TIMEOUT_MS", "5000",
                "FLEETSTATS_KAFKA_REQUEST_TIMEOUT_MS", "9000",
                "FLEETSTATS_KAFKA_PRODUCER_LINGER_MSS", "5"));

    assertThat(c.kafka())
        .containsOnlyKeys(
            "num.standby.replicas",
            "main.consumer.max.poll.records",
            "topic.min.insync.replicas",
            "security.protocol",
            "admin.request.timeout.ms",
            "request.timeout.ms");
    assertThat(c.adminProperties())
        .containsOnly(
            Map.entry("security.protocol", "SSL"),
            Map.entry("request.timeout.ms", "5000"),
            Map.entry("bootstrap.servers", "localhost:9092"));
  }

  @Test
  void acceptsOneHundredAsAPercentile() {
    assertThat(StreamConfig.fromEnv(Map.of("FLEETSTATS_PERCENTILES", "100")).percentiles())
        .isEqualTo(List.of(100.0));
  }

  @Test
  void theCommitIntervalAndTheGuaranteeCannotBeOverriddenAsKafkaProperties() {
    assertThatThrownBy(
            () ->
                StreamConfig.fromEnv(
                    Map.of(
                        "FLEETSTATS_KAFKA_COMMIT_INTERVAL_MS", "100",
                        "FLEETSTATS_KAFKA_PROCESSING_GUARANTEE", "at_least_once")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("FLEETSTATS_KAFKA_COMMIT_INTERVAL_MS cannot be changed")
        .hasMessageContaining("set that instead")
        .hasMessageContaining("FLEETSTATS_KAFKA_PROCESSING_GUARANTEE cannot be changed");
  }

  @Test
  void toStringNamesKafkaPropertiesButNeverShowsTheirValues() {
    StreamConfig c =
        StreamConfig.fromEnv(
            Map.of(
                "FLEETSTATS_KAFKA_SECURITY_PROTOCOL",
                "SASL_SSL",
                "FLEETSTATS_KAFKA_SASL_JAAS_CONFIG",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"s3cret-pw\";"));

    assertThat(c.toString())
        .contains("sasl.jaas.config", "security.protocol")
        .doesNotContain("s3cret")
        .doesNotContain("PlainLoginModule");
  }

  @Test
  void timerFieldsInAnyOrderAndCaseAndRollUpsTakeThemUnlessSetApart() {
    StreamConfig c =
        StreamConfig.fromEnv(Map.of("FLEETSTATS_TIMER_FIELDS", " Percentiles, count,upper,count"));
    assertThat(c.timerFields())
        .containsExactlyInAnyOrder(Field.COUNT, Field.UPPER, Field.PERCENTILES);
    assertThat(c.rollupTimerFields()).isEqualTo(c.timerFields());

    StreamConfig apart =
        StreamConfig.fromEnv(
            Map.of(
                "FLEETSTATS_TIMER_FIELDS", "count",
                "FLEETSTATS_ROLLUP_TIMER_FIELDS", "count,median,percentiles"));
    assertThat(apart.timerFields()).containsExactly(Field.COUNT);
    assertThat(apart.rollupTimerFields())
        .containsExactlyInAnyOrder(Field.COUNT, Field.MEDIAN, Field.PERCENTILES);
  }

  @ParameterizedTest(name = "{0} is rejected")
  @CsvSource(
      delimiter = ';',
      value = {
        "count,p99; 'p99' is not one",
        "count,,upper; an empty name is not one",
        "max; 'max' is not one (DogStatsD's max is upper here)",
        "avg,count; 'avg' is not one (DogStatsD's avg is mean here)"
      })
  void rejectsUnknownTimerFieldsNamingTheSettingAndEveryAllowedField(String raw, String why) {
    ConfigException e =
        catchThrowableOfType(
            ConfigException.class,
            () ->
                StreamConfig.fromEnv(
                    Map.of("FLEETSTATS_TIMER_FIELDS", raw, "FLEETSTATS_ROLLUP_TIMER_FIELDS", raw)));
    assertThat(e.problems()).hasSize(2);
    assertThat(e.problems().get(0))
        .startsWith("FLEETSTATS_TIMER_FIELDS='" + raw + "'")
        .contains(why)
        .contains("count,sum,mean,stddev,lower,upper,median,percentiles")
        .contains("FLEETSTATS_PERCENTILES");
    assertThat(e.problems().get(1)).startsWith("FLEETSTATS_ROLLUP_TIMER_FIELDS='" + raw + "'");
  }
}
