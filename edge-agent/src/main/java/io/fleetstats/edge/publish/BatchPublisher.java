package io.fleetstats.edge.publish;

import io.fleetstats.edge.LogThrottle;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topic;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends batches to Kafka from its own thread, so that a slow or unreachable broker (where
 * {@code send} blocks for metadata or buffer space) never stalls the statsd event loop.
 *
 * <p>Between the two sits a bounded queue of batches: when Kafka cannot keep up and it is full,
 * the <em>oldest</em> batch is dropped and counted, as DESIGN §4 asks. Each record is keyed by the
 * source id and timestamped with the batch's {@code createdAt}. Failures reported by the producer
 * (after its own retries) are counted and logged, throttled.
 */
public final class BatchPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BatchPublisher.class);

  private final Producer<String, StatsdBatch> producer;
  private final String topic;
  private final LinkedBlockingDeque<StatsdBatch> queue;
  private final Duration closeTimeout;
  private final Thread thread;
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10));
  private final LongAdder batchesSent = new LongAdder();
  private final LongAdder samplesSent = new LongAdder();
  private final LongAdder batchesFailed = new LongAdder();
  private final LongAdder batchesDropped = new LongAdder();
  private volatile boolean closing;
  private boolean closed;

  /**
   * Starts the sending thread.
   *
   * @param maxPendingBatches capacity of the queue in front of the producer
   * @param closeTimeout how long {@link #close()} waits for pending batches to be acknowledged
   */
  public BatchPublisher(
      Producer<String, StatsdBatch> producer, String topic, int maxPendingBatches, Duration closeTimeout) {
    this.producer = producer;
    this.topic = topic;
    this.queue = new LinkedBlockingDeque<>(maxPendingBatches);
    this.closeTimeout = closeTimeout;
    this.thread = new Thread(this::run, "fleetstats-publisher");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /**
   * Producer settings: durable ({@code acks=all}, idempotent), compressed, briefly lingering.
   * {@code passthrough} (the {@code FLEETSTATS_KAFKA_*} properties) overrides them.
   */
  public static Map<String, Object> producerProperties(String bootstrap, Map<String, String> passthrough) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    // Batches wait in our own bounded queue; the producer's buffer only needs a few seconds' worth,
    // which keeps the sidecar within its memory limit.
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 8L * 1024 * 1024);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "fleetstats-edge-agent");
    props.putAll(passthrough);
    return props;
  }

  /** A producer for {@code topic} with its serdes. */
  public static KafkaProducer<String, StatsdBatch> createProducer(
      Map<String, Object> properties, Topic<String, StatsdBatch> topic) {
    return new KafkaProducer<>(properties, topic.keySerde().serializer(), topic.valueSerde().serializer());
  }

  /** Queues a batch without blocking; when the queue is full the oldest queued batch is dropped. */
  public void offer(StatsdBatch batch) {
    while (!queue.offerLast(batch)) {
      StatsdBatch dropped = queue.pollFirst();
      if (dropped != null) {
        batchesDropped.increment();
        long heldBack = throttle.tryAcquire("dropped");
        if (heldBack >= 0) {
          log.warn(
              "Kafka is not keeping up: dropped the oldest pending batch ({} samples; {} more dropped"
                  + " since the last report); raise FLEETSTATS_MAX_PENDING_BATCHES to buffer longer",
              samples(dropped),
              heldBack);
        }
      }
    }
  }

  /** Batches acknowledged by Kafka. */
  public long batchesSent() {
    return batchesSent.sum();
  }

  /** Samples in batches acknowledged by Kafka. */
  public long samplesSent() {
    return samplesSent.sum();
  }

  /** Batches the producer gave up on (its retries exhausted, or not serialisable). */
  public long batchesFailed() {
    return batchesFailed.sum();
  }

  /** Batches dropped because the pending queue was full. */
  public long batchesDropped() {
    return batchesDropped.sum();
  }

  /** Batches waiting for the producer. */
  public int pendingBatches() {
    return queue.size();
  }

  private void run() {
    try {
      while (true) {
        StatsdBatch batch = queue.pollFirst(100, TimeUnit.MILLISECONDS);
        if (batch == null) {
          if (closing) {
            return;
          }
          continue;
        }
        send(batch);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void send(StatsdBatch batch) throws InterruptedException {
    String key = Sources.id(batch.getSource());
    ProducerRecord<String, StatsdBatch> record =
        new ProducerRecord<>(topic, null, batch.getCreatedAt(), key, batch);
    int samples = samples(batch);
    while (true) {
      try {
        producer.send(
            record,
            (metadata, error) -> {
              if (error == null) {
                batchesSent.increment();
                samplesSent.add(samples);
              } else {
                failed(batch, samples, error);
              }
            });
        return;
      } catch (RetriableException e) {
        // send() blocked for max.block.ms without metadata or buffer space: Kafka is unreachable.
        // Keep this batch and retry; newer ones wait in the bounded queue meanwhile.
        if (closing) {
          failed(batch, samples, e);
          return;
        }
        warnThrottled(e, "Kafka unreachable, still trying to send batch " + batch.getSequence());
        Thread.sleep(200);
      } catch (KafkaException | IllegalStateException e) {
        failed(batch, samples, e);
        return;
      }
    }
  }

  private void failed(StatsdBatch batch, int samples, Exception error) {
    batchesFailed.increment();
    warnThrottled(
        error,
        "could not publish batch " + batch.getSequence() + " (" + samples + " samples) to " + topic);
  }

  private void warnThrottled(Exception error, String message) {
    long heldBack = throttle.tryAcquire(error.getClass());
    if (heldBack >= 0) {
      log.warn("{} ({} similar since the last report): {}", message, heldBack, error.toString());
    }
  }

  static int samples(StatsdBatch batch) {
    int n = 0;
    for (Series s : batch.getSeries()) {
      n += s.getReceivedAt().size();
    }
    return n;
  }

  /**
   * Sends what is queued, waits up to the close timeout for acknowledgements, then closes the
   * producer. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closing = true;
    long deadline = System.nanoTime() + closeTimeout.toNanos();
    try {
      thread.join(closeTimeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      thread.interrupt();
    }
    int unsent = queue.size();
    if (unsent > 0) {
      batchesFailed.add(unsent);
      log.warn("closing with {} batches never handed to Kafka within {}", unsent, closeTimeout);
      queue.clear();
    }
    long left = Math.max(0, deadline - System.nanoTime());
    producer.close(Duration.ofNanos(left));
  }
}
