package io.fleetstats.local;

import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.Durations;
import io.fleetstats.stream.StreamConfig;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** {@code fleetstats-local}: the whole platform in one JVM, for trying it out and for demos. */
@Command(
    name = "fleetstats-local",
    mixinStandardHelpOptions = true,
    usageHelpWidth = 130,
    version = "fleetstats-local 0.1.0",
    sortOptions = false,
    description = {
      "Runs Fleetstats in one JVM: an embedded Kafka broker (KRaft), an edge agent listening for",
      "statsd, the stream processor, the Wavefront sink and a built-in receiver that speaks the",
      "Wavefront proxy's HTTP protocol and prints every line it gets; with --remote-write, the",
      "Prometheus remote-write sink beside the Wavefront one."
    },
    footer = {
      "",
      "Environment: every FLEETSTATS_* variable of the services (and the seed's names such as",
      "CLUSTER_NAME) is passed through to them; see each service's --help or README.",
      "FLEETSTATS_CONFIG_FILE names a YAML settings file all of them read. A FLEETSTATS_* key no",
      "service knows is reported once, naming the nearest known key; with",
      "FLEETSTATS_STRICT_CONFIG=true it stops the start (exit code 2), as a bad value does.",
      "",
      "Example: fleetstats-local --demo --duration 60s --capture lines.txt",
      "         FLEETSTATS_MYSQL_USER=app FLEETSTATS_MYSQL_PASSWORD=... fleetstats-local --mysql jdbc:mysql://127.0.0.1:3306/",
      "Backfill: fleetstats-local replay --bootstrap HOST:PORT --from -6h --output file:PATH",
      "re-aggregates the raw topics (docs/backfill.md; fleetstats-local replay --help)."
    })
public final class LocalStackMain implements java.util.concurrent.Callable<Integer> {

  @Option(
      names = "--statsd-port",
      paramLabel = "N",
      description = "UDP port of the edge agent (default: ${DEFAULT-VALUE})")
  int statsdPort = 8125;

  @Option(
      names = "--kafka-port",
      paramLabel = "N",
      description =
          "client port of the embedded Kafka broker; 0 picks a free one (default: ${DEFAULT-VALUE})")
  int kafkaPort = 0;

