package io.fleetstats.stream;

import io.fleetstats.kit.settings.ConfigException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Runs the stream processor standalone until SIGINT or SIGTERM. Configuration comes from the
 * environment and the optional YAML file ({@link StreamConfig#SETTINGS}, which {@code --help}
 * lists).
 */
@Command(
    name = "fleetstats-stream-processor",
    mixinStandardHelpOptions = true,
    description =
        "Aggregates raw statsd batches from Kafka into per-series, per-window Telegraf-style"
            + " aggregates, exactly once. Configured by the environment variables below.",
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:stopped by a signal",
      "1:Kafka Streams failed or could not start",
      "2:invalid configuration"
    },
    footerHeading = "%nEnvironment (default):%n")
public final class StreamProcessorMain implements Callable<Integer> {
  private final Map<String, String> env;

  StreamProcessorMain(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(commandLine(new StreamProcessorMain(System.getenv())).execute(args));
  }

  /** The command line with the settings table as its footer, so {@code --help} is the table. */
  static CommandLine commandLine(StreamProcessorMain main) {
    CommandLine cl = new CommandLine(main);
    cl.getCommandSpec().usageMessage().footer(StreamConfig.SETTINGS.help().toArray(String[]::new));
    return cl;
  }

  @Override
  public Integer call() {
    StreamConfig config;
    try {
      config = StreamConfig.fromEnv(env);
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    StreamProcessor processor;
    try {
      processor = StreamProcessor.start(config);
    } catch (IllegalStateException e) {
      System.err.println("cannot start the stream processor: " + e.getMessage());
      return 1;
    }
    Thread hook = new Thread(processor::close, "stream-processor-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    processor.stopped().join();
    // stopped on its own (fatal error), not by a signal: the hook is ours to remove
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
      processor.close();
      return 1;
    } catch (IllegalStateException shuttingDown) {
      return 0; // the JVM is already exiting because of a signal
    }
  }
}
