package io.fleetstats.sink.prometheus;

import io.fleetstats.kit.Ticker;
import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.kit.selfmetrics.SelfMetrics;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.sink.kit.SinkLoop;
import io.fleetstats.sink.kit.delivery.Backoff;
import io.fleetstats.sink.kit.delivery.BatchSender;
import io.fleetstats.sink.prometheus.PrometheusDelivery.Refused;
import io.fleetstats.sink.prometheus.format.Dropped;
import io.fleetstats.sink.prometheus.format.PromFormatter;
import io.fleetstats.sink.prometheus.format.PromSample;
import io.fleetstats.sink.prometheus.remote.RemoteWriteClient;
import io.fleetstats.sink.prometheus.remote.Tls;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes {@code <prefix>.aggregates} and writes every aggregate to a Prometheus remote-write
 * receiver, at least once: the offsets of a poll are committed only after every sample of that poll
 * was accepted (2xx), refused for its timestamp (counted, see {@link PrometheusDelivery}), or its
 * record was written to {@code <prefix>.deadletter} and acknowledged by Kafka.
 *
 * <p>Wiring only: the shared {@link SinkLoop} consumes, waits, dead-letters and commits; {@link
 * PrometheusDelivery} formats, orders, chunks and sends through {@link RemoteWriteClient}.
 */
