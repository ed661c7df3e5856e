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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
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
    cluster = ItKafka.start(brokerDir);
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

    // Every emission in order, across both runs: a point's last emission is what Wavefront keeps.
    List<Aggregate> all = new ArrayList<>();
    String counter = "fitcycle-api-server.ProspectPull";
    String timerName = "fitcycle-api-server.prospectPullTime";
    long window = Math.floorDiv(now, 2_000L) * 2_000L;
    try (KafkaProducer<String, StatsdBatch> producer = producer(topics);
        KafkaConsumer<String, Aggregate> consumer = consumer(topics)) {
      try (StreamProcessor processor = StreamProcessor.start(config)) {
        assertThat(processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
        // Nothing more is produced: only the wall clock can close the window. Normally it closes
        // once, after both flushes; on a box so slow that the second flush is processed more than
        // the grace after the first, it closes after the first and the second corrects it. Either
        // way the last emission of each point holds the whole burst.
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  consumer.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                  Aggregate c = last(all, counter, window);
                  Aggregate t = last(all, timerName, window);
                  return c != null
                      && c.getFields().get("value") == 500.0
                      && t != null
                      && t.getFields().get("count") == 1000.0;
                });
        assertThat(processor.lateSamples()).isZero();
        assertThat(processor.aggregatesEmitted())
            .as("emissions: %s", describe(all))
            .isEqualTo(2 + 2 * processor.correctionsEmitted());
        assertThat(admin(processor, "/readyz").statusCode()).isEqualTo(200);
        String tags = "cluster=\"it-cluster\",namespace=\"default\",pod=\"processor-0\"";
        assertThat(admin(processor, "/metrics").body())
            .contains(
                "fleetstats_stream_aggregates_emitted_total{"
                    + tags
                    + "} "
                    + (double) processor.aggregatesEmitted())
            .contains("fleetstats_stream_samples_late_total{" + tags + "} 0.0")
            .contains("fleetstats_stream_running{" + tags + "} 1.0")
            .contains("kafka_stream_");
      }
      Map<String, Double> t = last(all, timerName, window).getFields();
      assertThat(t.get("count")).isEqualTo(1000.0);
      assertThat(t.get("sum")).isEqualTo(500_500.0);
      assertThat(t.get("lower")).isEqualTo(1.0);
      assertThat(t.get("upper")).isEqualTo(1000.0);
      assertThat(t.get("mean")).isEqualTo(500.5);
      assertThat(t.get("90_percentile")).isBetween(901 * 0.99, 901 * 1.01);
      assertThat(last(all, counter, window).getFields()).containsExactly(Map.entry("value", 500.0));
      Aggregate timerAgg = last(all, timerName, window);
      assertThat(timerAgg.getWindowEnd() - timerAgg.getWindowStart()).isEqualTo(2_000);
      assertThat(timerAgg.getSource()).isEqualTo("node-1");
      int firstRun = all.size();

      // Restart on the same state. A straggler for the emitted window, in a batch whose own time
      // is still before that window's close by the source's time: only the stored close horizon
      // of the source knows the window was emitted, so it is a correction (the window is emitted
      // again, complete), not a new window of one sample. Then a sample for a new window.
      long later = System.currentTimeMillis() + 2_000;
      long laterWindow = Math.floorDiv(later, 2_000L) * 2_000L;
      producer.send(
          new ProducerRecord<>(
              topics.rawStatsd().name(),
              null,
              now,
              Sources.id(pod),
              batch(pod, now, series(counter, MetricType.COUNTER, now, 1))));
      producer.send(
          new ProducerRecord<>(
              topics.rawStatsd().name(),
              null,
              later,
              Sources.id(pod),
              batch(pod, later, series(counter, MetricType.COUNTER, later, 3))));
      producer.flush();
      try (StreamProcessor processor = StreamProcessor.start(config)) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> {
                  consumer.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                  Aggregate c = last(all, counter, window);
                  Aggregate n = last(all, counter, laterWindow);
                  return c.getFields().get("value") == 501.0 && n != null;
                });
        assertThat(processor.lateSamples()).isZero();
        assertThat(processor.correctionsEmitted()).isGreaterThanOrEqualTo(1);
      }
      String emissions = describe(all);
      assertThat(last(all, counter, laterWindow).getFields())
          .as("emissions: %s", emissions)
          .containsExactly(Map.entry("value", 3.0));
      // the correction: the window again, complete, at its own timestamp, and what was added since
      // its previous emission (the straggler, and the second flush if the first run closed the
      // window early and stopped before re-emitting it)
      List<Aggregate> counterWindow =
          all.stream()
              .filter(a -> a.getName().equals(counter) && a.getWindowStart() == window)
              .toList();
      Aggregate corrected = counterWindow.get(counterWindow.size() - 1);
      double before = counterWindow.get(counterWindow.size() - 2).getFields().get("value");
      assertThat(all.indexOf(corrected))
          .as("emissions: %s", emissions)
          .isGreaterThanOrEqualTo(firstRun);
      assertThat(corrected.getFields()).containsExactly(Map.entry("value", 501.0));
      assertThat(corrected.getCorrection().getFields())
          .as("emissions: %s", emissions)
          .containsExactly(Map.entry("value", 501.0 - before));
    }
  }

  /** The last emission of {@code name}'s window starting at {@code start}, or null. */
  private static Aggregate last(List<Aggregate> emitted, String name, long start) {
    Aggregate found = null;
    for (Aggregate a : emitted) {
      if (a.getName().equals(name) && a.getWindowStart() == start) {
        found = a;
      }
    }
    return found;
  }

  private static String describe(List<Aggregate> emitted) {
    return emitted.stream()
        .map(
            a ->
                a.getName()
                    + "@"
                    + a.getWindowStart()
                    + a.getFields()
                    + (a.getCorrection() == null
                        ? ""
                        : " correction " + a.getCorrection().getFields()))
        .toList()
        .toString();
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
    return ItKafka.rawProducer(cluster.bootstrapServers(), topics);
  }

  private static KafkaConsumer<String, Aggregate> consumer(Topics topics) {
    return ItKafka.aggregateReader(cluster.bootstrapServers(), topics, "it-reader");
  }
}
