package io.fleetstats.stream;

import io.fleetstats.kit.settings.ConfigException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Runs the stream processor standalone until SIGINT or SIGTERM. Configuration comes from the
 * environment only ({@code FLEETSTATS_*}, see the module README).
 */
@Command(
    name = "fleetstats-stream-processor",
    mixinStandardHelpOptions = true,
    description = {
      "Aggregates raw statsd batches from Kafka into per-series, per-window Telegraf-style",
      "aggregates, exactly once. Configured by environment variables:",
      "  FLEETSTATS_KAFKA_BOOTSTRAP (localhost:9092), FLEETSTATS_KAFKA_* (client properties),",
      "  FLEETSTATS_APPLICATION_ID (fleetstats-stream-processor), FLEETSTATS_TOPIC_PREFIX (fleetstats),",
      "  FLEETSTATS_WINDOW (10s), FLEETSTATS_GRACE (5s), FLEETSTATS_PERCENTILES (90),",
      "  FLEETSTATS_SKETCH_ACCURACY (0.01), FLEETSTATS_STATE_DIR (<tmpdir>/<application id>),",
      "  FLEETSTATS_STREAM_THREADS (1), FLEETSTATS_COMMIT_INTERVAL (1s),",
      "  FLEETSTATS_WALL_CLOCK_CLOSE (true), FLEETSTATS_CREATE_TOPICS (true),",
      "  FLEETSTATS_SET_EXACT_LIMIT (1000), FLEETSTATS_ROLLUPS (none; e.g.",
      "  app:drop=pod_name,node;fleet:drop=pod_name,node,cluster), FLEETSTATS_ROLLUP_GRACE (60s),",
      "  FLEETSTATS_MAX_SERIES_PER_SOURCE (10000), FLEETSTATS_MAX_SERIES_PER_NAME (10000),",
      "  FLEETSTATS_LATE_TO_DEADLETTER (true), FLEETSTATS_ADMIN_ADDRESS (:9126, or off: /healthz,",
      "  /readyz, /metrics), CLUSTER_NAME, NAMESPACE, POD_NAME (tags of the self-metrics)."
    },
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:stopped by a signal",
      "1:Kafka Streams failed or could not start",
      "2:invalid configuration"
    })
public final class StreamProcessorMain implements Callable<Integer> {
  private final Map<String, String> env;

  StreamProcessorMain(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new StreamProcessorMain(System.getenv())).execute(args));
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
