package io.fleetstats.stream;

import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.aggregate.StateOptions;
import io.fleetstats.stream.rollup.RollupRule;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Settings of the stream processor, read from the environment at start and validated as a whole.
 *
 * @param bootstrap {@code FLEETSTATS_KAFKA_BOOTSTRAP}: Kafka bootstrap servers; default {@code
 *     localhost:9092}
 * @param kafka every other {@code FLEETSTATS_KAFKA_<PROPERTY>} as a Kafka client property
 *     ({@code FLEETSTATS_KAFKA_SECURITY_PROTOCOL} → {@code security.protocol}); passed to the
 *     Streams client and the topic admin client; default none
 * @param applicationId {@code FLEETSTATS_APPLICATION_ID}: Kafka Streams {@code application.id},
 *     which names the consumer group, the transactional ids and the internal topics; default
 *     {@code fleetstats-stream-processor}
 * @param topicPrefix {@code FLEETSTATS_TOPIC_PREFIX}: prefix of the platform's topics; default
 *     {@code fleetstats} ({@code fleetstats.raw.statsd} in, {@code fleetstats.aggregates} out)
 * @param window {@code FLEETSTATS_WINDOW}: tumbling event-time window size, aligned to the epoch;
 *     default {@code 10s}, at least {@code 100ms}
 * @param grace {@code FLEETSTATS_GRACE}: how long after a window's end samples for it are still
 *     accepted; later ones are counted as late and dropped; default {@code 5s}, at least {@code 0s}
 * @param percentiles {@code FLEETSTATS_PERCENTILES}: comma-separated percentiles in (0,100] emitted
 *     as {@code <p>_percentile} for timers, histograms and distributions; default {@code 90}
 * @param sketchAccuracy {@code FLEETSTATS_SKETCH_ACCURACY}: DDSketch relative accuracy of median
 *     and percentiles, in (0,0.5); default {@code 0.01} (1 %)
 * @param stateDir {@code FLEETSTATS_STATE_DIR}: Kafka Streams state directory; default {@code
 *     <java.io.tmpdir>/<application id>}
 * @param streamThreads {@code FLEETSTATS_STREAM_THREADS}: Kafka Streams threads; default {@code 1}
 * @param commitInterval {@code FLEETSTATS_COMMIT_INTERVAL}: transaction commit interval, which
 *     bounds the end-to-end latency added by exactly-once; default {@code 1s}, at least {@code
 *     10ms}
 * @param wallClockClose {@code FLEETSTATS_WALL_CLOCK_CLOSE}: also close windows while a partition
 *     receives no records, by letting its stream time advance with the wall clock, so that a quiet
 *     source's last window is emitted; default {@code true}
 * @param createTopics {@code FLEETSTATS_CREATE_TOPICS}: create missing platform topics at start;
 *     default {@code true}
 * @param setExactLimit {@code FLEETSTATS_SET_EXACT_LIMIT}: sets count distinct members exactly up
 *     to this many per series and window, then estimate them with UltraLogLog (~1.2 % standard
 *     error); default {@code 1000}, 0 estimates always
 * @param rollups {@code FLEETSTATS_ROLLUPS}: roll-up rules, {@code
 *     <name>:drop=<tag>,...;<name>:keep=<tag>,...} (see {@link RollupRule}); default none
 * @param rollupGrace {@code FLEETSTATS_ROLLUP_GRACE}: how long (wall clock) roll-ups wait for a
 *     silent stage-1 task (its instance died and its tasks have not moved yet) before closing
 *     without it; default {@code 60s}
 * @param maxSeriesPerSource {@code FLEETSTATS_MAX_SERIES_PER_SOURCE}: live series per source and
 *     window before new ones fold into {@code fleetstats.overflow}; default {@code 10000}, 0 = no
 *     limit
 * @param maxSeriesPerName {@code FLEETSTATS_MAX_SERIES_PER_NAME}: live series per metric name,
 *     window and partition before new ones fold into {@code <name>{overflow=true}}; default {@code
 *     10000}, 0 = no limit
 * @param lateToDeadletter {@code FLEETSTATS_LATE_TO_DEADLETTER}: write late samples to the
 *     dead-letter topic (they are counted either way); default {@code true}
 * @param adminAddress {@code FLEETSTATS_ADMIN_ADDRESS}: {@code host:port} of the admin port
 *     ({@code /healthz}, {@code /readyz}, {@code /metrics}), or {@code off}; default {@code :9126}
 * @param identity cluster, namespace and pod of this instance ({@code CLUSTER_NAME}, {@code
 *     NAMESPACE}, {@code POD_NAME}, see {@link ProcessIdentity}): the tags of its self-metrics
 */