  @Option(
      names = "--window",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "aggregation window (default: 10s)")
  Duration window = Duration.ofSeconds(10);

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "how long a window waits for late samples (default: 5s)")
  Duration grace = Duration.ofSeconds(5);

  @Option(
      names = "--proxy",
      paramLabel = "URL",
      description =
          "send to this Wavefront proxy (e.g. http://proxy:2878) instead of the built-in receiver")
  URI proxy;

  @Option(
      names = "--remote-write",
      paramLabel = "URL",
      description = {
        "also run the Prometheus sink, writing every aggregate to this remote-write endpoint,",
        "e.g. http://127.0.0.1:9090/api/v1/write (Prometheus with --web.enable-remote-write-receiver)"
      })
  URI remoteWrite;

  @Option(
      names = "--capture",
      paramLabel = "FILE",
      description = "append every line the built-in receiver gets to FILE")
  Path capture;

  @Option(
      names = "--demo",
      description =
          "play the seed app's traffic: three Flask api-server pods on two nodes and a Django web-server")
  boolean demo;

  @Option(
      names = "--duration",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "stop after this long (default: run until Ctrl-C)")
  Duration duration;

  @Option(
      names = "--data-dir",
      paramLabel = "DIR",
      description =
          "keep broker and state data here (default: a temporary directory removed at exit)")
  Path dataDir;

  @Option(names = "--quiet", description = "do not print the received lines (use with --capture)")
  boolean quiet;

  @Option(
      names = "--mysql",
      paramLabel = "JDBC_URL",
      description = {
        "also poll this MySQL/MariaDB server from the stack's edge agent, e.g. jdbc:mysql://127.0.0.1:3306/;",
        "credentials from FLEETSTATS_MYSQL_USER / MYSQL_ID and FLEETSTATS_MYSQL_PASSWORD(_FILE) / MYSQL_PASSWORD"
      })
  String mysql;

  @Option(
      names = "--kubelet",
      paramLabel = "URL",
      description = {
        "also scrape this kubelet's Summary API (cluster stats) from the stack's edge agent,",
        "e.g. https://10.0.0.5:10250 or a fixture server's http://127.0.0.1:PORT; token and TLS from",
        "FLEETSTATS_KUBELET_TOKEN_FILE, FLEETSTATS_KUBELET_CA_FILE, FLEETSTATS_KUBELET_INSECURE_SKIP_VERIFY"
      })
  String kubelet;

  @Option(
      names = "--ui-port",
      paramLabel = "N",
      description = {
        "serve the live view (charts of the aggregated series and the platform panel) on",
        "http://127.0.0.1:N/; 0 or off: no live view (default: ${DEFAULT-VALUE})"
      })
  String uiPort = "8088";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  private final PrintStream out;

  LocalStackMain(PrintStream out) {
    this.out = out;
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("replay")) {
      // the backfill tool, against any Kafka (e.g. a stack started with --kafka-port); with the
      // stack's own roll-up rule unless FLEETSTATS_ROLLUPS says otherwise, so that a replay of the
      // stack's data gives its roll-up lines too
      java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
      env.putIfAbsent(StreamConfig.ROLLUPS.key(), StackConfig.DEFAULT_ROLLUPS);
      System.exit(
          io.fleetstats.stream.replay.ReplayMain.run(
              java.util.Arrays.copyOfRange(args, 1, args.length),
              env,
              System.out,
              System.err,
              true));
    }
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine cli = new CommandLine(new LocalStackMain(out));
    cli.setOut(new java.io.PrintWriter(out, true));
    cli.setErr(new java.io.PrintWriter(err, true));
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof CommandLine.ParameterException
              || e instanceof ConfigException
              || e instanceof IllegalStateException) {
            err.println("fleetstats-local: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cli.execute(args);
  }

  @Override
  public Integer call() throws InterruptedException {
    if (proxy != null && capture != null) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--capture works with the built-in receiver only; drop --proxy or --capture");
    }
    if (remoteWrite != null
        && !("http".equalsIgnoreCase(remoteWrite.getScheme())
            || "https".equalsIgnoreCase(remoteWrite.getScheme()))) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--remote-write needs an http(s) URL such as http://127.0.0.1:9090/api/v1/write, got '"
              + remoteWrite
              + "'");
    }
    if (mysql != null && !mysql.startsWith("jdbc:")) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--mysql needs a JDBC URL such as jdbc:mysql://127.0.0.1:3306/, got '" + mysql + "'");
    }
    int ui = uiPort();
    java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
    if (mysql != null) {
      env.put("FLEETSTATS_MYSQL_URL", mysql);
    }
    if (kubelet != null) {
      env.put("FLEETSTATS_KUBELET_URL", kubelet);
    }
    AtomicLong lines = new AtomicLong();
    LocalStack.Options options =
        new LocalStack.Options(
            statsdPort,
            kafkaPort,
            window,
            grace,
            Optional.ofNullable(proxy),
            Optional.ofNullable(capture),
            demo,
            Optional.ofNullable(dataDir),
            env,
            line -> {
              lines.incrementAndGet();
              if (!quiet) {
                out.println(line);
              }
            },
            Optional.ofNullable(remoteWrite));
    CountDownLatch stop = new CountDownLatch(1);
    long t0 = System.nanoTime();
    LocalStack stack = LocalStack.start(options);
    String liveView = "";
    if (ui > 0) {
      try {
        liveView =
            ", live view "
                + stack
                    .startLiveView(new InetSocketAddress(InetAddress.getLoopbackAddress(), ui))
                    .url();
      } catch (java.io.UncheckedIOException e) {
        stack.close();
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
    Thread hook =
        new Thread(
            () -> {
              stop.countDown();
              stack.close();
              out.printf("Fleetstats local stack stopped; %d lines received%n", lines.get());
              out.flush();
            },
            "fleetstats-local-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.printf(
        "Fleetstats local stack ready in %.1f s: statsd udp://%s:%d, kafka bootstrap %s, %s %s%s, window %s, grace %s%s%s%s%n",
        (System.nanoTime() - t0) / 1e9,
        stack.statsdAddress().getHostString(),
        stack.statsdAddress().getPort(),
        stack.bootstrapServers(),
        stack.builtInReceiver() ? "receiver" : "proxy",
        stack.proxyUrl(),
        remoteWrite != null ? ", remote write " + remoteWrite : "",
        Durations.format(window),
        Durations.format(grace),
        demo ? ", demo traffic on" : "",
        mysql != null ? ", polling MySQL at " + stack.agent().config().mysql().safeUrl() : "",
        liveView);
    out.flush();
    if (duration != null) {
      if (!stop.await(duration.toMillis(), TimeUnit.MILLISECONDS)) {
        out.printf(
            "Stopping after %s; %d lines received%n", Durations.format(duration), lines.get());
        Runtime.getRuntime().removeShutdownHook(hook);
        stack.close();
      }
    } else {
      stop.await();
    }
    return 0;
  }

  /** {@code --ui-port}: a port, or 0 / {@code off} for none. */
  private int uiPort() {
    if (uiPort.equalsIgnoreCase("off")) {
      return 0;
    }
    try {
      int port = Integer.parseInt(uiPort);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "--ui-port needs a port from 1 to 65535, or 0 or off, got '" + uiPort + "'");
  }

  /** Reads {@code 10s}, {@code 500ms}, {@code 1m}. */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return Durations.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
