package io.fleetstats.stream.topology;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.ClusterMetadata;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.StreamProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The topology in a {@link TopologyTestDriver} with explicit event times: 10 s windows, 5 s grace,
 * 5 s roll-up grace unless the env says otherwise. The wall clock moves only when a test moves it.
 */
final class Driver implements AutoCloseable {
  static final Topics TOPICS = Topics.defaults();

  final TopologyTestDriver driver;
  final TestInputTopic<String, StatsdBatch> raw;
  final TestInputTopic<String, ClusterMetadata> clusters;
  final TestOutputTopic<String, Aggregate> out;
  final TestOutputTopic<String, byte[]> deadletter;

  Driver(Path stateDir, Map<String, String> env) {
    Map<String, String> e = new HashMap<>();
    e.put(StreamConfig.WINDOW.key(), "10s");
    e.put(StreamConfig.GRACE.key(), "5s");
    e.put(StreamConfig.STATE_DIR.key(), stateDir.toString());
    e.putAll(env);
    StreamConfig config = StreamConfig.fromEnv(e);
    driver =
        new TopologyTestDriver(
            TopologyFactory.build(config, TOPICS),
            StreamProcessor.streamsProperties(config),
            Instant.ofEpochMilli(1_800_000_000_000L));
    raw =
        driver.createInputTopic(
            TOPICS.rawStatsd().name(),
            TOPICS.rawStatsd().keySerde().serializer(),
            TOPICS.rawStatsd().valueSerde().serializer());
    clusters =
        driver.createInputTopic(
            TOPICS.clusters().name(),
            new StringSerializer(),
            TOPICS.clusters().valueSerde().serializer());
    out =
        driver.createOutputTopic(
            TOPICS.aggregates().name(),
            new StringDeserializer(),
            TOPICS.aggregates().valueSerde().deserializer());
    deadletter =
        driver.createOutputTopic(
            TOPICS.deadletter().name(), new StringDeserializer(), new ByteArrayDeserializer());
  }

  void send(StatsdBatch b) {
    raw.pipeInput(Sources.id(b.getSource()), b, b.getCreatedAt());
  }

  /** An empty batch (a heartbeat) of each source at {@code at}: moves each source's time. */
  void heartbeat(long at, io.fleetstats.schemas.Source... sources) {
    for (io.fleetstats.schemas.Source s : sources) {
      send(io.fleetstats.stream.Fixtures.batch(s, at));
    }
  }

  void tick(Duration d) {
    driver.advanceWallClockTime(d);
  }

  double metric(String name) {
    return StreamMetrics.total(driver.metrics(), name);
  }

  double metric(String name, Map<String, String> tags) {
    return StreamMetrics.total(driver.metrics(), name, tags);
  }

  /** Every aggregate emitted so far, by key. */
  Map<String, Aggregate> byKey() {
    Map<String, Aggregate> m = new HashMap<>();
    for (TestRecord<String, Aggregate> r : out.readRecordsToList()) {
      if (m.put(r.key(), r.value()) != null) {
        throw new AssertionError("emitted twice: " + r.key());
      }
    }
    return m;
  }

  List<TestRecord<String, Aggregate>> records() {
    return out.readRecordsToList();
  }

  @Override
  public void close() {
    driver.close();
  }
}
