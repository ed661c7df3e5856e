package io.fleetstats.sink;

import io.fleetstats.kit.settings.ConfigException;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Runs the Wavefront sink standalone until SIGINT/SIGTERM. All settings come from the
 * environment (see {@link SinkConfig}).
 *
 * <p>Exit codes: 0 after a clean stop, 1 if the sink failed (e.g. the proxy refused us), 2 for
 * bad configuration or usage.
 */
@Command(
    name = "wavefront-sink",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 120,
    description = {
      "Consumes fleetstats.aggregates and delivers Wavefront lines to a proxy, at least once.",
      "",
      "Settings (environment):",
      "  FLEETSTATS_KAFKA_BOOTSTRAP    Kafka bootstrap servers (localhost:9092)",
      "  FLEETSTATS_KAFKA_<PROPERTY>   any Kafka client property, e.g. FLEETSTATS_KAFKA_SECURITY_PROTOCOL",
      "  FLEETSTATS_PROXY_URL          proxy URL (http://<WAVEFRONT_PROXY>:2878, else http://localhost:2878)",
      "  FLEETSTATS_GROUP_ID           consumer group (fleetstats-wavefront-sink)",
      "  FLEETSTATS_TOPIC_PREFIX       topic prefix (fleetstats)",
      "  FLEETSTATS_BATCH_LINES        most lines per HTTP request (10000)",
      "  FLEETSTATS_REQUEST_TIMEOUT    HTTP connect/response timeout (10s)",
      "  FLEETSTATS_RETRY_MAX_BACKOFF  cap of the retry backoff (30s)",
      "  FLEETSTATS_METRIC_PREFIX      prefix for every metric name (empty)",
      "  FLEETSTATS_CREATE_TOPICS      create missing topics at start (true)",
      "  FLEETSTATS_BATCH_BYTES        most uncompressed bytes per HTTP request (4194304)",
      "  FLEETSTATS_WAVEFRONT_TOKEN    token sent as 'Authorization: Bearer' (direct ingestion: https URL + API token)",
      "  FLEETSTATS_WAVEFRONT_TOKEN_FILE  file whose first line is the token (instead of the variable)",
      "  FLEETSTATS_DISTRIBUTIONS      off | minute (!M) | hour (!H) distributions from sketches (off)",
      "  FLEETSTATS_DELTA_COUNTERS     send counters as delta counters (false)",
      "  FLEETSTATS_GZIP_LEVEL         deflate level of request bodies, 0-9 (1)",
      "  FLEETSTATS_ADMIN_ADDRESS      admin port: /healthz /readyz /metrics, host:port or off (:9127)"
    })
public final class WavefrontSinkMain implements Callable<Integer> {
  private final Map<String, String> env;

  WavefrontSinkMain(Map<String, String> env) {
    this.env = env;
  }

  public static void main(String[] args) {
    System.exit(run(System.getenv(), args));
  }

  static int run(Map<String, String> env, String... args) {
    return new CommandLine(new WavefrontSinkMain(env)).execute(args);
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
