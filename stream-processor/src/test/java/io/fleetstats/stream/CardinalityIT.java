package io.fleetstats.stream;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.aggregate.CardinalityGuard;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One pod sends {@value #DEFAULT_SERIES} unique series in one window ({@code
 * -Dfleetstats.cardinality.series=1000000} for the million), amid three pods with known traffic,
 * through the processor with its default limits (10 000 series per source and per name): the pod
 * keeps exactly 10 000 series, every sample beyond them lands in {@code fleetstats.overflow} (its
 * value is their count), the overflow is counted in a metric naming the pod and logged once, the
 * heap stays bounded, and the other pods' windows are exact.
 */
class CardinalityIT {
  static final int DEFAULT_SERIES = 200_000;
  static final int LIMIT = 10_000;
  static final int SERIES_PER_BATCH = 10_000;

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
  void onePodsMillionSeriesFoldIntoItsOverflowAndOtherPodsStayExact() throws Exception {
    int unique = Integer.getInteger("fleetstats.cardinality.series", DEFAULT_SERIES);
    // Kafka Streams' exactly-once default transaction timeout is 10 s; on a loaded 2-core box a
    // transaction of the million-series run once outlasted it, the coordinator aborted it and the
    // commit failed with InvalidTxnStateException, which stops the processor (see
    // docs/reliability.md). This test is about the guard, so it gives transactions 60 s.
    StreamConfig config =
        StreamConfig.fromEnv(
            Map.of(
                "FLEETSTATS_KAFKA_TRANSACTION_TIMEOUT_MS",
                "60000",
                StreamConfig.BOOTSTRAP.key(),
                cluster.bootstrapServers(),
                StreamConfig.APPLICATION_ID.key(),
                "fleetstats-it-cardinality",
                StreamConfig.WINDOW.key(),
                "2s",
                StreamConfig.GRACE.key(),
                "1s",
                StreamConfig.STATE_DIR.key(),
                stateDir.toString(),
                "CLUSTER_NAME",
                "it-cluster",
                "POD_NAME",
                "processor-0"));
    assertThat(config.maxSeriesPerSource()).isEqualTo(LIMIT);
    Topics topics = config.topics();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        1,
        Optional.empty(),
        Duration.ofHours(1),
        Duration.ofSeconds(30));
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    Source noisy = source("noisy-0");
    List<Source> quiet =
        List.of(source("api-server-0"), source("api-server-1"), source("api-server-2"));
    long now = System.currentTimeMillis();
    Map<String, Double> expectedHits = new HashMap<>();
    Map<String, Double> expectedTimerSum = new HashMap<>();

    List<Aggregate> all = new ArrayList<>();
    long heapBefore;
    long heapPeak;
    try (KafkaConsumer<String, Aggregate> consumer =
            ItKafka.aggregateReader(cluster.bootstrapServers(), topics, "cardinality-reader");
        StreamProcessor processor = StreamProcessor.start(config);
        KafkaProducer<String, StatsdBatch> producer =
            ItKafka.rawProducer(cluster.bootstrapServers(), topics)) {
      heapBefore = heapAfterGc(memory);
      heapPeak = heapBefore;
      int batches = (unique + SERIES_PER_BATCH - 1) / SERIES_PER_BATCH;
      for (int b = 0; b < batches; b++) {
        List<Series> series = new ArrayList<>(SERIES_PER_BATCH);
        for (int i = b * SERIES_PER_BATCH; i < Math.min(unique, (b + 1) * SERIES_PER_BATCH); i++) {
          series.add(series("tenant.request." + i, MetricType.COUNTER, now, 1));
        }
        StatsdBatch big =
            StatsdBatch.newBuilder()
                .setSource(noisy)
                .setAgentId("noisy-agent")
                .setSequence(b + 1)
                .setCreatedAt(now)
                .setSeries(series)
                .build();
        producer.send(
            new ProducerRecord<>(topics.rawStatsd().name(), null, now, Sources.id(noisy), big));
        // the quiet pods send between the noisy pod's batches, on the same partition
        Source pod = quiet.get(b % quiet.size());
        double hits = 1 + b % 7;
        double latency = 10 + b;
        expectedHits.merge(pod.getPod(), hits, Double::sum);
        expectedTimerSum.merge(pod.getPod(), latency, Double::sum);
        producer.send(
            new ProducerRecord<>(
                topics.rawStatsd().name(),
                null,
                now,
                Sources.id(pod),
                batch(
                    pod,
                    now,
                    series("hits", MetricType.COUNTER, now, hits),
                    series("latency", MetricType.TIMER, now, latency))));
        if (b % 10 == 9) {
          producer.flush();
          heapPeak = Math.max(heapPeak, heapAfterGc(memory));
        }
      }
      producer.flush();
      long overflowExpected = unique - LIMIT;
      await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () -> {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> all.add(r.value()));
                Aggregate overflow = last(all, CardinalityGuard.OVERFLOW_NAME, "noisy-0");
                return overflow != null
                    && overflow.getFields().get("value") == (double) overflowExpected
                    && quiet.stream()
                        .allMatch(
                            p ->
                                hits(all, p.getPod()) != null
                                    && hits(all, p.getPod()).equals(expectedHits.get(p.getPod())));
              });
      heapPeak = Math.max(heapPeak, heapAfterGc(memory));
      assertThat(processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
      assertThat(processor.overflowSamplesOf(Sources.id(noisy))).isEqualTo(overflowExpected);
      for (Source p : quiet) {
        assertThat(processor.overflowSamplesOf(Sources.id(p))).isZero();
      }
      String bySource =
          "overflow-samples-by-source-total{source="
              + Sources.id(noisy)
              + "} "
              + processor.overflowSamplesOf(Sources.id(noisy));
      assertThat(processor.overflowSamples()).isEqualTo(overflowExpected);
      System.out.printf(
          "one pod, %d unique series, limit %d: %d kept, %d samples folded into %s (meter: %s);"
              + " heap after GC %d MiB before, peak %d MiB%n",
          unique,
          LIMIT,
          kept(all),
          overflowExpected,
          CardinalityGuard.OVERFLOW_NAME,
          bySource,
          heapBefore >> 20,
          heapPeak >> 20);
    }
    assertThat(kept(all)).isEqualTo(LIMIT);
    for (Source p : quiet) {
      assertThat(hits(all, p.getPod())).as(p.getPod()).isEqualTo(expectedHits.get(p.getPod()));
      Aggregate timer = lastOf(all, "latency", p.getPod());
      assertThat(timer.getFields().get("sum")).isEqualTo(expectedTimerSum.get(p.getPod()));
    }
    // a million kept series would be hundreds of MiB of window state
    assertThat(heapPeak - heapBefore).isLessThan(256L << 20);
  }

  private static long heapAfterGc(MemoryMXBean memory) {
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }

  /** Distinct tenant.request.* series of the noisy pod emitted. */
  private static long kept(List<Aggregate> all) {
    return all.stream()
        .filter(a -> a.getName().startsWith("tenant.request."))
        .map(Aggregate::getName)
        .distinct()
        .count();
  }

  private static Double hits(List<Aggregate> all, String pod) {
    Aggregate a = lastOf(all, "hits", pod);
    return a == null ? null : a.getFields().get("value");
  }

  private static Aggregate lastOf(List<Aggregate> all, String name, String pod) {
    return last(all, name, pod);
  }

  private static Aggregate last(List<Aggregate> all, String name, String pod) {
    Aggregate last = null;
    for (Aggregate a : all) {
      if (a.getName().equals(name) && pod.equals(a.getTags().get("pod_name"))) {
        last = a;
      }
    }
    return last;
  }
}
