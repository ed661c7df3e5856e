package io.fleetstats.edge;

import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.Durations;
import io.fleetstats.kit.settings.EnvReader;
import io.fleetstats.edge.mysql.MysqlConfig;
import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.settings.ConfigFile;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.TopicNames;
import io.fleetstats.schemas.Topics;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Settings of the edge agent, read from the environment and an optional YAML file
 * ({@code FLEETSTATS_CONFIG_FILE}; the environment wins) and validated at start.
 *
 * @param kafkaBootstrap {@code FLEETSTATS_KAFKA_BOOTSTRAP}: Kafka bootstrap servers; default
 *     {@code localhost:9092}
 * @param kafkaProperties every other {@code FLEETSTATS_KAFKA_<PROPERTY>}, passed to the producer
 *     and the topic admin client as {@code <property>} (lower case, {@code _} → {@code .}), e.g.
 *     {@code FLEETSTATS_KAFKA_SECURITY_PROTOCOL=SASL_SSL}; they override the agent's producer
 *     defaults; default none
 * @param statsdAddress {@code FLEETSTATS_STATSD_ADDRESS}: UDP {@code host:port} to listen on;
 *     default {@code 127.0.0.1:8125}; port 0 picks a free port; {@code :8125} means all interfaces
 * @param maxLineLength {@code FLEETSTATS_STATSD_MAX_LINE_LENGTH}: longer statsd lines are rejected
 *     (counted as {@code LINE_TOO_LONG}); characters; default 8192
 * @param maxPacketSize {@code FLEETSTATS_STATSD_MAX_PACKET_SIZE}: receive buffer per datagram;
 *     bytes, 512 to 65535; default 8192 (clients send at most about 1.5 KB by default); a datagram
 *     that fills it was probably cut and is counted
 * @param flushInterval {@code FLEETSTATS_FLUSH_INTERVAL}: a batch (or a heartbeat) is sent at
 *     least this often; default {@code 1s}, or the seed's {@code INTERVAL} when that is shorter;
 *     at least {@code 10ms}
 * @param maxBatchSamples {@code FLEETSTATS_MAX_BATCH_SAMPLES}: a batch is sent early once it holds
 *     this many samples; default 10000
 * @param maxPendingBatches {@code FLEETSTATS_MAX_PENDING_BATCHES}: batches held while Kafka is
 *     slow or unreachable; when full, the oldest is dropped and counted; default 120
 * @param topicPrefix {@code FLEETSTATS_TOPIC_PREFIX}: topics are {@code <prefix>.raw.statsd} etc.;
 *     default {@code fleetstats}
 * @param heartbeat {@code FLEETSTATS_HEARTBEAT}: send an empty batch on a flush tick without
 *     samples, so the stream processor's event time moves on for quiet pods and their last window
 *     closes; default {@code true}
 * @param createTopics {@code FLEETSTATS_CREATE_TOPICS}: create missing topics at start; default
 *     {@code true}
 * @param topicPartitions {@code FLEETSTATS_TOPIC_PARTITIONS}: partitions of topics the agent
 *     creates; default 6
 * @param rawRetention {@code FLEETSTATS_RAW_RETENTION}: retention of raw topics the agent creates
 *     (sized for backfill by replay); default {@code 7d}
 * @param identity the source stamped on every batch, from the Downward API variables (see
 *     {@link ProcessIdentity})
 * @param mysql the MySQL poller's settings ({@code FLEETSTATS_MYSQL_*}, {@code MYSQL_SERVER} …);
 *     off unless a server is configured
 * @param ingest statsd reading (tag dialects, names, templates, limits), TCP, admin port and the
 *     outage buffer
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
    IngestSettings ingest) {

  public static final String KAFKA_BOOTSTRAP = "FLEETSTATS_KAFKA_BOOTSTRAP";
  public static final String STATSD_ADDRESS = "FLEETSTATS_STATSD_ADDRESS";
  public static final String STATSD_MAX_LINE_LENGTH = "FLEETSTATS_STATSD_MAX_LINE_LENGTH";
  public static final String STATSD_MAX_PACKET_SIZE = "FLEETSTATS_STATSD_MAX_PACKET_SIZE";
  public static final String FLUSH_INTERVAL = "FLEETSTATS_FLUSH_INTERVAL";
  public static final String MAX_BATCH_SAMPLES = "FLEETSTATS_MAX_BATCH_SAMPLES";
  public static final String MAX_PENDING_BATCHES = "FLEETSTATS_MAX_PENDING_BATCHES";
  public static final String TOPIC_PREFIX = "FLEETSTATS_TOPIC_PREFIX";
  public static final String HEARTBEAT = "FLEETSTATS_HEARTBEAT";
  public static final String CREATE_TOPICS = "FLEETSTATS_CREATE_TOPICS";
  public static final String TOPIC_PARTITIONS = "FLEETSTATS_TOPIC_PARTITIONS";
  public static final String RAW_RETENTION = "FLEETSTATS_RAW_RETENTION";
  /** The seed's Telegraf interval; an upper bound of the flush interval here. */
  public static final String INTERVAL = "INTERVAL";

  /** Every {@code FLEETSTATS_*} key a settings file may set. */
  static final Set<String> KEYS =
      Stream.concat(
              Stream.of(
                  KAFKA_BOOTSTRAP, STATSD_ADDRESS, STATSD_MAX_LINE_LENGTH, STATSD_MAX_PACKET_SIZE,
                  FLUSH_INTERVAL, MAX_BATCH_SAMPLES, MAX_PENDING_BATCHES, TOPIC_PREFIX, HEARTBEAT,
                  CREATE_TOPICS, TOPIC_PARTITIONS, RAW_RETENTION, "FLEETSTATS_CLUSTER",
                  "FLEETSTATS_NAMESPACE", "FLEETSTATS_NODE", "FLEETSTATS_POD", "FLEETSTATS_CONTAINER",
                  "FLEETSTATS_APP"),
              IngestSettings.KEYS.stream())
          .collect(Collectors.toUnmodifiableSet());

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
    // The optional file fills in what the environment does not set.
    Map<String, String> merged = new HashMap<>(env);
    List<String> fileProblems = new ArrayList<>();
    String file = env.get(ConfigFile.KEY);
    if (file != null && !file.isBlank()) {
      // The MySQL poller's keys are validated by MysqlConfig itself.
      ConfigFile.read(Path.of(file.strip()), k -> KEYS.contains(k) || k.startsWith("FLEETSTATS_MYSQL_"), fileProblems)
          .forEach(merged::putIfAbsent);
    }
    EnvReader r = new EnvReader(merged);
    fileProblems.forEach(r::problem);
    String bootstrap = r.string("localhost:9092", KAFKA_BOOTSTRAP);
    InetSocketAddress address =
        r.address(new InetSocketAddress("127.0.0.1", 8125), STATSD_ADDRESS);
    int maxLine = r.integer(8192, 64, 1 << 20, STATSD_MAX_LINE_LENGTH);
    int maxPacket = r.integer(8192, 512, 65535, STATSD_MAX_PACKET_SIZE);
    // The seed's INTERVAL (Telegraf's 60s) was the aggregation period, which the stream processor
    // owns here; flushing that rarely would hold a minute of samples in the sidecar and delay every
    // window, so INTERVAL only caps the default flush interval.
    Duration interval = r.duration(null, Duration.ofMillis(10), INTERVAL);
    Duration defaultFlush =
        interval != null && interval.compareTo(Duration.ofSeconds(1)) < 0 ? interval : Duration.ofSeconds(1);
    Duration flush = r.duration(defaultFlush, Duration.ofMillis(10), FLUSH_INTERVAL);
    int maxBatch = r.integer(10_000, 1, 10_000_000, MAX_BATCH_SAMPLES);
    int maxPending = r.integer(120, 1, 1_000_000, MAX_PENDING_BATCHES);
    String prefix = r.string(Topics.DEFAULT_PREFIX, TOPIC_PREFIX);
    if (!TOPIC_CHARS.matcher(prefix).matches()) {
      r.problem(TOPIC_PREFIX, prefix, "letters, digits, '.', '_' and '-' only (a Kafka topic name)");
    }
    boolean heartbeat = r.bool(true, HEARTBEAT);
    boolean createTopics = r.bool(true, CREATE_TOPICS);
    int partitions = r.integer(6, 1, 10_000, TOPIC_PARTITIONS);
    Duration retention = r.duration(Duration.ofDays(7), Duration.ofHours(1), RAW_RETENTION);

    ProcessIdentity identity = ProcessIdentity.read(r);
    MysqlConfig mysql = MysqlConfig.read(r);
    IngestSettings ingest = IngestSettings.read(r, maxLine);
    r.check();
    return new EdgeConfig(
        bootstrap,
        r.kafkaProperties(),
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
        ingest);
  }

  /** The topics under {@link #topicPrefix()}, with their Avro serdes. */
  public Topics topics() {
    return Topics.withPrefix(topicPrefix);
  }

  /** The source stamped on every record, as an Avro {@link Source} (a fresh one: Avro records are mutable). */
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
   * the telemetry classes cost memory the sidecar has no room for, and the client lives only
   * during start-up).
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
        + mysql.summary();
  }
}