public record StreamConfig(
    String bootstrap,
    Map<String, String> kafka,
    String applicationId,
    String topicPrefix,
    Duration window,
    Duration grace,
    List<Double> percentiles,
    double sketchAccuracy,
    Path stateDir,
    int streamThreads,
    Duration commitInterval,
    boolean wallClockClose,
    boolean createTopics,
    int setExactLimit,
    List<RollupRule> rollups,
    Duration rollupGrace,
    int maxSeriesPerSource,
    int maxSeriesPerName,
    boolean lateToDeadletter,
    Optional<InetSocketAddress> adminAddress,
    ProcessIdentity identity) {

  public static final String BOOTSTRAP = "FLEETSTATS_KAFKA_BOOTSTRAP";
  public static final String APPLICATION_ID = "FLEETSTATS_APPLICATION_ID";
  public static final String TOPIC_PREFIX = "FLEETSTATS_TOPIC_PREFIX";
  public static final String WINDOW = "FLEETSTATS_WINDOW";
  public static final String GRACE = "FLEETSTATS_GRACE";
  public static final String PERCENTILES = "FLEETSTATS_PERCENTILES";
  public static final String SKETCH_ACCURACY = "FLEETSTATS_SKETCH_ACCURACY";
  public static final String STATE_DIR = "FLEETSTATS_STATE_DIR";
  public static final String STREAM_THREADS = "FLEETSTATS_STREAM_THREADS";
  public static final String COMMIT_INTERVAL = "FLEETSTATS_COMMIT_INTERVAL";
  public static final String WALL_CLOCK_CLOSE = "FLEETSTATS_WALL_CLOCK_CLOSE";
  public static final String CREATE_TOPICS = "FLEETSTATS_CREATE_TOPICS";
  public static final String SET_EXACT_LIMIT = "FLEETSTATS_SET_EXACT_LIMIT";
  public static final String ROLLUPS = "FLEETSTATS_ROLLUPS";
  public static final String ROLLUP_GRACE = "FLEETSTATS_ROLLUP_GRACE";
  public static final String MAX_SERIES_PER_SOURCE = "FLEETSTATS_MAX_SERIES_PER_SOURCE";
  public static final String MAX_SERIES_PER_NAME = "FLEETSTATS_MAX_SERIES_PER_NAME";
  public static final String LATE_TO_DEADLETTER = "FLEETSTATS_LATE_TO_DEADLETTER";
  public static final String ADMIN_ADDRESS = "FLEETSTATS_ADMIN_ADDRESS";

  public static final String DEFAULT_BOOTSTRAP = "localhost:9092";
  public static final String DEFAULT_APPLICATION_ID = "fleetstats-stream-processor";
  public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(10);
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);
  public static final List<Double> DEFAULT_PERCENTILES = List.of(90.0);
  public static final double DEFAULT_SKETCH_ACCURACY = 0.01;
  /**
   * Kafka Streams' exactly-once default is 100 ms; with 10-s windows closed 5 s after their end,
   * 1 s adds little latency, commits a tenth as often, and while catching up on a backlog lets the
   * store cache fold ten times as many batches of a series into one changelog record (see the
   * module README, "Commit interval").
   */
  public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);
  public static final Duration DEFAULT_ROLLUP_GRACE = Duration.ofSeconds(60);
  public static final int DEFAULT_MAX_SERIES = 10_000;
  /** The processor's admin port (the edge agent uses 9125, the sink 9127). */
  public static final int DEFAULT_ADMIN_PORT = 9126;

  public StreamConfig {
    kafka = Map.copyOf(kafka);
    percentiles = List.copyOf(percentiles);
    rollups = List.copyOf(rollups);
  }

  /**
   * Defaults for everything; {@code FLEETSTATS_*} variables in {@code env} override them.
   *
   * @throws ConfigException naming every bad key, its value and what is allowed
   */
  public static StreamConfig fromEnv(Map<String, String> env) {
    SettingsReader r = new SettingsReader(env);
    String bootstrap = r.string(DEFAULT_BOOTSTRAP, BOOTSTRAP);
    String applicationId = r.string(DEFAULT_APPLICATION_ID, APPLICATION_ID);
    if (!applicationId.matches("[A-Za-z0-9._-]+")) {
      r.problem(APPLICATION_ID, applicationId, "letters, digits, '.', '_' and '-' only");
    }
    String prefix = r.string(Topics.DEFAULT_PREFIX, TOPIC_PREFIX);
    if (!prefix.matches("[A-Za-z0-9._-]+")) {
      r.problem(TOPIC_PREFIX, prefix, "letters, digits, '.', '_' and '-' only");
    }
    Duration window = r.duration(DEFAULT_WINDOW, Duration.ofMillis(100), WINDOW);
    Duration grace = r.duration(DEFAULT_GRACE, Duration.ZERO, GRACE);
    List<Double> percentiles = percentiles(r, r.string(null, PERCENTILES));
    double accuracy = accuracy(r, r.string(null, SKETCH_ACCURACY));
    String stateDirRaw = r.string(null, STATE_DIR);
    Path stateDir =
        stateDirRaw != null
            ? Path.of(stateDirRaw)
            : Path.of(System.getProperty("java.io.tmpdir"), applicationId);
    int threads = r.integer(1, 1, 64, STREAM_THREADS);
    Duration commit = r.duration(DEFAULT_COMMIT_INTERVAL, Duration.ofMillis(10), COMMIT_INTERVAL);
    boolean wallClockClose = r.bool(true, WALL_CLOCK_CLOSE);
    boolean createTopics = r.bool(true, CREATE_TOPICS);
    int setExactLimit = r.integer(StateOptions.DEFAULT_SET_EXACT_LIMIT, 0, 1_000_000, SET_EXACT_LIMIT);
    List<RollupRule> rollups = List.of();
    String rollupsRaw = r.string(null, ROLLUPS);
    try {
      rollups = RollupRule.parse(rollupsRaw);
    } catch (IllegalArgumentException e) {
      r.problem(
          ROLLUPS,
          rollupsRaw,
          "rules '<name>:drop=<tag>,...' or '<name>:keep=<tag>,...' separated by ';', e.g."
              + " app:drop=pod_name,node;fleet:drop=pod_name,node,cluster ("
              + e.getMessage()
              + ")");
    }
    Duration rollupGrace = r.duration(DEFAULT_ROLLUP_GRACE, Duration.ZERO, ROLLUP_GRACE);
    int maxPerSource = r.integer(DEFAULT_MAX_SERIES, 0, Integer.MAX_VALUE, MAX_SERIES_PER_SOURCE);
    int maxPerName = r.integer(DEFAULT_MAX_SERIES, 0, Integer.MAX_VALUE, MAX_SERIES_PER_NAME);
    boolean lateToDeadletter = r.bool(true, LATE_TO_DEADLETTER);
    Optional<InetSocketAddress> admin =
        r.optionalAddress(new InetSocketAddress("0.0.0.0", DEFAULT_ADMIN_PORT), ADMIN_ADDRESS);
    ProcessIdentity identity = ProcessIdentity.read(r);
    Map<String, String> kafka = r.kafkaProperties();
    r.check();
    return new StreamConfig(
        bootstrap,
        kafka,
        applicationId,
        prefix,
        window,
        grace,
        percentiles,
        accuracy,
        stateDir,
        threads,
        commit,
        wallClockClose,
        createTopics,
        setExactLimit,
        rollups,
        rollupGrace,
        maxPerSource,
        maxPerName,
        lateToDeadletter,
        admin,
        identity);
  }

  /** The platform's topics under {@link #topicPrefix()}. */
  public Topics topics() {
    return Topics.withPrefix(topicPrefix);
  }

  private static List<Double> percentiles(SettingsReader r, String raw) {
    if (raw == null) {
      return DEFAULT_PERCENTILES;
    }
    // sorted and distinct, so that field order is stable and "90,90" does not emit twice
    TreeSet<Double> out = new TreeSet<>();
    List<String> bad = new ArrayList<>();
    for (String part : raw.split(",")) {
      String p = part.trim();
      try {
        double v = Double.parseDouble(p);
        if (!(v > 0 && v <= 100)) {
          bad.add(p);
        } else {
          out.add(v);
        }
      } catch (NumberFormatException e) {
        bad.add(p);
      }
    }
    if (!bad.isEmpty() || out.isEmpty()) {
      r.problem(PERCENTILES, raw, "a comma-separated list of numbers in (0,100], e.g. 50,90,99.9");
      return DEFAULT_PERCENTILES;
    }
    return List.copyOf(out);
  }

  private static double accuracy(SettingsReader r, String raw) {
    if (raw == null) {
      return DEFAULT_SKETCH_ACCURACY;
    }
    try {
      double v = Double.parseDouble(raw);
      if (v > 0 && v < 0.5) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below with what is allowed
    }
    r.problem(SKETCH_ACCURACY, raw, "a relative accuracy in (0,0.5), e.g. 0.01 for 1 %");
    return DEFAULT_SKETCH_ACCURACY;
  }
}
