package io.fleetstats.edge.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.testing.TestKafka;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The publisher on its own: readiness judged by the injected ticker, so "no answer for 15 s" takes
 * no real 15 s; and a buffer overflow with a spool, where the spool is written by the publisher's
 * thread and every record reaches the broker once it is there.
 */
class BatchPublisherIT {
  private static final Duration CLOSE = Duration.ofSeconds(5);

  private static PendingBatch batch(long sequence, int bytes) {
    return new PendingBatch(("k" + sequence).getBytes(), new byte[bytes], sequence, 1, sequence);
  }

  @Test
  void saysKafkaDoesNotAnswerAfter15SecondsOfTickerTimeWithoutWaitingThem() throws IOException {
    AtomicLong nanos = new AtomicLong();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Map<String, Object> props =
        BatchPublisher.producerProperties("127.0.0.1:" + closedPort, Map.of());
    props.put("max.block.ms", 60_000);
    try (KafkaProducer<byte[], byte[]> producer = BatchPublisher.createProducer(props)) {
      BatchPublisher publisher =
          new BatchPublisher(
              producer, "t", "test", BatchPublisher.Limits.memory(1 << 20, 100), CLOSE, nanos::get);
      publisher.offer(batch(1, 10));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> publisher.pendingBatches() == 1 && publisher.bufferedBytes() > 0);
      assertThat(publisher.kafkaProblem()).isNull();

      nanos.addAndGet(TimeUnit.SECONDS.toNanos(14));
      assertThat(publisher.kafkaProblem()).isNull();
      nanos.addAndGet(TimeUnit.SECONDS.toNanos(2));
      assertThat(publisher.kafkaProblem()).isEqualTo("Kafka has not answered a send for 15 s");
      publisher.close();
      producer.close(Duration.ZERO);
    }
  }

  @Test
  void spoolsTheOverflowOnItsOwnThreadAndSendsItAllWhenKafkaIsThere(@TempDir Path spoolDir)
      throws Exception {
    try (KafkaClusterTestKit cluster = TestKafka.start();
        KafkaProducer<byte[], byte[]> producer =
            BatchPublisher.createProducer(
                BatchPublisher.producerProperties(cluster.bootstrapServers(), Map.of()))) {
      // 64 KiB of memory for 200 records of 4 KiB: most of them pass through the spool.
      BatchPublisher publisher =
          new BatchPublisher(
              producer,
              "spooled",
              "test",
              new BatchPublisher.Limits(64 << 10, 1_000, 1, spoolDir.resolve("test"), 64 << 20),
              CLOSE,
              System::nanoTime);
      // A burst: offers return at once; memory stays within the bound plus half, and what the
      // spooling thread cannot take that fast is dropped and counted, never lost unseen.
      for (int i = 1; i <= 200; i++) {
        publisher.offer(batch(i, 4 << 10));
        assertThat(publisher.bufferedBytes())
            .as("memory bound plus half, while the spool writes")
            .isLessThanOrEqualTo(96 << 10);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> publisher.batchesSent() + publisher.batchesDropped() == 200);
      assertThat(publisher.batchesSpooled())
          .as("the burst went partly through the spool")
          .isPositive();
      // Paced traffic (a batch whenever memory is back under its bound): nothing is dropped.
      long droppedBefore = publisher.batchesDropped();
      for (int i = 201; i <= 400; i++) {
        publisher.offer(batch(i, 4 << 10));
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.bufferedBytes() <= 64 << 10);
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> publisher.batchesSent() + droppedBefore == 400);
      assertThat(publisher.batchesDropped()).isEqualTo(droppedBefore);
      assertThat(publisher.spooledBytes()).isZero();
      publisher.close();
    }
  }
}
