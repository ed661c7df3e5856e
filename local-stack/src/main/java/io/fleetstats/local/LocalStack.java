package io.fleetstats.local;

import io.fleetstats.edge.EdgeAgent;
import io.fleetstats.local.live.LiveView;
import io.fleetstats.local.live.PlatformSampler;
import io.fleetstats.sink.WavefrontSink;
import io.fleetstats.sink.prometheus.PrometheusSink;
import io.fleetstats.stream.StreamProcessor;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole platform in one JVM: an embedded Kafka broker, an edge agent, the stream processor, the
 * Wavefront sink (and, with a remote-write URL, the Prometheus sink beside it) and (unless a real
 * proxy is given) a built-in proxy receiver. Each service gets this process's environment with the
 * stack's own settings laid over it, so every {@code FLEETSTATS_*} key works here as it does in a
 * standalone service ({@link StackConfig}).
 */
public final class LocalStack implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalStack.class);

  /**
   * @param statsdPort UDP port of the stack's own edge agent (0: a free one)
   * @param kafkaPort the embedded broker's client port (0: a free one)
   * @param window tumbling window of the stream processor
   * @param grace how long a window waits for late samples
   * @param proxy a real Wavefront proxy to send to instead of the built-in receiver
   * @param capture file the built-in receiver appends every line to
   * @param demo play the seed app's traffic from simulated pods
   * @param dataDir broker and state data; empty: a temporary directory removed at close
   * @param env the environment passed through to every service
   * @param lineListener called with each line the built-in receiver gets
   * @param remoteWrite also run the Prometheus sink, writing to this remote-write URL
   */
  public record Options(
      int statsdPort,
      int kafkaPort,
      Duration window,
      Duration grace,
      Optional<URI> proxy,
      Optional<Path> capture,
      boolean demo,
      Optional<Path> dataDir,
      Map<String, String> env,
      Consumer<String> lineListener,
      Optional<URI> remoteWrite) {

    /** Without the Prometheus sink. */
    public Options(
        int statsdPort,
        int kafkaPort,
        Duration window,
        Duration grace,
        Optional<URI> proxy,
        Optional<Path> capture,
        boolean demo,
        Optional<Path> dataDir,
        Map<String, String> env,
        Consumer<String> lineListener) {
      this(
          statsdPort,
          kafkaPort,
          window,
          grace,
          proxy,
          capture,
          demo,
          dataDir,
          env,
          lineListener,
          Optional.empty());
    }
  }

  /** The pods {@code --demo} simulates: three api-server pods on two nodes and a web-server. */
  static final List<String[]> DEMO_PODS =
      List.of(
          new String[] {"api-server", "api-server-0", "node-1"},
          new String[] {"api-server", "api-server-1", "node-1"},
          new String[] {"api-server", "api-server-2", "node-2"},
          new String[] {"web-server", "web-server-0", "node-2"});

  private final Deque<AutoCloseable> running = new ArrayDeque<>();
  private final Path dataDir;
  private final boolean deleteDataDir;
  private EmbeddedKafka kafka;
  private ProxyReceiver receiver;
  private EdgeAgent agent;
  private StreamProcessor processor;
  private WavefrontSink sink;
  private URI proxyUrl;
  private PrometheusSink prometheusSink;
  private final List<EdgeAgent> demoAgents = new ArrayList<>();

  private LocalStack(Path dataDir, boolean deleteDataDir) {
    this.dataDir = dataDir;
    this.deleteDataDir = deleteDataDir;
  }

  /** Starts everything; on any failure, stops what was started and rethrows. */
  public static LocalStack start(Options o) {
    Path dir;
    try {
      dir =
          o.dataDir().isPresent()
              ? Files.createDirectories(o.dataDir().get())
              : Files.createTempDirectory("fleetstats-local-");
    } catch (IOException e) {
      throw new IllegalStateException("cannot create the data directory: " + e.getMessage(), e);
    }
    LocalStack stack = new LocalStack(dir, o.dataDir().isEmpty());
    try {
      stack.startAll(o);
      return stack;
    } catch (RuntimeException e) {
      stack.close();
      throw e;
    }
  }

  private void startAll(Options o) {
    kafka = EmbeddedKafka.start(dataDir, o.kafkaPort());
    running.push(kafka);

    if (o.proxy().isPresent()) {
      proxyUrl = o.proxy().get();
    } else {
      receiver = ProxyReceiver.start(0, o.capture());
      receiver.addListener(o.lineListener());
      running.push(receiver);
      proxyUrl = receiver.url();
    }
    // Every config before any service: a bad setting stops the start before anything runs on it.
    StackConfig configs = StackConfig.read(o, kafka.bootstrapServers(), dataDir, proxyUrl);

    // The edge agent first and so stopped last: the other services send their self-metrics to its
    // statsd port from their start to their stop.
    agent = EdgeAgent.start(configs.agent());
    running.push(agent);
    processor = StreamProcessor.start(configs.processor());
    running.push(processor);
    sink = WavefrontSink.start(configs.sink());
    running.push(sink);
    if (configs.prometheus().isPresent()) {
      prometheusSink = PrometheusSink.start(configs.prometheus().get());
      running.push(prometheusSink);
    }

    if (o.demo()) {
      List<DemoTraffic.Pod> pods = new ArrayList<>();
      for (int i = 0; i < DEMO_PODS.size(); i++) {
        String[] p = DEMO_PODS.get(i);
        EdgeAgent podAgent = EdgeAgent.start(configs.demoPods().get(i));
        running.push(podAgent);
        demoAgents.add(podAgent);
        pods.add(new DemoTraffic.Pod(p[0], p[1], p[2], podAgent.statsdAddress()));
      }
      running.push(DemoTraffic.start(pods));
    }
  }

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  public InetSocketAddress statsdAddress() {
    return agent.statsdAddress();
  }

  /** The stack's own edge agent (not the demo pods' agents). */
  public EdgeAgent agent() {
    return agent;
  }

  /** The stream processor. */
  public StreamProcessor processor() {
    return processor;
  }

  /** The Wavefront sink. */
  public WavefrontSink sink() {
    return sink;
  }

  /** The simulated pods' agents ({@code --demo}), in {@link #DEMO_PODS} order. */
  public List<EdgeAgent> demoAgents() {
    return List.copyOf(demoAgents);
  }

  /**
   * Starts the live view ({@code --ui-port}) on {@code address}: the lines the built-in receiver
   * gets (none with {@code --proxy}) and the services' counters; stopped by {@link #close()}.
   */
  public LiveView startLiveView(InetSocketAddress address) {
    List<EdgeAgent> agents = new ArrayList<>(demoAgents);
    agents.add(agent);
    LiveView view =
        LiveView.start(
            address,
            listener -> {
              if (receiver != null) {
                receiver.addListener(listener);
              }
            },
            new PlatformSampler(
                new PlatformSampler.Sources(
                    () -> agents.stream().mapToLong(EdgeAgent::samplesReceived).sum(),
                    () -> agents.stream().mapToLong(EdgeAgent::samplesDropped).sum(),
                    sink::linesSent,
                    () -> gauges(sink.registry(), "fleetstats.sink.consumer.lag"),
                    () ->
                        gauges(
                            processor.registry(),
                            "kafka.consumer.fetch.manager.records.lag.max"))));
    running.push(view);
    return view;
  }

  /** The largest value of the gauges named {@code name}, 0 when none has one. */
  private static long gauges(MeterRegistry registry, String name) {
    return (long)
        registry.find(name).gauges().stream()
            .mapToDouble(Gauge::value)
            .filter(Double::isFinite)
            .max()
            .orElse(0);
  }

  /** Where the sink sends: the built-in receiver or the given proxy. */
  public URI proxyUrl() {
    return proxyUrl;
  }

  /** The Prometheus sink, when started with a remote-write URL. */
  public Optional<PrometheusSink> prometheusSink() {
    return Optional.ofNullable(prometheusSink);
  }

  public boolean builtInReceiver() {
    return receiver != null;
  }

  public EmbeddedKafka kafka() {
    return kafka;
  }

  /** Stops services in reverse start order: traffic and agents first, the broker last. */
  @Override
  public void close() {
    while (!running.isEmpty()) {
      AutoCloseable c = running.pop();
      try {
        c.close();
      } catch (Exception e) {
        log.warn("error while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
      }
    }
    if (deleteDataDir) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        log.debug("cannot remove {}: {}", dataDir, e.toString());
      }
    }
  }
}
