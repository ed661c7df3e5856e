package io.fleetstats.injector;

import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.settings.ConfigException;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The sidecar injector: the HTTPS mutating admission webhook that adds the edge agent to annotated
 * pods, until SIGINT/SIGTERM; or, with {@code --write-cluster-record}, writes this cluster's record
 * to Kafka and exits. Settings from the environment ({@link InjectorConfig#SETTINGS}).
 */
@Command(
    name = "fleetstats-sidecar-injector",
    mixinStandardHelpOptions = true,
    version = "fleetstats sidecar injector 0.1.0",
    description =
        "Mutating admission webhook: adds the Fleetstats edge agent to pods annotated"
            + " fleetstats.io/inject: \"true\". With --write-cluster-record: writes the cluster's"
            + " tags to <prefix>.clusters and exits.",
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:stopped by a signal, or the record was written",
      "1:cannot start, or Kafka unreachable / topic missing",
      "2:invalid configuration"
    },
    footerHeading = "%nEnvironment (default):%n")
public final class InjectorMain implements Callable<Integer> {
  /** How long --write-cluster-record waits for Kafka. */
  static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(60);

  private final Map<String, String> env;

  @Spec CommandSpec spec;

  @Option(
      names = "--write-cluster-record",
      description =
          "write FLEETSTATS_CLUSTER's tags (FLEETSTATS_CLUSTER_TAGS) to <prefix>.clusters and exit")
  boolean writeClusterRecord;

  public InjectorMain() {
    this(System.getenv());
  }

  /**
   * @param env the environment to read settings from (a plain map in tests)
   */
  public InjectorMain(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(commandLine(new InjectorMain()).execute(args));
  }

  /** The command line with the settings table as its footer, so {@code --help} is the table. */
  static CommandLine commandLine(InjectorMain main) {
    CommandLine cl = new CommandLine(main);
    cl.getCommandSpec()
        .usageMessage()
        .footer(InjectorConfig.SETTINGS.help().toArray(String[]::new));
    return cl;
  }

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter err = spec.commandLine().getErr();
    InjectorConfig config;
    try {
      config = InjectorConfig.fromEnv(env);
    } catch (ConfigException e) {
      err.println(e.getMessage());
      err.flush();
      return 2;
    }
    return writeClusterRecord ? writeRecord(config, err) : serve(config, err);
  }

  private int writeRecord(InjectorConfig config, PrintWriter err) {
    boolean named =
        ProcessIdentity.CLUSTER.keys().stream()
            .anyMatch(k -> env.get(k) != null && !env.get(k).isBlank());
    if (!named) {
      err.println(
          "--write-cluster-record needs the cluster's name: set "
              + ProcessIdentity.CLUSTER.key()
              + " (the chart's clusterName)");
      err.flush();
      return 2;
    }
    try {
      RecordMetadata at =
          ClusterRecordWriter.write(
              config.kafkaProperties(),
              io.fleetstats.schemas.Topics.withPrefix(config.topicPrefix()),
              config.identity().cluster(),
              config.clusterTags(),
              Clock.systemUTC(),
              KAFKA_TIMEOUT);
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          "cluster record of "
              + config.identity().cluster()
              + " written to "
              + at.topic()
              + " (partition "
              + at.partition()
              + ", offset "
              + at.offset()
              + "), tags "
              + config.clusterTags());
      out.flush();
      return 0;
    } catch (IllegalStateException e) {
      err.println("cannot write the cluster record: " + e.getMessage());
      err.flush();
      return 1;
    }
  }

  private int serve(InjectorConfig config, PrintWriter err) throws InterruptedException {
    WebhookServer server;
    try {
      SidecarTemplate template = SidecarTemplate.read(config.sidecar());
      ReloadingKeyManager keys = new ReloadingKeyManager(config.tlsCert(), config.tlsKey());
      server =
          WebhookServer.start(
              config.address(),
              keys,
              config.reloadInterval(),
              new PodMutator(template, config.nativeSidecar()));
    } catch (IOException | RuntimeException e) {
      err.println("cannot start the sidecar injector: " + e.getMessage());
      err.flush();
      return 1;
    }
    org.slf4j.LoggerFactory.getLogger(InjectorMain.class)
        .info(
            "sidecar injector listening on https://{} ({} sidecar from {})",
            server.address().getHostString() + ":" + server.address().getPort(),
            config.nativeSidecar() ? "native" : "regular",
            config.sidecar());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "injector-shutdown"));
    stopped.await();
    return 0;
  }
}
