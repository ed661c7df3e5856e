package io.fleetstats.edge.publish;

import io.fleetstats.kit.KafkaAccess;
import io.fleetstats.kit.LogThrottle;
import io.fleetstats.kit.Ticker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToDoubleFunction;
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
 * Sends one input's serialized records to one topic from a thread of its own, so that a slow or
 * unreachable broker never stalls the input, and survives Kafka outages within a memory bound.
 * Every input of the agent has one (statsd batches, MySQL snapshots …); they share the agent's
 * producer.
 *
 * <p>Each record arrives serialized, so its size is known exactly. Records wait in a buffer bounded
 * in bytes (and in count); the bound covers the records handed to the producer and not yet
 * acknowledged too, at most {@code maxInFlight} of them. When an offer passes the bound, the
 * <em>oldest</em> waiting records are dropped, or, with a disk spool, written to it by this
 * publisher's spooling thread: {@link #offer} never touches a file, so the statsd event loop never
 * waits for a disk. Memory may pass the bound by half while the spool writes; beyond that the
 * oldest are dropped even with a spool. When the spool passes its own bound, its oldest are
 * dropped. Every dropped record and its samples are counted. A record the producer fails with a
 * retriable error (a timeout while the broker is down) goes back to the front of the buffer and is
 * sent again; other errors are counted as failed. Records are keyed by the source id and
 * timestamped with their {@code timestamp}.
 */
