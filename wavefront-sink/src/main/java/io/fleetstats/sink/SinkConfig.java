package io.fleetstats.sink;

import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.selfmetrics.SelfMetrics;
import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.KafkaNames;
import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.Settings;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.delivery.ProxyClient;
import io.fleetstats.sink.format.Limits;
import io.fleetstats.sink.format.WavefrontFormatter;
import io.fleetstats.sink.format.WavefrontFormatter.Distributions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Settings of the Wavefront sink, read from the environment and an optional YAML file ({@code
 * FLEETSTATS_CONFIG_FILE}; the environment wins) and validated at start. Each component comes from
 * the setting of the same name below, where its key, default and meaning are declared once; {@link
 * #SETTINGS} is the whole table (the README's and {@code --help}'s).
 *
 * @param kafkaProperties every other {@code FLEETSTATS_KAFKA_<PROPERTY>} that is a consumer,
 *     producer or admin client property, passed to the consumer, the dead-letter producer and the
 *     admin clients as it is
 * @param proxyUrl {@link #PROXY_URL}, else derived from the seed's {@link #SEED_PROXY_HOST}, else
 *     {@code http://localhost:2878}
 * @param token {@link #TOKEN}, or the first non-blank line of the file named by {@link
 *     #TOKEN_FILE}; never logged
 * @param identity cluster, namespace and pod of this instance ({@link ProcessIdentity}): the tags
 *     of its self-metrics
 * @param selfMetrics where this instance's own meters go as statsd ({@link SelfMetrics}); off by
 *     default
 */
public record SinkConfig(
    String kafkaBootstrap,
    Map<String, String> kafkaProperties,
    URI proxyUrl,
    String groupId,
    String topicPrefix,
    int batchLines,
    Duration requestTimeout,
    Duration retryMaxBackoff,
    String metricPrefix,
    boolean createTopics,
    Optional<String> token,
    int batchBytes,
    Distributions distributions,
    boolean deltaCounters,
    int gzipLevel,
    Optional<InetSocketAddress> adminAddress,
    ProcessIdentity identity,
    SelfMetrics.Config selfMetrics) {

  /** The proxy's default metrics port (pushListenerPorts), as in the seed's Telegraf config. */
  public static final int PROXY_PORT = 2878;

  private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);

  public static final Setting<String> KAFKA_BOOTSTRAP =
      Setting.string("FLEETSTATS_KAFKA_BOOTSTRAP", "localhost:9092")
          .kafkaProperty("bootstrap.servers")
          .doc("Kafka bootstrap servers");

  /** Lines are POSTed to {@code <url>/report}. */
  public static final Setting<URI> PROXY_URL =
      Setting.custom(
              "FLEETSTATS_PROXY_URL",
              null,
              "from WAVEFRONT_PROXY, else http://localhost:2878",
              SinkConfig::proxyUrl)
          .doc(
              "base URL (http or https) of the Wavefront proxy's HTTP listener, or of the"
                  + " Wavefront cluster for direct ingestion");

  /**
   * The seed's variable: the proxy host Telegraf sent to on port 2878. A bare host gets that port;
   * {@code host:port} and URLs are taken as they are.
   */
  public static final Setting<URI> SEED_PROXY_HOST =
      Setting.custom("WAVEFRONT_PROXY", null, "-", SinkConfig::seedProxyUrl)
          .doc(
              "the seed's proxy host (port 2878 unless given): http://<host>:2878 when"
                  + " FLEETSTATS_PROXY_URL is unset");

  public static final Setting<String> GROUP_ID =
      Setting.string("FLEETSTATS_GROUP_ID", "fleetstats-wavefront-sink")
          .kafkaProperty("group.id")
          .doc("Kafka consumer group");
  public static final Setting<String> TOPIC_PREFIX =
      Setting.string("FLEETSTATS_TOPIC_PREFIX", Topics.DEFAULT_PREFIX)
          .doc("the sink reads <prefix>.aggregates and dead-letters to <prefix>.deadletter");
  public static final Setting<Integer> BATCH_LINES =
      Setting.integer("FLEETSTATS_BATCH_LINES", 10_000, 1, 1_000_000)
          .doc("most lines per HTTP request (Telegraf's http_maximum_batch_size)");

  /** A batch ends at whichever of lines and bytes comes first; the proxy's buffer is 16 MB. */
  public static final Setting<Integer> BATCH_BYTES =
      Setting.integer("FLEETSTATS_BATCH_BYTES", 4 * 1024 * 1024, 1024, 16_000_000)
          .doc("most uncompressed bytes per HTTP request");

  public static final Setting<Duration> REQUEST_TIMEOUT =
      Setting.duration("FLEETSTATS_REQUEST_TIMEOUT", Duration.ofSeconds(10), MIN_TIMEOUT)
          .doc("connect and response timeout of one HTTP request");
  public static final Setting<Duration> RETRY_MAX_BACKOFF =
      Setting.duration("FLEETSTATS_RETRY_MAX_BACKOFF", Duration.ofSeconds(30), MIN_TIMEOUT)
          .doc("cap of the exponential backoff between retries of a batch");
  public static final Setting<String> METRIC_PREFIX =
      Setting.string("FLEETSTATS_METRIC_PREFIX", "")
          .doc("prepended to every metric name, then sanitised like the name (Telegraf's prefix)");
  public static final Setting<Boolean> CREATE_TOPICS =
      Setting.bool("FLEETSTATS_CREATE_TOPICS", true).doc("create missing platform topics at start");

  /**
   * The API token for direct ingestion to {@code https://<cluster>.wavefront.com}, or a proxy's
   * token when its token auth is on.
   */
  public static final Setting<String> TOKEN =
      Setting.string("FLEETSTATS_WAVEFRONT_TOKEN", null)
          .asSecret()
          .doc(
              "sent as 'Authorization: Bearer <token>' (direct ingestion: https URL + API token);"
                  + " never logged");

  public static final Setting<String> TOKEN_FILE =
      Setting.string("FLEETSTATS_WAVEFRONT_TOKEN_FILE", null)
          .doc(
              "file whose first non-blank line is the token (a mounted Secret); instead of"
                  + " FLEETSTATS_WAVEFRONT_TOKEN");
  public static final Setting<Distributions> DISTRIBUTIONS =
      Setting.oneOf("FLEETSTATS_DISTRIBUTIONS", Distributions.OFF, Distributions.class)
          .doc(
              "also send each aggregate's sketch as a distribution: off, minute (!M) or hour"
                  + " (!H)");
  public static final Setting<Boolean> DELTA_COUNTERS =
      Setting.bool("FLEETSTATS_DELTA_COUNTERS", false)
          .doc("send counters as delta counters (∆<name>) instead of plain points");

  /** Level 1 is about 3× faster than the JDK's default 6, for bodies about 15 % larger. */
  public static final Setting<Integer> GZIP_LEVEL =
      Setting.integer("FLEETSTATS_GZIP_LEVEL", ProxyClient.DEFAULT_GZIP_LEVEL, 0, 9)
          .doc("deflate level of request bodies, 0 to 9");

  /** The sink's admin port (the edge agent uses 9125, the stream processor 9126). */
  public static final Setting<Optional<InetSocketAddress>> ADMIN_ADDRESS =
      Setting.optionalAddress("FLEETSTATS_ADMIN_ADDRESS", new InetSocketAddress("0.0.0.0", 9127))
          .doc("admin port (/healthz, /readyz, /metrics) host:port; off disables it");

  /** Why the (de)serializers are fixed. */
  private static final String BYTES_ONLY =
      "records are read and dead letters written as bytes, decoded by the sink itself";

  /** Every setting of the sink: the table the README and {@code --help} show. */
  public static final Settings SETTINGS =
      Settings.of(
          "wavefront sink",
          KafkaNames.of(
                  "consumer, producer and admin",
                  KafkaNames.CONSUMER,
                  KafkaNames.PRODUCER,
                  KafkaNames.ADMIN)
              .fixing(
                  Map.of(
                      "key.deserializer", BYTES_ONLY,
                      "value.deserializer", BYTES_ONLY,
                      "key.serializer", BYTES_ONLY,
                      "value.serializer", BYTES_ONLY)),
          Stream.of(
                  List.<Setting<?>>of(
                      KAFKA_BOOTSTRAP,
                      PROXY_URL,
                      SEED_PROXY_HOST,
                      GROUP_ID,
                      TOPIC_PREFIX,
                      BATCH_LINES,
                      BATCH_BYTES,
                      REQUEST_TIMEOUT,
                      RETRY_MAX_BACKOFF,
                      METRIC_PREFIX,
                      CREATE_TOPICS,
                      TOKEN,
                      TOKEN_FILE,
                      DISTRIBUTIONS,
                      DELTA_COUNTERS,
                      GZIP_LEVEL,
                      ADMIN_ADDRESS),
                  ProcessIdentity.TAG_SETTINGS,
                  SelfMetrics.SETTINGS)
              .flatMap(List::stream)
              .toList());

  public SinkConfig {
    kafkaProperties = Map.copyOf(kafkaProperties);
  }

  /** Like the record's, but never shows the token. */
  @Override
  public String toString() {
    return "SinkConfig[kafkaBootstrap="
        + kafkaBootstrap
        + ", kafkaProperties="
        + kafkaProperties.keySet()
        + ", proxyUrl="
        + proxyUrl
        + ", groupId="
        + groupId
        + ", topicPrefix="
        + topicPrefix
        + ", batchLines="
        + batchLines
        + ", batchBytes="
        + batchBytes
        + ", requestTimeout="
        + requestTimeout
        + ", retryMaxBackoff="
        + retryMaxBackoff
        + ", metricPrefix="
        + metricPrefix
        + ", createTopics="
        + createTopics
        + ", token="
        + (token.isPresent() ? "(set)" : "(none)")
        + ", distributions="
        + distributions
        + ", deltaCounters="
        + deltaCounters
        + ", gzipLevel="
        + gzipLevel
        + ", adminAddress="
        + adminAddress
        + ", identity="
        + identity
        + ", selfMetrics="
        + selfMetrics.summary()
        + "]";
  }

  /** What the formatter produces, from these settings. */
  public WavefrontFormatter.Options formatOptions() {
    return new WavefrontFormatter.Options(
        metricPrefix, Limits.BACKEND_DEFAULTS, distributions, deltaCounters);
  }

  /** All defaults: local broker, local proxy. */
  public static SinkConfig defaults() {
    return fromEnv(Map.of());
  }

  /**
   * Reads and validates the settings.
   *
   * @throws ConfigException naming every bad key, its value and what is allowed
   */
  public static SinkConfig fromEnv(Map<String, String> env) {
    return read(SettingsReader.forService(SETTINGS, env));
  }

  /**
   * Like {@link #fromEnv(Map)}, in an environment shared with other services (the local stack):
   * their keys are not reported as unknown.
   */
  public static SinkConfig fromEnv(Map<String, String> env, Settings... alsoKnown) {
    return read(SettingsReader.forService(SETTINGS, env, alsoKnown));
  }

  private static SinkConfig read(SettingsReader r) {
    String bootstrap = r.get(KAFKA_BOOTSTRAP);
    URI proxy = proxyUrl(r);
    String groupId = r.get(GROUP_ID);
    String prefix = r.get(TOPIC_PREFIX);
    int batchLines = r.get(BATCH_LINES);
    Duration timeout = r.get(REQUEST_TIMEOUT);
    Duration maxBackoff = r.get(RETRY_MAX_BACKOFF);
    String metricPrefix = r.get(METRIC_PREFIX);
    boolean createTopics = r.get(CREATE_TOPICS);
    Optional<String> token = token(r);
    int batchBytes = r.get(BATCH_BYTES);
    Distributions distributions = r.get(DISTRIBUTIONS);
    boolean delta = r.get(DELTA_COUNTERS);
    int gzipLevel = r.get(GZIP_LEVEL);
    Optional<InetSocketAddress> admin = r.get(ADMIN_ADDRESS);
    Map<String, String> kafka = r.kafkaProperties();
    ProcessIdentity identity = ProcessIdentity.readTags(r);
    SelfMetrics.Config selfMetrics = SelfMetrics.Config.read(r);
    r.check();
    return new SinkConfig(
        bootstrap,
        kafka,
        proxy,
        groupId,
        prefix,
        batchLines,
        timeout,
        maxBackoff,
        metricPrefix,
        createTopics,
        token,
        batchBytes,
        distributions,
        delta,
        gzipLevel,
        admin,
        identity,
        selfMetrics);
  }

  private static Optional<String> token(SettingsReader r) {
    String direct = r.get(TOKEN);
    String file = r.get(TOKEN_FILE);
    if (direct != null && file != null) {
      r.problem(
          TOKEN_FILE.key(), file, "unset when " + TOKEN.key() + " is set (use one of the two)");
      return Optional.of(direct);
    }
    if (direct != null) {
      return Optional.of(direct);
    }
    if (file == null) {
      return Optional.empty();
    }
    String allowed = "a readable file whose first non-blank line is the token";
    try {
      String first =
          Files.readAllLines(Path.of(file)).stream()
              .map(String::strip)
              .filter(l -> !l.isEmpty())
              .findFirst()
              .orElse("");
      if (first.isEmpty()) {
        r.problem(TOKEN_FILE.key(), file, allowed + " (the file is empty)");
        return Optional.empty();
      }
      return Optional.of(first);
    } catch (IOException | RuntimeException e) {
      r.problem(TOKEN_FILE.key(), file, allowed + " (" + e + ")");
      return Optional.empty();
    }
  }

  private static URI proxyUrl(SettingsReader r) {
    URI fallback = URI.create("http://localhost:" + PROXY_PORT);
    // The seed's host is read only when it is the one in use, so that a stale value beside an
    // explicit URL is not an error.
    if (r.isSet(PROXY_URL)) {
      URI explicit = r.get(PROXY_URL);
      return explicit != null ? explicit : fallback;
    }
    URI seed = r.get(SEED_PROXY_HOST);
    return seed != null ? seed : fallback;
  }

  private static URI proxyUrl(String raw) {
    URI uri = httpUri(raw);
    if (uri == null) {
      throw new IllegalArgumentException("an http(s) URL such as http://wavefront-proxy:2878");
    }
    return uri;
  }

  private static URI seedProxyUrl(String host) {
    // The seed's Telegraf took a bare host and used port 2878; accept host:port and URLs too.
    String candidate =
        host.contains("://")
            ? host
            : host.contains(":") ? "http://" + host : "http://" + host + ":" + PROXY_PORT;
    URI uri = httpUri(candidate);
    if (uri == null) {
      throw new IllegalArgumentException(
          "a host name (port 2878 is assumed), or set " + PROXY_URL.key() + " to an http(s) URL");
    }
    return uri;
  }

  private static URI httpUri(String text) {
    try {
      URI uri = new URI(text.trim());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        return null;
      }
      return uri;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** The platform's topics under {@link #topicPrefix()}. */
  public Topics topics() {
    return Topics.withPrefix(topicPrefix);
  }

  /** Properties for Kafka admin clients: the pass-through admin properties and the bootstrap. */
  public Map<String, Object> adminConfig() {
    return clientConfig(KafkaNames.ADMIN);
  }

  /** Properties for the dead-letter producer: the pass-through producer ones and the bootstrap. */
  public Map<String, Object> producerConfig() {
    return clientConfig(KafkaNames.PRODUCER);
  }

  /**
   * Properties for the consumer: the pass-through consumer ones and the bootstrap, under the
   * consumer's own ({@code WavefrontSink.consumerConfig}).
   */
  public Map<String, Object> consumerConfig() {
    return clientConfig(KafkaNames.CONSUMER);
  }

  /** Each client gets the properties it knows, so none logs the others' as unknown. */
  private Map<String, Object> clientConfig(Set<String> names) {
    Map<String, Object> props = new HashMap<>();
    kafkaProperties.forEach(
        (property, value) -> {
          if (names.contains(property)) {
            props.put(property, value);
          }
        });
    // last: every client the sink creates reaches the same brokers
    props.put(KAFKA_BOOTSTRAP.kafkaProperty(), kafkaBootstrap);
    return props;
  }

  /** Returns a copy with another bootstrap (the local stack points the sink at its own broker). */
  public SinkConfig withKafkaBootstrap(String bootstrap) {
    return new SinkConfig(
        bootstrap,
        kafkaProperties,
        proxyUrl,
        groupId,
        topicPrefix,
        batchLines,
        requestTimeout,
        retryMaxBackoff,
        metricPrefix,
        createTopics,
        token,
        batchBytes,
        distributions,
        deltaCounters,
        gzipLevel,
        adminAddress,
        identity,
        selfMetrics);
  }

  /** Returns a copy with another admin address (empty: no admin port). */
  public SinkConfig withAdminAddress(Optional<InetSocketAddress> address) {
    return new SinkConfig(
        kafkaBootstrap,
        kafkaProperties,
        proxyUrl,
        groupId,
        topicPrefix,
        batchLines,
        requestTimeout,
        retryMaxBackoff,
        metricPrefix,
        createTopics,
        token,
        batchBytes,
        distributions,
        deltaCounters,
        gzipLevel,
        address,
        identity,
        selfMetrics);
  }

  /** Returns a copy sending to another proxy URL. */
  public SinkConfig withProxyUrl(URI url) {
    return new SinkConfig(
        kafkaBootstrap,
        kafkaProperties,
        url,
        groupId,
        topicPrefix,
        batchLines,
        requestTimeout,
        retryMaxBackoff,
        metricPrefix,
        createTopics,
        token,
        batchBytes,
        distributions,
        deltaCounters,
        gzipLevel,
        adminAddress,
        identity,
        selfMetrics);
  }
}
