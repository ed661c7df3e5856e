package io.fleetstats.stream.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MysqlSeries;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.topology.StreamMetrics;
import io.fleetstats.stream.topology.TopologyFactory;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The MySQL branch of the real topology, driven with explicit snapshot times. */
class MysqlRateProcessorTest {
  static final Topics TOPICS = Topics.defaults();
  static final long T0 = Instant.parse("2026-11-25T10:00:00Z").toEpochMilli();

  private TopologyTestDriver driver;
  private TestInputTopic<String, MysqlSnapshot> in;
  private TestOutputTopic<String, Aggregate> out;

  static Source source(String pod) {
    return Source.newBuilder()
        .setCluster("prod")
        .setNamespace("db")
        .setNode("node-7")
        .setPod(pod)
        .setContainer("mysql")
        .setApp("")
        .build();
  }

  /** A snapshot of mysql-0 at {@code t} with questions, threads_connected and uptime. */
  static MysqlSnapshot snap(long t, double questions, double threads, double uptime) {
    return snap("mysql-0", "127.0.0.1:3306", t, questions, threads, uptime);
  }

  static MysqlSnapshot snap(
      String pod, String server, long t, double questions, double threads, double uptime) {
    Map<String, Double> counters = new LinkedHashMap<>();
    counters.put("questions", questions);
    counters.put("bytes_received", questions * 10);
    Map<String, Double> gauges = new LinkedHashMap<>();
    gauges.put("threads_connected", threads);
    gauges.put("uptime", uptime);
    MysqlSeries user =
        MysqlSeries.newBuilder()
            .setMeasurement("mysql_user_stats")
            .setTags(new HashMap<>(Map.of("user", "app")))
            .setCounters(new HashMap<>(Map.of("select_commands", questions / 2)))
            .setGauges(new HashMap<>(Map.of("concurrent_connections", threads)))
            .build();
    return MysqlSnapshot.newBuilder()
        .setSource(source(pod))
        .setServer(server)
        .setTakenAt(t)
        .setCounters(counters)
        .setGauges(gauges)
        .setSeries(List.of(user))
        .setFlavor("MariaDB")
        .setVersion("10.11.19-MariaDB")
        .build();
  }

