package io.fleetstats.stream;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stream processor on a real in-JVM KRaft broker, with exactly-once and a real changelog. */
class StreamProcessorIT {
  private static KafkaClusterTestKit cluster;
  @TempDir static Path brokerDir;
  @TempDir Path stateDir;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster =
        TestKafka.start(
            TestKafka.builder(true, brokerDir)
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.num.partitions", "1")
                .setConfigProp("log.cleaner.dedupe.buffer.size", "2097152"));
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void singleBurstThenSilenceIsEmittedOnceAndAStragglerAfterARestartCorrectsIt() throws Exception {
    StreamConfig config =
        StreamConfig.fromEnv(
            Map.of(
                StreamConfig.BOOTSTRAP.key(),
                cluster.bootstrapServers(),
                StreamConfig.APPLICATION_ID.key(),
                "fleetstats-it-burst",
                StreamConfig.WINDOW.key(),
                "2s",
                StreamConfig.GRACE.key(),
                "1s",
                StreamConfig.STATE_DIR.key(),
                stateDir.toString(),
                StreamConfig.ADMIN_ADDRESS.key(),
                "127.0.0.1:0",
                "CLUSTER_NAME",
                "it-cluster",
                "POD_NAME",
                "processor-0"));
    Topics topics = config.topics();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        2,
        Optional.empty(),
        Duration.ofHours(1),
        Duration.ofSeconds(30));

    // one burst: 1000 timer samples 1..1000 and 500 counter increments, in two flushes
    Source pod = source("api-server-0");
    long now = System.currentTimeMillis();
    double[] timer = IntStream.rangeClosed(1, 1000).asDoubleStream().toArray();
    double[] ones =
        Collections.nCopies(500, 1.0).stream().mapToDouble(Double::doubleValue).toArray();
    List<StatsdBatch> burst =
        List.of(
            batch(
                pod,
                now,
                series(
                    "fitcycle-api-server.prospectPullTime",
                    MetricType.TIMER,
                    now,
                    Arrays.copyOfRange(timer, 0, 600)),
                series(
                    "fitcycle-api-server.ProspectPull",
                    MetricType.COUNTER,
                    now,
                    Arrays.copyOfRange(ones, 0, 200))),
            batch(
                pod,
                now,
                series(
                    "fitcycle-api-server.prospectPullTime",
                    MetricType.TIMER,
                    now,
                    Arrays.copyOfRange(timer, 600, 1000)),
                series(
                    "fitcycle-api-server.ProspectPull",
                    MetricType.COUNTER,
                    now,
                    Arrays.copyOfRange(ones, 200, 500))));
    try (KafkaProducer<String, StatsdBatch> producer = producer(topics)) {
      for (StatsdBatch b : burst) {
        producer.send(
            new ProducerRecord<>(topics.rawStatsd().name(), null, now, Sources.id(pod), b));
      }
      producer.flush();
    }

    List<Aggregate> aggregates = new ArrayList<>();
    try (KafkaProducer<String, StatsdBatch> producer = producer(topics);
        KafkaConsumer<String, Aggregate> consumer = consumer(topics)) {
      try (StreamProcessor processor = StreamProcessor.start(config)) {
        assertThat(processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
        // nothing more is produced: only the wall clock can close the window
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  consumer.poll(Duration.ofMillis(200)).forEach(r -> aggregates.add(r.value()));
                  return aggregates.size() >= 2;
                });
        assertThat(processor.lateSamples()).isZero();
        assertThat(processor.aggregatesEmitted()).isEqualTo(2);
        assertThat(admin(processor, "/readyz").statusCode()).isEqualTo(200);
        String tags = "cluster=\"it-cluster\",namespace=\"default\",pod=\"processor-0\"";
        assertThat(admin(processor, "/metrics").body())
            .contains("fleetstats_stream_aggregates_emitted_total{" + tags + "} 2.0")
            .contains("fleetstats_stream_samples_late_total{" + tags + "} 0.0")
            .contains("fleetstats_stream_running{" + tags + "} 1.0")
            .contains("kafka_stream_");
      }

