package io.fleetstats.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.edge.publish.BatchPublisher;
import io.fleetstats.edge.publish.PendingBatch;
import io.fleetstats.edge.statsd.MetricType;
import io.fleetstats.edge.statsd.SeriesBatcher;
import io.fleetstats.edge.statsd.StatsdSample;
import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.Ticker;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edge agent's spool sent twice: its batches, spooled while Kafka was unreachable, reach the raw
 * topic from the spool and then again from a copy of it (as when an operator replays a spool, or an
 * agent restarts on a spool whose sends had in fact arrived). The processor aggregates every batch
 * once: the windows hold exactly what was sent, the copies are counted as duplicates.
 */
class SpoolReplayedTwiceIT {
  private static final int BATCHES = 30;
  private static KafkaClusterTestKit cluster;
  @TempDir static Path brokerDir;
  @TempDir Path dir;

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
  void aSpoolSentTwiceIsAggregatedOnce() throws Exception {
    Topics topics = Topics.withPrefix("spool-it");
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        2,
        Optional.empty(),
        Duration.ofHours(1),
        Duration.ofSeconds(30));
    String raw = topics.rawStatsd().name();

    // Kafka unreachable: every batch ends in the spool
    Path spool = dir.resolve("spool");
    SeriesBatcher batcher =
        new SeriesBatcher(
            new ProcessIdentity("east", "shop", "node-1", "cart-0", "app", "cart"),
            "agent-spool-it",
            10_000);
    long now = System.currentTimeMillis();
    int unreachable = TestKafka.freePort();
    try (KafkaProducer<byte[], byte[]> down = producer("127.0.0.1:" + unreachable)) {
      BatchPublisher publisher = publisher(down, raw, spool);
      for (int i = 1; i <= BATCHES; i++) {
        batcher.add(
            new StatsdSample("cart.checkouts", MetricType.COUNTER, Map.of(), i, "", 1.0, false),
            now);
        PendingBatch b = batcher.drain(now);
        publisher.offer(b);
      }
      publisher.close();
      assertThat(publisher.batchesSent()).isZero();
      assertThat(publisher.spooledBytes()).as("spooled at close").isPositive();
    }
    Path copy = dir.resolve("spool-copy");
    copyTree(spool, copy);

    // Kafka back: the spool is sent, then its copy
    long sent = 0;
    for (Path s : List.of(spool, copy)) {
      try (KafkaProducer<byte[], byte[]> up = producer(cluster.bootstrapServers())) {
        BatchPublisher publisher = publisher(up, raw, s);
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    publisher.batchesSent() == BATCHES
                        && publisher.spooledBytes() == 0
                        && publisher.pendingBatches() == 0);
        publisher.close();
        sent += publisher.batchesSent();
      }
    }
    assertThat(sent).as("batches that reached Kafka, both spools").isEqualTo(2L * BATCHES);

    StreamConfig config =
        StreamConfig.fromEnv(
            Map.of(
                StreamConfig.BOOTSTRAP.key(), cluster.bootstrapServers(),
                StreamConfig.APPLICATION_ID.key(), "fleetstats-spool-it",
                StreamConfig.TOPIC_PREFIX.key(), "spool-it",
                StreamConfig.WINDOW.key(), "2s",
                StreamConfig.GRACE.key(), "1s",
                StreamConfig.STATE_DIR.key(), dir.resolve("state").toString(),
                StreamConfig.ADMIN_ADDRESS.key(), "127.0.0.1:0"));
    List<Aggregate> out = new ArrayList<>();
    try (StreamProcessor processor = StreamProcessor.start(config);
        KafkaConsumer<String, Aggregate> consumer = consumer(topics)) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> out.add(r.value()));
                return !out.isEmpty();
              });
      assertThat(processor.duplicateBatches()).isEqualTo(BATCHES);
    }
    assertThat(out)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.getName()).isEqualTo("cart.checkouts");
              // 1 + 2 + ... + 30, each batch once
              assertThat(a.getFields()).containsEntry("value", BATCHES * (BATCHES + 1) / 2.0);
            });
  }

  private static BatchPublisher publisher(
      KafkaProducer<byte[], byte[]> producer, String topic, Path spool) {
    return new BatchPublisher(
        producer,
        topic,
        "spool-it",
        // while Kafka is unreachable the batches wait in memory; closing writes them to the spool
        new BatchPublisher.Limits(64 << 20, 1_000, 1, spool, 64 << 20),
        Duration.ofSeconds(2),
        Ticker.SYSTEM);
  }

  private static KafkaProducer<byte[], byte[]> producer(String bootstrap) {
    Map<String, Object> props =
        new HashMap<>(BatchPublisher.producerProperties(bootstrap, Map.of()));
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 500);
    return BatchPublisher.createProducer(props);
  }

  private static KafkaConsumer<String, Aggregate> consumer(Topics topics) {
    return ItKafka.aggregateReader(cluster.bootstrapServers(), topics, "spool-it-reader");
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
  }
}
