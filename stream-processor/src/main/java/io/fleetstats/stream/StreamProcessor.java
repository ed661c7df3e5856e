package io.fleetstats.stream;

import io.fleetstats.kit.KafkaAccess;
import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.topology.StreamMetrics;
import io.fleetstats.stream.topology.TopologyFactory;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running stream processor: Kafka Streams over the raw statsd topic, emitting one aggregate per
 * series per closed window, exactly once. Start it with {@link #start}, stop it with {@link
 * #close}.
 */
public final class StreamProcessor implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StreamProcessor.class);

  /**
   * How often {@link #start} reports while it waits for Kafka Streams to reach RUNNING: restoring
   * the windows' state from the changelogs may take minutes (a new pod, a lost volume), and it
   * waits for as long as it takes.
   */
  public static final Duration START_REPORT_INTERVAL = Duration.ofSeconds(30);

  /** How long {@link #close} waits for Kafka Streams to shut down. */
  public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  /**
   * Retention of raw topics this service creates: 7 days, as the edge agent and the sink create
   * them (DESIGN: sized for backfill by replay), so it does not matter which service starts first.
   */
  public static final Duration RAW_RETENTION = Duration.ofDays(7);

  private final StreamConfig config;
  private final KafkaStreams streams;
  private final PrometheusMeterRegistry registry;
  private final KafkaStreamsMetrics kafkaMetrics;
  private final io.fleetstats.kit.selfmetrics.SelfMetrics forwarded;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final RestoreProgress restore = new RestoreProgress();
  private final UndecodableRecords undecodable;
  private volatile AdminServer admin;

  /** What to fix, when Kafka refused the login or a request and Kafka Streams stopped. */
  private volatile String refused;

  /** The ACLs of the processor's principal (docs/operations.md), for a message naming them. */
  static final String ACLS =
      "Read and Describe on the raw topics and the clusters topic, Write and Describe on the"
          + " aggregates and dead-letter topics, and All on the topics, group and transactional ids"
          + " prefixed with the application id (FLEETSTATS_APPLICATION_ID)";

  private StreamProcessor(
      StreamConfig config, KafkaStreams streams, UndecodableRecords undecodable) {
    this.config = config;
    this.streams = streams;
    this.undecodable = undecodable;
    this.registry = AdminServer.newRegistry(config.identity());
    undecodable.bindTo(registry);
    SelfMetrics.bind(registry, streams);
    // Kafka Streams' and its clients' own metrics (lag, commit latency, ...) as kafka_stream_*
    this.kafkaMetrics = new KafkaStreamsMetrics(streams);
    kafkaMetrics.bindTo(registry);
    this.forwarded =
        io.fleetstats.kit.selfmetrics.SelfMetrics.start(
            config.selfMetrics(), registry, config.identity().tags());
  }

  /**
   * Creates missing topics (when {@link StreamConfig#createTopics()}), starts Kafka Streams and
   * waits until it is RUNNING, through state restoration however long it takes, reporting every
   * {@link #START_REPORT_INTERVAL} (records restored and left; or, with nothing under way, whether
   * Kafka is reachable).
   *
   * @throws IllegalStateException when topics cannot be created, or Kafka Streams fails (ERROR or
   *     NOT_RUNNING) while starting; the message says which
   */
  public static StreamProcessor start(StreamConfig config) {
    Topics topics = config.topics();
    if (config.createTopics()) {
      TopicSetup.ensure(
          config.adminProperties(),
          topics,
          TopicSetup.DEFAULT_PARTITIONS,
          Optional.empty(),
          RAW_RETENTION,
          Duration.ofSeconds(30));
    }
    quietRecoveryLog();
    UncleanStop unclean = UncleanStop.scan(config.stateDir(), config.applicationId());
    if (unclean.found()) {
      log.warn(unclean.describe());
    }
    Properties properties = streamsProperties(config);
    KafkaStreams streams;
    try {
      streams =
          new KafkaStreams(
              TopologyFactory.build(config, topics, rawPartitions(config, topics)), properties);
    } catch (KafkaException e) {
      // a key store that cannot be read: say which setting, not just "Failed to construct"
      throw KafkaAccess.explain(e, ACLS)
          .<RuntimeException>map(
              m -> new IllegalStateException("stream processor cannot start: " + m))
          .orElse(e);
    }
    StreamProcessor processor =
        new StreamProcessor(
            config, streams, (UndecodableRecords) properties.get(UndecodableRecords.CONFIG));
    if (config.adminAddress().isPresent()) {
      try {
        processor.admin =
            AdminServer.start(
                config.adminAddress().get(), processor.registry, processor::notReadyReason);
      } catch (RuntimeException e) {
        processor.close();
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
    CompletableFuture<Void> running = new CompletableFuture<>();
    streams.setStateListener(
        (now, before) -> {
          if (now == KafkaStreams.State.RUNNING) {
            running.complete(null);
          } else if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
            String refused = processor.refused;
            running.completeExceptionally(
                new IllegalStateException(
                    refused != null
                        ? "stream processor stopped: " + refused
                        : "Kafka Streams stopped while starting: " + now));
            processor.stopped.complete(null);
          }
        });
    streams.setUncaughtExceptionHandler(
        e -> {
          Optional<String> refused = KafkaAccess.explain(e, ACLS);
          if (refused.isPresent()) {
            // an operator's fix, named in full: a stack trace would add nothing
            processor.refused = refused.get();
            log.error("stream processor stopped; fix the cause and restart: {}", refused.get());
          } else {
            log.error("stream thread failed; shutting the stream processor down", e);
          }
          return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.setGlobalStateRestoreListener(processor.restore);
    try {
      // the global table's thread is started and initialized here: a refused login throws now
      streams.start();
    } catch (RuntimeException e) {
      Optional<String> refused = KafkaAccess.explain(e, ACLS);
      processor.close();
      if (refused.isPresent()) {
        throw new IllegalStateException("stream processor cannot start: " + refused.get());
      }
      throw e;
    }
    try {
      processor.awaitRunning(running);
    } catch (ExecutionException e) {
      processor.close();
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      processor.close();
      throw new IllegalStateException("interrupted while starting the stream processor", e);
    }
    log.info(
        "stream processor running: topics matching {} -> {}, window {} ms, grace {} ms",
        config.rawStatsdTopics(),
        topics.aggregates().name(),
        config.window().toMillis(),
        config.grace().toMillis());
    return processor;
  }

  /** Kafka Streams' ERROR and per-task WARNs for a routine rebuild of local state stay out. */
  private static void quietRecoveryLog() {
    try {
      RecoveryLogFilter.install();
    } catch (NoClassDefFoundError e) {
      log.debug("logback is not on the class path: Kafka Streams logs recoveries as it does");
    }
  }

  /**
   * Waits for {@code running} without a deadline: a start that restores gigabytes of window state
   * must not be cut short (a StatefulSet would restart it and restore again from the beginning).
   * Only a failure of Kafka Streams ends the wait early.
   */
  private void awaitRunning(CompletableFuture<Void> running)
      throws ExecutionException, InterruptedException {
    long started = System.nanoTime();
    while (true) {
      try {
        running.get(START_REPORT_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        if (restore.restored() > 0) {
          log.info("state ready: {}", restore.summary(waitedSince(started)));
        }
        return;
      } catch (TimeoutException e) {
        Duration waited = waitedSince(started);
        if (restore.underWay()) {
          log.info(
              "Kafka Streams is {}, still starting: {}", streams.state(), restore.summary(waited));
        } else {
          log.warn(
              "Kafka Streams is {}, still starting after {} s with no state restoration under way:"
                  + " is Kafka reachable at {} ({})? Waiting",
              streams.state(),
              waited.toSeconds(),
              config.bootstrap(),
              StreamConfig.BOOTSTRAP.key());
        }
      }
    }
  }

  private static Duration waitedSince(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** Records restored from the changelogs since this instance started. */
  public long restoredRecords() {
    return restore.restored();
  }

  /**
   * Partitions of the raw statsd topics (the most any topic matching the pattern has), i.e. stage-1
   * tasks, which every roll-up window waits for; 0 (learn them as they speak) without roll-ups or
   * when Kafka cannot tell.
   */
  private static int rawPartitions(StreamConfig config, Topics topics) {
    if (config.rollups().isEmpty()) {
      return 0;
    }
    try (Admin admin = Admin.create(config.adminProperties())) {
      List<String> raw =
          admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
              .filter(t -> config.rawStatsdTopics().matcher(t).matches())
              .toList();
      if (raw.isEmpty()) {
        return 0;
      }
      return admin.describeTopics(raw).allTopicNames().get(30, TimeUnit.SECONDS).values().stream()
          .mapToInt(d -> d.partitions().size())
          .max()
          .orElse(0);
    } catch (ExecutionException | TimeoutException e) {
      log.warn(
          "cannot read the partitions of the topics matching {} ({}); roll-ups wait only for"
              + " partitions heard from",
          config.rawStatsdTopics(),
          e.toString());
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 0;
    }
  }

  /** Kafka Streams settings for {@code config}: pass-through client properties, then ours. */
  public static Properties streamsProperties(StreamConfig config) {
    Properties p = new Properties();
    // Changelog and output records are sketches and repeated identity strings: lz4 roughly halves
    // what the broker must write and ack before each exactly-once commit. A configured
    // compression.type (FLEETSTATS_KAFKA_COMPRESSION_TYPE) wins.
    if (!config.kafka().containsKey(ProducerConfig.COMPRESSION_TYPE_CONFIG)
        && !config
            .kafka()
            .containsKey(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG))) {
      p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), "lz4");
    }
    p.putAll(config.kafka());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrap());
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(
        StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.toString(config.commitInterval().toMillis()));
    transactionTimeout(config).ifPresent(t -> p.put(TRANSACTION_TIMEOUT, t));
    p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toString());
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.toString(config.streamThreads()));
    // fail at start, not in production, if a future change adds an unnamed store or topic
    p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
    // a record that does not decode is skipped, dead-lettered and counted by reason and topic
    p.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        UndecodableRecords.Handler.class.getName());
    p.put(UndecodableRecords.CONFIG, new UndecodableRecords(config.topics().deadletter().name()));
    return p;
  }

  private static final String TRANSACTION_TIMEOUT =
      StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);

  /** Kafka Streams' exactly-once producers time a transaction out after this by default. */
  private static final long STREAMS_TRANSACTION_TIMEOUT_MS = 10_000;

  /**
   * The producers' transaction timeout when it must differ from what Kafka Streams would use.
   * Streams refuses to start when the timeout is below the commit interval, and it reads only the
   * producer-prefixed property: a plain {@code FLEETSTATS_KAFKA_TRANSACTION_TIMEOUT_MS} is given
   * that prefix, and without one a commit interval of 10 s or more gets the interval plus 10 s.
   */
  static Optional<String> transactionTimeout(StreamConfig config) {
    Map<String, String> kafka = config.kafka();
    if (kafka.containsKey(TRANSACTION_TIMEOUT)) {
      return Optional.empty();
    }
    String plain = kafka.get(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG);
    if (plain != null) {
      return Optional.of(plain);
    }
    long commit = config.commitInterval().toMillis();
    return commit < STREAMS_TRANSACTION_TIMEOUT_MS
        ? Optional.empty()
        : Optional.of(Long.toString(commit + STREAMS_TRANSACTION_TIMEOUT_MS));
  }

  public StreamConfig config() {
    return config;
  }

  /** Kafka Streams' state: RUNNING, REBALANCING, ... */
  public KafkaStreams.State state() {
    return streams.state();
  }

  /** Empty when Kafka Streams is RUNNING, else why the processor is not ready ({@code /readyz}). */
  String notReadyReason() {
    KafkaStreams.State state = streams.state();
    return state == KafkaStreams.State.RUNNING ? "" : "Kafka Streams is " + state;
  }

  /** The self-metrics registry ({@code /metrics}). */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Where the admin port listens, when it does. */
  public Optional<InetSocketAddress> adminAddress() {
    AdminServer a = admin;
    return a == null ? Optional.empty() : Optional.of(a.address());
  }

  /** Completes when Kafka Streams has stopped, by {@link #close} or by a fatal error. */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  /** Samples dropped as late since this instance started, over all its tasks. */
  public long lateSamples() {
    return (long) StreamMetrics.total(streams.metrics(), StreamMetrics.LATE_SAMPLES);
  }

  /** Windows emitted again after late samples corrected them (per pod and roll-up). */
  public long correctionsEmitted() {
    return (long) StreamMetrics.total(streams.metrics(), StreamMetrics.CORRECTIONS_EMITTED);
  }

  /** Samples dated beyond the allowed clock skew in the future, re-stamped. */
  public long skewedSamples() {
    return (long) StreamMetrics.total(streams.metrics(), StreamMetrics.SKEWED_SAMPLES);
  }

  /** Raw batches skipped as already aggregated (same agent id and sequence). */
  public long duplicateBatches() {
    return (long) StreamMetrics.total(streams.metrics(), StreamMetrics.DUPLICATE_BATCHES);
  }

  /** Raw records skipped (and dead-lettered) because they do not decode, by topic and reason. */
  public UndecodableRecords undecodable() {
    return undecodable;
  }

  /** Samples folded into overflow series by the cardinality guard, over all its tasks. */
  public long overflowSamples() {
    return (long) StreamMetrics.total(streams.metrics(), StreamMetrics.OVERFLOW_SAMPLES);
  }

  /**
   * Samples of source {@code sourceId} (cluster/namespace/pod/container) folded into {@code
   * fleetstats.overflow} because it passed {@code FLEETSTATS_MAX_SERIES_PER_SOURCE}.
   */
  public long overflowSamplesOf(String sourceId) {
    return (long)
        StreamMetrics.total(
            streams.metrics(),
            StreamMetrics.OVERFLOW_SAMPLES_BY_SOURCE,
            java.util.Map.of("source", sourceId));
  }

  /** Aggregates emitted since this instance started, over all its tasks. */
  public long aggregatesEmitted() {
    return (long) StreamMetrics.total(streams.metrics(), StreamMetrics.AGGREGATES_EMITTED);
  }

  /**
   * Stops Kafka Streams and leaves the consumer group at once, so that the next start of the same
   * application id does not wait out the session timeout (45 s). Idempotent.
   */
  @Override
  public void close() {
    streams.close(
        CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
            .withTimeout(CLOSE_TIMEOUT));
    kafkaMetrics.close();
    forwarded.close();
    AdminServer a = admin;
    if (a != null) {
      a.close();
    }
    stopped.complete(null);
  }
}
