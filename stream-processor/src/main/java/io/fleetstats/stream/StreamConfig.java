package io.fleetstats.stream;

import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.selfmetrics.SelfMetrics;
import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.KafkaNames;
import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.Settings;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.aggregate.StateOptions;
import io.fleetstats.stream.aggregate.TimerFields;
import io.fleetstats.stream.rollup.RollupRule;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Settings of the stream processor, read from the environment and an optional YAML file ({@code
 * FLEETSTATS_CONFIG_FILE}; the environment wins) and validated as a whole at start. Each component
 * comes from the setting of the same name below, where its key, default and meaning are declared
 * once; {@link #SETTINGS} is the whole table (the README's and {@code --help}'s).
 *
 * @param kafka every other {@code FLEETSTATS_KAFKA_<PROPERTY>} that is a Streams, producer,
 *     consumer or admin property, or one of those behind a Streams client prefix ({@code
 *     producer.}, {@code main.consumer.}, {@code admin.}, {@code topic.} …); passed to Kafka
 *     Streams and the topic admin client
 * @param stateDir {@link #STATE_DIR}, or {@code <java.io.tmpdir>/<application id>} when unset
 * @param identity cluster, namespace and pod of this instance ({@link ProcessIdentity}): the tags
 *     of its self-metrics
 * @param selfMetrics where this instance's own meters go as statsd ({@link SelfMetrics}); off by
 *     default
 * @param rawStatsdTopics {@link #RAW_TOPIC_PATTERN}, or by default the prefix's raw statsd topic
 *     with or without a MirrorMaker 2 source alias in front
 * @param rawMysqlTopics {@link #RAW_MYSQL_TOPIC_PATTERN}, or the same default for the MySQL topic
 * @param rawKubeletTopics {@link #RAW_KUBELET_TOPIC_PATTERN}, or the same default for the kubelet
 *     topic
 */
public record StreamConfig(
    String bootstrap,
    Map<String, String> kafka,
    String applicationId,
    String topicPrefix,
    Duration window,
    Duration grace,
    List<Double> percentiles,
    Set<TimerFields.Field> timerFields,
    Set<TimerFields.Field> rollupTimerFields,
    double sketchAccuracy,
    Path stateDir,
    int streamThreads,
    Duration commitInterval,
    boolean commitOnClose,
    boolean wallClockClose,
    boolean createTopics,
    int setExactLimit,
    List<RollupRule> rollups,
    Duration rollupGrace,
    int maxSeriesPerSource,
    int maxSeriesPerName,
    boolean lateToDeadletter,
    String kubeletPrefix,
    Duration allowedLateness,
    Duration maxClockSkew,
    Pattern rawStatsdTopics,
    Pattern rawMysqlTopics,
    Pattern rawKubeletTopics,
    Optional<InetSocketAddress> adminAddress,
    ProcessIdentity identity,
    SelfMetrics.Config selfMetrics) {

  /** Like the record's, but Kafka properties by name only: their values may hold passwords. */
  @Override
  public String toString() {
    return io.fleetstats.kit.settings.ConfigStrings.of(this);
  }

  private static final Pattern NAME_CHARS = Pattern.compile("[A-Za-z0-9._-]+");
  private static final String NAME_ALLOWED = "letters, digits, '.', '_' and '-' only";

  public static final Setting<String> BOOTSTRAP =
      Setting.string("FLEETSTATS_KAFKA_BOOTSTRAP", "localhost:9092")
          .kafkaProperty("bootstrap.servers")
          .doc("Kafka bootstrap servers");
  public static final Setting<String> APPLICATION_ID =
      Setting.custom(
              "FLEETSTATS_APPLICATION_ID",
              "fleetstats-stream-processor",
              "fleetstats-stream-processor",
              StreamConfig::name)
          .kafkaProperty("application.id")
          .doc("Streams application.id: the consumer group, transactional ids, internal topics");
  public static final Setting<String> TOPIC_PREFIX =
      Setting.custom(
              "FLEETSTATS_TOPIC_PREFIX",
              Topics.DEFAULT_PREFIX,
              Topics.DEFAULT_PREFIX,
              StreamConfig::name)
          .doc(
              "topics <prefix>.raw.statsd and <prefix>.clusters in, <prefix>.aggregates and"
                  + " <prefix>.deadletter out");
  public static final Setting<Duration> WINDOW =
      Setting.duration("FLEETSTATS_WINDOW", Duration.ofSeconds(10), Duration.ofMillis(100))
          .aliases("INTERVAL")
          .doc(
              "tumbling event-time window, aligned to the epoch; the seed's INTERVAL (e.g. 60s)"
                  + " when this is unset");

  /** Later samples are counted as late and dropped (or dead-lettered). */
  public static final Setting<Duration> GRACE =
      Setting.duration("FLEETSTATS_GRACE", Duration.ofSeconds(5), Duration.ZERO)
          .doc("how long after a window's end its samples are still accepted");

  public static final Setting<List<Double>> PERCENTILES =
      Setting.custom("FLEETSTATS_PERCENTILES", List.of(90.0), "90", StreamConfig::percentiles)
          .doc(
              "comma-separated percentiles in (0,100] of timers, histograms and distributions,"
                  + " emitted as <p>_percentile");

  /**
   * Fewer fields, fewer points: a timer with the default fields and one percentile is 8 points per
   * window, {@code count,upper,percentiles} is 3 (docs/capacity.md).
   */
  public static final Setting<Set<TimerFields.Field>> TIMER_FIELDS =
      Setting.custom(
              "FLEETSTATS_TIMER_FIELDS",
              TimerFields.ALL,
              TimerFields.show(TimerFields.ALL),
              TimerFields::parse)
          .doc(
              "comma-separated fields that timers, histograms and distributions emit per source,"
                  + " from count,sum,mean,stddev,lower,upper,median,percentiles (the"
                  + " <p>_percentile fields); like DogStatsD's histogram_aggregates");

  /** The per-source fields unless set: per-source series can be lean and roll-ups complete. */
  public static final Setting<Set<TimerFields.Field>> ROLLUP_TIMER_FIELDS =
      Setting.custom(
              "FLEETSTATS_ROLLUP_TIMER_FIELDS", null, "FLEETSTATS_TIMER_FIELDS", TimerFields::parse)
          .doc("the fields that roll-ups of timers, histograms and distributions emit, as above");

  public static final Setting<Double> SKETCH_ACCURACY =
      Setting.custom("FLEETSTATS_SKETCH_ACCURACY", 0.01, "0.01", StreamConfig::accuracy)
          .doc("DDSketch relative accuracy of median and percentiles, in (0,0.5)");

  /** Beyond the limit, members are counted by UltraLogLog (about 1.2 % standard error). */
  public static final Setting<Integer> SET_EXACT_LIMIT =
      Setting.integer(
              "FLEETSTATS_SET_EXACT_LIMIT", StateOptions.DEFAULT_SET_EXACT_LIMIT, 0, 1_000_000)
          .doc(
              "sets count distinct members exactly up to this many per series and window, then"
                  + " estimate them; 0 estimates always");

  public static final Setting<List<RollupRule>> ROLLUPS =
      Setting.custom("FLEETSTATS_ROLLUPS", List.<RollupRule>of(), "none", StreamConfig::rollups)
          .doc("roll-up rules <name>:drop=<tag>,... or <name>:keep=<tag>,..., separated by ';'");

  /**
   * A stage-1 task goes silent when its instance died and its partitions have not moved yet; after
   * this long (wall clock) roll-up windows close without it.
   */
  public static final Setting<Duration> ROLLUP_GRACE =
      Setting.duration("FLEETSTATS_ROLLUP_GRACE", Duration.ofSeconds(60), Duration.ZERO)
          .doc("how long roll-ups wait for a stage-1 task that has gone silent");

  public static final Setting<Integer> MAX_SERIES_PER_SOURCE =
      Setting.integer("FLEETSTATS_MAX_SERIES_PER_SOURCE", 10_000, 0, Integer.MAX_VALUE)
          .doc(
              "live series per source and window before new ones fold into fleetstats.overflow;"
                  + " 0 = no limit");
  public static final Setting<Integer> MAX_SERIES_PER_NAME =
      Setting.integer("FLEETSTATS_MAX_SERIES_PER_NAME", 10_000, 0, Integer.MAX_VALUE)
          .doc(
              "live series per metric name, window and partition before new ones fold into"
                  + " <name>{overflow=true}; 0 = no limit");
  public static final Setting<Boolean> LATE_TO_DEADLETTER =
      Setting.bool("FLEETSTATS_LATE_TO_DEADLETTER", true)
          .doc("write late samples to the dead-letter topic (they are counted either way)");
  public static final Setting<String> KUBELET_PREFIX =
      Setting.string("FLEETSTATS_KUBELET_PREFIX", "kubernetes.")
          .doc(
              "prefix of the cluster stats' names (kubernetes.pod.cpu.usage_rate, as wavefront-collector);"
                  + " heapster. for the seed's dashboards");

  /**
   * A sample for a window that was already emitted is merged and the window emitted again with its
   * complete value, until the window's source has moved this far past the window's close; later
   * ones are dead-lettered (reason {@code late}). Emitted windows are kept this long: the state
   * cost (see the module README).
   */
  public static final Setting<Duration> ALLOWED_LATENESS =
      Setting.duration("FLEETSTATS_ALLOWED_LATENESS", Duration.ofHours(1), Duration.ZERO)
          .doc(
              "how long after a window closed a late sample still corrects it (the window is"
                  + " emitted again, complete); emitted windows are kept this long");

  /**
   * A sample (or batch) time further than this in the future of the processor's clock is re-stamped
   * with the batch's arrival time and counted, so that a node whose clock runs ahead harms only its
   * own samples.
   */
  public static final Setting<Duration> MAX_CLOCK_SKEW =
      Setting.duration("FLEETSTATS_MAX_CLOCK_SKEW", Duration.ofSeconds(60), Duration.ZERO)
          .doc(
              "sample times further than this in the future are re-stamped with the batch's"
                  + " arrival time and counted");

  public static final Setting<Pattern> RAW_TOPIC_PATTERN =
      Setting.custom(
              "FLEETSTATS_RAW_TOPIC_PATTERN",
              null,
              "[<alias>.]<prefix>.raw.statsd",
              StreamConfig::pattern)
          .doc(
              "regular expression of the raw statsd topics to read; the default also reads"
                  + " topics mirrored by MirrorMaker 2 (<alias>.<prefix>.raw.statsd)");

  public static final Setting<Pattern> RAW_MYSQL_TOPIC_PATTERN =
      Setting.custom(
              "FLEETSTATS_RAW_MYSQL_TOPIC_PATTERN",
              null,
              "[<alias>.]<prefix>.raw.mysql",
              StreamConfig::pattern)
          .doc("regular expression of the raw MySQL topics to read, as for statsd");

  public static final Setting<Pattern> RAW_KUBELET_TOPIC_PATTERN =
      Setting.custom(
              "FLEETSTATS_RAW_KUBELET_TOPIC_PATTERN",
              null,
              "[<alias>.]<prefix>.raw.kubelet",
              StreamConfig::pattern)
          .doc("regular expression of the raw kubelet topics to read, as for statsd");

  public static final Setting<Path> STATE_DIR =
      Setting.custom(
              "FLEETSTATS_STATE_DIR", null, "<java.io.tmpdir>/<application id>", StreamConfig::path)
          .kafkaProperty("state.dir")
          .doc("Kafka Streams state directory");
  public static final Setting<Integer> STREAM_THREADS =
      Setting.integer("FLEETSTATS_STREAM_THREADS", 1, 1, 64)
          .kafkaProperty("num.stream.threads")
          .doc("Kafka Streams threads");

  /**
   * Kafka Streams' exactly-once default is 100 ms; with 10-s windows closed 5 s after their end, 1
   * s adds little latency, commits a tenth as often, and while catching up on a backlog lets the
   * store cache fold ten times as many batches of a series into one changelog record (see the
   * module README, "Commit interval").
   */
  public static final Setting<Duration> COMMIT_INTERVAL =
      Setting.duration("FLEETSTATS_COMMIT_INTERVAL", Duration.ofSeconds(1), Duration.ofMillis(10))
          .doc("exactly-once commit interval; adds up to this much latency");

  /**
   * Lets a partition's stream time advance with the wall clock while it receives no records, so
   * that a quiet source's last window is emitted.
   */
  /**
   * A live window is visible to the sinks only once the transaction that emitted it commits; a
   * roll-up waits for two (stage 1's, through the repartition topic, then stage 2's). Asking for a
   * commit within 100 ms of a live emission took the roll-ups' wait from a whole commit interval to
   * about a tenth of a second (bench/latency) and costs a few commits per window, only while
   * windows close; a backlog's old windows ask for none, so catching up keeps the interval's
   * batching.
   */
  public static final Setting<Boolean> COMMIT_ON_CLOSE =
      Setting.bool("FLEETSTATS_COMMIT_ON_CLOSE", true)
          .doc(
              "commit within 100 ms of emitting a live window (its end less than grace + window +"
                  + " 10s ago), so sinks see it without waiting for FLEETSTATS_COMMIT_INTERVAL;"
                  + " false: commit only every FLEETSTATS_COMMIT_INTERVAL");

  public static final Setting<Boolean> WALL_CLOCK_CLOSE =
      Setting.bool("FLEETSTATS_WALL_CLOCK_CLOSE", true)
          .doc("also close windows of partitions that receive no records, by the wall clock");

  public static final Setting<Boolean> CREATE_TOPICS =
      Setting.bool("FLEETSTATS_CREATE_TOPICS", true).doc("create missing platform topics at start");

  /** The processor's admin port (the edge agent uses 9125, the sink 9127). */
  public static final Setting<Optional<InetSocketAddress>> ADMIN_ADDRESS =
      Setting.optionalAddress("FLEETSTATS_ADMIN_ADDRESS", new InetSocketAddress("0.0.0.0", 9126))
          .doc("admin port (/healthz, /readyz, /metrics) host:port; off disables it");

  /**
   * The Kafka properties the processor passes through: Kafka Streams' own and those of the clients
   * it creates, as they are (they apply to every client that knows them) or behind the prefixes
   * with which Streams gives a property to one client only.
   */
  private static final KafkaNames KAFKA_NAMES =
      new KafkaNames(
              "Streams, producer, consumer and admin",
              union(
                  StreamsConfig.configDef().names(),
                  KafkaNames.PRODUCER,
                  KafkaNames.CONSUMER,
                  KafkaNames.ADMIN),
              Map.of(
                  StreamsConfig.PRODUCER_PREFIX, KafkaNames.PRODUCER,
                  StreamsConfig.CONSUMER_PREFIX, KafkaNames.CONSUMER,
                  StreamsConfig.MAIN_CONSUMER_PREFIX, KafkaNames.CONSUMER,
                  StreamsConfig.RESTORE_CONSUMER_PREFIX, KafkaNames.CONSUMER,
                  StreamsConfig.GLOBAL_CONSUMER_PREFIX, KafkaNames.CONSUMER,
                  StreamsConfig.ADMIN_CLIENT_PREFIX, KafkaNames.ADMIN,
                  StreamsConfig.TOPIC_PREFIX, KafkaNames.TOPIC))
          .fixing(
              Map.of(
                  StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                  "always exactly_once_v2: nothing lost or counted twice across restarts",
                  StreamsConfig.COMMIT_INTERVAL_MS_CONFIG,
                  "from FLEETSTATS_COMMIT_INTERVAL, a duration such as 1s: set that instead"));

  /** Every setting of the stream processor: the table the README and {@code --help} show. */
  public static final Settings SETTINGS =
      Settings.of(
          "stream processor",
          KAFKA_NAMES,
          Stream.of(
                  List.<Setting<?>>of(
                      BOOTSTRAP,
                      APPLICATION_ID,
                      TOPIC_PREFIX,
                      WINDOW,
                      GRACE,
                      PERCENTILES,
                      TIMER_FIELDS,
                      ROLLUP_TIMER_FIELDS,
                      SKETCH_ACCURACY,
                      SET_EXACT_LIMIT,
                      ROLLUPS,
                      ROLLUP_GRACE,
                      MAX_SERIES_PER_SOURCE,
                      MAX_SERIES_PER_NAME,
                      LATE_TO_DEADLETTER,
                      KUBELET_PREFIX,
                      ALLOWED_LATENESS,
                      MAX_CLOCK_SKEW,
                      RAW_TOPIC_PATTERN,
                      RAW_MYSQL_TOPIC_PATTERN,
                      RAW_KUBELET_TOPIC_PATTERN,
                      STATE_DIR,
                      STREAM_THREADS,
                      COMMIT_INTERVAL,
                      COMMIT_ON_CLOSE,
                      WALL_CLOCK_CLOSE,
                      CREATE_TOPICS,
                      ADMIN_ADDRESS),
                  TopicOptions.SETTINGS,
                  ProcessIdentity.TAG_SETTINGS,
                  SelfMetrics.SETTINGS)
              .flatMap(List::stream)
              .toList());

  public StreamConfig {
    kafka = Map.copyOf(kafka);
    percentiles = List.copyOf(percentiles);
    timerFields = Set.copyOf(timerFields);
    rollupTimerFields = Set.copyOf(rollupTimerFields);
    rollups = List.copyOf(rollups);
  }

  /**
   * Reads and validates the settings.
   *
   * @throws ConfigException naming every bad key, its value and what is allowed
   */
  public static StreamConfig fromEnv(Map<String, String> env) {
    return read(SettingsReader.forService(SETTINGS, env));
  }

  /**
   * Like {@link #fromEnv(Map)}, in an environment shared with other services (the local stack):
   * their keys are not reported as unknown.
   */
  public static StreamConfig fromEnv(Map<String, String> env, Settings... alsoKnown) {
    return read(SettingsReader.forService(SETTINGS, env, alsoKnown));
  }

  private static StreamConfig read(SettingsReader r) {
    String bootstrap = r.get(BOOTSTRAP);
    String applicationId = r.get(APPLICATION_ID);
    String prefix = r.get(TOPIC_PREFIX);
    Duration window = r.get(WINDOW);
    Duration grace = r.get(GRACE);
    List<Double> percentiles = r.get(PERCENTILES);
    Set<TimerFields.Field> timerFields = r.get(TIMER_FIELDS);
    Set<TimerFields.Field> rollupTimerFields = r.get(ROLLUP_TIMER_FIELDS);
    if (rollupTimerFields == null) {
      rollupTimerFields = timerFields;
    }
    double accuracy = r.get(SKETCH_ACCURACY);
    Path stateDir = r.get(STATE_DIR);
    if (stateDir == null) {
      stateDir = Path.of(System.getProperty("java.io.tmpdir"), applicationId);
    }
    int threads = r.get(STREAM_THREADS);
    Duration commit = r.get(COMMIT_INTERVAL);
    boolean commitOnClose = r.get(COMMIT_ON_CLOSE);
    boolean wallClockClose = r.get(WALL_CLOCK_CLOSE);
    boolean createTopics = r.get(CREATE_TOPICS);
    int setExactLimit = r.get(SET_EXACT_LIMIT);
    List<RollupRule> rollups = r.get(ROLLUPS);
    Duration rollupGrace = r.get(ROLLUP_GRACE);
    int maxPerSource = r.get(MAX_SERIES_PER_SOURCE);
    int maxPerName = r.get(MAX_SERIES_PER_NAME);
    boolean lateToDeadletter = r.get(LATE_TO_DEADLETTER);
    String kubeletPrefix = r.get(KUBELET_PREFIX);
    Duration lateness = r.get(ALLOWED_LATENESS);
    Duration skew = r.get(MAX_CLOCK_SKEW);
    Pattern rawStatsd = r.get(RAW_TOPIC_PATTERN);
    Pattern rawMysql = r.get(RAW_MYSQL_TOPIC_PATTERN);
    Pattern rawKubelet = r.get(RAW_KUBELET_TOPIC_PATTERN);
    if (rawStatsd == null) {
      rawStatsd = mirrored(Topics.withPrefix(prefix).rawStatsd().name());
    }
    if (rawMysql == null) {
      rawMysql = mirrored(Topics.withPrefix(prefix).rawMysql().name());
    }
    if (rawKubelet == null) {
      rawKubelet = mirrored(Topics.withPrefix(prefix).rawKubelet().name());
    }
    Optional<InetSocketAddress> admin = r.get(ADMIN_ADDRESS);
    ProcessIdentity identity = ProcessIdentity.readTags(r);
    SelfMetrics.Config selfMetrics = SelfMetrics.Config.read(r);
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
        timerFields,
        rollupTimerFields,
        accuracy,
        stateDir,
        threads,
        commit,
        commitOnClose,
        wallClockClose,
        createTopics,
        setExactLimit,
        rollups,
        rollupGrace,
        maxPerSource,
        maxPerName,
        lateToDeadletter,
        kubeletPrefix,
        lateness,
        skew,
        rawStatsd,
        rawMysql,
        rawKubelet,
        admin,
        identity,
        selfMetrics);
  }

  /** The platform's topics under {@link #topicPrefix()}. */
  public Topics topics() {
    return Topics.withPrefix(topicPrefix);
  }

  /**
   * Settings of the admin clients the processor creates itself (topic creation, partition count):
   * the pass-through admin properties, those behind {@code admin.} winning as they do in the admin
   * client of Kafka Streams, and {@link #bootstrap()}, so that every client the processor creates
   * reaches the same brokers.
   */
  public Map<String, Object> adminProperties() {
    Map<String, Object> props = new HashMap<>();
    Map<String, Object> prefixed = new HashMap<>();
    kafka.forEach(
        (property, value) -> {
          String rest = KAFKA_NAMES.unprefixed(property);
          if (rest.equals(property) && KafkaNames.ADMIN.contains(property)) {
            props.put(property, value);
          } else if (property.equals(StreamsConfig.adminClientPrefix(rest))) {
            prefixed.put(rest, value);
          }
        });
    props.putAll(prefixed);
    props.put(BOOTSTRAP.kafkaProperty(), bootstrap);
    return props;
  }

  @SafeVarargs
  private static Set<String> union(Set<String>... sets) {
    Set<String> all = new TreeSet<>();
    for (Set<String> s : sets) {
      all.addAll(s);
    }
    return all;
  }

  /** An application id or topic prefix: part of Kafka topic and group names. */
  private static String name(String raw) {
    if (!NAME_CHARS.matcher(raw).matches()) {
      throw new IllegalArgumentException(NAME_ALLOWED);
    }
    return raw;
  }

  /**
   * {@code topic} itself or behind MirrorMaker 2's default source-alias prefix ({@code
   * <alias>.<topic>}, the alias being a cluster alias without dots).
   */
  static Pattern mirrored(String topic) {
    return Pattern.compile("([A-Za-z0-9_-]+\\.)?" + Pattern.quote(topic));
  }

  private static Pattern pattern(String raw) {
    try {
      return Pattern.compile(raw);
    } catch (java.util.regex.PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "a Java regular expression matching whole topic names, e.g."
              + " '([A-Za-z0-9_-]+\\.)?fleetstats\\.raw\\.statsd' ("
              + e.getDescription()
              + ")",
          e);
    }
  }

  private static Path path(String raw) {
    try {
      return Path.of(raw);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("a directory path (" + e.getMessage() + ")", e);
    }
  }

  private static List<Double> percentiles(String raw) {
    // sorted and distinct, so that field order is stable and "90,90" does not emit twice
    TreeSet<Double> out = new TreeSet<>();
    boolean bad = false;
    for (String part : raw.split(",")) {
      try {
        double v = Double.parseDouble(part.trim());
        if (v > 0 && v <= 100) {
          out.add(v);
        } else {
          bad = true;
        }
      } catch (NumberFormatException e) {
        bad = true;
      }
    }
    if (bad || out.isEmpty()) {
      throw new IllegalArgumentException(
          "a comma-separated list of numbers in (0,100], e.g. 50,90,99.9");
    }
    return List.copyOf(out);
  }

  private static double accuracy(String raw) {
    try {
      double v = Double.parseDouble(raw);
      if (v > 0 && v < 0.5) {
        return v;
      }
    } catch (NumberFormatException e) {
      // what is allowed is said below
    }
    throw new IllegalArgumentException("a relative accuracy in (0,0.5), e.g. 0.01 for 1 %");
  }

  private static List<RollupRule> rollups(String raw) {
    try {
      return RollupRule.parse(raw);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "rules '<name>:drop=<tag>,...' or '<name>:keep=<tag>,...' separated by ';', e.g."
              + " app:drop=pod_name,node;fleet:drop=pod_name,node,cluster ("
              + e.getMessage()
              + ")",
          e);
    }
  }
}