public final class BatchPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BatchPublisher.class);

  /** A send in flight this long without any answer means Kafka is unreachable (for /readyz). */
  private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(15);

  /** The pause after Kafka refused a send outright (login or ACL): a fix takes an operator. */
  private static final Duration REFUSED_PAUSE = Duration.ofSeconds(1);

  private final Producer<byte[], byte[]> producer;
  private final String topic;
  private final long maxBytes;
  private final int maxBatches;
  private final int maxInFlight;
  private final Duration closeTimeout;
  private final Spool spool;
  private final Ticker ticker;
  private final Thread thread;

  /**
   * Writes the overflow to the spool; its own thread, because a send may block for max.block.ms.
   */
  private final Thread spooler;

  private final LogThrottle throttle;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ArrayDeque<PendingBatch> queue = new ArrayDeque<>();
  private long queuedBytes;
  private long inFlightBytes;

  /** Taken from the queue by the thread and being written to the spool: still in memory. */
  private long spoolingBytes;

  private int inFlight;
  private long lastProgressNanos;
  private long lastSuccessNanos;
  private long lastRetriableFailureNanos;

  /** What to fix when the last failed send was Kafka refusing our login or an ACL, else null. */
  private String lastRefusal;

  /** After a refusal, nothing is sent before this time (0: no hold). */
  private long holdUntilNanos;

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

  /**
   * Settings of the buffer in front of the producer.
   *
   * @param spoolDirectory this publisher's spool folder, or null for none
   */
  public record Limits(
      long maxBytes, int maxBatches, int maxInFlight, Path spoolDirectory, long spoolMaxBytes) {
    /** A memory-only buffer. */
    public static Limits memory(long maxBytes, int maxBatches) {
      return new Limits(maxBytes, maxBatches, 8, null, 0);
    }
  }

  /**
   * Starts the sending thread (and opens the spool, sending what a previous run left there first).
   *
   * @param producer shared with the agent's other publishers; the agent closes it
   * @param name the input's name, for the thread and the log
   * @param closeTimeout how long {@link #close()} waits for pending records to be acknowledged
   * @param ticker the monotonic clock of "no answer for 15 s" and the throttled log
   */
  public BatchPublisher(
      Producer<byte[], byte[]> producer,
      String topic,
      String name,
      Limits limits,
      Duration closeTimeout,
      Ticker ticker) {
    this.producer = producer;
    this.topic = topic;
    this.maxBytes = limits.maxBytes();
    this.maxBatches = limits.maxBatches();
    this.maxInFlight = limits.maxInFlight();
    this.closeTimeout = closeTimeout;
    this.ticker = ticker;
    this.throttle = new LogThrottle(Duration.ofSeconds(10), ticker::nanoTime);
    this.lastProgressNanos = ticker.nanoTime();
    this.spool =
        limits.spoolDirectory() == null
            ? null
            : new Spool(limits.spoolDirectory(), limits.spoolMaxBytes());
    if (spool != null && !spool.isEmpty()) {
      log.info(
          "{} records ({} bytes) for {} from a previous run wait in the spool {}",
          spool.batches(),
          spool.bytes(),
          topic,
          limits.spoolDirectory());
    }
    this.thread = new Thread(this::run, "fleetstats-publisher-" + name);
    this.thread.setDaemon(true);
    this.spooler =
        spool == null ? null : new Thread(this::spoolOverflow, "fleetstats-spool-" + name);
    this.thread.start();
    if (spooler != null) {
      spooler.setDaemon(true);
      spooler.start();
    }
  }

  /**
   * Producer settings: durable ({@code acks=all}, idempotent), compressed, briefly lingering.
   * {@code passthrough} (the {@code FLEETSTATS_KAFKA_*} properties) overrides them.
   */
  public static Map<String, Object> producerProperties(
      String bootstrap, Map<String, String> passthrough) {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
    // Records wait in our own byte-bounded buffers; the producer only holds the few in flight.
    props.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * 1024 * 1024);
    props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "fleetstats-edge-agent");
    // No JMX reporter and no client-metrics push (KIP-714): their MBeans, telemetry classes and
    // buffers cost memory the sidecar budget has no room for; the agent's /metrics covers delivery.
    props.put(ProducerConfig.METRIC_REPORTER_CLASSES_CONFIG, "");
    props.put(ProducerConfig.ENABLE_METRICS_PUSH_CONFIG, false);
    props.putAll(passthrough);
    // The setting is the one bootstrap of every client (the reader never passes bootstrap.servers).
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return props;
  }

  /** A producer of serialized records. */
  public static KafkaProducer<byte[], byte[]> createProducer(Map<String, Object> properties) {
    return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * Registers the delivery meters, {@code <prefix>.batches.produced} etc. (see the README's
   * "Metrics emitted"); each input passes its own prefix, so the statsd input keeps the names
   * {@code fleetstats.edge.*} it always had.
   */
  public void bindMeters(MeterRegistry registry, Tags tags, String prefix) {
    counter(
        registry,
        prefix + ".batches.produced",
        "records acknowledged by Kafka (statsd: heartbeats included)",
        tags,
        BatchPublisher::batchesSent);
    counter(
        registry,
        prefix + ".samples.produced",
        "samples in records acknowledged by Kafka",
        tags,
        BatchPublisher::samplesSent);
    counter(
        registry,
        prefix + ".batches.dropped",
        "records dropped, oldest first, because the buffer or spool was full",
        tags,
        BatchPublisher::batchesDropped);
    counter(
        registry,
        prefix + ".samples.dropped",
        "samples in dropped records",
        tags,
        BatchPublisher::samplesDropped);
    counter(
        registry,
        prefix + ".batches.failed",
        "records given up on (non-retriable error, or unsent at close without a spool)",
        tags,
        BatchPublisher::batchesFailed);
    counter(
        registry,
        prefix + ".samples.failed",
        "samples in failed records",
        tags,
        BatchPublisher::samplesFailed);
    counter(
        registry,
        prefix + ".producer.errors",
        "failed producer attempts, retried ones included",
        tags,
        BatchPublisher::producerErrors);
    counter(
        registry,
        prefix + ".batches.spooled",
        "records moved to the disk spool",
        tags,
        BatchPublisher::batchesSpooled);
    Gauge.builder(prefix + ".buffer.batches", this, BatchPublisher::pendingBatches)
        .description("records waiting for Kafka or in flight, memory and spool")
        .tags(tags)
        .register(registry);
    Gauge.builder(prefix + ".buffer.bytes", this, BatchPublisher::bufferedBytes)
        .description("bytes of records held in memory (waiting and in flight)")
        .baseUnit("bytes")
        .tags(tags)
        .register(registry);
    Gauge.builder(prefix + ".spool.bytes", this, BatchPublisher::spooledBytes)
        .description("bytes of records in the disk spool")
        .baseUnit("bytes")
        .tags(tags)
        .register(registry);
  }

  private void counter(
      MeterRegistry registry,
      String name,
      String help,
      Tags tags,
      ToDoubleFunction<BatchPublisher> f) {
    FunctionCounter.builder(name, this, f).description(help).tags(tags).register(registry);
  }

  /**
   * Queues a serialized record without blocking on Kafka or on a disk; when the buffer passes its
   * bound the oldest waiting records are dropped (or, with a spool, left to the publisher's thread
   * to spool), and counted.
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
      if (spool == null) {
        dropOldestWhile(this::overBound, DROP_NO_SPOOL);
      } else {
        // The thread spools; if the disk cannot keep up, memory must still stay bounded.
        dropOldestWhile(this::overHardBound, DROP_SPOOL_BEHIND);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private static final String DROP_NO_SPOOL =
      "Kafka is not keeping up and the buffer is full (raise FLEETSTATS_BUFFER_MAX_BYTES or set"
          + " FLEETSTATS_SPOOL_DIR to keep more)";
  private static final String DROP_SPOOL_BEHIND =
      "Kafka is not keeping up and the spool's disk cannot take records as fast as they come"
          + " (raise FLEETSTATS_BUFFER_MAX_BYTES, or give FLEETSTATS_SPOOL_DIR a faster disk)";

  // Hold the lock.
  private boolean overBound() {
    return !queue.isEmpty()
        && (queuedBytes + inFlightBytes + spoolingBytes > maxBytes || queue.size() > maxBatches);
  }

  private boolean overHardBound() {
    long hardBytes = maxBytes + maxBytes / 2;
    int hardBatches = maxBatches + maxBatches / 2;
    return !queue.isEmpty()
        && (queuedBytes + inFlightBytes + spoolingBytes > hardBytes || queue.size() > hardBatches);
  }

  private void dropOldestWhile(java.util.function.BooleanSupplier over, String why) {
    while (over.getAsBoolean()) {
      PendingBatch oldest = queue.pollFirst();
      queuedBytes -= oldest.bytes();
      dropped(oldest.samples(), why);
    }
  }

  private void dropped(int samples, String why) {
    batchesDropped.increment();
    samplesDropped.add(samples);
    long heldBack = throttle.tryAcquire("dropped");
    if (heldBack >= 0) {
      log.warn(
          "dropped the oldest pending record for {} ({} samples; {} more dropped since the last report): {}",
          topic,
          samples,
          heldBack,
          why);
    }
  }

  /** What the sending thread does next, decided under the lock, done outside it. */
  private enum Step {
    SEND,
    SEND_FROM_SPOOL
  }

  private void run() {
    while (true) {
      Step step;
      PendingBatch next = null;
      lock.lock();
      try {
        while (true) {
          if (closed) {
            return;
          }
          boolean spooled = spool != null && !spool.isEmpty();
          boolean held = holdUntilNanos != 0 && ticker.nanoTime() - holdUntilNanos < 0;
          if (inFlight < maxInFlight && (spooled || !queue.isEmpty()) && !held) {
            if (inFlight == 0) {
              lastProgressNanos = ticker.nanoTime();
            }
            inFlight++;
            // The spool holds older records than memory, so it goes first.
            if (spooled) {
              step = Step.SEND_FROM_SPOOL;
            } else {
              next = queue.pollFirst();
              queuedBytes -= next.bytes();
              inFlightBytes += next.bytes();
              step = Step.SEND;
            }
            break;
          }
          if (closing && inFlight == 0 && queue.isEmpty() && !spooled) {
            return;
          }
          changed.await(100, TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      switch (step) {
        case SEND -> send(next);
        case SEND_FROM_SPOOL -> {
          PendingBatch fromSpool = readSpool();
          if (fromSpool != null) {
            send(fromSpool);
          }
        }
      }
    }
  }

  // The spooler's loop: takes the oldest records while memory is over the bound and writes them
  // without holding the lock, so offers (the event loop) and sends go on meanwhile.
  private void spoolOverflow() {
    while (true) {
      PendingBatch next;
      lock.lock();
      try {
        while (!overBound()) {
          if (closed || (closing && queue.isEmpty())) {
            return;
          }
          changed.await(100, TimeUnit.MILLISECONDS);
        }
        next = queue.pollFirst();
        queuedBytes -= next.bytes();
        spoolingBytes += next.bytes();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } finally {
        lock.unlock();
      }
      spool(next);
    }
  }

  private void spool(PendingBatch p) {
    int[] evicted = null;
    IOException failure = null;
    try {
      evicted = spool.write(p);
    } catch (IOException e) {
      failure = e;
    }
    lock.lock();
    try {
      spoolingBytes -= p.bytes();
      if (failure != null) {
        warn("spool-write", "cannot write to the spool, dropping the record instead: " + failure);
        dropped(p.samples(), "the spool cannot be written");
      } else {
        batchesSpooled.increment();
        for (int samples : evicted) {
          dropped(samples, "the spool is full (raise FLEETSTATS_SPOOL_MAX_BYTES to keep more)");
        }
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private PendingBatch readSpool() {
    PendingBatch p = null;
    try {
      p = spool.poll();
    } catch (IOException e) {
      batchesFailed.increment();
      warn("spool-read", "cannot read a spooled record, skipping it: " + e);
    }
    lock.lock();
    try {
      if (p == null) {
        inFlight--;
        changed.signalAll();
      } else {
        inFlightBytes += p.bytes();
      }
    } finally {
      lock.unlock();
    }
    return p;
  }

  private void send(PendingBatch p) {
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topic, null, p.timestamp(), p.key(), p.value());
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
      lastProgressNanos = ticker.nanoTime();
      if (error == null) {
        batchesSent.increment();
        samplesSent.add(p.samples());
        lastRefusal = null;
        lastSuccessNanos = lastProgressNanos;
      } else {
        producerErrors.increment();
        Optional<String> refused = KafkaAccess.explain(error, needs());
        if (refused.isPresent() && !closed) {
          // A login or an ACL is wrong: nothing is lost while an operator fixes it, the records
          // wait (buffer, then spool) as for an outage and go once Kafka accepts them.
          lastRetriableFailureNanos = lastProgressNanos;
          lastRefusal = refused.get();
          holdUntilNanos = lastProgressNanos + REFUSED_PAUSE.toNanos();
          queue.addFirst(p);
          queuedBytes += p.bytes();
          if (spool == null) {
            dropOldestWhile(this::overBound, DROP_NO_SPOOL);
          }
          warn(
              error.getClass(),
              "cannot publish to "
                  + topic
                  + ": "
                  + refused.get()
                  + "; records wait and are sent once Kafka accepts them");
        } else if (error instanceof RetriableException && !closed) {
          lastRefusal = null;
          lastRetriableFailureNanos = lastProgressNanos;
          queue.addFirst(p);
          queuedBytes += p.bytes();
          if (spool == null) {
            dropOldestWhile(this::overBound, DROP_NO_SPOOL);
          }
          warn(
              error.getClass(),
              "Kafka unreachable, record "
                  + p.sequence()
                  + " for "
                  + topic
                  + " will be sent again: "
                  + error);
        } else if ((error instanceof RetriableException || refused.isPresent()) && spool != null) {
          // closing while Kafka is unreachable: the record in flight joins the queue in the spool
          // (written under the lock: closing, nothing else waits for it)
          try {
            for (int samples : spool.write(p)) {
              dropped(samples, "the spool is full (raise FLEETSTATS_SPOOL_MAX_BYTES to keep more)");
            }
            batchesSpooled.increment();
          } catch (IOException e) {
            batchesFailed.increment();
            samplesFailed.add(p.samples());
            warn("spool-write", "cannot write to the spool, dropping the record instead: " + e);
          }
        } else {
          batchesFailed.increment();
          samplesFailed.add(p.samples());
          warn(
              error.getClass(),
              "could not publish record "
                  + p.sequence()
                  + " ("
                  + p.samples()
                  + " samples) to "
                  + topic
                  + ": "
                  + error);
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

  /** The ACLs a producer to {@link #topic} needs, for a message naming them. */
  private String needs() {
    return "Write and Describe on topic " + topic;
  }

  /** The topic this publisher writes to. */
  public String topic() {
    return topic;
  }

  /** Records acknowledged by Kafka. */
  public long batchesSent() {
    return batchesSent.sum();
  }

  /** Samples in records acknowledged by Kafka. */
  public long samplesSent() {
    return samplesSent.sum();
  }

  /** Records given up on: a non-retriable producer error, or unsent at close without a spool. */
  public long batchesFailed() {
    return batchesFailed.sum();
  }

  /** Samples in {@link #batchesFailed()}. */
  public long samplesFailed() {
    return samplesFailed.sum();
  }

  /** Records dropped because the buffer (or the spool) was full, oldest first. */
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

  /** Records moved to the disk spool. */
  public long batchesSpooled() {
    return batchesSpooled.sum();
  }

  /** Records waiting or in flight (memory and spool). */
  public int pendingBatches() {
    lock.lock();
    try {
      return queue.size()
          + inFlight
          + (spoolingBytes > 0 ? 1 : 0)
          + (spool == null ? 0 : spool.batches());
    } finally {
      lock.unlock();
    }
  }

  /** Bytes held in memory: waiting, being spooled and in flight. */
  public long bufferedBytes() {
    lock.lock();
    try {
      return queuedBytes + spoolingBytes + inFlightBytes;
    } finally {
      lock.unlock();
    }
  }

  /** Bytes in the disk spool. */
  public long spooledBytes() {
    return spool == null ? 0 : spool.bytes();
  }

  /**
   * Null when Kafka looks reachable, else why not: the last attempt failed with a retriable error
   * and none succeeded since, or a send has had no answer for 15 s.
   */
  public String kafkaProblem() {
    lock.lock();
    try {
      if (lastRetriableFailureNanos != 0 && lastRetriableFailureNanos - lastSuccessNanos > 0) {
        if (lastRefusal != null) {
          return lastRefusal;
        }
        return "the last send to Kafka failed and none succeeded since";
      }
      if (inFlight > 0 && ticker.nanoTime() - lastProgressNanos > STUCK_NANOS) {
        return "Kafka has not answered a send for 15 s";
      }
      return null;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Sends what is waiting and waits up to the close timeout for acknowledgements. What is still
   * waiting then goes to the spool when there is one (sent by the next run), else is counted as
   * failed. Records still in the producer are the agent's to settle when it closes the producer:
   * acknowledged, or counted as failed. Idempotent; does not close the shared producer.
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
    try {
      // The threads may be inside a spool write or a send (at most max.block.ms): wait for them a
      // little; what is still queued then goes to the spool (which is synchronized).
      thread.join(1_000);
      if (spooler != null) {
        spooler.join(1_000);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
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
        log.warn(
            "closing with {} records for {} never acknowledged by Kafka within {}",
            unsent,
            topic,
            closeTimeout);
      }
    } finally {
      lock.unlock();
    }
  }
}
