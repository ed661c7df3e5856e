package io.fleetstats.edge.statsd;

import io.fleetstats.edge.input.Input;
import io.fleetstats.edge.k8s.AttributionConfig;
import io.fleetstats.edge.k8s.PodIndex;
import io.fleetstats.edge.publish.BatchPublisher;
import io.fleetstats.kit.LogThrottle;
import io.fleetstats.kit.ProcessIdentity;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * statsd over UDP (and TCP) in, one {@code StatsdBatch} per flush out to the publisher.
 *
 * <p>One event-loop thread reads the socket, parses ({@link PacketIngester}), groups by series
 * ({@link SeriesBatcher}) and hands each drained batch to the publisher, on the flush tick or early
 * when a batch is full; the batcher needs no lock. The publisher's own thread talks to Kafka (and
 * to the disk spool), so neither a slow broker nor a slow disk stalls the socket.
 */
public final class StatsdInput implements Input {
  private static final Logger log = LoggerFactory.getLogger(StatsdInput.class);

  /**
   * What the input needs from the agent's settings.
   *
   * @param udpAddress {@code FLEETSTATS_STATSD_ADDRESS}
   * @param tcpAddress {@code FLEETSTATS_STATSD_TCP_ADDRESS}, or null for no TCP listener
   * @param flushInterval a batch (or a heartbeat) at least this often
   * @param heartbeat send an empty batch on a tick without samples
   * @param globalTags tags added to every series without them ({@code FLEETSTATS_GLOBAL_TAGS})
   * @param attribution whose samples these are: the agent's pod's ({@code sidecar}) or, in node
   *     mode, each packet's sender pod's
   */
  public record Options(
      InetSocketAddress udpAddress,
      InetSocketAddress tcpAddress,
      StatsdOptions parsing,
      int maxPacketSize,
      int maxTcpConnections,
      Duration flushInterval,
      int maxBatchSamples,
      boolean heartbeat,
      ProcessIdentity source,
      String topic,
      AttributionConfig attribution,
      Map<String, String> globalTags,
      int maxRequestSize) {}

  private final Options options;
  private final Clock clock;
  private final StatsdStats stats = new StatsdStats();
  private final LogThrottle throttle = new LogThrottle(Duration.ofSeconds(10));
  private final StatsdTransport transport = StatsdTransport.best();
  private EventLoopGroup group;
  private StatsdServer server;
  private EventLoop eventLoop;

  /** The agent's own batcher: every sample in sidecar mode, none in node mode. */
  private final SeriesBatcher batcher;

  /** Node mode: the node's pods by IP, and one batcher per sender pod (event loop only). */
  private PodIndex pods;

  private final Map<ProcessIdentity, PodBatcher> podBatchers = new HashMap<>();
  private SeriesBatcher current;

  /**
   * Node mode: the batcher of the current packet's sender (lines without an origin of their own).
   */
  private SeriesBatcher packetBatcher;

  private InetAddress lastSender;
  private final AtomicLong unattributedOrigins = new AtomicLong();
  private long lastVersion = -1;
  private boolean lastUnknown;
  private final AtomicLong unattributedPackets = new AtomicLong();
  private long ticks;

  /** A sender pod's batcher and the tick it was last used at. */
  private static final class PodBatcher {
    final SeriesBatcher batcher;
    long usedAt;

    PodBatcher(SeriesBatcher batcher) {
      this.batcher = batcher;
    }
  }

  /** Node mode drops a pod's batcher after this many ticks without a sample from it. */
  static final int IDLE_TICKS = 60;

  private BatchPublisher publisher;
  private ScheduledFuture<?> flushTask;
  private volatile boolean closed;

  /**
   * @param clock gives receive times and batch creation times (event time downstream)
   */
  public StatsdInput(Options options, Clock clock) {
    this.options = options;
    this.clock = clock;
    this.batcher =
        new SeriesBatcher(
            options.source(),
            UUID.randomUUID().toString(),
            options.maxBatchSamples(),
            options.globalTags(),
            options.maxRequestSize());
    this.current = batcher;
  }

  @Override
  public String name() {
    return "statsd";
  }

  @Override
  public String topic() {
    return options.topic();
  }

  /** The delivery meters keep the names they had before there were other inputs. */
  @Override
  public String meterPrefix() {
    return "fleetstats.edge";
  }

