package io.fleetstats.sink;

import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.deadletter.DeadLetter;
import io.fleetstats.sink.deadletter.DeadLetterWriter;
import io.fleetstats.sink.delivery.Backoff;
import io.fleetstats.sink.delivery.BatchSender;
import io.fleetstats.kit.LogThrottle;
import io.fleetstats.sink.delivery.ProxyClient;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.sink.format.Fit;
import io.fleetstats.sink.format.LineValidator.Reason;
import io.fleetstats.sink.format.WavefrontDistribution;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code <prefix>.aggregates} and delivers every aggregate as Wavefront lines to the
 * proxy, at least once: the offsets of a poll are committed only after every line of that poll
 * was accepted by the proxy, or its record was written to {@code <prefix>.deadletter} and
 * acknowledged by Kafka.
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
  /** Reason label of records that are not a decodable {@code Aggregate}. */
  public static final String UNDECODABLE = "undecodable";

  private static final Duration POLL_TIMEOUT = Duration.ofMillis(500);
  private static final Duration PAUSED_POLL_SLICE = Duration.ofSeconds(1);
  private static final Duration KAFKA_CHECK_EVERY = Duration.ofSeconds(5);

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
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final AggregateLines aggregateLines;
  private final BatchSender sender;
  private final Backoff backoff;
  private final DeadLetterWriter deadLetters;
  private final PrometheusMeterRegistry registry;
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private AdminServer adminServer;
  private Admin kafkaAdmin;

  private volatile State state = State.STARTING;
  private volatile Throwable failure;
  private volatile boolean closing;
  /** True while partitions are paused for a retry; read by the rebalance listener. */
  private boolean pausedForRetry;

  private final AtomicLong recordsConsumed = new AtomicLong();
  private final AtomicLong recordsUndecodable = new AtomicLong();
  private final AtomicLong linesInvalid = new AtomicLong();
  private final AtomicLong linesNonFinite = new AtomicLong();
  private final AtomicLong deltaZeroSkipped = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong deadLettered = new AtomicLong();
  private final AtomicLong consumerLag = new AtomicLong();
  /** Records of the poll being delivered: consumed but not committed. */
  private volatile long inFlight;
  private final Map<Reason, AtomicLong> invalidByReason = new EnumMap<>(Reason.class);
  private final Map<Fit, AtomicLong> fitted = new EnumMap<>(Fit.class);
  private final Map<String, Counter> deadLetteredByReason = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> deadLetteredCounts = new ConcurrentHashMap<>();
  private final Counter deadLetterRetries;
  private final LogThrottle invalidLog = LogThrottle.every(Duration.ofSeconds(10));
  private final LogThrottle undecodableLog = LogThrottle.every(Duration.ofSeconds(10));
  private final LogThrottle deadLetterLog = LogThrottle.every(Duration.ofSeconds(10));
  private volatile long kafkaCheckedAt = Long.MIN_VALUE;
  private volatile String kafkaProblem = "";

  private WavefrontSink(SinkConfig config) {
    this.config = config;
    Topics topics = config.topics();
    this.topic = topics.aggregates().name();
    this.registry = AdminServer.newRegistry(config.identity());
    for (Reason r : Reason.values()) {
      AtomicLong n = new AtomicLong();
      invalidByReason.put(r, n);
      FunctionCounter.builder("fleetstats.sink.lines.invalid", n, AtomicLong::get)
          .description("lines not sent because they failed validation, by reason")
          .tag("reason", r.label())
          .register(registry);
    }
    for (Fit f : Fit.values()) {
      AtomicLong n = new AtomicLong();
      fitted.put(f, n);
      FunctionCounter.builder("fleetstats.sink.fitted", n, AtomicLong::get)
          .description("changes made to fit the backend's limits, by kind (per aggregate)")
          .tag("kind", f.label())
          .register(registry);
    }
    counter("fleetstats.sink.records.consumed", recordsConsumed, "records read from the aggregates topic");
    counter("fleetstats.sink.records.undecodable", recordsUndecodable, "records that are not a decodable Aggregate (dead-lettered)");
    counter("fleetstats.sink.lines.nonfinite", linesNonFinite, "fields skipped because their value was NaN or infinite");
    counter("fleetstats.sink.delta.zero.skipped", deltaZeroSkipped, "delta counters not sent because the window counted 0");
    counter("fleetstats.sink.commits", commits, "successful offset commits");
    Gauge.builder("fleetstats.sink.consumer.lag", consumerLag, AtomicLong::get)
        .description("records of the assigned partitions not yet delivered and committed: not yet fetched plus fetched and in delivery")
        .register(registry);
    this.deadLetterRetries =
        Counter.builder("fleetstats.sink.retries")
            .description("requests answered retryably and sent again, by cause")
            .tag("cause", "deadletter")
            .register(registry);
    this.aggregateLines = AggregateLines.of(config.formatOptions());
    this.backoff = Backoff.upTo(config.retryMaxBackoff());
    this.sender =
        new BatchSender(
            new ProxyClient(config.proxyUrl(), config.requestTimeout(), config.token(), config.gzipLevel()),
            backoff,
            () -> ThreadLocalRandom.current().nextDouble(),
            registry);
    this.deadLetters =
        new DeadLetterWriter(topics.deadletter().name(), config.producerConfig(), Duration.ofSeconds(30));
    this.consumer = new KafkaConsumer<>(consumerConfig(config));
    this.thread = new Thread(this::run, "wavefront-sink");
  }

  private void counter(String name, AtomicLong value, String description) {
    FunctionCounter.builder(name, value, AtomicLong::get).description(description).register(registry);
  }

  /**
   * Creates missing topics (if {@link SinkConfig#createTopics()}), starts the admin port (if
   * {@link SinkConfig#adminAddress()} is set), then starts consuming on a thread of its own.
   *
   * @throws IllegalStateException if topics cannot be checked or created
   * @throws java.io.UncheckedIOException if the admin port cannot be bound
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
    if (config.token().isPresent() && "http".equalsIgnoreCase(config.proxyUrl().getScheme())
        && !isLoopback(config.proxyUrl().getHost())) {
      log.warn(
          "{} is set but {} is plain http: the token travels unencrypted",
          SinkConfig.TOKEN.key(),
          SinkConfig.PROXY_URL.key());
    }
    WavefrontSink sink = new WavefrontSink(config);
    try {
      if (config.adminAddress().isPresent()) {
        sink.kafkaAdmin = Admin.create(config.adminConfig());
        sink.adminServer = AdminServer.start(config.adminAddress().get(), sink.registry, sink::readiness);
      }
    } catch (RuntimeException e) {
      sink.closeResources();
      throw e;
    }
    sink.thread.start();
    log.info(
        "wavefront sink consuming {} as group {} from {}, sending to {}{}{}{}",
        sink.topic, config.groupId(), config.kafkaBootstrap(), config.proxyUrl(),
        config.token().isPresent() ? " with a token" : "",
        sink.adminServer == null ? "" : ", admin port " + sink.adminServer.address(),
        ", distributions " + config.distributions().name().toLowerCase(java.util.Locale.ROOT)
            + (config.deltaCounters() ? ", delta counters" : ""));
    return sink;
  }

  private static boolean isLoopback(String host) {
    return host != null && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
  }

  static Map<String, Object> consumerConfig(SinkConfig config) {
    Map<String, Object> props = new HashMap<>(config.consumerConfig());
    props.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    // At-least-once needs manual commits and must never see aborted transactional writes.
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "fleetstats-wavefront-sink");
    // Bytes, decoded by us: a record that cannot be decoded is dead-lettered with its original
    // bytes instead of failing every poll at the same offset.
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return props;
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
        updateLag();
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
        inFlight = 0;
        updateLag();
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

  /** Lines of one kind with, for each, the index of the record it came from. */
  private static final class Lines {
    final String format;
    final List<String> text = new ArrayList<>();
    int[] owner = new int[64];

    Lines(String format) {
      this.format = format;
    }

    void add(String line, int record) {
      if (text.size() == owner.length) {
        owner = Arrays.copyOf(owner, owner.length * 2);
      }
      owner[text.size()] = record;
      text.add(line);
    }
  }

  private BatchSender.Result deliver(ConsumerRecords<byte[], byte[]> records) throws InterruptedException {
    List<ConsumerRecord<byte[], byte[]>> list = new ArrayList<>(records.count());
    records.forEach(list::add);
    DeadLetter[] dead = new DeadLetter[list.size()];
    Lines points = new Lines(io.fleetstats.sink.format.WavefrontPoint.FORMAT);
    Lines distributions = new Lines(WavefrontDistribution.FORMAT);
    for (int i = 0; i < list.size(); i++) {
      ConsumerRecord<byte[], byte[]> record = list.get(i);
      recordsConsumed.incrementAndGet();
      Aggregate aggregate = decode(record, dead, i);
      if (aggregate == null) {
        continue;
      }
      AggregateLines.Result r = aggregateLines.apply(aggregate);
      for (int k = 0; k < r.lines().size(); k++) {
        (r.lines().get(k) instanceof WavefrontDistribution ? distributions : points).add(r.text().get(k), i);
      }
      linesNonFinite.addAndGet(r.nonFinite());
      deltaZeroSkipped.addAndGet(r.deltaZeroSkipped());
      r.fits().forEach((kind, n) -> fitted.get(kind).addAndGet(n));
      for (AggregateLines.Invalid invalid : r.invalid()) {
        linesInvalid.incrementAndGet();
        invalidByReason.get(invalid.verdict().reason()).incrementAndGet();
        long held = invalidLog.tryAcquire();
        if (held >= 0) {
          log.warn(
              "not sending invalid line ({} {}: {}): {} [record {}-{}@{} goes to the dead-letter topic; {} more invalid lines since the last message]",
              invalid.verdict().reason().proxyCode(),
              invalid.verdict().reason(),
              invalid.verdict().detail(),
              invalid.text(),
              record.topic(), record.partition(), record.offset(),
              held);
        }
        if (dead[i] == null) {
          dead[i] = letter(record, invalid.verdict().reason().label(), invalid.line() == null ? "" : invalid.text(), invalid.verdict().detail());
        }
      }
    }
    try {
      for (Lines lines : List.of(points, distributions)) {
        BatchSender.Result result = send(lines, list, dead);
        if (result.status() != BatchSender.Status.DELIVERED) {
          return result;
        }
      }
      if (!writeDeadLetters(dead)) {
        return new BatchSender.Result(BatchSender.Status.STOPPED, "");
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

  // Requests end at FLEETSTATS_BATCH_LINES lines or FLEETSTATS_BATCH_BYTES characters
  // (uncompressed, ≈ UTF-8 bytes for ASCII lines), whichever comes first.
  private BatchSender.Result send(Lines lines, List<ConsumerRecord<byte[], byte[]>> records, DeadLetter[] dead)
      throws InterruptedException {
    int from = 0;
    int n = lines.text.size();
    while (from < n) {
      int to = from;
      long chars = 0;
      while (to < n && to - from < config.batchLines()) {
        long len = lines.text.get(to).length() + 1L;
        if (to > from && chars + len > config.batchBytes()) {
          break;
        }
        chars += len;
        to++;
      }
      BatchSender.Result result = sender.send(lines.text.subList(from, to), lines.format, this::awaitPaused);
      if (result.status() != BatchSender.Status.DELIVERED) {
        return result;
      }
      for (BatchSender.Rejected rejected : result.rejected()) {
        int index = from + rejected.index();
        int owner = lines.owner[index];
        if (dead[owner] == null) {
          Reason reason = rejected.status() == 413 ? Reason.TOO_LARGE_FOR_PROXY : Reason.REJECTED_BY_PROXY;
          dead[owner] = letter(records.get(owner), reason.label(), lines.text.get(index), rejected.detail());
        }
      }
      from = to;
    }
    return new BatchSender.Result(BatchSender.Status.DELIVERED, "");
  }

  private static DeadLetter letter(ConsumerRecord<byte[], byte[]> record, String reason, String line, String detail) {
    return new DeadLetter(
        record.key(), record.value(), reason, line, detail, record.topic(), record.partition(), record.offset());
  }

  // Dead letters must be acknowledged before the offsets are committed; while Kafka does not take
  // them, retry like an unreachable proxy (consumer paused, nothing committed).
  private boolean writeDeadLetters(DeadLetter[] dead) throws InterruptedException {
    List<DeadLetter> letters = new ArrayList<>();
    for (DeadLetter d : dead) {
      if (d != null) {
        letters.add(d);
      }
    }
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
        Duration delay = backoff.delay(attempt++, ThreadLocalRandom.current().nextDouble(), Optional.empty());
        long held = deadLetterLog.tryAcquire();
        if (held >= 0) {
          log.warn("{}; {} records not committed, retry in {} ms ({} similar messages suppressed)",
              e.getMessage(), letters.size(), delay.toMillis(), held);
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
              k -> Counter.builder("fleetstats.sink.deadlettered")
                  .description("records written to the dead-letter topic, by reason")
                  .tag("reason", k)
                  .register(registry))
          .increment();
    }
    return true;
  }

  private Aggregate decode(ConsumerRecord<byte[], byte[]> record, DeadLetter[] dead, int i) {
    String problem;
    if (record.value() == null) {
      problem = "the record has no value";
    } else {
      try {
        return Topics.AGGREGATE.decode(record.value());
      } catch (SerializationException | org.apache.avro.AvroRuntimeException e) {
        problem = String.valueOf(e.getMessage());
      }
    }
    recordsUndecodable.incrementAndGet();
    dead[i] = letter(record, UNDECODABLE, "", problem);
    long held = undecodableLog.tryAcquire();
    if (held >= 0) {
      log.warn(
          "record {}-{}@{} is not an Aggregate ({}); it goes to the dead-letter topic ({} more since the last message)",
          record.topic(), record.partition(), record.offset(), problem, held);
    }
    return null;
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
      ConsumerRecords<byte[], byte[]> unexpected =
          consumer.poll(Duration.ofNanos(Math.min(remaining, PAUSED_POLL_SLICE.toNanos())));
      updateLag();
      // Paused partitions return nothing; should a partition slip through anyway, rewind it so
      // its records are read again after this batch instead of being skipped by the next commit.
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

  private static Map<TopicPartition, OffsetAndMetadata> nextOffsets(ConsumerRecords<byte[], byte[]> records) {
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

  /**
   * Why the sink is not ready, or empty: it is running, the last request to the proxy did not
   * fail retryably, and Kafka answers (checked at most every 5 s, from the admin thread).
   */
  String readiness() {
    if (state != State.RUNNING) {
      return "sink is " + state.name().toLowerCase(java.util.Locale.ROOT)
          + failure().map(f -> ": " + f.getMessage()).orElse("");
    }
    if (sender.health() == BatchSender.Health.FAILING) {
      return "the last request to " + config.proxyUrl() + " failed; retrying (see fleetstats_sink_retries_total)";
    }
    long now = System.nanoTime();
    if (kafkaAdmin != null && (kafkaCheckedAt == Long.MIN_VALUE || now - kafkaCheckedAt > KAFKA_CHECK_EVERY.toNanos())) {
      try {
        kafkaAdmin.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).nodes().get(3, TimeUnit.SECONDS);
        kafkaProblem = "";
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        kafkaProblem = "Kafka at " + config.kafkaBootstrap() + " does not answer: " + e;
      }
      kafkaCheckedAt = now;
    }
    return kafkaProblem;
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
    deadLetters.close();
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
   * few seconds: an HTTP request in flight is allowed to finish), closes the consumer and the
   * admin port. Offsets of lines not yet accepted by the proxy are not committed. Idempotent.
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

  /** The sink's meters (served on the admin port's {@code /metrics}). */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Where the admin port listens, if it is on. */
  public Optional<java.net.InetSocketAddress> adminAddress() {
    AdminServer s = adminServer;
    return s == null ? Optional.empty() : Optional.of(s.address());
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

  /** Changes made to fit the backend's limits, by kind. */
  public Map<Fit, Long> fitted() {
    Map<Fit, Long> out = new EnumMap<>(Fit.class);
    fitted.forEach((f, n) -> out.put(f, n.get()));
    return out;
  }

  /** Fields skipped because their value was NaN or infinite. */
  public long linesNonFinite() {
    return linesNonFinite.get();
  }

  /** Lines the proxy refused on their own (400, or 413 for one line); their records are dead-lettered. */
  public long linesRejectedByProxy() {
    return sender.linesRejectedByProxy();
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

  /** Records read from the topic, decodable or not. */
  public long recordsConsumed() {
    return recordsConsumed.get();
  }

  /** Records that were not a decodable {@code Aggregate} (dead-lettered). */
  public long recordsUndecodable() {
    return recordsUndecodable.get();
  }

  /** Successful offset commits. */
  public long commits() {
    return commits.get();
  }
}