  @BeforeEach
  void start() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "mysql-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver =
        new TopologyTestDriver(
            TopologyFactory.build(StreamConfig.fromEnv(Map.of()), TOPICS), props);
    in =
        driver.createInputTopic(
            TOPICS.rawMysql().name(),
            TOPICS.rawMysql().keySerde().serializer(),
            TOPICS.rawMysql().valueSerde().serializer());
    out =
        driver.createOutputTopic(
            TOPICS.aggregates().name(),
            TOPICS.aggregates().keySerde().deserializer(),
            TOPICS.aggregates().valueSerde().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private void send(MysqlSnapshot s) {
    in.pipeInput(Sources.id(s.getSource()), s, s.getTakenAt());
  }

  /** The `mysql` aggregates (global status) read since the last call. */
  private List<Aggregate> mysql() {
    return out.readKeyValuesToList().stream()
        .map(kv -> kv.value)
        .filter(a -> a.getName().equals("mysql"))
        .toList();
  }

  @Test
  void firstSnapshotGivesTheValuesAsTelegrafSentThemAndNoRate() {
    send(snap(T0, 1000, 5, 100));

    List<KeyValue<String, Aggregate>> all = out.readKeyValuesToList();
    assertThat(all).hasSize(2);
    Aggregate mysql =
        all.stream()
            .map(kv -> kv.value)
            .filter(a -> a.getName().equals("mysql"))
            .findFirst()
            .orElseThrow();
    assertThat(mysql.getFields())
        .containsOnly(
            Map.entry("questions", 1000.0), Map.entry("bytes_received", 10000.0),
            Map.entry("threads_connected", 5.0), Map.entry("uptime", 100.0));
    assertThat(mysql.getSource()).isEqualTo("node-7");
    assertThat(mysql.getMetricType()).isEmpty();
    assertThat(mysql.getTags())
        .containsOnly(
            Map.entry("server", "127.0.0.1:3306"), Map.entry("pod_name", "mysql-0"),
            Map.entry("cluster", "prod"), Map.entry("namespace", "db"));
    assertThat(mysql.getWindowStart()).isEqualTo(T0);
    assertThat(all)
        .extracting(kv -> kv.key)
        .containsExactlyInAnyOrder(
            "prod/db/mysql-0/mysql|127.0.0.1:3306|mysql|{}",
            "prod/db/mysql-0/mysql|127.0.0.1:3306|mysql_user_stats|{user=app}");
  }

  @Test
  void countersBecomePerSecondRatesBetweenConsecutiveSnapshots() {
    send(snap(T0, 1000, 5, 100));
    send(snap(T0 + 10_000, 1500, 7, 110));

    List<Aggregate> all = out.readValuesToList();
    Aggregate mysql =
        all.get(all.size() - 2).getName().equals("mysql")
            ? all.get(all.size() - 2)
            : all.get(all.size() - 1);
    assertThat(mysql.getFields().get("questions")).isEqualTo(1500.0);
    assertThat(mysql.getFields().get("questions_rate")).isCloseTo(50.0, within(1e-9));
    assertThat(mysql.getFields().get("bytes_received_rate")).isCloseTo(500.0, within(1e-9));
    assertThat(mysql.getFields())
        .containsEntry("threads_connected", 7.0)
        .doesNotContainKey("threads_connected_rate");
    Aggregate user =
        all.stream()
            .filter(a -> a.getName().equals("mysql_user_stats"))
            .reduce((a, b) -> b)
            .orElseThrow();
    assertThat(user.getFields().get("select_commands_rate")).isCloseTo(25.0, within(1e-9));
    assertThat(user.getTags()).containsEntry("user", "app");
  }

  @Test
  void aCounterThatWentDownGivesNoRateAndRestartsTheBaseline() {
    send(snap(T0, 1000, 5, 100));
    mysql();
    MysqlSnapshot afterFlush = snap(T0 + 10_000, 20, 5, 110);
    afterFlush.getCounters().put("bytes_received", 20_000.0); // FLUSH STATUS reset questions only
    send(afterFlush);

    Aggregate reset = mysql().get(0);
    assertThat(reset.getFields())
        .containsEntry("questions", 20.0)
        .doesNotContainKey("questions_rate");
    assertThat(reset.getFields().get("bytes_received_rate")).isCloseTo(1000.0, within(1e-9));

    MysqlSnapshot next = snap(T0 + 20_000, 220, 5, 120);
    next.getCounters().put("bytes_received", 30_000.0);
    send(next);
    assertThat(mysql().get(0).getFields().get("questions_rate")).isCloseTo(20.0, within(1e-9));
    // questions and the user's select_commands (half of it in these fixtures) went down
    assertThat(StreamMetrics.total(driver.metrics(), MysqlRateProcessor.RESETS)).isEqualTo(2.0);
  }

  @Test
  void aServerRestartGivesNoRatesAndRestartsTheBaseline() {
    send(snap(T0, 1000, 5, 100));
    send(snap(T0 + 10_000, 1100, 5, 110));
    mysql();
    send(snap(T0 + 20_000, 1200, 1, 3)); // uptime went down: restarted, though questions grew

    Aggregate afterRestart = mysql().get(0);
    assertThat(afterRestart.getFields())
        .containsEntry("questions", 1200.0)
        .doesNotContainKeys("questions_rate", "bytes_received_rate");
    send(snap(T0 + 30_000, 1300, 1, 13));
    assertThat(mysql().get(0).getFields().get("questions_rate")).isCloseTo(10.0, within(1e-9));
    assertThat(StreamMetrics.total(driver.metrics(), MysqlRateProcessor.RESTARTS)).isEqualTo(1.0);
  }

  @Test
  void aStaleOrDuplicateSnapshotGivesNoRateAndKeepsTheBaseline() {
    send(snap(T0 + 10_000, 1500, 5, 110));
    send(snap(T0, 1000, 5, 100)); // older than the baseline
    assertThat(mysql())
        .allSatisfy(a -> assertThat(a.getFields()).doesNotContainKey("questions_rate"));
    send(snap(T0 + 20_000, 2500, 5, 120));
    assertThat(mysql().get(0).getFields().get("questions_rate")).isCloseTo(100.0, within(1e-9));
  }

  @Test
  void keepsOneBaselinePerSourceAndServer() {
    send(snap("mysql-0", "db-a:3306", T0, 100, 1, 10));
    send(snap("mysql-0", "db-b:3306", T0, 9_000, 1, 10));
    send(snap("mysql-1", "db-a:3306", T0, 50_000, 1, 10));
    mysql();
    send(snap("mysql-0", "db-a:3306", T0 + 1_000, 110, 1, 11));
    send(snap("mysql-0", "db-b:3306", T0 + 1_000, 9_020, 1, 11));
    send(snap("mysql-1", "db-a:3306", T0 + 1_000, 50_030, 1, 11));

    assertThat(mysql())
        .extracting(
            a ->
                a.getTags().get("pod_name")
                    + "@"
                    + a.getTags().get("server")
                    + "="
                    + a.getFields().get("questions_rate"))
        .containsExactly(
            "mysql-0@db-a:3306=10.0", "mysql-0@db-b:3306=20.0", "mysql-1@db-a:3306=30.0");
    KeyValueStore<String, MysqlSnapshot> store = driver.getKeyValueStore(MysqlRateProcessor.STORE);
    assertThat(store.get("prod/db/mysql-0/mysql|db-b:3306").getTakenAt()).isEqualTo(T0 + 1_000);
  }
}
