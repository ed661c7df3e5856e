package io.fleetstats.sink;

import io.fleetstats.kit.settings.ConfigException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Runs the Wavefront sink standalone until SIGINT/SIGTERM. All settings come from the environment
 * and the optional YAML file ({@link SinkConfig#SETTINGS}, which {@code --help} lists).
 *
 * <p>Exit codes: 0 after a clean stop, 1 if the sink failed (e.g. the proxy refused us), 2 for bad
 * configuration or usage.
 */
@Command(
    name = "wavefront-sink",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 120,
    description =
        "Consumes fleetstats.aggregates and delivers Wavefront lines to a proxy, at least once.",
    footerHeading = "%nEnvironment (default):%n")
public final class WavefrontSinkMain implements Callable<Integer> {
  private final Map<String, String> env;

  WavefrontSinkMain(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(run(System.getenv(), args));
  }

  static int run(Map<String, String> env, String... args) {
    return commandLine(new WavefrontSinkMain(env)).execute(args);
  }

  /** The command line with the settings table as its footer, so {@code --help} is the table. */
  static CommandLine commandLine(WavefrontSinkMain main) {
    CommandLine cl = new CommandLine(main);
    cl.getCommandSpec().usageMessage().footer(SinkConfig.SETTINGS.help().toArray(String[]::new));
    return cl;
  }

  @Override
  public Integer call() throws InterruptedException {
    SinkConfig config;
    try {
      config = SinkConfig.fromEnv(env);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    WavefrontSink sink;
    try {
      sink = WavefrontSink.start(config);
    } catch (IllegalStateException e) {
      System.err.println("cannot start: " + e.getMessage());
      return 1;
    }
    Thread hook = new Thread(sink::close, "wavefront-sink-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    sink.awaitStop();
    if (sink.state() == WavefrontSink.State.FAILED) {
      System.err.println(sink.failure().map(Throwable::getMessage).orElse("wavefront sink failed"));
      return 1;
    }
    return 0;
  }
}
