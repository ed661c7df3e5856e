package io.fleetstats.stream.replay;

import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.sink.SinkConfig;
import io.fleetstats.sink.format.Limits;
import io.fleetstats.sink.format.WavefrontFormatter;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.aggregate.Windows;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fleetstats-replay}: re-aggregates the raw statsd topics over an event-time range with the
 * live stream processor's own window and roll-up processors and settings, and writes the aggregates
 * as Wavefront lines (see {@code docs/backfill.md}).
 */
@Command(
    name = "fleetstats-replay",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Re-aggregates the raw statsd topics for an event-time range with the live stream"
          + " processor's own window and roll-up code, and writes the aggregates as Wavefront lines"
          + " with the sink's formatter. Reads each partition from the offset of (--from minus the"
          + " allowed lateness) to the end offset seen at start; assigns partitions, joins no"
          + " consumer group, commits nothing, and touches no live state.",
      "Settings not given as options come from the environment, as for the stream processor"
          + " (FLEETSTATS_WINDOW, FLEETSTATS_ROLLUPS, FLEETSTATS_KAFKA_*, ...) and the Wavefront"
          + " sink (FLEETSTATS_METRIC_PREFIX, ...)."
    },
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:done: every window of the range written (or counted, --dry-run)",
      "1:failed while running (Kafka lost, output not writable, proxy refusing us); a --checkpoint"
          + " keeps progress",
      "2:bad arguments, or Kafka, a topic or the checkpoint not as the arguments say; the message"
          + " names the option",
      "3:stopped before the end; with --checkpoint run the same command again to continue (stopped"
          + " by SIGINT or SIGTERM, the exit status is the signal's: 130 or 143)"
    })
public final class ReplayMain implements Callable<Integer> {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int STOPPED = 3;

  @Option(
      names = "--bootstrap",
      paramLabel = "HOST:PORT",
      description =
          "Kafka bootstrap servers (default: FLEETSTATS_KAFKA_BOOTSTRAP or localhost:9092)")
  String bootstrap;

  @Option(
      names = "--from",
      required = true,
      paramLabel = "TIME",
      description =
          "start of the event-time range: an ISO-8601 instant (2026-12-06T08:00:00Z) or relative"
              + " to now (-6h, -90m, -2d); aligned down to a window start")
  String from;

  @Option(
      names = "--to",
      paramLabel = "TIME",
      defaultValue = "now",
      description =
          "end of the range, exclusive, as --from; aligned up (default: ${DEFAULT-VALUE})")
  String to;

  @Option(
      names = "--topics",
      split = ",",
      paramLabel = "TOPIC",
      description =
          "raw statsd topics to read (default: every topic matching FLEETSTATS_RAW_TOPIC_PATTERN,"
              + " i.e. fleetstats.raw.statsd and its mirrors <alias>.fleetstats.raw.statsd)")
  List<String> topics = new ArrayList<>();

  @Option(
      names = "--cluster",
      split = ",",
      paramLabel = "NAME",
      description = "only these clusters")
  List<String> clusters = new ArrayList<>();

  @Option(
      names = "--namespace",
      split = ",",
      paramLabel = "NAME",
      description = "only these namespaces")
  List<String> namespaces = new ArrayList<>();

  @Option(
      names = "--source",
      split = ",",
      paramLabel = "GLOB",
      description =
          "only sources whose pod name or id (cluster/namespace/pod/container) matches; * and ?"
              + " as in a shell")
  List<String> sources = new ArrayList<>();

  @Option(
      names = "--metric",
      split = ",",
      paramLabel = "GLOB",
      description = "only metrics whose statsd name matches, e.g. 'api-server.*'")
  List<String> metrics = new ArrayList<>();

  @Option(
      names = "--window",
      paramLabel = "DURATION",
      description = "window (default: FLEETSTATS_WINDOW, as the live processor: 10s)")
  String window;

  @Option(
      names = "--percentiles",
      paramLabel = "LIST",
      description = "percentiles, e.g. 50,90,99 (default: FLEETSTATS_PERCENTILES: 90)")
  String percentiles;

  @Option(
      names = "--rollups",
      paramLabel = "RULES",
      description =
          "roll-up rules, e.g. app:drop=pod_name,node ('' for none; default: FLEETSTATS_ROLLUPS)")
  String rollups;

  @Option(
      names = "--fields",
      split = ",",
      paramLabel = "FIELD",
      description =
          "only these aggregate fields, e.g. count,mean,90_percentile,value (default: all)")
  List<String> fields = new ArrayList<>();

