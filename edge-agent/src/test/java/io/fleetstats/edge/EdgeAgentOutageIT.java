package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kafka outage under load, on a real in-JVM KRaft cluster (separate broker and controller, so the
 * broker can be stopped alone): two agents each receive 10 k samples/s over UDP; the broker is
 * stopped for 30 s and started again. The agent with a roomy buffer loses nothing; the one with a
 * small buffer drops its oldest batches, counts each sample, and drops nothing before its bound is
 * reached; a third with the same small memory buffer and a disk spool loses nothing. For all:
 * delivered (read back from Kafka) + dropped-and-counted = sent.
 */
class EdgeAgentOutageIT {
  private static final String TOPIC = Topics.defaults().rawStatsd().name();
  private static final int RATE = 10_000;
  private static final int LINES_PER_DATAGRAM = 10;
  private static final Duration BEFORE = Duration.ofSeconds(5);
  private static final Duration OUTAGE = Duration.ofSeconds(30);
  private static final Duration AFTER = Duration.ofSeconds(5);
  private static final long SMALL_BUFFER = 512 * 1024;

  private static KafkaClusterTestKit cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = TestKafka.start(TestKafka.builder(false, null));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Map<String, String> env(String pod, long bufferBytes) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers());
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_FLUSH_INTERVAL", "200ms");
    env.put("FLEETSTATS_TOPIC_PARTITIONS", "1");
    env.put("FLEETSTATS_BUFFER_MAX_BYTES", Long.toString(bufferBytes));
    env.put("FLEETSTATS_MAX_PENDING_BATCHES", "100000");
    env.put("FLEETSTATS_HEARTBEAT", "false");
    env.put("CLUSTER_NAME", "it");
    env.put("NAMESPACE", "outage");
    env.put("NODE_HOSTNAME", "node-1");
    env.put("POD_NAME", pod);
    return env;
  }

  /** Sends counter lines to both agents at RATE each, paced, bounded in count and time. */
  private static final class Load implements Runnable {
    final InetSocketAddress[] targets;
    final long total;
    final AtomicLong sent = new AtomicLong();

    Load(long total, InetSocketAddress... targets) {
      this.total = total;
      this.targets = targets;
    }

    @Override
    public void run() {
      byte[] payload =
          ("outage.c:1|c\n".repeat(LINES_PER_DATAGRAM - 1) + "outage.c:1|c")
              .getBytes(StandardCharsets.US_ASCII);
      long datagrams = total / LINES_PER_DATAGRAM;
      double perNano = (double) RATE / LINES_PER_DATAGRAM / 1e9;
      long start = System.nanoTime();
      long hardStop = start + TimeUnit.SECONDS.toNanos(120);
      try (DatagramChannel ch = DatagramChannel.open()) {
        ByteBuffer buf = ByteBuffer.wrap(payload);
        long i = 0;
        while (i < datagrams && System.nanoTime() < hardStop) {
          long due = Math.min(datagrams, (long) ((System.nanoTime() - start) * perNano) + 1);
          if (i >= due) {
            LockSupport.parkNanos(200_000);
            continue;
          }
          for (; i < due; i++) {
            for (InetSocketAddress target : targets) {
              buf.rewind();
              ch.send(buf, target);
            }
            sent.addAndGet(LINES_PER_DATAGRAM);
          }
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  @Test
  void survivesA30SecondBrokerOutageCountingEveryDroppedSample(@TempDir Path spoolDir)
      throws Exception {
    Map<String, String> spooledEnv = env("spooled-0", SMALL_BUFFER);
    spooledEnv.put("FLEETSTATS_SPOOL_DIR", spoolDir.toString());
    spooledEnv.put("FLEETSTATS_SPOOL_MAX_BYTES", "64MiB");
    try (EdgeAgent roomy = EdgeAgent.start(EdgeConfig.fromEnv(env("roomy-0", 64L << 20)));
        EdgeAgent small = EdgeAgent.start(EdgeConfig.fromEnv(env("small-0", SMALL_BUFFER)));
        EdgeAgent spooled = EdgeAgent.start(EdgeConfig.fromEnv(spooledEnv))) {
      long total = (BEFORE.getSeconds() + OUTAGE.getSeconds() + AFTER.getSeconds()) * RATE;
      Load load =
          new Load(total, roomy.statsdAddress(), small.statsdAddress(), spooled.statsdAddress());
      Thread sender = new Thread(load, "outage-load");
      sender.start();

      // Watch the small agent: the largest buffer it held before its first drop.
      AtomicLong maxBufferedBeforeDrop = new AtomicLong();
      AtomicLong maxBufferedRoomy = new AtomicLong();
      Thread watcher =
          new Thread(
              () -> {
                while (sender.isAlive()) {
                  if (small.batchesDropped() == 0) {
                    maxBufferedBeforeDrop.accumulateAndGet(bufferedBytes(small), Math::max);
                  }
                  maxBufferedRoomy.accumulateAndGet(bufferedBytes(roomy), Math::max);
                  LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
              },
              "outage-watch");
      watcher.start();

      int broker = cluster.brokers().keySet().iterator().next();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> load.sent.get() >= BEFORE.getSeconds() * RATE);
      cluster.brokers().get(broker).shutdown();
      cluster.brokers().get(broker).awaitShutdown();
      long stoppedAt = System.nanoTime();
      await()
          .pollDelay(OUTAGE)
          .atMost(OUTAGE.plusSeconds(5))
          .until(() -> System.nanoTime() - stoppedAt >= OUTAGE.toNanos());
      assertThat(roomy.notReadyReason()).as("readiness while Kafka is down").isNotEmpty();
      cluster.restartBroker(broker, Map.of());

      sender.join(TimeUnit.SECONDS.toMillis(120));
      watcher.join(TimeUnit.SECONDS.toMillis(5));
      long sent = load.sent.get();
      assertThat(sent).isEqualTo(total);
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  roomy.samplesReceived() == sent
                      && small.samplesReceived() == sent
                      && spooled.samplesReceived() == sent);

      // Everything is either acknowledged or dropped (and counted) once the buffers drain.
      await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> settled(roomy) && settled(small) && settled(spooled));
      await().atMost(Duration.ofSeconds(10)).until(() -> roomy.notReadyReason().isEmpty());

      Map<String, Long> delivered = deliveredSamples();
      long roomyDelivered = delivered.getOrDefault("it/outage/roomy-0/", 0L);
      long smallDelivered = delivered.getOrDefault("it/outage/small-0/", 0L);
      long spooledDelivered = delivered.getOrDefault("it/outage/spooled-0/", 0L);

      org.slf4j.LoggerFactory.getLogger(EdgeAgentOutageIT.class)
          .info(
              "outage result: sent {} per agent; roomy delivered {} dropped {} max buffered {} B; small"
                  + " delivered {} dropped {} ({} batches) max buffered before the first drop {} B of {}",
              sent,
              roomyDelivered,
              roomy.samplesDropped(),
              maxBufferedRoomy.get(),
              smallDelivered,
              small.samplesDropped(),
              small.batchesDropped(),
              maxBufferedBeforeDrop.get(),
              SMALL_BUFFER);
      org.slf4j.LoggerFactory.getLogger(EdgeAgentOutageIT.class)
          .info(
              "outage result: spooled delivered {} dropped {}, {} batches went through the spool",
              spooledDelivered,
              spooled.samplesDropped(),
              spooledBatches(spooled));
      assertThat(roomy.samplesDropped()).isZero();
      assertThat(roomy.samplesFailed()).isZero();
      assertThat(roomy.samplesPublished()).isEqualTo(sent);
      assertThat(roomyDelivered).isEqualTo(sent);
      assertThat(maxBufferedRoomy.get()).isLessThan(64L << 20);

      assertThat(small.samplesDropped()).as("the small buffer overflowed").isPositive();
      assertThat(small.samplesFailed()).isZero();
      assertThat(smallDelivered + small.samplesDropped()).isEqualTo(sent);
      assertThat(small.samplesPublished()).isEqualTo(smallDelivered);
      // No drop while below the bound: before the first drop the buffer had filled up to the
      // bound, less at most one flush's batch (10 k samples/s * 200 ms, ~30 KB serialized).
      assertThat(maxBufferedBeforeDrop.get()).isGreaterThan(SMALL_BUFFER - 64 * 1024);

      assertThat(spooledBatches(spooled)).as("batches went through the spool").isPositive();
      assertThat(spooled.samplesDropped()).isZero();
      assertThat(spooled.samplesFailed()).isZero();
      assertThat(spooledDelivered).isEqualTo(sent);
      try (var files = java.nio.file.Files.list(spoolDir.resolve("statsd"))) {
        assertThat(files).as("the spool is empty again").isEmpty();
      }
    }
  }

  private static double spooledBatches(EdgeAgent a) {
    return a.meterRegistry().get("fleetstats.edge.batches.spooled").functionCounter().count();
  }

  private static boolean settled(EdgeAgent a) {
    return a.pendingBatches() == 0
        && a.samplesPublished() + a.samplesDropped() + a.samplesFailed() == a.samplesReceived();
  }

  private static long bufferedBytes(EdgeAgent agent) {
    return (long) agent.meterRegistry().get("fleetstats.edge.buffer.bytes").gauge().value();
  }

  /** Samples per record key in the whole raw topic. */
  private static Map<String, Long> deliveredSamples() {
    Map<String, Long> out = new HashMap<>();
    KafkaConsumer<String, StatsdBatch> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                cluster.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            Topics.STATSD_BATCH.deserializer());
    try {
      List<TopicPartition> partitions =
          consumer.partitionsFor(TOPIC).stream()
              .map(p -> new TopicPartition(TOPIC, p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                for (ConsumerRecord<String, StatsdBatch> r :
                    consumer.poll(Duration.ofMillis(200))) {
                  long n = 0;
                  for (Series s : r.value().getSeries()) {
                    n += s.getReceivedAt().size();
                  }
                  out.merge(r.key(), n, Long::sum);
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
              });
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
    }
    return out;
  }
}
