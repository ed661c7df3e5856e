package io.fleetstats.stream;

import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.schemas.TopicSetup;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

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
      "0:stopped by a signal (--create-topics-and-exit: the topics exist)",
      "1:Kafka Streams failed or could not start",
      "2:invalid configuration"
    },
    footerHeading = "%nEnvironment (default):%n")
public final class StreamProcessorMain implements Callable<Integer> {
  private final Map<String, String> env;

  @Option(
      names = "--create-topics-and-exit",
      description =
          "create the missing platform topics (FLEETSTATS_TOPIC_PARTITIONS, _REPLICATION,"
              + " FLEETSTATS_RAW_RETENTION) and exit: 0 when they exist, 1 when Kafka cannot be"
              + " reached within FLEETSTATS_TOPIC_SETUP_TIMEOUT or creation is refused")
  boolean createTopicsAndExit;

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
    if (createTopicsAndExit) {
      return createTopics(config);
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

  /** The chart's topic Job: existing topics are left as they are. */
  private int createTopics(StreamConfig config) {
    try {
      TopicOptions options = TopicOptions.read(env);
      List<String> created =
          TopicSetup.ensure(
              config.adminProperties(),
              config.topics(),
              options.partitions(),
              options.replication(),
              options.rawRetention(),
              options.timeout());
      System.out.println(
          created.isEmpty()
              ? "every topic under " + config.topicPrefix() + " exists already"
              : "created " + String.join(", ", created));
      return 0;
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (IllegalStateException e) {
      System.err.println("cannot create the topics: " + e.getMessage());
      return 1;
    }
  }
}
