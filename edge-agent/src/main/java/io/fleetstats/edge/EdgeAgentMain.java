package io.fleetstats.edge;

import io.fleetstats.kit.admin.AdminServer;
import io.fleetstats.kit.settings.ConfigException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
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
    description =
        "Receives statsd over UDP (and TCP) and publishes it, batched per flush, to Kafka; optionally polls MySQL.",
    footerHeading = "%nEnvironment (default):%n")
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

  /**
   * @param env the environment to read settings from (a plain map in tests)
   */
  public EdgeAgentMain(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(commandLine(new EdgeAgentMain()).execute(args));
  }

  /** The command line with the settings table as its footer, so {@code --help} is the table. */
  static CommandLine commandLine(EdgeAgentMain main) {
    CommandLine cl = new CommandLine(main);
    cl.getCommandSpec().usageMessage().footer(EdgeConfig.SETTINGS.help().toArray(String[]::new));
    return cl;
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    Map<String, String> settings = new HashMap<>(env);
    // Flags go through the same validation as the environment, so errors name the same key.
    if (statsdAddress != null) {
      settings.put(EdgeConfig.STATSD_ADDRESS.key(), statsdAddress);
    }
    if (kafkaBootstrap != null) {
      settings.put(EdgeConfig.KAFKA_BOOTSTRAP.key(), kafkaBootstrap);
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
            AdminServer.start(adminAddress, agent.meterRegistry(), () -> agent.notReadyReason());
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
