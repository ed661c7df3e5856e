package io.fleetstats.sink;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.delivery.Backoff;
import io.fleetstats.sink.delivery.BatchSender;
import io.fleetstats.sink.delivery.LogThrottle;
import io.fleetstats.sink.delivery.ProxyClient;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.sink.format.LineValidator.Reason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code <prefix>.aggregates} and delivers every aggregate as Wavefront lines to the
 * proxy, at least once: the offsets of a poll are committed only after every line of that poll
 * was accepted by the proxy (or counted as invalid/rejected).
 *
 * <p>One thread owns the consumer. While a batch is retried the consumer keeps polling with all
 * its partitions paused: that fetches nothing but keeps it in the group (so {@code
 * max.poll.interval.ms} never expires during a long proxy outage) and lets {@link #close()} wake
 * it. A rebalance during a retry is harmless: delivered lines of revoked partitions are not
 * committed by us and are redelivered to the new owner; plain points carry explicit timestamps,
 * so a duplicate overwrites the same value.
 */
public final class WavefrontSink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WavefrontSink.class);

  /** Retention given to the raw topics when the sink has to create them (DESIGN: 7 days). */
  public static final Duration RAW_RETENTION_WHEN_CREATED = Duration.ofDays(7);

  private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
  private static final Duration PAUSED_POLL_SLICE = Duration.ofSeconds(1);

  /** Lifecycle of the sink. */
  public enum State {
    /** Created, the consumer thread has not subscribed yet. */
    STARTING,
    /** Consuming and delivering (including while retrying a batch). */
    RUNNING,
    /** Stopped by an error that needs an operator; see {@link #failure()}. */
    FAILED,
    /** Stopped by {@link #close()}. */
    CLOSED
  }

  private final SinkConfig config;
  private final String topic;
  private final KafkaConsumer<String, byte[]> consumer;
  private final AggregateLines aggregateLines;
  private final BatchSender sender;
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);

  private volatile State state = State.STARTING;
  private volatile Throwable failure;
  private volatile boolean closing;
  /** True while partitions are paused for a retry; read by the rebalance listener. */
  private boolean pausedForRetry;

  private final AtomicLong recordsConsumed = new AtomicLong();
  private final AtomicLong recordsUndecodable = new AtomicLong();
  private final AtomicLong linesInvalid = new AtomicLong();
  private final AtomicLong linesNonFinite = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();
  private final Map<Reason, AtomicLong> invalidByReason = new EnumMap<>(Reason.class);
  private final LogThrottle invalidLog = LogThrottle.every(Duration.ofSeconds(10));
  private final LogThrottle undecodableLog = LogThrottle.every(Duration.ofSeconds(10));

  private WavefrontSink(SinkConfig config) {
    this.config = config;
    Topics topics = config.topics();
    this.topic = topics.aggregates().name();
    for (Reason r : Reason.values()) {
      invalidByReason.put(r, new AtomicLong());
    }
    this.aggregateLines = AggregateLines.withPrefix(config.metricPrefix());
    this.sender =
        new BatchSender(
            new ProxyClient(config.proxyUrl(), config.requestTimeout()),
            Backoff.upTo(config.retryMaxBackoff()),
            () -> ThreadLocalRandom.current().nextDouble());
    this.consumer = new KafkaConsumer<>(consumerConfig(config));
    this.thread = new Thread(this::run, "wavefront-sink");
  }

  /**
   * Creates missing topics (if {@link SinkConfig#createTopics()}), then starts consuming on a
   * thread of its own.
   *
   * @throws IllegalStateException if topics cannot be checked or created
   */
  public static WavefrontSink start(SinkConfig config) {
    if (config.createTopics()) {
      TopicSetup.ensure(
          config.adminConfig(),
          config.topics(),
          TopicSetup.DEFAULT_PARTITIONS,
          Optional.empty(),
          RAW_RETENTION_WHEN_CREATED,
          Duration.ofSeconds(30));
    }
    WavefrontSink sink = new WavefrontSink(config);
    sink.thread.start();
    log.info(
        "wavefront sink consuming {} as group {} from {}, sending to {}",
        sink.topic, config.groupId(), config.kafkaBootstrap(), config.proxyUrl());
    return sink;
  }

  static Map<String, Object> consumerConfig(SinkConfig config) {
    Map<String, Object> props = new HashMap<>(config.kafkaProperties());
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrap());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    // At-least-once needs manual commits and must never see aborted transactional writes.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "fleetstats-wavefront-sink");
    // Bytes, decoded by us: a record that cannot be decoded is counted and skipped instead of
    // failing every poll at the same offset.
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return props;
  }

  private void run() {
    try {
      consumer.subscribe(List.of(topic), new PauseNewPartitionsDuringRetry());
      state = State.RUNNING;
      while (!closing) {
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL_TIMEOUT);
        if (records.isEmpty()) {
          continue;
        }
        BatchSender.Result result = deliver(records);
        if (result.status() == BatchSender.Status.STOPPED) {
          break;
        }
        if (result.status() == BatchSender.Status.FATAL) {
          // A configuration problem with a message that names the fix: no stack trace needed.
          fail(
              new IllegalStateException(
                  "wavefront sink stopped, nothing more is committed: " + result.detail()),
              false);
          return;
        }
        commit(nextOffsets(records));
      }
    } catch (WakeupException e) {
      // close() woke us; nothing undelivered was committed
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      fail(e, true);
      return;
    } finally {
      closeConsumer();
    }
    if (state != State.FAILED) {
      state = State.CLOSED;
    }
    stopped.countDown();
  }

  private BatchSender.Result deliver(ConsumerRecords<String, byte[]> records)
      throws InterruptedException {
    List<String> lines = new ArrayList<>(records.count() * 8);
    for (ConsumerRecord<String, byte[]> record : records) {
      recordsConsumed.incrementAndGet();
      Aggregate aggregate = decode(record);
      if (aggregate == null) {
        continue;
      }
      AggregateLines.Result r = aggregateLines.apply(aggregate);
      r.lines().forEach(l -> lines.add(l.toLine()));
      linesNonFinite.addAndGet(r.nonFinite());
      for (AggregateLines.Invalid invalid : r.invalid()) {
        linesInvalid.incrementAndGet();
        invalidByReason.get(invalid.verdict().reason()).incrementAndGet();
        long held = invalidLog.acquire();
        if (held >= 0) {
          log.warn(
              "not sending invalid line ({} {}: {}): {} [record {}-{}@{}; {} more invalid lines since the last message]",
              invalid.verdict().reason().proxyCode(),
              invalid.verdict().reason(),
              invalid.verdict().detail(),
              invalid.text(),
              record.topic(), record.partition(), record.offset(),
              held);
        }
      }
    }
    try {
      for (int from = 0; from < lines.size(); from += config.batchLines()) {
        List<String> batch = lines.subList(from, Math.min(lines.size(), from + config.batchLines()));
        BatchSender.Result result = sender.send(batch, this::awaitPaused);
        if (result.status() != BatchSender.Status.DELIVERED) {
          return result;
        }
      }
      return new BatchSender.Result(BatchSender.Status.DELIVERED, "");
    } finally {
      if (pausedForRetry) {
        pausedForRetry = false;
        if (!closing) {
          consumer.resume(consumer.assignment());
        }
      }
    }
  }

  private Aggregate decode(ConsumerRecord<String, byte[]> record) {
    if (record.value() == null) {
      recordsUndecodable.incrementAndGet();
      return null;
    }
    try {
      return Topics.AGGREGATE.decode(record.value());
    } catch (SerializationException e) {
      recordsUndecodable.incrementAndGet();
      long held = undecodableLog.acquire();
      if (held >= 0) {
        log.warn(
            "skipping undecodable record {}-{}@{}: {} ({} more since the last message)",
            record.topic(), record.partition(), record.offset(), e.getMessage(), held);
      }
      return null;
    }
  }

  // Waits between retries by polling with every partition paused: no records arrive, the
  // consumer stays in the group, and wakeup() from close() ends the wait.
  private boolean awaitPaused(Duration delay) {
    long deadline = System.nanoTime() + delay.toNanos();
    pausedForRetry = true;
    consumer.pause(consumer.assignment());
    while (!closing) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        return true;
      }
      ConsumerRecords<String, byte[]> unexpected =
          consumer.poll(Duration.ofNanos(Math.min(remaining, PAUSED_POLL_SLICE.toNanos())));
      // Paused partitions return nothing; should a partition slip through anyway, rewind it so
      // its records are read again after this batch instead of being skipped by the next commit.
      for (TopicPartition tp : unexpected.partitions()) {
        consumer.seek(tp, unexpected.records(tp).get(0).offset());
        consumer.pause(Set.of(tp));
      }
    }
    return false;
  }

  private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(
      ConsumerRecords<String, byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<String, byte[]>> list = records.records(tp);
      offsets.put(tp, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
    }
    return offsets;
  }

  private void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
    // Only partitions we still own: a revoked one is redelivered to its new owner.
    Map<TopicPartition, OffsetAndMetadata> owned = new HashMap<>(offsets);
    owned.keySet().retainAll(consumer.assignment());
    if (owned.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(owned);
    } catch (WakeupException e) {
      // close() arrived after delivery: still commit what the proxy accepted, then stop
      consumer.commitSync(owned);
      closing = true;
    } catch (CommitFailedException | RebalanceInProgressException e) {
      log.warn(
          "could not commit after delivery because the group rebalanced ({}); those aggregates will be delivered again",
          e.getMessage());
      return;
    }
    commits.incrementAndGet();
  }

  private void fail(Throwable e, boolean unexpected) {
    failure = e;
    state = State.FAILED;
    if (unexpected) {
      log.error("wavefront sink failed and stopped consuming; fix the cause and restart", e);
    } else {
      log.error("wavefront sink stopped; fix the cause and restart: {}", e.getMessage());
    }
    closeConsumer();
    stopped.countDown();
  }

  private boolean consumerClosed;

  private void closeConsumer() {
    if (consumerClosed) {
      return;
    }
    consumerClosed = true;
    try {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    } catch (RuntimeException e) {
      log.warn("error while closing the Kafka consumer: {}", e.toString());
    }
  }

  private final class PauseNewPartitionsDuringRetry implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      // Called inside poll(); while a batch is retried no new records may be fetched.
      if (pausedForRetry) {
        consumer.pause(partitions);
      }
    }
  }

  /**
   * Stops consuming: wakes the consumer thread, waits for it (at most the request timeout plus a
   * few seconds: an HTTP request in flight is allowed to finish) and closes the consumer.
   * Offsets of lines not yet accepted by the proxy are not committed. Idempotent.
   */
  @Override
  public void close() {
    closing = true;
    consumer.wakeup();
    try {
      if (!stopped.await(config.requestTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
        thread.interrupt();
        stopped.await(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Blocks until the sink has stopped (closed or failed). */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  public State state() {
    return state;
  }

  /** Why the sink is {@link State#FAILED}. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /** The topic consumed. */
  public String topic() {
    return topic;
  }

  /** Lines the proxy accepted (2xx). */
  public long linesSent() {
    return sender.linesSent();
  }

  /** HTTP requests the proxy accepted. */
  public long batchesSent() {
    return sender.batchesSent();
  }

  /** Requests answered retryably (5xx, 429, timeout, refused) and sent again. */
  public long retries() {
    return sender.retries();
  }

  /** Lines not sent because they failed local validation. */
  public long linesInvalid() {
    return linesInvalid.get();
  }

  /** {@link #linesInvalid()} by reason. */
  public Map<Reason, Long> linesInvalidByReason() {
    Map<Reason, Long> out = new EnumMap<>(Reason.class);
    invalidByReason.forEach((r, n) -> out.put(r, n.get()));
    return out;
  }

  /** Fields skipped because their value was NaN or infinite. */
  public long linesNonFinite() {
    return linesNonFinite.get();
  }

  /** Lines dropped because the proxy answered 400 (or 413 for one line). */
  public long linesRejectedByProxy() {
    return sender.linesRejectedByProxy();
  }

  /** Records read from the topic, decodable or not. */
  public long recordsConsumed() {
    return recordsConsumed.get();
  }

  /** Records skipped because they were not a decodable {@code Aggregate}. */
  public long recordsUndecodable() {
    return recordsUndecodable.get();
  }

  /** Successful offset commits. */
  public long commits() {
    return commits.get();
  }
}