      // Restart on the same state. A straggler for the emitted window, in a batch whose own time
      // is still before that window's close by the source's time: only the stored close horizon
      // of the source knows the window was emitted, so it is a correction (the window is emitted
      // again, complete), not a new window of one sample. Then a sample for a new window.
      long later = System.currentTimeMillis() + 2_000;
      producer.send(
          new ProducerRecord<>(
              topics.rawStatsd().name(),
              null,
              now,
              Sources.id(pod),
              batch(
                  pod,
                  now,
                  series("fitcycle-api-server.ProspectPull", MetricType.COUNTER, now, 1))));
      producer.send(
          new ProducerRecord<>(
              topics.rawStatsd().name(),
              null,
              later,
              Sources.id(pod),
              batch(
                  pod,
                  later,
                  series("fitcycle-api-server.ProspectPull", MetricType.COUNTER, later, 3))));
      producer.flush();
      List<Aggregate> afterRestart = new ArrayList<>();
      try (StreamProcessor processor = StreamProcessor.start(config)) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  consumer.poll(Duration.ofMillis(200)).forEach(r -> afterRestart.add(r.value()));
                  return afterRestart.size() >= 2;
                });
        assertThat(processor.lateSamples()).isZero();
        assertThat(processor.correctionsEmitted()).isEqualTo(1);
      }
      assertThat(afterRestart)
          .extracting(a -> a.getFields().get("value"))
          .containsExactlyInAnyOrder(501.0, 3.0);
      assertThat(afterRestart)
          .filteredOn(a -> a.getFields().get("value") == 501.0)
          .singleElement()
          .satisfies(
              a -> {
                assertThat(a.getWindowStart()).isEqualTo(Math.floorDiv(now, 2_000L) * 2_000L);
                assertThat(a.getCorrection().getFields()).containsExactly(Map.entry("value", 1.0));
              });
    }

    Map<String, Aggregate> byName = new HashMap<>();
    aggregates.forEach(a -> byName.put(a.getName(), a));
    assertThat(aggregates).hasSize(2);
    Map<String, Double> t = byName.get("fitcycle-api-server.prospectPullTime").getFields();
    assertThat(t.get("count")).isEqualTo(1000.0);
    assertThat(t.get("sum")).isEqualTo(500_500.0);
    assertThat(t.get("lower")).isEqualTo(1.0);
    assertThat(t.get("upper")).isEqualTo(1000.0);
    assertThat(t.get("mean")).isEqualTo(500.5);
    assertThat(t.get("90_percentile")).isBetween(901 * 0.99, 901 * 1.01);
    assertThat(byName.get("fitcycle-api-server.ProspectPull").getFields())
        .containsExactly(Map.entry("value", 500.0));
    Aggregate timerAgg = byName.get("fitcycle-api-server.prospectPullTime");
    assertThat(timerAgg.getWindowEnd() - timerAgg.getWindowStart()).isEqualTo(2_000);
    assertThat(timerAgg.getSource()).isEqualTo("node-1");
  }

  @Test
  void waitsThroughStateRestorationFromTheChangelogsAfterItsStateIsLost() throws Exception {
    String appId = "fleetstats-it-restore";
    StreamConfig config =
        StreamConfig.fromEnv(
            Map.of(
                StreamConfig.BOOTSTRAP.key(),
                cluster.bootstrapServers(),
                StreamConfig.APPLICATION_ID.key(),
                appId,
                // topics of its own: the other test reads the whole raw topic and counts exactly
                StreamConfig.TOPIC_PREFIX.key(),
                "restore-it",
                StreamConfig.WINDOW.key(),
                "60s",
                StreamConfig.GRACE.key(),
                "60s",
                StreamConfig.STATE_DIR.key(),
                stateDir.toString(),
                "CLUSTER_NAME",
                "it-cluster"));
    Topics topics = config.topics();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        2,
        Optional.empty(),
        Duration.ofHours(1),
        Duration.ofSeconds(30));
    // open windows only (60 s + 60 s grace): all of it is state, none emitted yet
    Source pod = source("restore-0");
    long now = System.currentTimeMillis();
    int batches = 40;
    try (KafkaProducer<String, StatsdBatch> producer = producer(topics)) {
      for (int i = 0; i < batches; i++) {
        producer.send(
            new ProducerRecord<>(
                topics.rawStatsd().name(),
                null,
                now,
                Sources.id(pod),
                batch(pod, now, series("restore.g" + i, MetricType.GAUGE, now, i, i + 1))));
      }
      producer.flush();
    }
    try (StreamProcessor first = StreamProcessor.start(config);
        org.apache.kafka.clients.admin.Admin admin =
            org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
      assertThat(first.restoredRecords()).isZero();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  admin
                          .listConsumerGroupOffsets(appId)
                          .partitionsToOffsetAndMetadata()
                          .get()
                          .values()
                          .stream()
                          .mapToLong(o -> o == null ? 0 : o.offset())
                          .sum()
                      >= batches);
    }

    // the volume is lost: every window comes back from the changelog before RUNNING
    try (var files = java.nio.file.Files.walk(stateDir)) {
      files
          .sorted(java.util.Comparator.reverseOrder())
          .filter(f -> !f.equals(stateDir))
          .forEach(f -> f.toFile().delete());
    }
    try (StreamProcessor second = StreamProcessor.start(config)) {
      assertThat(second.state()).isEqualTo(KafkaStreams.State.RUNNING);
      assertThat(second.restoredRecords()).isGreaterThanOrEqualTo(batches);
    }
  }

  private static java.net.http.HttpResponse<String> admin(StreamProcessor processor, String path)
      throws Exception {
    java.net.URI uri =
        java.net.URI.create(
            "http://127.0.0.1:" + processor.adminAddress().orElseThrow().getPort() + path);
    return java.net.http.HttpClient.newHttpClient()
        .send(
            java.net.http.HttpRequest.newBuilder(uri).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  private static KafkaProducer<String, StatsdBatch> producer(Topics topics) {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            cluster.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true),
        topics.rawStatsd().keySerde().serializer(),
        topics.rawStatsd().valueSerde().serializer());
  }

  private static KafkaConsumer<String, Aggregate> consumer(Topics topics) {
    KafkaConsumer<String, Aggregate> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
            topics.aggregates().keySerde().deserializer(),
            topics.aggregates().valueSerde().deserializer());
    consumer.subscribe(List.of(topics.aggregates().name()));
    return consumer;
  }
}
