package io.fleetstats.sink;

import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.format.Limits;
import io.fleetstats.sink.format.WavefrontFormatter;
import io.fleetstats.sink.format.WavefrontFormatter.Distributions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Settings of the Wavefront sink, read from the environment and validated at start.
 *
 * @param kafkaBootstrap {@code FLEETSTATS_KAFKA_BOOTSTRAP}: Kafka bootstrap servers; default
 *     {@code localhost:9092}
 * @param kafkaProperties every other {@code FLEETSTATS_KAFKA_<PROPERTY>} (e.g. {@code
 *     FLEETSTATS_KAFKA_SECURITY_PROTOCOL} → {@code security.protocol}), passed to the consumer and
 *     admin clients as they are; default none
 * @param proxyUrl {@code FLEETSTATS_PROXY_URL}: base URL of the Wavefront proxy's HTTP listener
 *     (http or https); default {@code http://<WAVEFRONT_PROXY>:2878} when the seed's {@code
 *     WAVEFRONT_PROXY} host is set, else {@code http://localhost:2878}
 * @param groupId {@code FLEETSTATS_GROUP_ID}: Kafka consumer group; default {@code
 *     fleetstats-wavefront-sink}
 * @param topicPrefix {@code FLEETSTATS_TOPIC_PREFIX}: prefix of the platform's topics (the sink
 *     reads {@code <prefix>.aggregates}); default {@code fleetstats}
 * @param batchLines {@code FLEETSTATS_BATCH_LINES}: most lines per HTTP request; default 10000
 *     (Telegraf's {@code http_maximum_batch_size}), 1 to 1000000
 * @param requestTimeout {@code FLEETSTATS_REQUEST_TIMEOUT}: connect and response timeout of one
 *     HTTP request; default {@code 10s}, at least {@code 100ms}
 * @param retryMaxBackoff {@code FLEETSTATS_RETRY_MAX_BACKOFF}: cap of the exponential backoff
 *     between retries of a batch; default {@code 30s}, at least {@code 100ms}
 * @param metricPrefix {@code FLEETSTATS_METRIC_PREFIX}: prepended to every metric name as
 *     Telegraf's {@code prefix} was (sanitised like the name); default empty
 * @param createTopics {@code FLEETSTATS_CREATE_TOPICS}: create missing platform topics at start;
 *     default {@code true}
 * @param token {@code FLEETSTATS_WAVEFRONT_TOKEN}, or the first line of the file named by {@code
 *     FLEETSTATS_WAVEFRONT_TOKEN_FILE}: sent as {@code Authorization: Bearer} (the API token for
 *     direct ingestion to {@code https://<cluster>.wavefront.com}, or a proxy's token); default
 *     none. Never logged
 * @param batchBytes {@code FLEETSTATS_BATCH_BYTES}: most uncompressed bytes per HTTP request
 *     (a batch ends at whichever of lines and bytes comes first); default 4194304 (4 MiB, well
 *     under the proxy's 16 MB buffer), 1024 to 16000000
 * @param distributions {@code FLEETSTATS_DISTRIBUTIONS}: {@code off}, {@code minute} ({@code !M})
 *     or {@code hour} ({@code !H}) distributions from the aggregates' sketches; default {@code
 *     off}
 * @param deltaCounters {@code FLEETSTATS_DELTA_COUNTERS}: send counters as {@code ∆} delta
 *     counters instead of plain points; default {@code false}
 * @param gzipLevel {@code FLEETSTATS_GZIP_LEVEL}: deflate level of request bodies, 0 to 9;
 *     default 1 (about 3× faster than 6 for bodies about 15 % larger)
 * @param adminAddress {@code FLEETSTATS_ADMIN_ADDRESS}: {@code host:port} of the admin port
 *     ({@code /healthz}, {@code /readyz}, {@code /metrics}), or {@code off}; default {@code :9127}
 * @param identity cluster, namespace and pod of this instance ({@code CLUSTER_NAME}, {@code
 *     NAMESPACE}, {@code POD_NAME}, see {@link ProcessIdentity}): the tags of its self-metrics
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
    ProcessIdentity identity) {

  public static final String KAFKA_BOOTSTRAP = "FLEETSTATS_KAFKA_BOOTSTRAP";
  public static final String PROXY_URL = "FLEETSTATS_PROXY_URL";
  /** The seed's variable: the proxy host that Telegraf sent to on port 2878. */
  public static final String SEED_PROXY_HOST = "WAVEFRONT_PROXY";
  public static final String GROUP_ID = "FLEETSTATS_GROUP_ID";
  public static final String TOPIC_PREFIX = "FLEETSTATS_TOPIC_PREFIX";
  public static final String BATCH_LINES = "FLEETSTATS_BATCH_LINES";
  public static final String REQUEST_TIMEOUT = "FLEETSTATS_REQUEST_TIMEOUT";
  public static final String RETRY_MAX_BACKOFF = "FLEETSTATS_RETRY_MAX_BACKOFF";
  public static final String METRIC_PREFIX = "FLEETSTATS_METRIC_PREFIX";
  public static final String CREATE_TOPICS = "FLEETSTATS_CREATE_TOPICS";
  public static final String TOKEN = "FLEETSTATS_WAVEFRONT_TOKEN";
  public static final String TOKEN_FILE = "FLEETSTATS_WAVEFRONT_TOKEN_FILE";
  public static final String BATCH_BYTES = "FLEETSTATS_BATCH_BYTES";
  public static final String DISTRIBUTIONS = "FLEETSTATS_DISTRIBUTIONS";
  public static final String DELTA_COUNTERS = "FLEETSTATS_DELTA_COUNTERS";
  public static final String ADMIN_ADDRESS = "FLEETSTATS_ADMIN_ADDRESS";
  public static final String GZIP_LEVEL = "FLEETSTATS_GZIP_LEVEL";

  public static final String DEFAULT_BOOTSTRAP = "localhost:9092";
  public static final String DEFAULT_GROUP_ID = "fleetstats-wavefront-sink";
  public static final int DEFAULT_BATCH_LINES = 10_000;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RETRY_MAX_BACKOFF = Duration.ofSeconds(30);
  public static final int DEFAULT_BATCH_BYTES = 4 * 1024 * 1024;
  /** The sink's admin port (the edge agent and stream processor use their own). */
  public static final int DEFAULT_ADMIN_PORT = 9127;
  /** The proxy's default metrics port (pushListenerPorts), as in the seed's Telegraf config. */
  public static final int PROXY_PORT = 2878;

  public SinkConfig {
    kafkaProperties = Map.copyOf(kafkaProperties);
  }

  /** Like the record's, but never shows the token. */
  @Override
  public String toString() {
    return "SinkConfig[kafkaBootstrap=" + kafkaBootstrap + ", kafkaProperties=" + kafkaProperties.keySet()
        + ", proxyUrl=" + proxyUrl + ", groupId=" + groupId + ", topicPrefix=" + topicPrefix
        + ", batchLines=" + batchLines + ", batchBytes=" + batchBytes + ", requestTimeout=" + requestTimeout
        + ", retryMaxBackoff=" + retryMaxBackoff + ", metricPrefix=" + metricPrefix
        + ", createTopics=" + createTopics + ", token=" + (token.isPresent() ? "(set)" : "(none)")
        + ", distributions=" + distributions + ", deltaCounters=" + deltaCounters + ", gzipLevel=" + gzipLevel
        + ", adminAddress=" + adminAddress + ", identity=" + identity + "]";
  }

  /** What the formatter produces, from these settings. */
  public WavefrontFormatter.Options formatOptions() {
    return new WavefrontFormatter.Options(metricPrefix, Limits.BACKEND_DEFAULTS, distributions, deltaCounters);
  }

  /** All defaults: local broker, local proxy. */
  public static SinkConfig defaults() {
    return fromEnv(Map.of());
  }

  /**
   * Reads the settings from an environment map.
   *
   * @throws ConfigException listing every bad key, its value and what is allowed
   */
  public static SinkConfig fromEnv(Map<String, String> env) {
    SettingsReader r = new SettingsReader(env);
    String bootstrap = r.string(DEFAULT_BOOTSTRAP, KAFKA_BOOTSTRAP);
    URI proxy = proxyUrl(r);
    String groupId = r.string(DEFAULT_GROUP_ID, GROUP_ID);
    String prefix = r.string(Topics.DEFAULT_PREFIX, TOPIC_PREFIX);
    int batchLines = r.integer(DEFAULT_BATCH_LINES, 1, 1_000_000, BATCH_LINES);
    Duration minimum = Duration.ofMillis(100);
    Duration timeout = r.duration(DEFAULT_REQUEST_TIMEOUT, minimum, REQUEST_TIMEOUT);
    Duration maxBackoff = r.duration(DEFAULT_RETRY_MAX_BACKOFF, minimum, RETRY_MAX_BACKOFF);
    String metricPrefix = r.string("", METRIC_PREFIX);
    boolean createTopics = r.bool(true, CREATE_TOPICS);
    Optional<String> token = token(r);
    int batchBytes = r.integer(DEFAULT_BATCH_BYTES, 1024, 16_000_000, BATCH_BYTES);
    String distText = r.string("off", DISTRIBUTIONS);
    Distributions distributions =
        Distributions.parse(distText)
            .orElseGet(
                () -> {
                  r.problem(DISTRIBUTIONS, distText, "off, minute or hour");
                  return Distributions.OFF;
                });
    boolean delta = r.bool(false, DELTA_COUNTERS);
    int gzipLevel = r.integer(io.fleetstats.sink.delivery.ProxyClient.DEFAULT_GZIP_LEVEL, 0, 9, GZIP_LEVEL);
    Optional<InetSocketAddress> admin =
        r.optionalAddress(new InetSocketAddress("0.0.0.0", DEFAULT_ADMIN_PORT), ADMIN_ADDRESS);
    Map<String, String> kafka = r.kafkaProperties();
    ProcessIdentity identity = ProcessIdentity.read(r);
    r.check();
    return new SinkConfig(
        bootstrap, kafka, proxy, groupId, prefix, batchLines, timeout, maxBackoff, metricPrefix,
        createTopics, token, batchBytes, distributions, delta, gzipLevel, admin, identity);
  }

  private static Optional<String> token(SettingsReader r) {
    String direct = r.string(null, TOKEN);
    String file = r.string(null, TOKEN_FILE);
    if (direct != null && file != null) {
      r.problem(TOKEN_FILE, file, "unset when " + TOKEN + " is set (use one of the two)");
      return Optional.of(direct);
    }
    if (direct != null) {
      return Optional.of(direct);
    }
    if (file == null) {
      return Optional.empty();
    }
    try {
      String first = Files.readAllLines(Path.of(file)).stream().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse("");
      if (first.isEmpty()) {
        r.problem(TOKEN_FILE, file, "a readable file whose first non-blank line is the token (the file is empty)");
        return Optional.empty();
      }
      return Optional.of(first);
    } catch (IOException | RuntimeException e) {
      r.problem(TOKEN_FILE, file, "a readable file whose first non-blank line is the token (" + e + ")");
      return Optional.empty();
    }
  }

  private static URI proxyUrl(SettingsReader r) {
    String explicit = r.string(null, PROXY_URL);
    if (explicit != null) {
      URI uri = httpUri(explicit);
      if (uri == null) {
        r.problem(PROXY_URL, explicit, "an http(s) URL such as http://wavefront-proxy:2878");
        return URI.create("http://localhost:" + PROXY_PORT);
      }
      return uri;
    }
    String seedHost = r.string(null, SEED_PROXY_HOST);
    if (seedHost == null) {
      return URI.create("http://localhost:" + PROXY_PORT);
    }
    // The seed's Telegraf took a bare host and used port 2878; accept host:port and URLs too.
    String candidate =
        seedHost.contains("://")
            ? seedHost
            : seedHost.contains(":") ? "http://" + seedHost : "http://" + seedHost + ":" + PROXY_PORT;
    URI uri = httpUri(candidate);
    if (uri == null) {
      r.problem(
          SEED_PROXY_HOST,
          seedHost,
          "a host name (port 2878 is assumed), or set " + PROXY_URL + " to an http(s) URL");
      return URI.create("http://localhost:" + PROXY_PORT);
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

  /** Properties for Kafka admin clients: bootstrap plus the pass-through properties. */
  public Map<String, Object> adminConfig() {
    Map<String, Object> props = new HashMap<>(kafkaProperties);
    props.put("bootstrap.servers", kafkaBootstrap);
    return props;
  }

  /** Returns a copy with another bootstrap (the local stack points the sink at its own broker). */
  public SinkConfig withKafkaBootstrap(String bootstrap) {
    return new SinkConfig(
        bootstrap, kafkaProperties, proxyUrl, groupId, topicPrefix, batchLines, requestTimeout,
        retryMaxBackoff, metricPrefix, createTopics, token, batchBytes, distributions, deltaCounters,
        gzipLevel, adminAddress, identity);
  }

  /** Returns a copy with another admin address (empty: no admin port). */
  public SinkConfig withAdminAddress(Optional<InetSocketAddress> address) {
    return new SinkConfig(
        kafkaBootstrap, kafkaProperties, proxyUrl, groupId, topicPrefix, batchLines, requestTimeout,
        retryMaxBackoff, metricPrefix, createTopics, token, batchBytes, distributions, deltaCounters,
        gzipLevel, address, identity);
  }

  /** Returns a copy sending to another proxy URL. */
  public SinkConfig withProxyUrl(URI url) {
    return new SinkConfig(
        kafkaBootstrap, kafkaProperties, url, groupId, topicPrefix, batchLines, requestTimeout,
        retryMaxBackoff, metricPrefix, createTopics, token, batchBytes, distributions, deltaCounters,
        gzipLevel, adminAddress, identity);
  }
}
