package io.fleetstats.sink.kit;

import io.fleetstats.kit.KafkaAccess;
import io.fleetstats.kit.LogThrottle;
import io.fleetstats.kit.Ticker;
import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.sink.kit.deadletter.DeadLetter;
import io.fleetstats.sink.kit.deadletter.DeadLetterWriter;
import io.fleetstats.sink.kit.delivery.Backoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consume → deliver → dead-letter → commit loop every sink shares, so that at-least-once
 * delivery is written (and tested) once: the offsets of a poll are committed only after its {@link
 * Delivery} reported every record accepted or marked, and the dead letters of the marked ones were
 * acknowledged by Kafka.
 *
 * <pre>
 * poll ─► Delivery.deliver(Polled, Waiter) ─► DELIVERED ─► dead letters (acks=all) ─► commitSync
 *                     │ waiter: poll paused        ├► STOPPED (closing): commit nothing
 *                     └ (stays in group, wakeable) └► FATAL: commit nothing, FAILED
 * </pre>
 *
 * <p>One thread owns the consumer. While a delivery waits to retry, the consumer keeps polling with
 * all its partitions paused: that fetches nothing but keeps it in the group (so {@code
 * max.poll.interval.ms} never expires during a long outage) and lets {@link #close()} wake it. A
 * rebalance during a retry is harmless: delivered records of revoked partitions are not committed
 * by us and are redelivered to the new owner.
 *
 * <p>Time comes from an injected {@link Ticker}, and the paused poll is cut into slices, so tests
 * run an outage of minutes in a fraction of a second.
 */
public final class SinkLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SinkLoop.class);

  /** First part of the loop's meter names unless set: the Wavefront sink's, kept for /metrics. */
  public static final String DEFAULT_METER_PREFIX = "fleetstats.sink";

  /** Reason label of records a delivery could not decode. */
  public static final String UNDECODABLE = "undecodable";

  /** Longest single poll while a delivery waits: how soon a rebalance is served. */
  public static final Duration DEFAULT_PAUSED_POLL_SLICE = Duration.ofSeconds(1);

  private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
  private static final Duration KAFKA_CHECK_EVERY = Duration.ofSeconds(5);
  private static final Duration DEAD_LETTER_TIMEOUT = Duration.ofSeconds(30);

  /** Lifecycle of the loop. */
  public enum State {
    /** Created, the consumer thread has not subscribed yet. */
    STARTING,
    /** Consuming and delivering (including while a delivery waits to retry). */
    RUNNING,
    /** Stopped by an error that needs an operator; see {@link #failure()}. */
    FAILED,
    /** Stopped by {@link #close()}. */
    CLOSED
  }

  private final String name;
  private final String topic;
  private final Delivery delivery;
  private final Map<String, Object> kafka;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final String groupId;
  private final DeadLetterWriter deadLetters;
  private final Backoff backoff;
  private final DoubleSupplier random;
  private final Ticker ticker;
  private final Duration pausedPollSlice;
  private final Duration closeGrace;
  private final Optional<InetSocketAddress> adminAddress;
  private final PrometheusMeterRegistry registry;
  private final String prefix;
  private final String recordsPlural;
  private final String oneRecord;
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private AdminServer adminServer;
  private Admin kafkaAdmin;
  private boolean started;

  private volatile State state = State.STARTING;
  private volatile Throwable failure;
  private volatile boolean closing;

  /** True while partitions are paused for a retry; read by the rebalance listener. */
  private boolean pausedForRetry;

  private boolean consumerClosed;

  private final AtomicLong recordsConsumed = new AtomicLong();
  private final AtomicLong recordsUndecodable = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();
  private final AtomicLong consumerLag = new AtomicLong();

  /** Records of the poll being delivered: consumed but not committed. */
  private volatile long inFlight;

  private final Map<String, Counter> deadLetteredByReason = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> deadLetteredCounts = new ConcurrentHashMap<>();
  private final Counter deadLetterRetries;
  private final LogThrottle undecodableLog;
  private final LogThrottle deadLetterLog;
  private volatile long kafkaCheckedAt = Long.MIN_VALUE;
  private volatile String kafkaProblem = "";

  private SinkLoop(Builder b) {
    this.name = b.name;
    this.topic = b.topic;
    this.delivery = b.delivery;
    this.kafka = Map.copyOf(b.kafka);
    this.backoff = b.backoff;
    this.random = b.random;
    this.ticker = b.ticker;
    this.pausedPollSlice = b.pausedPollSlice;
    this.closeGrace = b.closeGrace;
    this.adminAddress = b.adminAddress;
    this.registry = b.registry;
    this.prefix = b.meterPrefix;
    this.recordsPlural = b.recordsPlural;
    this.oneRecord = b.oneRecord;
    this.undecodableLog = new LogThrottle(Duration.ofSeconds(10), ticker::nanoTime);
    this.deadLetterLog = new LogThrottle(Duration.ofSeconds(10), ticker::nanoTime);
    counter(
        prefix + ".records.consumed",
        recordsConsumed,
        "records read from the " + recordsPlural + " topic");
    counter(
        prefix + ".records.undecodable",
        recordsUndecodable,
        "records that are not " + oneRecord + " (dead-lettered)");
    counter(prefix + ".commits", commits, "successful offset commits");
    Gauge.builder(prefix + ".consumer.lag", consumerLag, AtomicLong::get)
        .description(
            "records of the assigned partitions not yet delivered and committed: not yet fetched"
                + " plus fetched and in delivery")
        .register(registry);
    this.deadLetterRetries =
        Counter.builder(prefix + ".retries")
            .description("requests answered retryably and sent again, by cause")
            .tag("cause", "deadletter")
            .register(registry);
    String clientId = b.clientId;
    Map<String, Object> producer = new HashMap<>(b.producerKafka == null ? kafka : b.producerKafka);
    producer.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-deadletter");
    this.deadLetters = new DeadLetterWriter(b.deadLetterTopic, producer, DEAD_LETTER_TIMEOUT);
    this.groupId = b.groupId;
    try {
      this.consumer =
          new KafkaConsumer<>(
              consumerConfig(
                  b.consumerKafka == null ? kafka : b.consumerKafka, b.groupId, clientId));
    } catch (KafkaException e) {
      // a key store that cannot be read: say which setting, not just "Failed to construct"
      throw KafkaAccess.explain(e, "")
          .<RuntimeException>map(m -> new IllegalStateException(name + " cannot start: " + m))
          .orElse(e);
    }
    this.thread = new Thread(this::run, name.replace(' ', '-'));
  }

  private void counter(String meter, AtomicLong value, String description) {
    FunctionCounter.builder(meter, value, AtomicLong::get)
        .description(description)
        .register(registry);
  }

  /**
   * A builder with the defaults: system ticker, 1-s paused-poll slices, backoff up to 30 s, meters
   * named {@value #DEFAULT_METER_PREFIX}{@code .*} in a registry of its own, no admin port.
   *
   * @param name the sink as log messages and the thread name show it, e.g. {@code wavefront sink}
   * @param topic the topic consumed
   * @param delivery what the records become
   */
  public static Builder builder(String name, String topic, Delivery delivery) {
    return new Builder(name, topic, delivery);
  }

  /**
   * The consumer's properties: at-least-once needs manual commits and must never see aborted
   * transactional writes; records are read as bytes so that one that cannot be decoded is
   * dead-lettered with its original bytes instead of failing every poll at the same offset.
   *
   * @param kafka bootstrap and pass-through client properties
   */
  public static Map<String, Object> consumerConfig(
      Map<String, Object> kafka, String groupId, String clientId) {
    Map<String, Object> props = new HashMap<>(kafka);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    String bytes = ByteArrayDeserializer.class.getName();
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, bytes);
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, bytes);
    return props;
  }

  /**
   * Starts the admin port (if an address was given), then consumes on a thread of its own.
   *
   * @return this loop
   * @throws java.io.UncheckedIOException if the admin port cannot be bound (everything is closed)
   */
  public synchronized SinkLoop start() {
    if (started || closing) {
      throw new IllegalStateException(name + " already started or closed");
    }
    try {
      if (adminAddress.isPresent()) {
        kafkaAdmin = Admin.create(kafka);
        adminServer = AdminServer.start(adminAddress.get(), registry, this::readiness);
      }
    } catch (RuntimeException e) {
      closeResources();
      closeConsumer();
      throw e;
    }
    started = true;
    thread.start();
    return this;
  }

  private void run() {
    try {
      consumer.subscribe(List.of(topic), new PauseNewPartitionsDuringRetry());
      state = State.RUNNING;
      while (!closing) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
        updateLag();
        if (records.isEmpty()) {
          continue;
        }
        inFlight = records.count();
        recordsConsumed.addAndGet(records.count());
        updateLag();
        Delivery.Result result = deliver(records);
        if (result.status() == Delivery.Status.STOPPED) {
          break;
        }
        if (result.status() == Delivery.Status.FATAL) {
          // A configuration problem with a message that names the fix: no stack trace needed.
          fail(
              new IllegalStateException(
                  name + " stopped, nothing more is committed: " + result.detail()),
              false);
          return;
        }
        commit(nextOffsets(records));
        inFlight = 0;
        updateLag();
      }
    } catch (WakeupException e) {
      // close() woke us; nothing undelivered was committed
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      Optional<String> refused = KafkaAccess.explain(e, acls());
      if (refused.isPresent()) {
        // a login or an ACL to fix, named in full: a stack trace would add nothing
        fail(new IllegalStateException(name + " stopped: " + refused.get()), false);
      } else {
        fail(e, true);
      }
      return;
    } finally {
      closeConsumer();
    }
    if (state != State.FAILED) {
      state = State.CLOSED;
    }
    stopped.countDown();
  }

  private Delivery.Result deliver(ConsumerRecords<byte[], byte[]> records)
      throws InterruptedException {
    List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>(records.count());
    records.forEach(list::add);
    Polled poll = new Polled(list, this);
    try {
      Delivery.Result result = delivery.deliver(poll, this::awaitPaused);
      if (result.status() != Delivery.Status.DELIVERED) {
        return result;
      }
      return writeDeadLetters(poll.deadLetters()) ? result : Delivery.Result.STOPPED;
    } finally {
      if (pausedForRetry) {
        pausedForRetry = false;
        if (!closing) {
          consumer.resume(consumer.assignment());
        }
      }
    }
  }

  // Dead letters must be acknowledged before the offsets are committed; while Kafka does not take
  // them, retry like an unreachable receiver (consumer paused, nothing committed).
  private boolean writeDeadLetters(List<DeadLetter> letters) throws InterruptedException {
    if (letters.isEmpty()) {
      return true;
    }
    int attempt = 0;
    while (true) {
      try {
        deadLetters.write(letters);
        break;
      } catch (DeadLetterWriter.DeadLetterException e) {
        deadLetterRetries.increment();
        Duration delay = backoff.delay(attempt++, random.getAsDouble(), Optional.empty());
        long held = deadLetterLog.tryAcquire();
        if (held >= 0) {
          log.warn(
              "{}; {} records not committed, retry in {} ms ({} similar messages suppressed)",
              KafkaAccess.explain(e, acls())
                  .map(m -> "cannot write dead letters: " + m)
                  .orElse(e.getMessage()),
              letters.size(),
              delay.toMillis(),
              held);
        }
        if (!awaitPaused(delay)) {
          return false;
        }
      }
    }
    for (DeadLetter d : letters) {
      deadLettered.incrementAndGet();
      deadLetteredCounts.computeIfAbsent(d.reason(), k -> new AtomicLong()).incrementAndGet();
      deadLetteredByReason
          .computeIfAbsent(
              d.reason(),
              k ->
                  Counter.builder(prefix + ".deadlettered")
                      .description("records written to the dead-letter topic, by reason")
                      .tag("reason", k)
                      .register(registry))
          .increment();
    }
    return true;
  }

  void undecodable(ConsumerRecord<byte[], byte[]> record, String problem) {
    recordsUndecodable.incrementAndGet();
    long held = undecodableLog.tryAcquire();
    if (held >= 0) {
      log.warn(
          "record {}-{}@{} is not {} ({}); it goes to the dead-letter topic ({} more since the"
              + " last message)",
          record.topic(),
          record.partition(),
          record.offset(),
          oneRecord,
          problem,
          held);
    }
  }

  // Waits between retries by polling with every partition paused: no records arrive, the
  // consumer stays in the group, and wakeup() from close() ends the wait.
  private boolean awaitPaused(Duration delay) {
    long deadline = ticker.nanoTime() + delay.toNanos();
    pausedForRetry = true;
    consumer.pause(consumer.assignment());
    while (!closing) {
      long remaining = deadline - ticker.nanoTime();
      if (remaining <= 0) {
        return true;
      }
      ConsumerRecords<byte[], byte[]> unexpected =
          consumer.poll(Duration.ofNanos(Math.min(remaining, pausedPollSlice.toNanos())));
      updateLag();
      // Paused partitions return nothing; should a partition slip through anyway, rewind it so
      // its records are read again after this poll instead of being skipped by the next commit.
      for (TopicPartition tp : unexpected.partitions()) {
        consumer.seek(tp, unexpected.records(tp).get(0).offset());
        consumer.pause(Set.of(tp));
      }
    }
    return false;
  }

  private void updateLag() {
    long lag = 0;
    for (TopicPartition tp : consumer.assignment()) {
      OptionalLong l = consumer.currentLag(tp);
      if (l.isPresent()) {
        lag += l.getAsLong();
      }
    }
    consumerLag.set(lag + inFlight);
  }

  private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(
      ConsumerRecords<byte[], byte[]> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<byte[], byte[]>> list = records.records(tp);
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
      // close() arrived after delivery: still commit what was delivered, then stop
      consumer.commitSync(owned);
      closing = true;
    } catch (CommitFailedException | RebalanceInProgressException e) {
      log.warn(
          "could not commit after delivery because the group rebalanced ({}); those {} will be"
              + " delivered again",
          e.getMessage(),
          recordsPlural);
      return;
    }
    commits.incrementAndGet();
  }

  /**
   * Why the sink is not ready, or empty: it is running, its delivery reports no {@link
   * Delivery#problem() problem}, and Kafka answers (checked at most every 5 s, from the admin
   * thread, so a scrape never waits on a broker that is down for longer than one check).
   */
  public String readiness() {
    if (state != State.RUNNING) {
      return "sink is "
          + state.name().toLowerCase(Locale.ROOT)
          + failure().map(f -> ": " + f.getMessage()).orElse("");
    }
    String problem = delivery.problem();
    if (!problem.isEmpty()) {
      return problem;
    }
    long now = ticker.nanoTime();
    Admin admin = kafkaAdmin;
    boolean due =
        kafkaCheckedAt == Long.MIN_VALUE || now - kafkaCheckedAt > KAFKA_CHECK_EVERY.toNanos();
    if (admin != null && due) {
      try {
        admin
            .describeCluster(new DescribeClusterOptions().timeoutMs(2000))
            .nodes()
            .get(3, TimeUnit.SECONDS);
        kafkaProblem = "";
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        Object bootstrap = kafka.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG);
        kafkaProblem =
            KafkaAccess.explain(e, acls())
                .orElse("Kafka at " + bootstrap + " does not answer: " + e);
      }
      kafkaCheckedAt = now;
    }
    return kafkaProblem;
  }

  /** The ACLs of a sink's principal (docs/operations.md), for a message naming them. */
  private String acls() {
    return "Read and Describe on topic "
        + topic
        + ", Read on group "
        + groupId
        + ", Write and Describe on topic "
        + deadLetters.topic();
  }

  private void fail(Throwable e, boolean unexpected) {
    failure = e;
    state = State.FAILED;
    if (unexpected) {
      log.error("{} failed and stopped consuming; fix the cause and restart", name, e);
    } else {
      log.error("{} stopped; fix the cause and restart: {}", name, e.getMessage());
    }
    closeConsumer();
    stopped.countDown();
  }

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
    deadLetters.close();
  }

  private final class PauseNewPartitionsDuringRetry implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      // Called inside poll(); while a delivery waits to retry no new records may be fetched.
      if (pausedForRetry) {
        consumer.pause(partitions);
      }
    }
  }

  /**
   * Stops consuming: wakes the consumer thread, waits for it (at most the close grace plus a few
   * seconds: a request in flight is allowed to finish), closes the consumer, the dead-letter
   * producer and the admin port. Offsets of records not yet delivered are not committed.
   * Idempotent.
   */
  @Override
  public void close() {
    closing = true;
    boolean running;
    synchronized (this) {
      running = started;
    }
    if (running) {
      consumer.wakeup();
      try {
        if (!stopped.await(closeGrace.toMillis() + 5_000, TimeUnit.MILLISECONDS)) {
          thread.interrupt();
          stopped.await(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    } else {
      synchronized (this) {
        closeConsumer();
      }
      state = State.CLOSED;
      stopped.countDown();
    }
    closeResources();
  }

  private synchronized void closeResources() {
    if (adminServer != null) {
      adminServer.close();
      adminServer = null;
    }
    if (kafkaAdmin != null) {
      kafkaAdmin.close(Duration.ofSeconds(2));
      kafkaAdmin = null;
    }
  }

  /** Blocks until the loop has stopped (closed or failed). */
  public void awaitStop() throws InterruptedException {
    stopped.await();
  }

  public State state() {
    return state;
  }

  /** Why the loop is {@link State#FAILED}. */
  public Optional<Throwable> failure() {
    return Optional.ofNullable(failure);
  }

  /** The topic consumed. */
  public String topic() {
    return topic;
  }

  /** The loop's meters (and the delivery's, if registered here), served on {@code /metrics}. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Where the admin port listens, if it is on. */
  public synchronized Optional<InetSocketAddress> adminAddress() {
    AdminServer s = adminServer;
    return s == null ? Optional.empty() : Optional.of(s.address());
  }

  /** Records read from the topic. */
  public long recordsConsumed() {
    return recordsConsumed.get();
  }

  /** Records the delivery could not decode (dead-lettered). */
  public long recordsUndecodable() {
    return recordsUndecodable.get();
  }

  /** Successful offset commits. */
  public long commits() {
    return commits.get();
  }

  /** Records written to the dead-letter topic. */
  public long deadLettered() {
    return deadLettered.get();
  }

  /** {@link #deadLettered()} by reason label. */
  public Map<String, Long> deadLetteredByReason() {
    Map<String, Long> out = new HashMap<>();
    deadLetteredCounts.forEach((r, n) -> out.put(r, n.get()));
    return out;
  }

  /** Records of the assigned partitions not yet delivered and committed (the lag gauge). */
  public long consumerLag() {
    return consumerLag.get();
  }

  /** Records of the poll being delivered: consumed, not yet committed. */
  public long inFlight() {
    return inFlight;
  }

  /** How a {@link SinkLoop} is put together; every setting but the three given has a default. */
  public static final class Builder {
    private final String name;
    private final String topic;
    private final Delivery delivery;
    private Map<String, Object> kafka = Map.of();
    private Map<String, Object> consumerKafka;
    private Map<String, Object> producerKafka;
    private String groupId;
    private String clientId;
    private String deadLetterTopic;
    private Backoff backoff = Backoff.upTo(Duration.ofSeconds(30));
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private Ticker ticker = Ticker.SYSTEM;
    private Duration pausedPollSlice = DEFAULT_PAUSED_POLL_SLICE;
    private Duration closeGrace = Duration.ofSeconds(10);
    private Optional<InetSocketAddress> adminAddress = Optional.empty();
    private PrometheusMeterRegistry registry;
    private String meterPrefix = DEFAULT_METER_PREFIX;
    private String recordsPlural = "records";
    private String oneRecord = "a decodable record";

    private Builder(String name, String topic, Delivery delivery) {
      this.name = name;
      this.topic = topic;
      this.delivery = delivery;
      this.groupId = name.replace(' ', '-');
      this.clientId = groupId;
    }

    /**
     * Kafka client properties (bootstrap and pass-through) for the consumer, the dead-letter
     * producer and the admin client; the consumer's at-least-once settings are fixed on top ({@link
     * SinkLoop#consumerConfig}).
     */
    public Builder kafka(Map<String, Object> properties) {
      this.kafka = Map.copyOf(properties);
      return this;
    }

    /**
     * Per-client properties, when each client should get only the ones it knows (otherwise every
     * client gets {@link #kafka}'s); {@code kafka} stays the admin client's.
     */
    public Builder kafka(
        Map<String, Object> consumer, Map<String, Object> producer, Map<String, Object> admin) {
      this.consumerKafka = Map.copyOf(consumer);
      this.producerKafka = Map.copyOf(producer);
      this.kafka = Map.copyOf(admin);
      return this;
    }

    /** Consumer group (default: the name with dashes). */
    public Builder groupId(String groupId) {
      this.groupId = groupId;
      return this;
    }

    /**
     * {@code client.id} of the consumer unless the Kafka properties set one (default: the name with
     * dashes); the dead-letter producer's is this plus {@code -deadletter}.
     */
    public Builder clientId(String clientId) {
      this.clientId = clientId;
      return this;
    }

    /** Where dead letters go (required). */
    public Builder deadLetterTopic(String topic) {
      this.deadLetterTopic = topic;
      return this;
    }

    /** Waits between dead-letter writes Kafka did not acknowledge (default up to 30 s). */
    public Builder backoff(Backoff backoff) {
      this.backoff = backoff;
      return this;
    }

    /** Uniform draws in [0, 1) for the backoff's jitter. */
    public Builder random(DoubleSupplier random) {
      this.random = random;
      return this;
    }

    /** The clock of waits, readiness checks and log throttles. */
    public Builder ticker(Ticker ticker) {
      this.ticker = ticker;
      return this;
    }

    /**
     * Longest single poll while a delivery waits (default 1 s, in real time): short slices let a
     * test with a fast ticker see its virtual deadlines.
     */
    public Builder pausedPollSlice(Duration slice) {
      this.pausedPollSlice = slice;
      return this;
    }

    /** How long {@link #close()} lets a request in flight finish (plus 5 s); default 10 s. */
    public Builder closeGrace(Duration grace) {
      this.closeGrace = grace;
      return this;
    }

    /** Serve {@code /healthz}, {@code /readyz}, {@code /metrics} there (port 0: any free one). */
    public Builder adminAddress(Optional<InetSocketAddress> address) {
      this.adminAddress = address;
      return this;
    }

    /** Where the loop's meters go (default: a registry of its own, without common tags). */
    public Builder registry(PrometheusMeterRegistry registry) {
      this.registry = registry;
      return this;
    }

    /** First part of every meter name (default {@value SinkLoop#DEFAULT_METER_PREFIX}). */
    public Builder meterPrefix(String prefix) {
      this.meterPrefix = prefix;
      return this;
    }

    /**
     * How log messages and meter descriptions call the records, e.g. {@code aggregates} and {@code
     * an Aggregate}.
     */
    public Builder records(String plural, String one) {
      this.recordsPlural = plural;
      this.oneRecord = one;
      return this;
    }

    /** Creates the consumer (it connects on {@link SinkLoop#start()}). */
    public SinkLoop build() {
      if (deadLetterTopic == null) {
        throw new IllegalStateException("a sink loop needs a dead-letter topic");
      }
      if (registry == null) {
        registry = AdminServer.newRegistry();
      }
      return new SinkLoop(this);
    }
  }
}