  @Option(
      names = "--output",
      paramLabel = "KIND:WHERE",
      description = {
        "where the aggregates go: file:PATH (Wavefront data format, one point a line);"
            + " proxy:URL (the same lines sent as the Wavefront sink sends them: batches, retries"
            + " with backoff, Retry-After; FLEETSTATS_BATCH_LINES, FLEETSTATS_REQUEST_TIMEOUT,"
            + " FLEETSTATS_WAVEFRONT_TOKEN apply); topic:NAME (Aggregate records keyed as the live"
            + " processor keys them)"
      })
  String output;

  @Option(
      names = "--rate-limit",
      paramLabel = "POINTS/S",
      description = "with --output proxy:URL, send at most this many points a second on average")
  String rateLimit;

  @Option(
      names = "--dry-run",
      description = "read and aggregate, write nothing; prints the counts a real run would write")
  boolean dryRun;

  @Option(
      names = "--checkpoint",
      paramLabel = "FILE",
      description =
          "save progress to FILE (every --checkpoint-interval and when stopped); if FILE exists,"
              + " continue from it; deleted at the end")
  Path checkpoint;

  @Option(
      names = "--checkpoint-interval",
      paramLabel = "DURATION",
      defaultValue = "30s",
      description = "how often the checkpoint is written (default: ${DEFAULT-VALUE})")
  String checkpointInterval;

  @Option(
      names = "--metric-prefix",
      paramLabel = "PREFIX",
      description = "prefix of every metric name (default: FLEETSTATS_METRIC_PREFIX, as the sink)")
  String metricPrefix;

  @Option(
      names = "--distributions",
      paramLabel = "off|minute|hour",
      description =
          "also write sketches as distributions (default: FLEETSTATS_DISTRIBUTIONS, as the sink);"
              + " not idempotent")
  String distributions;

  @Option(
      names = "--delta-counters",
      negatable = true,
      description =
          "write counters as delta counters (default: FLEETSTATS_DELTA_COUNTERS); not idempotent")
  Boolean deltaCounters;

