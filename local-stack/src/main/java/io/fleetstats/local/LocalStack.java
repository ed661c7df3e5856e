package io.fleetstats.local;

import io.fleetstats.kit.settings.Durations;
import io.fleetstats.edge.EdgeAgent;
import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.sink.SinkConfig;
import io.fleetstats.sink.WavefrontSink;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.StreamProcessor;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole platform in one JVM: an embedded Kafka broker, an edge agent, the stream processor,
 * the Wavefront sink and (unless a real proxy is given) a built-in proxy receiver. Each service
 * gets this process's environment with the stack's own settings laid over it, so every
 * {@code FLEETSTATS_*} key works here as it does in a standalone service.
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
      Consumer<String> lineListener) {}

  /** The pods {@code --demo} simulates: three api-server pods on two nodes and a web-server. */
  /**
   * The roll-up rule the stack enables unless {@code FLEETSTATS_ROLLUPS} is set: every series also
   * merged across pods and nodes, tagged {@code rollup="app"}, source = the cluster.
   */
  static final String DEFAULT_ROLLUPS = "app:drop=pod_name,node";

  static final List<String[]> DEMO_PODS =
      List.of(
          new String[] {"api-server", "api-server-0", "node-1"},
          new String[] {"api-server", "api-server-1", "node-1"},
          new String[] {"api-server", "api-server-2", "node-2"},
          new String[] {"web-server", "web-server-0", "node-2"});

  /** Seed env name and our FLEETSTATS_ alternative (which wins in the agent) of each identity key. */
  private static final String[][] IDENTITY_KEYS = {
    {"APP_NAME", "FLEETSTATS_APP"},
    {"CONTAINER_NAME", "FLEETSTATS_CONTAINER"},
    {"POD_NAME", "FLEETSTATS_POD"},
    {"NODE_HOSTNAME", "FLEETSTATS_NODE"}
  };

  private final Deque<AutoCloseable> running = new ArrayDeque<>();
  private final Path dataDir;
  private final boolean deleteDataDir;
  private EmbeddedKafka kafka;
  private ProxyReceiver receiver;
  private EdgeAgent agent;
  private URI proxyUrl;
  private final List<EdgeAgent> demoAgents = new ArrayList<>();

  private LocalStack(Path dataDir, boolean deleteDataDir) {
    this.dataDir = dataDir;
    this.deleteDataDir = deleteDataDir;
  }

  /** Starts everything; on any failure, stops what was started and rethrows. */
  public static LocalStack start(Options o) {
    Path dir;
    try {
      dir = o.dataDir().isPresent() ? Files.createDirectories(o.dataDir().get()) : Files.createTempDirectory("fleetstats-local-");
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

    Map<String, String> env = new HashMap<>(o.env());
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
    env.put("FLEETSTATS_WINDOW", Durations.format(o.window()));
    env.put("FLEETSTATS_GRACE", Durations.format(o.grace()));
    env.putIfAbsent("FLEETSTATS_STATE_DIR", dataDir.resolve("streams").toString());
    // roll-up lines beside the per-pod ones: per app per cluster (FLEETSTATS_ROLLUPS= turns it off)
    env.putIfAbsent(StreamConfig.ROLLUPS, DEFAULT_ROLLUPS);
    env.putIfAbsent("CLUSTER_NAME", "local");
    env.putIfAbsent("NAMESPACE", "default");

    Map<String, String> processorEnv = new HashMap<>(env);
    // one JVM hosts every service: the processor's admin port must not collide with the others'
    processorEnv.put(StreamConfig.ADMIN_ADDRESS, "127.0.0.1:0");
    StreamProcessor processor = StreamProcessor.start(StreamConfig.fromEnv(processorEnv));
    running.push(processor);

    if (o.proxy().isPresent()) {
      proxyUrl = o.proxy().get();
    } else {
      receiver = ProxyReceiver.start(0, o.capture());
      receiver.addListener(o.lineListener());
      running.push(receiver);
      proxyUrl = receiver.url();
    }
    Map<String, String> sinkEnv = new HashMap<>(env);
    sinkEnv.put("FLEETSTATS_PROXY_URL", proxyUrl.toString());
    // one JVM hosts every service: the sink's admin port must not collide with theirs or a test's
    sinkEnv.putIfAbsent("FLEETSTATS_ADMIN_ADDRESS", "127.0.0.1:0");
    WavefrontSink sink = WavefrontSink.start(SinkConfig.fromEnv(sinkEnv));
    running.push(sink);

    Map<String, String> agentEnv = new HashMap<>(env);
    agentEnv.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:" + o.statsdPort());
    agentEnv.putIfAbsent("POD_NAME", "local-0");
    agentEnv.putIfAbsent("NODE_HOSTNAME", "node-1");
    agent = EdgeAgent.start(EdgeConfig.fromEnv(agentEnv));
    running.push(agent);

    if (o.demo()) {
      List<DemoTraffic.Pod> pods = new ArrayList<>();
      for (String[] p : DEMO_PODS) {
        Map<String, String> podEnv = new HashMap<>(env);
        // only the stack's own agent polls MySQL (--mysql); the simulated app pods do not
        podEnv.remove("FLEETSTATS_MYSQL_URL");
        podEnv.remove("MYSQL_SERVER");
        podEnv.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
        // a simulated pod's identity must not be overridden by this process's own
        for (String[] key : IDENTITY_KEYS) {
          podEnv.remove(key[1]);
        }
        podEnv.put("APP_NAME", p[0]);
        podEnv.put("CONTAINER_NAME", p[0]);
        podEnv.put("POD_NAME", p[1]);
        podEnv.put("NODE_HOSTNAME", p[2]);
        EdgeAgent podAgent = EdgeAgent.start(EdgeConfig.fromEnv(podEnv));
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

  /** Where the sink sends: the built-in receiver or the given proxy. */
  public URI proxyUrl() {
    return proxyUrl;
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
