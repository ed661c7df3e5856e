package io.fleetstats.edge;

import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.kit.settings.ConfigException;
import java.net.InetSocketAddress;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Standalone edge agent: settings from the environment (flags override two of them), runs until
 * SIGINT/SIGTERM. Exit codes: 0 after a clean stop, 1 when it cannot start, 2 for bad settings.
 */
@Command(
    name = "fleetstats-edge-agent",
    mixinStandardHelpOptions = true,
    version = "fleetstats edge agent 0.1.0",
    description = "Receives statsd over UDP (and TCP) and publishes it, batched per flush, to Kafka; optionally polls MySQL.",
    footerHeading = "%nEnvironment (default):%n",
    footer = {
      "  FLEETSTATS_KAFKA_BOOTSTRAP         Kafka bootstrap servers (localhost:9092)",
      "  FLEETSTATS_KAFKA_<PROPERTY>        any Kafka client property, e.g. FLEETSTATS_KAFKA_SECURITY_PROTOCOL",
      "  FLEETSTATS_CONFIG_FILE             optional YAML settings file; the environment wins (-)",
      "  FLEETSTATS_STATSD_ADDRESS          UDP host:port to listen on (127.0.0.1:8125)",
      "  FLEETSTATS_STATSD_TCP_ADDRESS      TCP host:port to listen on, newline framed (off)",
      "  FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS  further connections are refused (250)",
      "  FLEETSTATS_STATSD_TAGS_DOGSTATSD|_INFLUX|_LIBRATO|_SIGNALFX  tag dialects (true)",
      "  FLEETSTATS_STATSD_KEEP_CONTAINER_TAG   DogStatsD |c: as tag container (false)",
      "  FLEETSTATS_STATSD_SANITIZE_NAME_METHOD telegraf, upstream or none (telegraf)",
      "  FLEETSTATS_STATSD_CONVERT_NAMES    . -> _ and - -> __ (false)",
      "  FLEETSTATS_STATSD_METRIC_SEPARATOR joins template parts (.)",
      "  FLEETSTATS_STATSD_TEMPLATES        Telegraf templates, ';'-separated (-)",
      "  FLEETSTATS_STATSD_MAX_NAME_LENGTH / _MAX_TAGS / _MAX_TAG_LENGTH  limits (512 / 32 / 256)",
      "  FLEETSTATS_STATSD_MAX_LINE_LENGTH  longer lines are rejected (8192)",
      "  FLEETSTATS_STATSD_MAX_PACKET_SIZE  receive buffer per datagram, bytes (8192)",
      "  FLEETSTATS_FLUSH_INTERVAL          send a batch at least this often (1s)",
      "  FLEETSTATS_MAX_BATCH_SAMPLES       send early at this many samples (10000)",
      "  FLEETSTATS_MAX_PENDING_BATCHES     batches held while Kafka is slow (120)",
      "  FLEETSTATS_BUFFER_MAX_BYTES        memory for batches while Kafka is slow (8MiB)",
      "  FLEETSTATS_SPOOL_DIR               disk spool for batches beyond it (-)",
      "  FLEETSTATS_SPOOL_MAX_BYTES         bound of the spool (256MiB)",
      "  FLEETSTATS_ADMIN_ADDRESS           /healthz /readyz /metrics, or off (:9125)",
      "  FLEETSTATS_TOPIC_PREFIX            topic name prefix (fleetstats)",
      "  FLEETSTATS_HEARTBEAT               empty batch on idle ticks (true)",
      "  FLEETSTATS_CREATE_TOPICS           create missing topics (true)",
      "  FLEETSTATS_TOPIC_PARTITIONS        partitions of created topics (6)",
      "  FLEETSTATS_RAW_RETENTION           retention of created raw topics (7d)",
      "  INTERVAL                           seed's interval: caps the flush interval (-)",
      "  CLUSTER_NAME, NAMESPACE, NODE_HOSTNAME, POD_NAME, CONTAINER_NAME, APP_NAME",
      "                                     the source (local, default, host name, host name, -, -)",
      "  FLEETSTATS_MYSQL_URL or MYSQL_SERVER  poll this MySQL/MariaDB server (off)",
      "  FLEETSTATS_MYSQL_USER / MYSQL_ID, FLEETSTATS_MYSQL_PASSWORD(_FILE) / MYSQL_PASSWORD",
      "                                     credentials (root, empty)",
      "  FLEETSTATS_MYSQL_INTERVAL / INTERVAL, FLEETSTATS_MYSQL_SLOW_INTERVAL   polls (10s, 30m)",
      "  FLEETSTATS_MYSQL_SSL_MODE, FLEETSTATS_MYSQL_GATHER_<GROUP>, ... see the README"
    })
public final class EdgeAgentMain implements Callable<Integer> {
  private final Map<String, String> env;

  @Spec CommandSpec spec;

  @Option(
      names = "--statsd-address",
      paramLabel = "HOST:PORT",
      description = "overrides FLEETSTATS_STATSD_ADDRESS")
  String statsdAddress;

  @Option(
      names = "--kafka-bootstrap",
      paramLabel = "SERVERS",
      description = "overrides FLEETSTATS_KAFKA_BOOTSTRAP")
  String kafkaBootstrap;

  public EdgeAgentMain() {
    this(System.getenv());
  }

  /** @param env the environment to read settings from (a plain map in tests) */
  public EdgeAgentMain(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new EdgeAgentMain()).execute(args));
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    Map<String, String> settings = new HashMap<>(env);
    // Flags go through the same validation as the environment, so errors name the same key.
    if (statsdAddress != null) {
      settings.put(EdgeConfig.STATSD_ADDRESS, statsdAddress);
    }
    if (kafkaBootstrap != null) {
      settings.put(EdgeConfig.KAFKA_BOOTSTRAP, kafkaBootstrap);
    }
    EdgeConfig config;
    try {
      config = EdgeConfig.fromEnv(settings);
    } catch (ConfigException e) {
      err.println(e.getMessage());
      err.flush();
      return 2;
    }
    EdgeAgent agent;
    try {
      agent = EdgeAgent.start(config);
    } catch (RuntimeException e) {
      err.println("cannot start the edge agent: " + e.getMessage());
      err.flush();
      return 1;
    }
    AdminServer admin = null;
    InetSocketAddress adminAddress = config.ingest().adminAddress();
    if (adminAddress != null) {
      try {
        admin =
            AdminServer.start(
                adminAddress, agent.meterRegistry(), () -> agent.notReadyReason());
      } catch (RuntimeException e) {
        agent.close();
        err.println("cannot start the edge agent: " + e.getMessage());
        err.flush();
        return 1;
      }
    }
    AdminServer adminServer = admin;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (adminServer != null) {
                    adminServer.close();
                  }
                  agent.close();
                  stopped.countDown();
                },
                "fleetstats-edge-shutdown"));
    stopped.await();
    return 0;
  }
}
