package io.fleetstats.sink.prometheus;

import io.fleetstats.kit.settings.ConfigException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Runs the Prometheus sink standalone until SIGINT/SIGTERM. All settings come from the environment
 * and the optional YAML file ({@link PromSinkConfig#SETTINGS}, which {@code --help} lists).
 *
 * <p>Exit codes: 0 after a clean stop, 1 if the sink failed (e.g. the receiver refused our
 * credentials), 2 for bad configuration or usage.
 */
@Command(
    name = "fleetstats-prometheus-sink",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 120,
    description =
        "Consumes fleetstats.aggregates and writes them to a Prometheus remote-write receiver, at"
            + " least once.",
    footerHeading = "%nEnvironment (default):%n")
public final class PrometheusSinkMain implements Callable<Integer> {
  private final Map<String, String> env;

  PrometheusSinkMain(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(run(System.getenv(), args));
  }

  static int run(Map<String, String> env, String... args) {
    return commandLine(new PrometheusSinkMain(env)).execute(args);
  }

  /** The command line with the settings table as its footer, so {@code --help} is the table. */
  static CommandLine commandLine(PrometheusSinkMain main) {
    CommandLine cl = new CommandLine(main);
    cl.getCommandSpec()
        .usageMessage()
        .footer(PromSinkConfig.SETTINGS.help().toArray(String[]::new));
    return cl;
  }

  @Override
  public Integer call() throws InterruptedException {
    PromSinkConfig config;
    try {
      config = PromSinkConfig.fromEnv(env);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    PrometheusSink sink;
    try {
      sink = PrometheusSink.start(config);
    } catch (IllegalStateException e) {
      System.err.println("cannot start: " + e.getMessage());
      return 1;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(sink::close, "prometheus-sink-shutdown"));
    sink.awaitStop();
    if (sink.state() == PrometheusSink.State.FAILED) {
      System.err.println(
          sink.failure().map(Throwable::getMessage).orElse("prometheus sink failed"));
      return 1;
    }
    return 0;
  }
}
