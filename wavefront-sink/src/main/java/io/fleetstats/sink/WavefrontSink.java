package io.fleetstats.sink;

import io.fleetstats.kit.Ticker;
import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.kit.selfmetrics.SelfMetrics;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.sink.delivery.ProxyClient;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.sink.format.Fit;
import io.fleetstats.sink.format.LineValidator.Reason;
import io.fleetstats.sink.kit.SinkLoop;
import io.fleetstats.sink.kit.delivery.Backoff;
import io.fleetstats.sink.kit.delivery.BatchSender;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code <prefix>.aggregates} and delivers every aggregate as Wavefront lines to the
 * proxy, at least once: the offsets of a poll are committed only after every line of that poll was
 * accepted by the proxy, or its record was written to {@code <prefix>.deadletter} and acknowledged
 * by Kafka.
 *
 * <p>Wiring only: the shared {@link SinkLoop} consumes, waits, dead-letters and commits; {@link
 * WavefrontDelivery} formats, validates, chunks and sends through {@link ProxyClient}. This class
 * reads the settings, registers the meters that are Wavefront's own and keeps the getters that
 * embedders and tests read. A rebalance during a retry is harmless: plain points carry explicit
 * timestamps, so a redelivered duplicate overwrites the same value.
 */
public final class WavefrontSink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WavefrontSink.class);

  /** Retention given to the raw topics when the sink has to create them (DESIGN: 7 days). */
  public static final Duration RAW_RETENTION_WHEN_CREATED = Duration.ofDays(7);

  /** Reason label of records that are not a decodable {@code Aggregate}. */
  public static final String UNDECODABLE = SinkLoop.UNDECODABLE;

  private static final String CLIENT_ID = "fleetstats-wavefront-sink";

  /** Lifecycle of the sink (the {@link SinkLoop.State} of its loop). */
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

  private final SinkLoop loop;
  private final WavefrontDelivery delivery;
  private final SelfMetrics selfMetrics;

  private WavefrontSink(SinkConfig config, Ticker ticker, Duration pausedPollSlice) {
    PrometheusMeterRegistry registry = AdminServer.newRegistry(config.identity());
    DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    Backoff backoff = Backoff.upTo(config.retryMaxBackoff());
    ProxyClient client =
        new ProxyClient(
            config.proxyUrl(), config.requestTimeout(), config.token(), config.gzipLevel());
    BatchSender<String> sender =
        new BatchSender<>(client, backoff, random, ticker, registry, SinkLoop.DEFAULT_METER_PREFIX);
    this.delivery =
        new WavefrontDelivery(
            AggregateLines.of(config.formatOptions()),
            sender,
            config.batchLines(),
            config.batchBytes(),
            config.proxyUrl(),
            ticker,
            new Freshness(registry, java.time.Clock.systemUTC()));
    this.loop =
        SinkLoop.builder("wavefront sink", config.topics().aggregates().name(), delivery)
            .kafka(config.consumerConfig(), config.producerConfig(), config.adminConfig())
            .groupId(config.groupId())
            .clientId(CLIENT_ID)
            .deadLetterTopic(config.topics().deadletter().name())
            .backoff(backoff)
            .random(random)
            .ticker(ticker)
            .pausedPollSlice(pausedPollSlice)
            .closeGrace(config.requestTimeout())
            .adminAddress(config.adminAddress())
            .registry(registry)
            .records("aggregates", "an Aggregate")
            .build();
    for (Reason r : Reason.values()) {
      counter(
          "fleetstats.sink.lines.invalid",
          d -> d.linesInvalid(r),
          "lines not sent because they failed validation, by reason",
          "reason",
          r.label());
    }
    for (Fit f : Fit.values()) {
      counter(
          "fleetstats.sink.fitted",
          d -> d.fitted(f),
          "changes made to fit the backend's limits, by kind (per aggregate)",
          "kind",
          f.label());
    }
    counter(
        "fleetstats.sink.lines.nonfinite",
        WavefrontDelivery::linesNonFinite,
        "fields skipped because their value was NaN or infinite");
    counter(
        "fleetstats.sink.delta.zero.skipped",
        WavefrontDelivery::deltaZeroSkipped,
        "delta counters not sent because the window counted 0");
    this.selfMetrics =
        SelfMetrics.start(config.selfMetrics(), loop.registry(), config.identity().tags());
  }

  private void counter(
      String name, ToDoubleFunction<WavefrontDelivery> value, String description, String... tags) {
    FunctionCounter.builder(name, delivery, value)
        .description(description)
        .tags(tags)
        .register(loop.registry());
  }

  /**
   * Creates missing topics (if {@link SinkConfig#createTopics()}), starts the admin port (if {@link
   * SinkConfig#adminAddress()} is set), then starts consuming on a thread of its own.
   *
   * @throws IllegalStateException if topics cannot be checked or created
   * @throws java.io.UncheckedIOException if the admin port cannot be bound
   */
  public static WavefrontSink start(SinkConfig config) {
    return start(config, Ticker.SYSTEM, SinkLoop.DEFAULT_PAUSED_POLL_SLICE);
  }

  /**
   * {@link #start(SinkConfig)} on another clock: tests run a proxy outage of minutes on a fast
   * ticker, with paused polls short enough for its deadlines.
   */
  static WavefrontSink start(SinkConfig config, Ticker ticker, Duration pausedPollSlice) {
    if (config.createTopics()) {
      TopicSetup.ensure(
          config.adminConfig(),
          config.topics(),
          TopicSetup.DEFAULT_PARTITIONS,
          Optional.empty(),
          RAW_RETENTION_WHEN_CREATED,
          Duration.ofSeconds(30));
    }
    if (config.token().isPresent()
        && "http".equalsIgnoreCase(config.proxyUrl().getScheme())
        && !isLoopback(config.proxyUrl().getHost())) {
      log.warn(
          "{} is set but {} is plain http: the token travels unencrypted",
          SinkConfig.TOKEN.key(),
          SinkConfig.PROXY_URL.key());
    }
    WavefrontSink sink = new WavefrontSink(config, ticker, pausedPollSlice);
    sink.loop.start();
    log.info(
        "wavefront sink consuming {} as group {} from {}, sending to {}{}{}{}",
        sink.topic(),
        config.groupId(),
        config.kafkaBootstrap(),
        config.proxyUrl(),
        config.token().isPresent() ? " with a token" : "",
        sink.adminAddress().map(a -> ", admin port " + a).orElse(""),
        ", distributions "
            + config.distributions().name().toLowerCase(Locale.ROOT)
            + (config.deltaCounters() ? ", delta counters" : ""));
    return sink;
  }

  private static boolean isLoopback(String host) {
    return host != null
        && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
  }

  static Map<String, Object> consumerConfig(SinkConfig config) {
    return SinkLoop.consumerConfig(config.consumerConfig(), config.groupId(), CLIENT_ID);
  }

  /**
   * Stops consuming: wakes the consumer thread, waits for it (at most the request timeout plus a
   * few seconds: an HTTP request in flight is allowed to finish), closes the consumer and the admin
   * port. Offsets of lines not yet accepted by the proxy are not committed. Idempotent.
   */
  @Override
  public void close() {
    loop.close();
    selfMetrics.close();
  }

  /** Blocks until the sink has stopped (closed or failed). */
  public void awaitStop() throws InterruptedException {
    loop.awaitStop();
  }

  public State state() {
    return State.valueOf(loop.state().name());
  }

  /** Why the sink is {@link State#FAILED}. */
  public Optional<Throwable> failure() {
    return loop.failure();
  }

  /** The topic consumed. */
  public String topic() {
    return loop.topic();
  }

  /** The sink's meters (served on the admin port's {@code /metrics}). */
  public PrometheusMeterRegistry registry() {
    return loop.registry();
  }

  /** Where the admin port listens, if it is on. */
  public Optional<InetSocketAddress> adminAddress() {
    return loop.adminAddress();
  }

  /** Lines the proxy accepted (2xx). */
  public long linesSent() {
    return delivery.sender().itemsSent();
  }

  /** HTTP requests the proxy accepted. */
  public long batchesSent() {
    return delivery.sender().batchesSent();
  }

  /** Requests answered retryably (5xx, 429, timeout, refused) and sent again. */
  public long retries() {
    return delivery.sender().retries();
  }

  /** Lines not sent because they failed local validation. */
  public long linesInvalid() {
    return delivery.linesInvalid();
  }

  /** {@link #linesInvalid()} by reason. */
  public Map<Reason, Long> linesInvalidByReason() {
    return delivery.linesInvalidByReason();
  }

  /** Changes made to fit the backend's limits, by kind. */
  public Map<Fit, Long> fitted() {
    return delivery.fitted();
  }

  /** Fields skipped because their value was NaN or infinite. */
  public long linesNonFinite() {
    return delivery.linesNonFinite();
  }

  /**
   * Lines the proxy refused on their own (400, or 413 for one line); their records are
   * dead-lettered.
   */
  public long linesRejectedByProxy() {
    return delivery.sender().itemsRejected();
  }

  /** Records written to the dead-letter topic. */
  public long deadLettered() {
    return loop.deadLettered();
  }

  /** {@link #deadLettered()} by reason label. */
  public Map<String, Long> deadLetteredByReason() {
    return loop.deadLetteredByReason();
  }

  /** Records read from the topic, decodable or not. */
  public long recordsConsumed() {
    return loop.recordsConsumed();
  }

  /** Records that were not a decodable {@code Aggregate} (dead-lettered). */
  public long recordsUndecodable() {
    return loop.recordsUndecodable();
  }

  /** Successful offset commits. */
  public long commits() {
    return loop.commits();
  }
}
