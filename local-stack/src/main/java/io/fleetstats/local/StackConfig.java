package io.fleetstats.local;

import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.edge.kubelet.KubeletConfig;
import io.fleetstats.kit.selfmetrics.SelfMetrics;
import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.ConfigFile;
import io.fleetstats.kit.settings.Durations;
import io.fleetstats.kit.settings.Settings;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.sink.SinkConfig;
import io.fleetstats.sink.prometheus.PromSinkConfig;
import io.fleetstats.stream.StreamConfig;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configs of the services the stack hosts, read from the one environment it passes them all
 * with the stack's own settings laid over it.
 *
 * <p>A key no service knows would be unknown to each of them, and reported by each. The stack's own
 * edge agent is read first, with the other two tables as also known: its reader reports the key
 * once, naming the nearest key of all three services (or stops the start with {@code
 * FLEETSTATS_STRICT_CONFIG=true}). The others are read from the environment without such keys.
 *
 * @param agent the stack's own edge agent
 * @param processor the stream processor
 * @param sink the Wavefront sink
 * @param prometheus the Prometheus remote-write sink, with {@code --remote-write}
 * @param demoPods the agents of the simulated pods ({@link LocalStack#DEMO_PODS}), with {@code
 *     --demo}
 */
record StackConfig(
    EdgeConfig agent,
    StreamConfig processor,
    SinkConfig sink,
    Optional<PromSinkConfig> prometheus,
    List<EdgeConfig> demoPods) {

  /**
   * The roll-up rule the stack enables unless {@code FLEETSTATS_ROLLUPS} is set: every series also
   * merged across pods and nodes, tagged {@code rollup="app"}, source = the cluster.
   */
  static final String DEFAULT_ROLLUPS = "app:drop=pod_name,node";

  /** Seed name and our alternate (which wins in the agent) of each identity key of a pod. */
  private static final String[][] IDENTITY_KEYS = {
    {"APP_NAME", "FLEETSTATS_APP"},
    {"CONTAINER_NAME", "FLEETSTATS_CONTAINER"},
    {"POD_NAME", "FLEETSTATS_POD"},
    {"NODE_HOSTNAME", "FLEETSTATS_NODE"}
  };

  /** The pod tag of the stream processor's and the sink's self-metrics, unless set. */
  static final String PROCESSOR_POD = "stream-processor-0";

  static final String SINK_POD = "wavefront-sink-0";

  /** The Prometheus sink's static group member id, unless set. */
  static final String PROMETHEUS_SINK_INSTANCE = "prometheus-sink-0";

  /**
   * {@code group.instance.id} of the processor's and the sinks' consumers: static membership, so
   * that a stack restarted after a kill is not held up by its own dead members.
   */
  static final String GROUP_INSTANCE_ID = SettingsReader.KAFKA_PREFIX + "GROUP_INSTANCE_ID";

  private static final List<Settings> TABLES =
      List.of(
          EdgeConfig.SETTINGS, StreamConfig.SETTINGS, SinkConfig.SETTINGS, PromSinkConfig.SETTINGS);

  StackConfig {
    demoPods = List.copyOf(demoPods);
  }

  /**
   * Reads every service's config.
   *
   * @param bootstrap the embedded broker
   * @param dataDir where the processor keeps its state unless {@code FLEETSTATS_STATE_DIR} is set
   * @param proxyUrl where the Wavefront sink sends
   * @throws ConfigException naming every bad key, its value and what is allowed
   */
  static StackConfig read(LocalStack.Options o, String bootstrap, Path dataDir, URI proxyUrl) {
    Map<String, String> env = new HashMap<>(o.env());
    // The embedded broker is every service's bootstrap, whichever name the environment used.
    env.remove(SettingsReader.KAFKA_PREFIX + "BOOTSTRAP_SERVERS");
    env.put(EdgeConfig.KAFKA_BOOTSTRAP.key(), bootstrap);
    env.put(StreamConfig.WINDOW.key(), Durations.format(o.window()));
    env.put(StreamConfig.GRACE.key(), Durations.format(o.grace()));
    env.putIfAbsent(StreamConfig.STATE_DIR.key(), dataDir.resolve("streams").toString());
    // roll-up lines beside the per-pod ones: per app per cluster (FLEETSTATS_ROLLUPS= turns it off)
    env.putIfAbsent(StreamConfig.ROLLUPS.key(), DEFAULT_ROLLUPS);
    env.putIfAbsent("CLUSTER_NAME", "local");
    env.putIfAbsent("NAMESPACE", "default");
    // every service's own meters through the pipeline, to the stack's agent (set it to off to stop)
    int statsdPort = o.statsdPort() == 0 ? freeUdpPort() : o.statsdPort();
    env.putIfAbsent(SelfMetrics.TARGET.key(), "udp://127.0.0.1:" + statsdPort);

    Map<String, String> agentEnv = new HashMap<>(env);
    agentEnv.put(EdgeConfig.STATSD_ADDRESS.key(), "127.0.0.1:" + statsdPort);
    agentEnv.putIfAbsent("POD_NAME", "local-0");
    agentEnv.putIfAbsent("NODE_HOSTNAME", "node-1");
    EdgeConfig agent =
        EdgeConfig.fromEnv(
            agentEnv, StreamConfig.SETTINGS, SinkConfig.SETTINGS, PromSinkConfig.SETTINGS);

    Map<String, String> known = known(withFile(env));
    Map<String, String> processorEnv = new HashMap<>(known);
    // one JVM hosts every service: the admin ports must not collide with each other's or a test's
    processorEnv.put(StreamConfig.ADMIN_ADDRESS.key(), "127.0.0.1:0");
    // a pod name of its own, so its self-metrics are not merged with the sink's (both on one host)
    processorEnv.putIfAbsent("POD_NAME", PROCESSOR_POD);
    // Static group members: a restart after a kill takes its partitions back at once instead of
    // waiting for the dead member's session (45 s) to expire.
    processorEnv.putIfAbsent(GROUP_INSTANCE_ID, PROCESSOR_POD);
    StreamConfig processor =
        StreamConfig.fromEnv(
            processorEnv, EdgeConfig.SETTINGS, SinkConfig.SETTINGS, PromSinkConfig.SETTINGS);
    Map<String, String> sinkEnv = new HashMap<>(known);
    sinkEnv.put(SinkConfig.PROXY_URL.key(), proxyUrl.toString());
    sinkEnv.putIfAbsent(SinkConfig.ADMIN_ADDRESS.key(), "127.0.0.1:0");
    sinkEnv.putIfAbsent("POD_NAME", SINK_POD);
    sinkEnv.putIfAbsent(GROUP_INSTANCE_ID, SINK_POD);
    SinkConfig sink =
        SinkConfig.fromEnv(
            sinkEnv, EdgeConfig.SETTINGS, StreamConfig.SETTINGS, PromSinkConfig.SETTINGS);

    Optional<PromSinkConfig> prometheus = Optional.empty();
    if (o.remoteWrite().isPresent()) {
      Map<String, String> promEnv = new HashMap<>(known);
      promEnv.put(PromSinkConfig.URL.key(), o.remoteWrite().get().toString());
      // Beside the Wavefront sink: a group of its own (a shared one would split the aggregates
      // between the two sinks) and an admin port of its own.
      promEnv.remove(PromSinkConfig.GROUP_ID.key());
      promEnv.remove(SettingsReader.KAFKA_PREFIX + "GROUP_ID");
      promEnv.put(PromSinkConfig.ADMIN_ADDRESS.key(), "127.0.0.1:0");
      promEnv.putIfAbsent(GROUP_INSTANCE_ID, PROMETHEUS_SINK_INSTANCE);
      prometheus =
          Optional.of(
              PromSinkConfig.fromEnv(
                  promEnv, EdgeConfig.SETTINGS, StreamConfig.SETTINGS, SinkConfig.SETTINGS));
    }

    List<EdgeConfig> pods = new ArrayList<>();
    if (o.demo()) {
      for (String[] p : LocalStack.DEMO_PODS) {
        Map<String, String> podEnv = new HashMap<>(known);
        // only the stack's own agent polls MySQL (--mysql); the simulated app pods do not
        podEnv.remove("FLEETSTATS_MYSQL_URL");
        podEnv.remove("MYSQL_SERVER");
        // nor scrapes the kubelet (--kubelet)
        podEnv.remove(KubeletConfig.URL.key());
        podEnv.remove(KubeletConfig.ENABLED.key());
        podEnv.put(EdgeConfig.STATSD_ADDRESS.key(), "127.0.0.1:0");
        // a simulated pod's identity must not be overridden by this process's own
        for (String[] key : IDENTITY_KEYS) {
          podEnv.remove(key[1]);
        }
        podEnv.put("APP_NAME", p[0]);
        podEnv.put("CONTAINER_NAME", p[0]);
        podEnv.put("POD_NAME", p[1]);
        podEnv.put("NODE_HOSTNAME", p[2]);
        pods.add(
            EdgeConfig.fromEnv(
                podEnv, StreamConfig.SETTINGS, SinkConfig.SETTINGS, PromSinkConfig.SETTINGS));
      }
    }
    return new StackConfig(agent, processor, sink, prometheus, pods);
  }

  /**
   * A UDP port free now: with {@code --statsd-port 0} the services that start before the agent
   * (processor, sink) need its port for their self-metrics.
   */
  private static int freeUdpPort() {
    try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (SocketException e) {
      throw new IllegalStateException("cannot find a free UDP port: " + e.getMessage(), e);
    }
  }

  /**
   * {@code env} with the settings file's keys under its own, as a reader merges them, and without
   * {@code FLEETSTATS_CONFIG_FILE}: the file's unknown Kafka properties are then filtered out with
   * the environment's, instead of being read and reported again by each service.
   */
  private static Map<String, String> withFile(Map<String, String> env) {
    String file = new SettingsReader(env).string(null, Settings.CONFIG_FILE.key());
    if (file == null) {
      return env;
    }
    Map<String, String> merged = new HashMap<>(env);
    // The agent's reader has read the file already and reported what is wrong with it.
    ConfigFile.read(Path.of(file), key -> true, key -> null, new ArrayList<>())
        .forEach(merged::putIfAbsent);
    merged.remove(Settings.CONFIG_FILE.key());
    return merged;
  }

  /**
   * {@code env} without the {@code FLEETSTATS_*} keys that no service of the stack reads or passes
   * to a Kafka client: the agent's reader has reported them.
   */
  static Map<String, String> known(Map<String, String> env) {
    Map<String, String> out = new HashMap<>();
    env.forEach(
        (key, value) -> {
          if (!key.startsWith(SettingsReader.PREFIX) || isKnown(key)) {
            out.put(key, value);
          }
        });
    return out;
  }

  private static boolean isKnown(String key) {
    for (Settings table : TABLES) {
      if (table.keys().contains(key)
          || key.startsWith(SettingsReader.KAFKA_PREFIX)
              && table.kafka().accepts(SettingsReader.property(key))) {
        return true;
      }
    }
    return false;
  }
}
