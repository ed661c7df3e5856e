package io.fleetstats.edge.publish;

import io.fleetstats.kit.LogThrottle;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends batches to Kafka from its own thread, so that a slow or unreachable broker never stalls
 * the statsd event loop, and survives Kafka outages within a memory bound.
 *
 * <p>Each batch arrives serialized, so its size is known exactly. Batches wait in a
 * buffer bounded in bytes (and in count); the bound covers the batches handed to the producer and
 * not yet acknowledged too, at most {@code maxInFlight} of them. When an offer passes the bound,
 * the <em>oldest</em> waiting batches go to the disk spool when one is configured, else they are
 * dropped; when the spool passes its own bound, its oldest are dropped. Every dropped batch and
 * its samples are counted. A batch the producer fails with a retriable error (a timeout while the
 * broker is down) goes back to the front of the buffer and is sent again; other errors are counted
 * as failed. Records are keyed by the source id and timestamped with the batch's {@code createdAt}.
 */
public final class BatchPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BatchPublisher.class);
  /** A send in flight this long without any answer means Kafka is unreachable (for /readyz). */
  private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(15);

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final long maxBytes;
  private final int maxBatches;
  private final int maxInFlight;
  private final Duration closeTimeout;
  private final Spool spool;
  private final Thread thread;
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10));

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<PendingBatch> queue = new ArrayDeque<>();
  private long queuedBytes;
  private long inFlightBytes;
  private int inFlight;
  private long lastProgressNanos = System.nanoTime();
  private long lastSuccessNanos;
  private long lastRetriableFailureNanos;
  private boolean closing;
  private boolean closed;

  private final LongAdder batchesSent = new LongAdder();
  private final LongAdder samplesSent = new LongAdder();
  private final LongAdder batchesFailed = new LongAdder();
  private final LongAdder samplesFailed = new LongAdder();
  private final LongAdder batchesDropped = new LongAdder();
  private final LongAdder samplesDropped = new LongAdder();
  private final LongAdder producerErrors = new LongAdder();
  private final LongAdder batchesSpooled = new LongAdder();

  /** Settings of the buffer in front of the producer. */
  public record Limits(long maxBytes, int maxBatches, int maxInFlight, Path spoolDirectory, long spoolMaxBytes) {
    /** A memory-only buffer. */
    public static Limits memory(long maxBytes, int maxBatches) {
      return new Limits(maxBytes, maxBatches, 8, null, 0);
    }
  }

  /**
   * Starts the sending thread (and opens the spool, sending what a previous run left there first).
   *
   * @param closeTimeout how long {@link #close()} waits for pending batches to be acknowledged
   */
  public BatchPublisher(
      Producer<byte[], byte[]> producer, String topic, Limits limits, Duration closeTimeout) {
    this.producer = producer;
    this.topic = topic;
    this.maxBytes = limits.maxBytes();
    this.maxBatches = limits.maxBatches();
    this.maxInFlight = limits.maxInFlight();
    this.closeTimeout = closeTimeout;
    this.spool = limits.spoolDirectory() == null ? null : new Spool(limits.spoolDirectory(), limits.spoolMaxBytes());
    if (spool != null && !spool.isEmpty()) {
      log.info("{} batches ({} bytes) from a previous run wait in the spool {}", spool.batches(), spool.bytes(), limits.spoolDirectory());
    }
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
    // Batches wait in our own byte-bounded buffer; the producer only holds the few in flight.
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * 1024 * 1024);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "fleetstats-edge-agent");
    // No JMX reporter and no client-metrics push (KIP-714): their MBeans, telemetry classes and
    // buffers cost memory the sidecar budget has no room for; the agent's /metrics covers delivery.
    props.put(ProducerConfig.METRIC_REPORTER_CLASSES_CONFIG, "");
    props.put(ProducerConfig.ENABLE_METRICS_PUSH_CONFIG, false);
    props.putAll(passthrough);
    return props;
  }

  /** A producer of serialized batches. */
  public static KafkaProducer<byte[], byte[]> createProducer(Map<String, Object> properties) {
    return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Queues a serialized batch without blocking on Kafka; when the buffer passes its bound the
   * oldest waiting batches are spooled or dropped, and counted.
   */
  public void offer(PendingBatch p) {
    lock.lock();
    try {
      if (closed) {
        batchesFailed.increment();
        samplesFailed.add(p.samples());
        return;
      }
      queue.addLast(p);
      queuedBytes += p.bytes();
      enforceBound();
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  // Holds the lock.
  private void enforceBound() {
    while (!queue.isEmpty() && (queuedBytes + inFlightBytes > maxBytes || queue.size() > maxBatches)) {
      PendingBatch oldest = queue.pollFirst();
      queuedBytes -= oldest.bytes();
      if (spool != null) {
        try {
          int[] evicted = spool.write(oldest);
          batchesSpooled.increment();
          for (int samples : evicted) {
            dropped(samples, "the spool is full (raise FLEETSTATS_SPOOL_MAX_BYTES to keep more)");
          }
          continue;
        } catch (IOException e) {
          warn("spool-write", "cannot write to the spool, dropping the batch instead: " + e);
        }
      }
      dropped(
          oldest.samples(),
          "Kafka is not keeping up and the buffer is full (raise FLEETSTATS_BUFFER_MAX_BYTES or set"
              + " FLEETSTATS_SPOOL_DIR to keep more)");
    }
  }

  private void dropped(int samples, String why) {
    batchesDropped.increment();
    samplesDropped.add(samples);
    long heldBack = throttle.tryAcquire("dropped");
    if (heldBack >= 0) {
      log.warn("dropped the oldest pending batch ({} samples; {} more dropped since the last report): {}", samples, heldBack, why);
    }
  }

  private void run() {
    while (true) {
      PendingBatch next;
      lock.lock();
      try {
        while (inFlight >= maxInFlight || (queue.isEmpty() && (spool == null || spool.isEmpty()))) {
          if (closing && inFlight == 0 && queue.isEmpty() && (spool == null || spool.isEmpty())) {
            return;
          }
          if (closed) {
            return;
          }
          changed.await(100, TimeUnit.MILLISECONDS);
        }
        if (closed) {
          return;
        }
        next = nextToSend();
        if (next == null) {
          continue;
        }
        if (inFlight == 0) {
          lastProgressNanos = System.nanoTime();
        }
        inFlight++;
        inFlightBytes += next.bytes();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      send(next);
    }
  }

  // Holds the lock. The spool holds older batches than memory, so it goes first.
  private PendingBatch nextToSend() {
    if (spool != null && !spool.isEmpty()) {
      try {
        return spool.poll();
      } catch (IOException e) {
        batchesFailed.increment();
        warn("spool-read", "cannot read a spooled batch, skipping it: " + e);
        return null;
      }
    }
    PendingBatch p = queue.pollFirst();
    queuedBytes -= p.bytes();
    return p;
  }

  private void send(PendingBatch p) {
    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, p.timestamp(), p.key(), p.value());
    try {
      producer.send(record, (metadata, error) -> completed(p, error));
    } catch (KafkaException | IllegalStateException e) {
      // send() itself failed: no metadata within max.block.ms (Kafka unreachable) or closed.
      completed(p, e);
      if (e instanceof RetriableException) {
        pause(Duration.ofMillis(500));
      }
    }
  }

  private void completed(PendingBatch p, Exception error) {
    lock.lock();
    try {
      inFlight--;
      inFlightBytes -= p.bytes();
      lastProgressNanos = System.nanoTime();
      if (error == null) {
        batchesSent.increment();
        samplesSent.add(p.samples());
        lastSuccessNanos = lastProgressNanos;
      } else {
        producerErrors.increment();
        if (error instanceof RetriableException && !closed) {
          lastRetriableFailureNanos = lastProgressNanos;
          queue.addFirst(p);
          queuedBytes += p.bytes();
          enforceBound();
          warn(error.getClass(), "Kafka unreachable, batch " + p.sequence() + " will be sent again: " + error);
        } else {
          batchesFailed.increment();
          samplesFailed.add(p.samples());
          warn(error.getClass(), "could not publish batch " + p.sequence() + " (" + p.samples() + " samples) to " + topic + ": " + error);
        }
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void pause(Duration d) {
    lock.lock();
    try {
      changed.await(d.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }

  private void warn(Object key, String message) {
    long heldBack = throttle.tryAcquire(key);
    if (heldBack >= 0) {
      log.warn("{} ({} similar since the last report)", message, heldBack);
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

  /** Batches given up on: a non-retriable producer error, or unsent at close without a spool. */
  public long batchesFailed() {
    return batchesFailed.sum();
  }

  /** Samples in {@link #batchesFailed()}. */
  public long samplesFailed() {
    return samplesFailed.sum();
  }

  /** Batches dropped because the buffer (or the spool) was full, oldest first. */
  public long batchesDropped() {
    return batchesDropped.sum();
  }

  /** Samples in {@link #batchesDropped()}. */
  public long samplesDropped() {
    return samplesDropped.sum();
  }

  /** Failed producer attempts, retried ones included. */
  public long producerErrors() {
    return producerErrors.sum();
  }

  /** Batches moved to the disk spool. */
  public long batchesSpooled() {
    return batchesSpooled.sum();
  }

  /** Batches waiting or in flight (memory and spool). */
  public int pendingBatches() {
    lock.lock();
    try {
      return queue.size() + inFlight + (spool == null ? 0 : spool.batches());
    } finally {
      lock.unlock();
    }
  }

  /** Bytes held in memory: waiting plus in flight. */
  public long bufferedBytes() {
    lock.lock();
    try {
      return queuedBytes + inFlightBytes;
    } finally {
      lock.unlock();
    }
  }

  /** Bytes in the disk spool. */
  public long spooledBytes() {
    lock.lock();
    try {
      return spool == null ? 0 : spool.bytes();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Null when Kafka looks reachable, else why not: the last attempt failed with a retriable error
   * and none succeeded since, or a send has had no answer for 15 s.
   */
  public String kafkaProblem() {
    lock.lock();
    try {
      if (lastRetriableFailureNanos != 0 && lastRetriableFailureNanos > lastSuccessNanos) {
        return "the last send to Kafka failed and none succeeded since";
      }
      if (inFlight > 0 && System.nanoTime() - lastProgressNanos > STUCK_NANOS) {
        return "Kafka has not answered a send for 15 s";
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sends what is waiting, waits up to the close timeout for acknowledgements, then closes the
   * producer. What is still waiting then goes to the spool when there is one (sent by the next
   * run), else is counted as failed. Idempotent.
   */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closing) {
        return;
      }
      closing = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    long deadline = System.nanoTime() + closeTimeout.toNanos();
    try {
      thread.join(closeTimeout.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lock.lock();
    try {
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    long left = Math.max(0, deadline - System.nanoTime());
    producer.close(Duration.ofNanos(left));
    lock.lock();
    try {
      int unsent = 0;
      while (!queue.isEmpty()) {
        PendingBatch p = queue.pollFirst();
        queuedBytes -= p.bytes();
        if (spool != null) {
          try {
            for (int samples : spool.write(p)) {
              dropped(samples, "the spool is full");
            }
            continue;
          } catch (IOException e) {
            warn("spool-write", "cannot write to the spool at close: " + e);
          }
        }
        unsent++;
        batchesFailed.increment();
        samplesFailed.add(p.samples());
      }
      if (unsent > 0) {
        log.warn("closing with {} batches never acknowledged by Kafka within {}", unsent, closeTimeout);
      }
    } finally {
      lock.unlock();
    }
  }
}
