package io.fleetstats.edge;

import io.fleetstats.edge.mysql.MysqlCollector;
import io.fleetstats.kit.LogThrottle;
import io.fleetstats.edge.publish.BatchPublisher;
import io.fleetstats.edge.publish.SeriesBatcher;
import io.fleetstats.edge.statsd.PacketIngester;
import io.fleetstats.edge.statsd.RejectReason;
import io.fleetstats.edge.statsd.SampleSink;
import io.fleetstats.edge.statsd.SeriesId;
import io.fleetstats.edge.statsd.StatsdParser;
import io.fleetstats.edge.statsd.StatsdSample;
import io.fleetstats.edge.statsd.StatsdServer;
import io.fleetstats.edge.statsd.StatsdTransport;
import io.fleetstats.edge.statsd.StatsdStats;
import io.fleetstats.schemas.TopicNames;
import io.fleetstats.schemas.TopicSetup;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import io.fleetstats.kit.admin.AdminServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running edge agent: statsd over UDP in, one {@code StatsdBatch} per flush out to Kafka.
 *
 * <p>One event-loop thread reads the socket, parses, batches and drains on the flush tick, so the
 * batcher needs no lock; a separate publisher thread talks to Kafka so that a slow broker never
 * stalls the socket.
 */
public final class EdgeAgent implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EdgeAgent.class);
  private static final Duration TOPIC_SETUP_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

  private final EdgeConfig config;
  private final Clock clock;
  private final EventLoopGroup group;
  private final StatsdServer server;
  private final EventLoop eventLoop;
  private final SeriesBatcher batcher;
  private final BatchPublisher publisher;
  private final StatsdStats stats;
  private final ScheduledFuture<?> flushTask;
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10));
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Null unless a MySQL server is configured. */
  private volatile MysqlCollector mysql;
  private final PrometheusMeterRegistry registry;

  private EdgeAgent(
      EdgeConfig config,
      Clock clock,
      StatsdTransport transport,
      EventLoopGroup group,
      BatchPublisher publisher,
      SeriesBatcher batcher,
      StatsdStats stats) {
    this.config = config;
    this.clock = clock;
    this.group = group;
    this.publisher = publisher;
    this.batcher = batcher;
    this.stats = stats;
    IngestSettings ingest = config.ingest();
    SampleSink sink =
        new SampleSink() {
          @Override
          public void accept(StatsdSample sample, long receivedAtMillis) {
            batcher.add(sample, receivedAtMillis);
            flushWhenFull();
          }

          @Override
          public void accept(
              SeriesId series, double value, double sampleRate, boolean relative, long receivedAtMillis) {
            batcher.add(series, value, sampleRate, relative, receivedAtMillis);
            flushWhenFull();
          }
        };
    PacketIngester ingester = new PacketIngester(new StatsdParser(ingest.statsd()), sink, stats);
    this.server =
        StatsdServer.bind(
            transport,
            group,
            config.statsdAddress(),
            ingest.tcpAddress(),
            ingester,
            clock,
            config.maxPacketSize(),
            config.maxLineLength(),
            ingest.maxTcpConnections());
    this.eventLoop = server.eventLoop();
    long interval = config.flushInterval().toMillis();
    this.flushTask =
        eventLoop.scheduleAtFixedRate(this::flushTick, interval, interval, TimeUnit.MILLISECONDS);
    this.registry = AdminServer.newRegistry();
    EdgeMetrics.bind(registry, config.identity(), stats, publisher);
  }

  /** {@link #start(EdgeConfig, Clock)} with the system clock. */
  public static EdgeAgent start(EdgeConfig config) {
    return start(config, Clock.systemUTC());
  }

  /**
   * Creates missing topics (when configured), connects the producer, binds the statsd socket and
   * starts the flush schedule; returns once listening.
   *
   * @param clock gives receive times and batch creation times (event time downstream)
   * @throws IllegalStateException when topics cannot be checked or created, or the address cannot
   *     be bound; the message names the cause and the setting
   */
  public static EdgeAgent start(EdgeConfig config, Clock clock) {
    // Topic names only: the statsd path writes its batches itself and never initializes Avro.
    TopicNames topics = config.topicNames();
    String topic = topics.rawStatsd();
    if (config.createTopics()) {
      TopicSetup.ensure(
          config.adminProperties(),
          topics,
          config.topicPartitions(),
          Optional.empty(),
          config.rawRetention(),
          TOPIC_SETUP_TIMEOUT);
    }
    KafkaProducer<byte[], byte[]> producer =
        BatchPublisher.createProducer(
            BatchPublisher.producerProperties(config.kafkaBootstrap(), config.kafkaProperties()));
    IngestSettings ingest = config.ingest();
    BatchPublisher publisher =
        new BatchPublisher(
            producer,
            topic,
            new BatchPublisher.Limits(
                ingest.bufferMaxBytes(),
                config.maxPendingBatches(),
                8,
                ingest.spoolDirectory(),
                ingest.spoolMaxBytes()),
            CLOSE_TIMEOUT);
    StatsdTransport transport = StatsdTransport.best();
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("fleetstats-statsd", true), transport.ioHandlerFactory());
    SeriesBatcher batcher =
        new SeriesBatcher(config.identity(), UUID.randomUUID().toString(), config.maxBatchSamples());
    try {
      EdgeAgent agent = new EdgeAgent(config, clock, transport, group, publisher, batcher, new StatsdStats());
      if (config.mysql().enabled()) {
        agent.mysql =
            MysqlCollector.start(
                config.mysql(),
                config.source(),
                config.kafkaBootstrap(),
                config.kafkaProperties(),
                config.topics().rawMysql(),
                clock);
      }
      InetSocketAddress bound = agent.statsdAddress();
      InetSocketAddress tcp = agent.statsdTcpAddress();
      log.info(
          "edge agent listening for statsd on udp://{}:{}{} ({}), publishing to {} at {} as source {} ({})",
          bound.getHostString(),
          bound.getPort(),
          tcp == null ? "" : " and tcp://" + tcp.getHostString() + ":" + tcp.getPort(),
          transport.label(),
          topic,
          config.kafkaBootstrap(),
          config.identity().sourceId(),
          config.summary());
      return agent;
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      publisher.close();
      throw e;
    }
  }

  // Both run on the event loop.
  private void flushWhenFull() {
    if (batcher.isFull()) {
      flush(); // early, so a burst never grows a batch past maxBatchSamples
    }
  }

  private void flushTick() {
    try {
      if (!batcher.isEmpty() || config.heartbeat()) {
        flush();
      }
    } catch (RuntimeException e) {
      // An exception would cancel the periodic task for good: log it and keep the schedule.
      if (throttle.tryAcquire(e.getClass()) >= 0) {
        log.error("flush failed; will retry on the next tick", e);
      }
    }
  }

  private void flush() {
    publisher.offer(batcher.drain(clock.millis()));
  }

  /** The bound statsd address, with the actual port when port 0 was configured. */
  public InetSocketAddress statsdAddress() {
    return server.localAddress();
  }

  /** The MySQL collector, when a server is configured. */
  public Optional<MysqlCollector> mysql() {
    return Optional.ofNullable(mysql);
  }

  /** The bound TCP statsd address, or null when TCP is off. */
  public InetSocketAddress statsdTcpAddress() {
    return server.tcpAddress();
  }

  /** The agent's own metrics (see the README's "Metrics emitted"), for {@code /metrics}. */
  public PrometheusMeterRegistry meterRegistry() {
    return registry;
  }

  /** Empty when ready (listening, Kafka reachable), else why not: for {@code /readyz}. */
  public String notReadyReason() {
    if (closed.get() || !server.isListening()) {
      return "the statsd listener is not listening";
    }
    String kafka = publisher.kafkaProblem();
    return kafka == null ? "" : kafka;
  }

  /** The settings this agent runs with. */
  public EdgeConfig config() {
    return config;
  }

  /** Datagrams received. */
  public long packetsReceived() {
    return stats.packets();
  }

  /** Non-empty statsd lines received, accepted or not. */
  public long linesReceived() {
    return stats.lines();
  }

  /** Samples from accepted lines. */
  public long samplesReceived() {
    return stats.samples();
  }

  /** Lines rejected, all reasons. */
  public long linesRejected() {
    return stats.rejectedTotal();
  }

  /** Lines rejected for {@code reason}. */
  public long linesRejected(RejectReason reason) {
    return stats.rejected(reason);
  }

  /** Datagrams that probably were cut because they filled the receive buffer. */
  public long packetsTruncated() {
    return stats.truncatedPackets();
  }

  /** Batches acknowledged by Kafka (heartbeats included). */
  public long batchesPublished() {
    return publisher.batchesSent();
  }

  /** Samples in batches acknowledged by Kafka. */
  public long samplesPublished() {
    return publisher.samplesSent();
  }

  /** Batches dropped, oldest first, because the buffer (or the spool) was full. */
  public long batchesDropped() {
    return publisher.batchesDropped();
  }

  /** Samples in {@link #batchesDropped()}. */
  public long samplesDropped() {
    return publisher.samplesDropped();
  }

  /** Samples in {@link #batchesFailed()}. */
  public long samplesFailed() {
    return publisher.samplesFailed();
  }

  /** Batches waiting for Kafka or in flight (memory and spool). */
  public int pendingBatches() {
    return publisher.pendingBatches();
  }

  /** The statsd listener's counters. */
  public StatsdStats statsdStats() {
    return stats;
  }

  /** Batches the producer gave up on. */
  public long batchesFailed() {
    return publisher.batchesFailed();
  }

  /**
   * Stops listening, flushes what is pending, sends it and closes the producer (waiting up to 10 s
   * for acknowledgements). Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (mysql != null) {
      mysql.close();
    }
    flushTask.cancel(false);
    server.close();
    // The socket is closed, so nothing is added any more: one last drain on the loop's thread.
    eventLoop
        .submit(
            () -> {
              if (!batcher.isEmpty()) {
                flush();
              }
            })
        .syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    publisher.close();
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
