package io.fleetstats.edge;

import io.fleetstats.edge.input.Input;
import io.fleetstats.edge.kubelet.KubeletInput;
import io.fleetstats.edge.mysql.MysqlInput;
import io.fleetstats.edge.publish.BatchPublisher;
import io.fleetstats.edge.statsd.RejectReason;
import io.fleetstats.edge.statsd.StatsdInput;
import io.fleetstats.edge.statsd.StatsdStats;
import io.fleetstats.kit.KafkaAccess;
import io.fleetstats.kit.Ticker;
import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.kit.selfmetrics.SelfMetrics;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running edge agent: a list of {@link Input}s (statsd always, MySQL when a server is set), each
 * with a {@link BatchPublisher} of its own in front of one shared Kafka producer.
 *
 * <pre>
 *   StatsdInput (event loop) ──offer──► BatchPublisher(raw.statsd) ─┐
 *   MysqlInput  (poller)     ──offer──► BatchPublisher(raw.mysql)  ─┤
 *   KubeletInput (scraper)   ──offer──► BatchPublisher(raw.kubelet) ─┴─► KafkaProducer ─► Kafka
 * </pre>
 */
public final class EdgeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EdgeAgent.class);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final EdgeConfig config;
  private final KafkaProducer<byte[], byte[]> producer;

  /** Started inputs in start order, each with its publisher. */
  private final Map<Input, BatchPublisher> inputs;

  private final StatsdInput statsd;
  private final MysqlInput mysql;
  private final KafkaStartCheck kafkaCheck;
  private final PrometheusMeterRegistry registry;
  private final SelfMetrics selfMetrics;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EdgeAgent(
      EdgeConfig config,
      KafkaProducer<byte[], byte[]> producer,
      Map<Input, BatchPublisher> inputs,
      StatsdInput statsd,
      MysqlInput mysql,
      KafkaStartCheck kafkaCheck) {
    this.config = config;
    this.kafkaCheck = kafkaCheck;
    this.producer = producer;
    this.inputs = inputs;
    this.statsd = statsd;
    this.mysql = mysql;
    this.registry = AdminServer.newRegistry();
    Tags tags = config.identity().tags();
    inputs.forEach(
        (input, publisher) -> {
          input.bindMeters(registry, tags);
          publisher.bindMeters(registry, tags, input.meterPrefix());
        });
    this.selfMetrics = SelfMetrics.start(config.selfMetrics(), registry, tags);
  }

  /** {@link #start(EdgeConfig, Clock)} with the system clock. */
  public static EdgeAgent start(EdgeConfig config) {
    return start(config, Clock.systemUTC());
  }

  /**
   * Checks Kafka (creating the missing topics when configured) for up to 3 s, starts every input
   * (binding the statsd socket) in front of a new producer and returns once listening; if Kafka did
   * not answer, the check goes on in the background. Kafka being unreachable, or topics not
   * creatable, is never fatal: it is logged (a WARN naming the bootstrap and the buffer) and the
   * publishers buffer until Kafka takes their batches.
   *
   * @param clock gives receive times and batch creation times (event time downstream)
   * @throws IllegalStateException when an input cannot start (the address cannot be bound); the
   *     message names the cause and the setting
   */
  public static EdgeAgent start(EdgeConfig config, Clock clock) {
    return start(config, clock, List.of());
  }

  /**
   * Like {@link #start(EdgeConfig, Clock)}, with inputs besides statsd and MySQL (an embedding
   * application's own): each gets a publisher of its own like the built-in ones. Their topics must
   * exist (or the broker create them).
   */
  public static EdgeAgent start(EdgeConfig config, Clock clock, List<Input> more) {
    // Kafka is checked (and topics created) first, briefly; if it does not answer, the inputs
    // listen anyway and the check goes on in the background (see KafkaStartCheck)
    KafkaStartCheck kafkaCheck = KafkaStartCheck.start(config);
    KafkaProducer<byte[], byte[]> producer;
    try {
      producer =
          BatchPublisher.createProducer(
              BatchPublisher.producerProperties(config.kafkaBootstrap(), config.kafkaProperties()));
    } catch (KafkaException e) {
      kafkaCheck.close();
      // a key store that cannot be read: say which setting, not just "Failed to construct"
      throw KafkaAccess.explain(e, "").<RuntimeException>map(IllegalStateException::new).orElse(e);
    }
    StatsdInput statsd = new StatsdInput(config.statsdOptions(), clock);
    MysqlInput mysql =
        config.mysql().enabled()
            ? new MysqlInput(config.mysql(), config::source, config.topics().rawMysql(), clock)
            : null;
    Map<Input, BatchPublisher> started = new LinkedHashMap<>();
    try {
      List<Input> all = inputs(config, clock, statsd, mysql);
      all.addAll(more);
      for (Input input : all) {
        BatchPublisher publisher =
            new BatchPublisher(
                producer,
                input.topic(),
                input.name(),
                limits(config, input),
                CLOSE_TIMEOUT,
                Ticker.SYSTEM);
        started.put(input, publisher);
        input.start(publisher);
      }
    } catch (RuntimeException e) {
      stop(started);
      producer.close(Duration.ZERO);
      kafkaCheck.close();
      throw e;
    }
    EdgeAgent agent = new EdgeAgent(config, producer, started, statsd, mysql, kafkaCheck);
    InetSocketAddress bound = statsd.address();
    InetSocketAddress tcp = statsd.tcpAddress();
    log.info(
        "edge agent listening for statsd on udp://{}:{}{} ({}), publishing to {} at {} as source {} ({})",
        bound.getHostString(),
        bound.getPort(),
        tcp == null ? "" : " and tcp://" + tcp.getHostString() + ":" + tcp.getPort(),
        statsd.transport(),
        statsd.topic(),
        config.kafkaBootstrap(),
        config.identity().sourceId(),
        config.summary());
    return agent;
  }

  /** The inputs to run, in start order: a new input is one more line here. */
  private static List<Input> inputs(
      EdgeConfig config, Clock clock, StatsdInput statsd, MysqlInput mysql) {
    List<Input> inputs = new ArrayList<>();
    inputs.add(statsd);
    if (mysql != null) {
      inputs.add(mysql);
    }
    if (config.kubelet().enabled()) {
      inputs.add(
          new KubeletInput(config.kubelet(), config::source, config.topics().rawKubelet(), clock));
    }
    return inputs;
  }

  /** The outage buffer of one input: the same bounds for each, a spool folder of its own. */
  private static BatchPublisher.Limits limits(EdgeConfig config, Input input) {
    IngestSettings ingest = config.ingest();
    return new BatchPublisher.Limits(
        ingest.bufferMaxBytes(),
        config.maxPendingBatches(),
        8,
        ingest.spoolDirectory() == null ? null : ingest.spoolDirectory().resolve(input.name()),
        ingest.spoolMaxBytes());
  }

  /** Inputs first (the last statsd batch goes to its publisher), newest first; then publishers. */
  private static void stop(Map<Input, BatchPublisher> started) {
    List<Input> reversed = new ArrayList<>(started.keySet());
    java.util.Collections.reverse(reversed);
    for (Input input : reversed) {
      input.close();
    }
    started.values().forEach(BatchPublisher::close);
  }

  /** The bound statsd address, with the actual port when port 0 was configured. */
  public InetSocketAddress statsdAddress() {
    return statsd.address();
  }

  /** The MySQL input, when a server is configured. */
  public Optional<MysqlInput> mysql() {
    return Optional.ofNullable(mysql);
  }

  /** The statsd input (node mode's pod index and attribution counters are there). */
  public StatsdInput statsdInput() {
    return statsd;
  }

  /** The kubelet input, when a kubelet is configured. */
  public Optional<KubeletInput> kubelet() {
    return inputs.keySet().stream()
        .filter(KubeletInput.class::isInstance)
        .map(KubeletInput.class::cast)
        .findFirst();
  }

  /** The bound TCP statsd address, or null when TCP is off. */
  public InetSocketAddress statsdTcpAddress() {
    return statsd.tcpAddress();
  }

  /** The agent's own metrics (see the README's "Metrics emitted"), for {@code /metrics}. */
  public PrometheusMeterRegistry meterRegistry() {
    return registry;
  }

  /** Empty when ready (listening, Kafka reachable), else why not: for {@code /readyz}. */
  public String notReadyReason() {
    if (closed.get()) {
      return "the agent is closed";
    }
    for (Map.Entry<Input, BatchPublisher> e : inputs.entrySet()) {
      String input = e.getKey().notReadyReason();
      if (!input.isEmpty()) {
        return input;
      }
      String kafka = e.getValue().kafkaProblem();
      if (kafka != null) {
        return kafka;
      }
    }
    return "";
  }

  /** The settings this agent runs with. */
  public EdgeConfig config() {
    return config;
  }

  private BatchPublisher statsdPublisher() {
    return inputs.get(statsd);
  }

  /** Datagrams received. */
  public long packetsReceived() {
    return statsd.stats().packets();
  }

  /** Non-empty statsd lines received, accepted or not. */
  public long linesReceived() {
    return statsd.stats().lines();
  }

  /** Samples from accepted lines. */
  public long samplesReceived() {
    return statsd.stats().samples();
  }

  /** Lines rejected, all reasons. */
  public long linesRejected() {
    return statsd.stats().rejectedTotal();
  }

  /** Lines rejected for {@code reason}. */
  public long linesRejected(RejectReason reason) {
    return statsd.stats().rejected(reason);
  }

  /** Datagrams that probably were cut because they filled the receive buffer. */
  public long packetsTruncated() {
    return statsd.stats().truncatedPackets();
  }

  /** statsd batches acknowledged by Kafka (heartbeats included). */
  public long batchesPublished() {
    return statsdPublisher().batchesSent();
  }

  /** Samples in statsd batches acknowledged by Kafka. */
  public long samplesPublished() {
    return statsdPublisher().samplesSent();
  }

  /** statsd batches dropped, oldest first, because the buffer (or the spool) was full. */
  public long batchesDropped() {
    return statsdPublisher().batchesDropped();
  }

  /** Samples in {@link #batchesDropped()}. */
  public long samplesDropped() {
    return statsdPublisher().samplesDropped();
  }

  /** Samples in {@link #batchesFailed()}. */
  public long samplesFailed() {
    return statsdPublisher().samplesFailed();
  }

  /** statsd batches waiting for Kafka or in flight (memory and spool). */
  public int pendingBatches() {
    return statsdPublisher().pendingBatches();
  }

  /** The statsd listener's counters. */
  public StatsdStats statsdStats() {
    return statsd.stats();
  }

  /** statsd batches the producer gave up on. */
  public long batchesFailed() {
    return statsdPublisher().batchesFailed();
  }

  /**
   * Stops the inputs (statsd flushes what it holds), sends what is pending and closes the producer,
   * waiting up to 10 s for acknowledgements. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long deadline = System.nanoTime() + CLOSE_TIMEOUT.toNanos();
    kafkaCheck.close();
    // the agent's own meters may go to its own statsd port: their last lines are sent while the
    // port still listens (sent after, they meet a closed port and Micrometer logs a WARN)
    selfMetrics.close();
    stop(inputs);
    producer.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    registry.close();
    log.info(
        "edge agent stopped: {} samples received, {} published, {} lines rejected, {} batches dropped,"
            + " {} failed",
        samplesReceived(),
        samplesPublished(),
        linesRejected(),
        batchesDropped(),
        batchesFailed());
  }
}
