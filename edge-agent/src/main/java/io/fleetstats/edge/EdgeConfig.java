package io.fleetstats.edge;

import io.fleetstats.edge.k8s.AttributionConfig;
import io.fleetstats.edge.kubelet.KubeletConfig;
import io.fleetstats.edge.mysql.MysqlConfig;
import io.fleetstats.edge.statsd.StatsdInput;
import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.selfmetrics.SelfMetrics;
import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.Durations;
import io.fleetstats.kit.settings.KafkaNames;
import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.Settings;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.TopicNames;
import io.fleetstats.schemas.Topics;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settings of the edge agent, read from the environment and an optional YAML file ({@code
 * FLEETSTATS_CONFIG_FILE}; the environment wins) and validated at start. Each component comes from
 * the setting of the same name below, where its key, default and meaning are declared once; {@link
 * #SETTINGS} is the whole table (the README's and {@code --help}'s).
 *
 * @param kafkaProperties every other {@code FLEETSTATS_KAFKA_<PROPERTY>} that is a producer or
 *     admin client property, passed to both as {@code <property>}; they override the agent's
 *     producer defaults
 * @param identity the source stamped on every batch ({@link ProcessIdentity})
 * @param mysql the MySQL poller's settings ({@link MysqlConfig}); off unless a server is set
 * @param kubelet the kubelet input's settings ({@link KubeletConfig}); off unless a URL is set
 * @param attribution whose statsd samples these are ({@link AttributionConfig}): sidecar or node
 * @param ingest statsd reading (tag dialects, names, templates, limits), TCP, admin port and the
 *     outage buffer ({@link IngestSettings})
 * @param selfMetrics where the agent's own meters go as statsd ({@link SelfMetrics}); off by
 *     default
 */
public record EdgeConfig(
    String kafkaBootstrap,
    Map<String, String> kafkaProperties,
    InetSocketAddress statsdAddress,
    int maxLineLength,
    int maxPacketSize,
    Duration flushInterval,
    int maxBatchSamples,
    int maxPendingBatches,
    String topicPrefix,
    boolean heartbeat,
    boolean createTopics,
    int topicPartitions,
    Duration rawRetention,
    ProcessIdentity identity,
    MysqlConfig mysql,
    KubeletConfig kubelet,
    AttributionConfig attribution,
    IngestSettings ingest,
    SelfMetrics.Config selfMetrics,
    Map<String, String> globalTags) {

  /** Like the record's, but Kafka properties by name only: their values may hold passwords. */
  @Override
  public String toString() {
    return io.fleetstats.kit.settings.ConfigStrings.of(this);
  }

  public static final Setting<String> KAFKA_BOOTSTRAP =
      Setting.string("FLEETSTATS_KAFKA_BOOTSTRAP", "localhost:9092")
          .kafkaProperty("bootstrap.servers")
          .doc("Kafka bootstrap servers");
  public static final Setting<InetSocketAddress> STATSD_ADDRESS =
      Setting.address("FLEETSTATS_STATSD_ADDRESS", new InetSocketAddress("127.0.0.1", 8125))
          .doc("UDP host:port to listen on; port 0 picks a free port, :8125 means all interfaces");
  public static final Setting<Integer> STATSD_MAX_LINE_LENGTH =
      Setting.integer("FLEETSTATS_STATSD_MAX_LINE_LENGTH", 8192, 64, 1 << 20)
          .doc("longer statsd lines are rejected (LINE_TOO_LONG); characters");
  public static final Setting<Integer> STATSD_MAX_PACKET_SIZE =
      Setting.integer("FLEETSTATS_STATSD_MAX_PACKET_SIZE", 8192, 512, 65535)
          .doc(
              "receive buffer per datagram, bytes; a datagram that fills it was probably cut and is counted");

  /** The seed's Telegraf interval; it caps the default flush interval here. */
  public static final Setting<Duration> INTERVAL =
      Setting.duration("INTERVAL", null, Duration.ofMillis(10))
          .doc(
              "the seed's Telegraf interval: caps the default flush interval, and is the MySQL poll interval");

  public static final Setting<Duration> FLUSH_INTERVAL =
      Setting.duration("FLEETSTATS_FLUSH_INTERVAL", null, Duration.ofMillis(10))
          .shownDefault("1s, or INTERVAL when shorter")
          .doc("a batch (or a heartbeat) is sent at least this often");
  public static final Setting<Integer> MAX_BATCH_SAMPLES =
      Setting.integer("FLEETSTATS_MAX_BATCH_SAMPLES", 10_000, 1, 10_000_000)
          .doc("a batch is sent early once it holds this many samples");
  public static final Setting<Integer> MAX_PENDING_BATCHES =
      Setting.integer("FLEETSTATS_MAX_PENDING_BATCHES", 120, 1, 1_000_000)
          .doc(
              "batches held while Kafka is slow or down; beyond it the oldest are spooled or dropped and counted");
  public static final Setting<String> TOPIC_PREFIX =
      Setting.string("FLEETSTATS_TOPIC_PREFIX", Topics.DEFAULT_PREFIX)
          .doc("topics are <prefix>.raw.statsd, <prefix>.raw.mysql ...");

  /**
   * Telegraf's {@code [global_tags]}: tags every statsd series gets unless it has one of that key;
   * the chart puts chosen pod labels here (Downward API, {@code app=$(POD_LABEL_0)}).
   */
  public static final Setting<Map<String, String>> GLOBAL_TAGS =
      Setting.custom("FLEETSTATS_GLOBAL_TAGS", Map.<String, String>of(), "none", EdgeConfig::tags)
          .doc(
              "tags added to every statsd series that lacks them, key=value,key=value (Telegraf's"
                  + " global_tags; e.g. pod labels)");

  public static final Setting<Boolean> HEARTBEAT =
      Setting.bool("FLEETSTATS_HEARTBEAT", true)
          .doc(
              "send an empty batch on a flush tick without samples, so a quiet pod's last window closes");
  public static final Setting<Boolean> CREATE_TOPICS =
      Setting.bool("FLEETSTATS_CREATE_TOPICS", true)
          .doc("create missing topics (checked once listening, retried while Kafka is down)");
  public static final Setting<Integer> TOPIC_PARTITIONS =
      Setting.integer("FLEETSTATS_TOPIC_PARTITIONS", 6, 1, 10_000)
          .doc("partitions of the topics the agent creates");
  public static final Setting<Duration> RAW_RETENTION =
      Setting.duration("FLEETSTATS_RAW_RETENTION", Duration.ofDays(7), Duration.ofHours(1))
          .doc("retention of the raw topics the agent creates (sized for backfill by replay)");

  /** Read by {@code bin/fleetstats-edge-agent}, not by the agent: listed so it is a known key. */
  public static final Setting<String> JAVA_OPTS =
      Setting.string("FLEETSTATS_JAVA_OPTS", "")
          .shownDefault("none")
          .doc("start script: JVM flags added after the sidecar's own (bin/fleetstats-edge-agent)");

  /** Read by {@code bin/fleetstats-edge-agent}. */
  public static final Setting<String> EDGE_JAR =
      Setting.string("FLEETSTATS_EDGE_JAR", null)
          .shownDefault("the jar beside the script")
          .doc("start script: the agent jar to run");

  /** Read by {@code bin/fleetstats-edge-agent}. */
  public static final Setting<String> CDS_ARCHIVE =
      Setting.string("FLEETSTATS_CDS_ARCHIVE", null)
          .shownDefault("<jar>.jsa")
          .doc("start script: the class-data sharing archive (made with --create-cds)");

  /** Every setting of the edge agent: the table the README and {@code --help} show. */
  public static final Settings SETTINGS =
      Settings.of(
          "edge agent",
          KafkaNames.of("producer and admin", KafkaNames.PRODUCER, KafkaNames.ADMIN)
              .fixing(
                  Map.of(
                      "key.serializer", "records are serialized by the agent itself",
                      "value.serializer", "records are serialized by the agent itself")),
          Stream.of(
                  List.<Setting<?>>of(
                      KAFKA_BOOTSTRAP,
                      STATSD_ADDRESS,
                      STATSD_MAX_LINE_LENGTH,
                      STATSD_MAX_PACKET_SIZE),
                  IngestSettings.STATSD_SETTINGS,
                  List.<Setting<?>>of(
                      FLUSH_INTERVAL, INTERVAL, MAX_BATCH_SAMPLES, MAX_PENDING_BATCHES),
                  IngestSettings.BUFFER_SETTINGS,
                  List.<Setting<?>>of(
                      TOPIC_PREFIX,
                      GLOBAL_TAGS,
                      HEARTBEAT,
                      CREATE_TOPICS,
                      TOPIC_PARTITIONS,
                      RAW_RETENTION),
                  ProcessIdentity.SETTINGS,
                  MysqlConfig.SETTINGS,
                  KubeletConfig.SETTINGS,
                  AttributionConfig.SETTINGS,
                  SelfMetrics.SETTINGS,
                  List.<Setting<?>>of(JAVA_OPTS, EDGE_JAR, CDS_ARCHIVE))
              .flatMap(List::stream)
              .toList());

  private static final Logger log = LoggerFactory.getLogger(EdgeConfig.class);

  /** {@code key=value,key=value}: keys non-empty, no '=' or ',' inside; empty values allowed. */
  static Map<String, String> tags(String raw) {
    Map<String, String> out = new java.util.TreeMap<>();
    if (raw.isBlank()) {
      return out;
    }
    for (String pair : raw.split(",")) {
      int eq = pair.indexOf('=');
      String key = eq < 0 ? "" : pair.substring(0, eq).trim();
      if (key.isEmpty()) {
        throw new IllegalArgumentException(
            "key=value pairs separated by ',' (e.g. app=checkout,version=1.2), got '" + pair + "'");
      }
      out.put(key, pair.substring(eq + 1).trim());
    }
    return out;
  }

  private static final Pattern TOPIC_CHARS = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  public EdgeConfig {
    kafkaProperties = Map.copyOf(kafkaProperties);
  }

  /**
   * Reads and validates the settings.
   *
   * @throws ConfigException naming every bad key, its value and what is allowed
   */
  public static EdgeConfig fromEnv(Map<String, String> env) {
    return read(SettingsReader.forService(SETTINGS, env));
  }

  /**
   * Like {@link #fromEnv(Map)}, in an environment shared with other services (the local stack):
   * their keys are not reported as unknown.
   */
  public static EdgeConfig fromEnv(Map<String, String> env, Settings... alsoKnown) {
    return read(SettingsReader.forService(SETTINGS, env, alsoKnown));
  }

  private static EdgeConfig read(SettingsReader r) {
    String bootstrap = r.get(KAFKA_BOOTSTRAP);
    int maxLine = r.get(STATSD_MAX_LINE_LENGTH);
    // The seed's INTERVAL (Telegraf's 60s) was the aggregation period, which the stream processor
    // owns here; flushing that rarely would hold a minute of samples in the sidecar and delay every
    // window, so INTERVAL only caps the default flush interval.
    Duration interval = r.get(INTERVAL);
    Duration defaultFlush =
        interval != null && interval.compareTo(Duration.ofSeconds(1)) < 0
            ? interval
            : Duration.ofSeconds(1);
    Duration flush = r.isSet(FLUSH_INTERVAL) ? r.get(FLUSH_INTERVAL) : defaultFlush;
    if (flush == null) {
      flush = defaultFlush;
    }
    String prefix = r.get(TOPIC_PREFIX);
    if (!TOPIC_CHARS.matcher(prefix).matches()) {
      r.problem(
          TOPIC_PREFIX.key(),
          prefix,
          "letters, digits, '.', '_' and '-' only (a Kafka topic name)");
    }
    ProcessIdentity identity = ProcessIdentity.read(r);
    // a sidecar without its cluster's name still runs (the chart requires the name), but says so
    ProcessIdentity.clusterUnsetWarning(r).ifPresent(log::warn);
    MysqlConfig mysql = MysqlConfig.read(r);
    KubeletConfig kubelet = KubeletConfig.read(r);
    AttributionConfig attribution = AttributionConfig.read(r, identity.node());
    IngestSettings ingest = IngestSettings.read(r, maxLine);
    InetSocketAddress address = r.get(STATSD_ADDRESS);
    int maxPacket = r.get(STATSD_MAX_PACKET_SIZE);
    int maxBatch = r.get(MAX_BATCH_SAMPLES);
    int maxPending = r.get(MAX_PENDING_BATCHES);
    boolean heartbeat = r.get(HEARTBEAT);
    boolean createTopics = r.get(CREATE_TOPICS);
    int partitions = r.get(TOPIC_PARTITIONS);
    Duration retention = r.get(RAW_RETENTION);
    Map<String, String> kafka = r.kafkaProperties();
    SelfMetrics.Config selfMetrics = SelfMetrics.Config.read(r);
    Map<String, String> globalTags = r.get(GLOBAL_TAGS);
    r.check();
    return new EdgeConfig(
        bootstrap,
        kafka,
        address,
        maxLine,
        maxPacket,
        flush,
        maxBatch,
        maxPending,
        prefix,
        heartbeat,
        createTopics,
        partitions,
        retention,
        identity,
        mysql,
        kubelet,
        attribution,
        ingest,
        selfMetrics,
        globalTags);
  }

  /** What the statsd input needs of these settings. */
  public StatsdInput.Options statsdOptions() {
    return new StatsdInput.Options(
        statsdAddress,
        ingest.tcpAddress(),
        ingest.statsd(),
        maxPacketSize,
        ingest.maxTcpConnections(),
        flushInterval,
        maxBatchSamples,
        heartbeat,
        identity,
        topicNames().rawStatsd(),
        attribution,
        globalTags,
        maxRequestSize());
  }

  /**
   * The producer's {@code max.request.size} ({@code FLEETSTATS_KAFKA_MAX_REQUEST_SIZE}, Kafka's
   * default 1 MiB otherwise): the statsd input splits a batch whose record would be larger.
   */
  public int maxRequestSize() {
    String v = kafkaProperties.get("max.request.size");
    if (v == null) {
      return io.fleetstats.edge.statsd.SeriesBatcher.DEFAULT_MAX_REQUEST_SIZE;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      // Kafka's own config check names the property when the producer is created
      return io.fleetstats.edge.statsd.SeriesBatcher.DEFAULT_MAX_REQUEST_SIZE;
    }
  }

  /** The topics under {@link #topicPrefix()}, with their Avro serdes. */
  public Topics topics() {
    return Topics.withPrefix(topicPrefix);
  }

  /**
   * The source stamped on every record, as an Avro {@link Source} (a fresh one: Avro records are
   * mutable).
   */
  public Source source() {
    return Source.newBuilder()
        .setCluster(identity.cluster())
        .setNamespace(identity.namespace())
        .setNode(identity.node())
        .setPod(identity.pod())
        .setContainer(identity.container())
        .setApp(identity.app())
        .build();
  }

  /** The names of the topics under {@link #topicPrefix()} (initializes no Avro class). */
  public TopicNames topicNames() {
    return TopicNames.withPrefix(topicPrefix);
  }

  /**
   * Admin client settings for topic creation: bootstrap plus the pass-through properties, which
   * override the defaults: no metric reporters and no metrics push (the JMX reporter's MBeans and
   * the telemetry classes cost memory the sidecar has no room for, and the client lives only during
   * start-up).
   */
  public Map<String, Object> adminProperties() {
    Map<String, Object> props = new HashMap<>();
    props.put("metric.reporters", "");
    props.put("enable.metrics.push", false);
    props.putAll(kafkaProperties);
    props.put("bootstrap.servers", kafkaBootstrap);
    return props;
  }

  /** One line for the start-up log. */
  public String summary() {
    return "flush every "
        + Durations.format(flushInterval)
        + " or "
        + maxBatchSamples
        + " samples, heartbeat "
        + (heartbeat ? "on" : "off")
        + "; "
        + mysql.summary()
        + "; "
        + kubelet.summary();
  }
}