  /**
   * Binds the socket(s) and starts the flush schedule; returns once listening.
   *
   * @throws IllegalStateException naming the address and its setting when it cannot be bound
   */
  @Override
  public void start(BatchPublisher publisher) {
    this.publisher = publisher;
    if (options.attribution() != null && options.attribution().node()) {
      this.pods = new PodIndex(options.attribution().podIndex()).start();
    }
    this.group =
        new MultiThreadIoEventLoopGroup(
            1, new DefaultThreadFactory("fleetstats-statsd", true), transport.ioHandlerFactory());
    PacketIngester ingester =
        new PacketIngester(
            new StatsdParser(options.parsing(), pods != null), new Batching(), stats);
    try {
      this.server =
          StatsdServer.bind(
              transport,
              group,
              options.udpAddress(),
              options.tcpAddress(),
              ingester,
              clock,
              options.maxPacketSize(),
              options.parsing().maxLineLength(),
              options.maxTcpConnections());
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
    this.eventLoop = server.eventLoop();
    long interval = options.flushInterval().toMillis();
    this.flushTask =
        eventLoop.scheduleAtFixedRate(this::flushTick, interval, interval, TimeUnit.MILLISECONDS);
  }

  /** The ingester's sink: samples into the batcher, a full batch straight to the publisher. */
  private final class Batching implements SampleSink {
    @Override
    public void sender(InetSocketAddress address) {
      if (pods != null) {
        attribute(address);
      }
    }

    @Override
    public void origin(ParseResult.Origin origin) {
      if (pods != null) {
        current = origin == null ? packetBatcher : attribute(origin);
      }
    }

    @Override
    public void accept(StatsdSample sample, long receivedAtMillis) {
      current.add(sample, receivedAtMillis);
      flushWhenFull();
    }

    @Override
    public void accept(
        SeriesId series, double value, double sampleRate, boolean relative, long receivedAtMillis) {
      current.add(series, value, sampleRate, relative, receivedAtMillis);
      flushWhenFull();
    }
  }

  // Everything below runs on the event loop.

  /**
   * Node mode: the batcher of the pod that sent the next samples; the last sender's is kept until
   * the sender or the pod index changes.
   */
  private void attribute(InetSocketAddress address) {
    InetAddress ip = address == null ? null : address.getAddress();
    long version = pods.version();
    if (ip != null && ip.equals(lastSender) && version == lastVersion) {
      if (lastUnknown) {
        unattributedPackets.incrementAndGet();
      }
      current = packetBatcher;
      return;
    }
    lastSender = ip;
    lastVersion = version;
    PodIndex.Pod pod = ip == null ? null : pods.pod(ip);
    lastUnknown = pod == null;
    if (lastUnknown) {
      unattributedPackets.incrementAndGet();
    }
    packetBatcher = batcher(pod);
    current = packetBatcher;
  }

  /**
   * Node mode: the batcher of the pod a line names (its container id first, then its pod uid); a
   * name that is no pod of the node is counted and goes to {@code pod_name=unknown}, as an unknown
   * sender IP does.
   */
  private SeriesBatcher attribute(ParseResult.Origin origin) {
    PodIndex.Pod pod = podOf(origin);
    if (pod == null) {
      unattributedOrigins.incrementAndGet();
    }
    return batcher(pod);
  }

  private PodIndex.Pod podOf(ParseResult.Origin origin) {
    PodIndex.Pod pod =
        origin.containerId() == null ? null : pods.podOfContainer(origin.containerId());
    if (pod == null && origin.podUid() != null) {
      pod = pods.podOfUid(origin.podUid());
    }
    return pod;
  }

  /** The batcher of a sender pod ({@code pod_name=unknown} for null), made when first needed. */
  private SeriesBatcher batcher(PodIndex.Pod pod) {
    ProcessIdentity agent = options.source();
    ProcessIdentity id =
        pod == null
            ? new ProcessIdentity(
                agent.cluster(), "", agent.node(), AttributionConfig.UNKNOWN_POD, "", "")
            : new ProcessIdentity(
                agent.cluster(), pod.namespace(), agent.node(), pod.name(), "", pod.app());
    PodBatcher b = podBatchers.get(id);
    if (b == null) {
      b =
          new PodBatcher(
              new SeriesBatcher(
                  id,
                  UUID.randomUUID().toString(),
                  options.maxBatchSamples(),
                  options.globalTags(),
                  options.maxRequestSize()));
      podBatchers.put(id, b);
    }
    b.usedAt = ticks;
    return b.batcher;
  }

  private void flushWhenFull() {
    if (current.isFull()) {
      // early: a burst never grows a batch past the max
      current.drainAll(clock.millis()).forEach(publisher::offer);
    }
  }

  private void flushTick() {
    try {
      ticks++;
      if (pods == null) {
        if (!batcher.isEmpty() || options.heartbeat()) {
          flush();
        }
      } else {
        if (!batcher.isEmpty()) {
          flush(); // samples ingested without a sender (none today) still go out as the agent's
        }
        flushPods(false);
      }
    } catch (RuntimeException e) {
      // An exception would cancel the periodic task for good: log it and keep the schedule.
      if (throttle.tryAcquire(e.getClass()) >= 0) {
        log.error("flush failed; will retry on the next tick", e);
      }
    }
  }

  private void flush() {
    batcher.drainAll(clock.millis()).forEach(publisher::offer);
  }

  /** Node mode: every pod's batch (a heartbeat for pods heard from lately); forgets idle pods. */
  private void flushPods(boolean closing) {
    long now = clock.millis();
    var it = podBatchers.values().iterator();
    while (it.hasNext()) {
      PodBatcher b = it.next();
      if (!b.batcher.isEmpty() || (options.heartbeat() && !closing)) {
        b.batcher.drainAll(now).forEach(publisher::offer);
      }
      if (b.batcher.isEmpty()
          && ticks - b.usedAt > IDLE_TICKS
          && b.batcher != current
          && b.batcher != packetBatcher) {
        it.remove();
      }
    }
  }

  /** Node mode: packets whose sender is not a known pod of the node (tagged pod_name=unknown). */
  public long unattributedPackets() {
    return unattributedPackets.get();
  }

  /**
   * Node mode: lines naming a sender (container id, pod uid) that is no known pod of the node
   * (tagged pod_name=unknown).
   */
  public long unattributedOrigins() {
    return unattributedOrigins.get();
  }

  /** Node mode: the node's pods, null in sidecar mode. */
  public PodIndex pods() {
    return pods;
  }

  @Override
  public void bindMeters(MeterRegistry registry, Tags tags) {
    counter(
        registry,
        "fleetstats.edge.statsd.packets",
        "UDP datagrams received",
        tags,
        StatsdStats::packets);
    counter(
        registry,
        "fleetstats.edge.statsd.packets.cut",
        "UDP datagrams larger than FLEETSTATS_STATSD_MAX_PACKET_SIZE",
        tags,
        StatsdStats::truncatedPackets);
    counter(
        registry,
        "fleetstats.edge.statsd.bytes",
        "statsd payload bytes received (UDP and TCP)",
        tags,
        StatsdStats::bytes);
    counter(
        registry,
        "fleetstats.edge.statsd.lines",
        "non-empty statsd lines received (UDP and TCP), accepted or not",
        tags,
        StatsdStats::lines);
    counter(
        registry,
        "fleetstats.edge.statsd.tcp.lines",
        "statsd lines received over TCP",
        tags,
        StatsdStats::tcpLines);
    counter(
        registry,
        "fleetstats.edge.statsd.samples",
        "samples from accepted lines",
        tags,
        StatsdStats::samples);
    for (RejectReason reason : RejectReason.values()) {
      counter(
          registry,
          "fleetstats.edge.statsd.rejected",
          "lines rejected, by reason",
          tags.and("reason", reason.name().toLowerCase(Locale.ROOT)),
          s -> s.rejected(reason));
    }
    counter(
        registry,
        "fleetstats.edge.statsd.tcp.connections.opened",
        "TCP connections accepted",
        tags,
        StatsdStats::tcpConnectionsOpened);
    counter(
        registry,
        "fleetstats.edge.statsd.tcp.connections.refused",
        "TCP connections refused at FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS",
        tags,
        StatsdStats::tcpConnectionsRefused);
    FunctionCounter.builder(
            "fleetstats.edge.statsd.unattributed.packets", unattributedPackets, AtomicLong::get)
        .description(
            "node mode: packets from a sender that is no known pod of the node (pod_name=unknown)")
        .tags(tags)
        .register(registry);
    FunctionCounter.builder(
            "fleetstats.edge.statsd.unattributed.origins", unattributedOrigins, AtomicLong::get)
        .description(
            "node mode: lines whose container id or entity id is no known pod of the node"
                + " (pod_name=unknown)")
        .tags(tags)
        .register(registry);
    Gauge.builder("fleetstats.edge.statsd.tcp.connections", stats, StatsdStats::tcpConnections)
        .description("TCP connections open")
        .tags(tags)
        .register(registry);
  }

  // Every meter reads a counter the data path keeps anyway, so scraping costs the path nothing.
  private void counter(
      MeterRegistry registry,
      String name,
      String help,
      Tags tags,
      ToDoubleFunction<StatsdStats> f) {
    FunctionCounter.builder(name, stats, f).description(help).tags(tags).register(registry);
  }

  @Override
  public String notReadyReason() {
    return closed || server == null || !server.isListening()
        ? "the statsd listener is not listening"
        : "";
  }

  /** The bound UDP address, with the actual port when port 0 was configured. */
  public InetSocketAddress address() {
    return server.localAddress();
  }

  /** The bound TCP address, or null when TCP is off. */
  public InetSocketAddress tcpAddress() {
    return server.tcpAddress();
  }

  /** The listener's counters. */
  public StatsdStats stats() {
    return stats;
  }

  /** How the socket is read ({@code epoll} or {@code nio}), for the start-up log. */
  public String transport() {
    return transport.label();
  }

  /** Stops listening and hands the last batch to the publisher. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (server == null) {
      return;
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
              if (pods != null) {
                flushPods(true);
              }
            })
        .syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    if (pods != null) {
      pods.close();
    }
  }
}