  @Option(
      names = "--allow-non-idempotent",
      description =
          "allow distributions and delta counters, which Wavefront adds to what it holds instead of"
              + " overwriting (sending them twice counts twice)")
  boolean allowNonIdempotent;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      defaultValue = "30s",
      description =
          "how long to wait for Kafka at start and while reading (default: ${DEFAULT-VALUE})")
  String timeout;

  @Option(
      names = "--progress-interval",
      paramLabel = "DURATION",
      description = "a progress line this often (default: 10s, 2s on a terminal)")
  String progressInterval;

  @Option(
      names = "--include-late",
      description =
          "also aggregate the samples the live processor dead-lettered as late (reason 'late' on"
              + " the dead-letter topic) for windows in the range, each at its own event time")
  boolean includeLate;

  @Option(names = "--halt-after-records", hidden = true, defaultValue = "0")
  long haltAfterRecords;

  private final Map<String, String> env;
  private final PrintStream out;
  private final PrintStream err;
  private final Instant now;
  private volatile Replay running;

  ReplayMain(Map<String, String> env, PrintStream out, PrintStream err, Instant now) {
    this.env = env;
    this.out = out;
    this.err = err;
    this.now = now;
  }

  public static void main(String[] args) {
    System.exit(run(args, System.getenv(), System.out, System.err, true));
  }

  /**
   * Runs the command.
   *
   * @param signals stop on SIGINT/SIGTERM writing the checkpoint (only for a whole process)
   * @return the exit code
   */
  public static int run(
      String[] args, Map<String, String> env, PrintStream out, PrintStream err, boolean signals) {
    ReplayMain main = new ReplayMain(env, out, err, Instant.now());
    CommandLine cli = new CommandLine(main);
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    cli.setParameterExceptionHandler(
        (e, a) -> {
          err.println("fleetstats-replay: " + e.getMessage());
          err.println("(fleetstats-replay --help lists the options)");
          return USAGE;
        });
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook = null;
    if (signals) {
      hook =
          new Thread(
              () -> {
                Replay r = main.running;
                if (r != null) {
                  r.requestStop();
                  try {
                    finished.await(60, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }
              },
              "fleetstats-replay-stop");
      Runtime.getRuntime().addShutdownHook(hook);
    }
    try {
      return cli.execute(args);
    } finally {
      finished.countDown();
    }
  }

  @Override
  public Integer call() {
    Replay.Plan plan;
    try {
      plan = plan();
    } catch (Replay.UsageException e) {
      err.println("fleetstats-replay: " + e.getMessage());
      return USAGE;
    }
    Replay replay = new Replay(plan, out, err);
    running = replay;
    try {
      replay.run();
      return OK;
    } catch (Replay.UsageException e) {
      err.println("fleetstats-replay: " + e.getMessage());
      return USAGE;
    } catch (Replay.Interrupted e) {
      err.println("fleetstats-replay: " + e.getMessage());
      return STOPPED;
    } catch (Exception e) {
      err.println("fleetstats-replay: failed: " + e);
      if (plan.checkpoint() != null) {
        err.println(
            "fleetstats-replay: the last checkpoint in "
                + plan.checkpoint()
                + " is kept: run the same command again to continue from it");
      }
      return FAILED;
    } finally {
      running = null;
    }
  }

  /** Resolves and checks the arguments: every problem names its option. */
  Replay.Plan plan() {
    Map<String, String> e = new HashMap<>(env);
    Map<String, String> flags = new LinkedHashMap<>();
    put(e, flags, StreamConfig.BOOTSTRAP.key(), bootstrap, "--bootstrap");
    put(e, flags, StreamConfig.WINDOW.key(), window, "--window");
    put(e, flags, StreamConfig.PERCENTILES.key(), percentiles, "--percentiles");
    put(e, flags, StreamConfig.ROLLUPS.key(), rollups, "--rollups");
    put(e, flags, SinkConfig.METRIC_PREFIX.key(), metricPrefix, "--metric-prefix");
    put(e, flags, SinkConfig.DISTRIBUTIONS.key(), distributions, "--distributions");
    put(
        e,
        flags,
        SinkConfig.DELTA_COUNTERS.key(),
        deltaCounters == null ? null : deltaCounters.toString(),
        "--delta-counters");
    StreamConfig config;
    SinkConfig sink;
    try {
      config = StreamConfig.fromEnv(e, SinkConfig.SETTINGS);
      sink = SinkConfig.fromEnv(e, StreamConfig.SETTINGS);
    } catch (ConfigException ex) {
      String message = String.join("; ", ex.problems());
      String flag = "settings";
      for (Map.Entry<String, String> f : flags.entrySet()) {
        if (message.contains(f.getKey())) {
          message = message.replace(f.getKey(), f.getValue() + " (" + f.getKey() + ")");
          flag = f.getValue();
        }
      }
      throw new Replay.UsageException(flag, message);
    }
    WavefrontFormatter.Options format = sink.formatOptions();
    if (!allowNonIdempotent
        && (format.distributions() != WavefrontFormatter.Distributions.OFF
            || format.deltaCounters())) {
      String what =
          format.deltaCounters()
              ? "delta counters (--delta-counters / FLEETSTATS_DELTA_COUNTERS)"
              : "distributions (--distributions / FLEETSTATS_DISTRIBUTIONS)";
      throw new Replay.UsageException(
          "--allow-non-idempotent",
          "refusing to write "
              + what
              + ": Wavefront adds these to what it already holds for the same time instead of"
              + " overwriting it, so a backfill over data that was sent before counts it twice"
              + " (and delta counters older than about 15 min are dropped). Turn them off for the"
              + " replay (--no-delta-counters, --distributions off) or pass"
              + " --allow-non-idempotent if the range was never sent");
    }
    long w = config.window().toMillis();
    Instant f = time("--from", from);
    Instant t = time("--to", to);
    Instant alignedFrom = Instant.ofEpochMilli(Windows.start(f.toEpochMilli(), w));
    long tm = t.toEpochMilli();
    long up = Windows.start(tm, w) == tm ? tm : Windows.start(tm, w) + w;
    Instant alignedTo = Instant.ofEpochMilli(up);
    if (!f.isBefore(t)) {
      throw new Replay.UsageException(
          "--from", "the range's start " + f + " is not before its end (--to " + t + ")");
    }
    Replay.Target target = null;
    if (output == null) {
      if (!dryRun) {
        throw new Replay.UsageException(
            "--output",
            "say where the aggregates go (file:PATH, proxy:URL or topic:NAME), or count only with"
                + " --dry-run");
      }
    } else {
      int colon = output.indexOf(':');
      String kind = colon < 0 ? "" : output.substring(0, colon);
      String where = colon < 0 ? "" : output.substring(colon + 1);
      if (where.isEmpty() || !List.of("file", "proxy", "topic").contains(kind)) {
        throw new Replay.UsageException(
            "--output",
            "'"
                + output
                + "' is none of file:PATH (e.g. file:/tmp/backfill.wf), proxy:URL (e.g."
                + " proxy:http://wavefront-proxy:2878) or topic:NAME");
      }
      if (kind.equals("proxy")) {
        try {
          java.net.URI u = java.net.URI.create(where);
          if (!"http".equalsIgnoreCase(u.getScheme()) && !"https".equalsIgnoreCase(u.getScheme())) {
            throw new IllegalArgumentException("not http(s)");
          }
        } catch (IllegalArgumentException ex) {
          throw new Replay.UsageException(
              "--output",
              "'" + where + "' is not an http(s) URL such as http://wavefront-proxy:2878");
        }
      }
      if (kind.equals("topic") && where.equals(config.topics().aggregates().name())) {
        err.println(
            "fleetstats-replay: writing to the live aggregates topic "
                + where
                + ": every sink reading it will send the replayed windows again");
      }
      target = new Replay.Target(kind, where);
    }
    double rate = 0;
    if (rateLimit != null) {
      try {
        rate = Double.parseDouble(rateLimit.replaceFirst("/s$", ""));
      } catch (NumberFormatException ex) {
        rate = -1;
      }
      if (!(rate > 0)) {
        throw new Replay.UsageException(
            "--rate-limit", "'" + rateLimit + "' is not a positive number of points a second");
      }
      if (target == null || !target.kind().equals("proxy")) {
        throw new Replay.UsageException("--rate-limit", "applies to --output proxy:URL only");
      }
    }
    if (!config.rollups().isEmpty()
        && (!clusters.isEmpty() || !namespaces.isEmpty() || !sources.isEmpty())) {
      err.println(
          "fleetstats-replay: warning: with --cluster, --namespace or --source the roll-ups cover"
              + " only the selected sources; written over the real ones they replace them (pass"
              + " --rollups '' unless every rule keeps the filtered tag)");
    }
    List<java.util.regex.Pattern> sourcePatterns = new ArrayList<>();
    sources.forEach(s -> sourcePatterns.add(Replay.Filters.glob(s)));
    List<java.util.regex.Pattern> metricPatterns = new ArrayList<>();
    metrics.forEach(s -> metricPatterns.add(Replay.Filters.glob(s)));
    Replay.Filters filters =
        new Replay.Filters(
            new LinkedHashSet<>(clusters),
            new LinkedHashSet<>(namespaces),
            sourcePatterns,
            metricPatterns);
    Duration timeoutD = duration("--timeout", timeout);
    Duration progress =
        progressInterval != null
            ? duration("--progress-interval", progressInterval)
            : System.console() != null ? Duration.ofSeconds(2) : Duration.ofSeconds(10);
    Set<String> fieldSet = new LinkedHashSet<>(fields);
    String arguments =
        String.join(
            " ",
            "from=" + from,
            "to=" + to,
            "topics=" + topics,
            "clusters=" + clusters,
            "namespaces=" + namespaces,
            "sources=" + sources,
            "metrics=" + metrics,
            "window=" + config.window(),
            "grace=" + config.grace(),
            "lateness=" + config.allowedLateness(),
            "percentiles=" + config.percentiles(),
            "rollups=" + config.rollups(),
            "fields=" + fields,
            "format=" + format,
            "output=" + output,
            "dryRun=" + dryRun,
            "includeLate=" + includeLate);
    return new Replay.Plan(
        config,
        new WavefrontFormatter.Options(
            format.metricPrefix(),
            Limits.BACKEND_DEFAULTS,
            format.distributions(),
            format.deltaCounters()),
        alignedFrom,
        alignedTo,
        List.copyOf(topics),
        filters,
        fieldSet,
        target,
        rate,
        sink,
        dryRun,
        checkpoint,
        duration("--checkpoint-interval", checkpointInterval),
        timeoutD,
        progress,
        haltAfterRecords,
        includeLate,
        arguments);
  }

  private static void put(
      Map<String, String> env, Map<String, String> flags, String key, String value, String flag) {
    if (value != null) {
      env.put(key, value);
      flags.put(key, flag);
    }
  }

  private static final Pattern RELATIVE = Pattern.compile("-(\\d+)(ms|s|m|h|d)");

  /** An ISO-8601 instant, {@code now}, or a time relative to now ({@code -6h}). */
  Instant time(String flag, String text) {
    String s = text.trim();
    if (s.equalsIgnoreCase("now")) {
      return now;
    }
    Matcher m = RELATIVE.matcher(s);
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d =
          switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
      return now.minus(d);
    }
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      try {
        return OffsetDateTime.parse(s).toInstant();
      } catch (DateTimeParseException e2) {
        throw new Replay.UsageException(
            flag,
            "'"
                + text
                + "' is not a time: use an ISO-8601 instant such as 2026-12-06T08:00:00Z, 'now', or"
                + " a time relative to now such as -6h, -90m, -2d");
      }
    }
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

  private static Duration duration(String flag, String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new Replay.UsageException(
          flag, "'" + text + "' is not a duration such as 500ms, 30s, 5m, 1h");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }
}
