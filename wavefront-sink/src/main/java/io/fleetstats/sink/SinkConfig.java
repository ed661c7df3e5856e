package io.fleetstats.sink;

import io.fleetstats.config.ConfigException;
import io.fleetstats.config.EnvReader;
import io.fleetstats.schemas.Topics;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

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
    boolean createTopics) {

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

  public static final String DEFAULT_BOOTSTRAP = "localhost:9092";
  public static final String DEFAULT_GROUP_ID = "fleetstats-wavefront-sink";
  public static final int DEFAULT_BATCH_LINES = 10_000;
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
  public static final Duration DEFAULT_RETRY_MAX_BACKOFF = Duration.ofSeconds(30);
  /** The proxy's default metrics port (pushListenerPorts), as in the seed's Telegraf config. */
  public static final int PROXY_PORT = 2878;

  public SinkConfig {
    kafkaProperties = Map.copyOf(kafkaProperties);
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
    EnvReader r = new EnvReader(env);
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
    Map<String, String> kafka = r.kafkaProperties();
    r.check();
    return new SinkConfig(
        bootstrap, kafka, proxy, groupId, prefix, batchLines, timeout, maxBackoff, metricPrefix,
        createTopics);
  }

  private static URI proxyUrl(EnvReader r) {
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
        retryMaxBackoff, metricPrefix, createTopics);
  }

  /** Returns a copy sending to another proxy URL. */
  public SinkConfig withProxyUrl(URI url) {
    return new SinkConfig(
        kafkaBootstrap, kafkaProperties, url, groupId, topicPrefix, batchLines, requestTimeout,
        retryMaxBackoff, metricPrefix, createTopics);
  }
}