public final class PrometheusSink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PrometheusSink.class);

  /** Retention given to the raw topics when the sink has to create them (DESIGN: 7 days). */
  public static final Duration RAW_RETENTION_WHEN_CREATED = Duration.ofDays(7);

  private static final String CLIENT_ID = "fleetstats-prometheus-sink";

  /** Lifecycle of the sink (the {@link SinkLoop.State} of its loop). */
  public enum State {
    STARTING,
    RUNNING,
    /** Stopped by an error that needs an operator; see {@link #failure()}. */
    FAILED,
    CLOSED
  }

  private final SinkLoop loop;
  private final PrometheusDelivery delivery;
  private final SelfMetrics selfMetrics;

  private PrometheusSink(PromSinkConfig config, Ticker ticker, Duration pausedPollSlice) {
    PrometheusMeterRegistry registry = AdminServer.newRegistry(config.identity());
    DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    Backoff backoff = Backoff.upTo(config.retryMaxBackoff());
    RemoteWriteClient client =
        new RemoteWriteClient(
            config.url(),
            config.requestTimeout(),
            config.credentials(),
            Tls.context(config.caFile(), config.insecureSkipVerify()));
    BatchSender<PromSample> sender =
        new BatchSender<>(client, backoff, random, ticker, registry, SinkLoop.DEFAULT_METER_PREFIX);
    this.delivery =
        new PrometheusDelivery(
            new PromFormatter(config.metricPrefix()),
            sender,
            config.batchSamples(),
            config.url(),
            ticker);
    this.loop =
        SinkLoop.builder("prometheus sink", config.topics().aggregates().name(), delivery)
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
    for (Refused r : Refused.values()) {
      counter(
          "fleetstats.sink.samples.refused",
          d -> d.refused(r),
          "samples the receiver refused for their timestamp (a window sent again, or corrected):"
              + " counted, not retried, not dead-lettered",
          "reason",
          r.label());
    }
    for (Dropped d : Dropped.values()) {
      counter(
          "fleetstats.sink.labels.dropped",
          x -> x.labelsDropped(d),
          "tags that did not become labels, by reason (per aggregate)",
          "reason",
          d.label());
    }
    counter(
        "fleetstats.sink.samples.name.invalid",
        PrometheusDelivery::samplesNameInvalid,
        "samples not sent because their metric name cannot start a Prometheus name");
    counter(
        "fleetstats.sink.samples.nonfinite",
        PrometheusDelivery::samplesNonFinite,
        "fields skipped because their value was NaN or infinite");
    counter(
        "fleetstats.sink.samples.superseded",
        PrometheusDelivery::superseded,
        "samples not sent because a later record of the same poll had the same series and window");
    this.selfMetrics =
        SelfMetrics.start(config.selfMetrics(), loop.registry(), config.identity().tags());
  }

  private void counter(
      String name, ToDoubleFunction<PrometheusDelivery> value, String description, String... tags) {
    FunctionCounter.builder(name, delivery, value)
        .description(description)
        .tags(tags)
        .register(loop.registry());
  }

  /**
   * Creates missing topics (if {@link PromSinkConfig#createTopics()}), starts the admin port (if
   * set), then consumes on a thread of its own.
   *
   * @throws IllegalStateException if topics cannot be checked or created
   * @throws java.io.UncheckedIOException if the admin port cannot be bound
   */
  public static PrometheusSink start(PromSinkConfig config) {
    return start(config, Ticker.SYSTEM, SinkLoop.DEFAULT_PAUSED_POLL_SLICE);
  }

  /**
   * {@link #start(PromSinkConfig)} on another clock (tests: outages of minutes on a fast ticker).
   */
  static PrometheusSink start(PromSinkConfig config, Ticker ticker, Duration pausedPollSlice) {
    if (config.createTopics()) {
      TopicSetup.ensure(
          config.adminConfig(),
          config.topics(),
          TopicSetup.DEFAULT_PARTITIONS,
          Optional.empty(),
          RAW_RETENTION_WHEN_CREATED,
          Duration.ofSeconds(30));
    }
    if (!(config.credentials() instanceof io.fleetstats.sink.prometheus.remote.Credentials.None)
        && "http".equalsIgnoreCase(config.url().getScheme())
        && !isLoopback(config.url().getHost())) {
      log.warn(
          "credentials are set but {} is plain http: they travel unencrypted",
          PromSinkConfig.URL.key());
    }
    if (config.insecureSkipVerify()) {
      log.warn(
          "{}=true: the receiver's certificate and host name are not checked",
          PromSinkConfig.INSECURE_SKIP_VERIFY.key());
    }
    PrometheusSink sink = new PrometheusSink(config, ticker, pausedPollSlice);
    sink.loop.start();
    log.info(
        "prometheus sink consuming {} as group {} from {}, writing to {} ({}){}",
        sink.topic(),
        config.groupId(),
        config.kafkaBootstrap(),
        config.url(),
        config.credentials(),
        sink.adminAddress().map(a -> ", admin port " + a).orElse(""));
    return sink;
  }

  private static boolean isLoopback(String host) {
    return host != null
        && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
  }

  /**
   * Stops consuming; offsets of samples not yet accepted are not committed. Idempotent. An HTTP
   * request in flight may finish (at most the request timeout).
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

  public String topic() {
    return loop.topic();
  }

  /** The sink's meters (served on the admin port's {@code /metrics}). */
  public PrometheusMeterRegistry registry() {
    return loop.registry();
  }

  public Optional<InetSocketAddress> adminAddress() {
    return loop.adminAddress();
  }

  /** Samples the receiver accepted (2xx). */
  public long samplesSent() {
    return delivery.sender().itemsSent();
  }

  /** Requests the receiver accepted. */
  public long batchesSent() {
    return delivery.sender().batchesSent();
  }

  /** Requests answered retryably (5xx, 429, timeout, refused) and sent again. */
  public long retries() {
    return delivery.sender().retries();
  }

  /**
   * Samples the receiver refused on their own (400 after bisection, 413 for one), including those
   * refused for their timestamp.
   */
  public long samplesRejected() {
    return delivery.sender().itemsRejected();
  }

  /** Samples refused for their timestamp, of one kind (not dead-lettered). */
  public long samplesRefused(Refused kind) {
    return delivery.refused(kind);
  }

  /** Samples not sent: a later record of the same poll had the same series and window. */
  public long samplesSuperseded() {
    return delivery.superseded();
  }

  /** Samples not sent because their name cannot start a Prometheus name. */
  public long samplesNameInvalid() {
    return delivery.samplesNameInvalid();
  }

  /** Fields skipped for NaN or infinite values. */
  public long samplesNonFinite() {
    return delivery.samplesNonFinite();
  }

  public long deadLettered() {
    return loop.deadLettered();
  }

  public Map<String, Long> deadLetteredByReason() {
    return loop.deadLetteredByReason();
  }

  public long recordsConsumed() {
    return loop.recordsConsumed();
  }

  public long recordsUndecodable() {
    return loop.recordsUndecodable();
  }

  public long commits() {
    return loop.commits();
  }
}
