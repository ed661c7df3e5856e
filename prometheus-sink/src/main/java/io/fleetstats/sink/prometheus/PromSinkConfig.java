package io.fleetstats.sink.prometheus;

import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.selfmetrics.SelfMetrics;
import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.KafkaNames;
import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.Settings;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.prometheus.remote.Credentials;
import io.fleetstats.sink.prometheus.remote.Tls;
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
 * Settings of the Prometheus remote-write sink, read from the environment and an optional YAML file
 * ({@code FLEETSTATS_CONFIG_FILE}; the environment wins) and validated at start, every problem at
 * once. Each component comes from the setting of the same name below; {@link #SETTINGS} is the
 * whole table (the README's and {@code --help}'s).
 *
 * @param kafkaProperties every other {@code FLEETSTATS_KAFKA_<PROPERTY>} that is a consumer,
 *     producer or admin client property
 * @param credentials basic auth, a bearer token, or none; never logged
 * @param caFile PEM file of the CA that signed the receiver's certificate, if not a public one
 * @param identity cluster, namespace and pod of this instance: the tags of its self-metrics
 * @param selfMetrics where this instance's own meters go as statsd ({@link SelfMetrics}); off by
 *     default
 */
public record PromSinkConfig(
    String kafkaBootstrap,
    Map<String, String> kafkaProperties,
    URI url,
    String groupId,
    String topicPrefix,
    int batchSamples,
    Duration requestTimeout,
    Duration retryMaxBackoff,
    String metricPrefix,
    boolean createTopics,
    Credentials credentials,
    Optional<Path> caFile,
    boolean insecureSkipVerify,
    Optional<InetSocketAddress> adminAddress,
    ProcessIdentity identity,
    SelfMetrics.Config selfMetrics) {

  private static final Duration MIN_TIMEOUT = Duration.ofMillis(100);

  public static final Setting<String> KAFKA_BOOTSTRAP =
      Setting.string("FLEETSTATS_KAFKA_BOOTSTRAP", "localhost:9092")
          .kafkaProperty("bootstrap.servers")
          .doc("Kafka bootstrap servers");

  public static final Setting<URI> URL =
      Setting.custom(
              "FLEETSTATS_REMOTE_WRITE_URL",
              URI.create("http://localhost:9090/api/v1/write"),
              "http://localhost:9090/api/v1/write",
              PromSinkConfig::httpUrl)
          .doc(
              "remote-write endpoint (http or https), e.g. Prometheus' /api/v1/write, Mimir's"
                  + " /api/v1/push, VictoriaMetrics' /api/v1/write");

  public static final Setting<String> GROUP_ID =
      Setting.string("FLEETSTATS_GROUP_ID", "fleetstats-prometheus-sink")
          .kafkaProperty("group.id")
          .doc("Kafka consumer group (its own, so both sinks read every aggregate)");
  public static final Setting<String> TOPIC_PREFIX =
      Setting.string("FLEETSTATS_TOPIC_PREFIX", Topics.DEFAULT_PREFIX)
          .doc("the sink reads <prefix>.aggregates and dead-letters to <prefix>.deadletter");
  public static final Setting<Integer> BATCH_SAMPLES =
      Setting.integer("FLEETSTATS_BATCH_SAMPLES", 2000, 1, 1_000_000)
          .doc("most samples per remote-write request (Prometheus' max_samples_per_send)");
  public static final Setting<Duration> REQUEST_TIMEOUT =
      Setting.duration("FLEETSTATS_REQUEST_TIMEOUT", Duration.ofSeconds(10), MIN_TIMEOUT)
          .doc("connect and response timeout of one HTTP request");
  public static final Setting<Duration> RETRY_MAX_BACKOFF =
      Setting.duration("FLEETSTATS_RETRY_MAX_BACKOFF", Duration.ofSeconds(30), MIN_TIMEOUT)
          .doc("cap of the exponential backoff between retries of a request");
  public static final Setting<String> METRIC_PREFIX =
      Setting.string("FLEETSTATS_METRIC_PREFIX", "")
          .doc("prepended to every series name, then sanitised with it (e.g. app.)");
  public static final Setting<Boolean> CREATE_TOPICS =
      Setting.bool("FLEETSTATS_CREATE_TOPICS", true).doc("create missing platform topics at start");

  public static final Setting<String> USERNAME =
      Setting.string("FLEETSTATS_REMOTE_WRITE_USERNAME", null)
          .doc("basic auth user (with a password)");
  public static final Setting<String> PASSWORD =
      Setting.string("FLEETSTATS_REMOTE_WRITE_PASSWORD", null)
          .asSecret()
          .doc("secret: basic auth password; never logged");
  public static final Setting<String> PASSWORD_FILE =
      Setting.string("FLEETSTATS_REMOTE_WRITE_PASSWORD_FILE", null)
          .doc("file whose first non-blank line is the password (a mounted Secret)");
  public static final Setting<String> BEARER_TOKEN =
      Setting.string("FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN", null)
          .asSecret()
          .doc("secret: sent as 'Authorization: Bearer <token>'; never logged");
  public static final Setting<String> BEARER_TOKEN_FILE =
      Setting.string("FLEETSTATS_REMOTE_WRITE_BEARER_TOKEN_FILE", null)
          .doc("file whose first non-blank line is the bearer token (a mounted Secret)");
  public static final Setting<String> CA_FILE =
      Setting.string("FLEETSTATS_REMOTE_WRITE_CA_FILE", null)
          .doc("PEM file of the CA(s) to trust for an https URL, instead of the JVM's");
  public static final Setting<Boolean> INSECURE_SKIP_VERIFY =
      Setting.bool("FLEETSTATS_REMOTE_WRITE_INSECURE_SKIP_VERIFY", false)
          .doc("accept any certificate and host name (tests only)");

  /** The sink's admin port (edge agent 9125, stream processor 9126, Wavefront sink 9127). */
  public static final Setting<Optional<InetSocketAddress>> ADMIN_ADDRESS =
      Setting.optionalAddress("FLEETSTATS_ADMIN_ADDRESS", new InetSocketAddress("0.0.0.0", 9128))
          .doc("admin port (/healthz, /readyz, /metrics) host:port; off disables it");

  private static final String BYTES_ONLY =
      "records are read and dead letters written as bytes, decoded by the sink itself";

  /** Every setting of the sink: the table the README and {@code --help} show. */
  public static final Settings SETTINGS =
      Settings.of(
          "prometheus sink",
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
                      URL,
                      GROUP_ID,
                      TOPIC_PREFIX,
                      BATCH_SAMPLES,
                      REQUEST_TIMEOUT,
                      RETRY_MAX_BACKOFF,
                      METRIC_PREFIX,
                      CREATE_TOPICS,
                      USERNAME,
                      PASSWORD,
                      PASSWORD_FILE,
                      BEARER_TOKEN,
                      BEARER_TOKEN_FILE,
                      CA_FILE,
                      INSECURE_SKIP_VERIFY,
                      ADMIN_ADDRESS),
                  ProcessIdentity.TAG_SETTINGS,
                  SelfMetrics.SETTINGS)
              .flatMap(List::stream)
              .toList());

  public PromSinkConfig {
    kafkaProperties = Map.copyOf(kafkaProperties);
  }

  /** Like the record's, but never shows a password or token. */
  @Override
  public String toString() {
    return "PromSinkConfig[kafkaBootstrap="
        + kafkaBootstrap
        + ", kafkaProperties="
        + kafkaProperties.keySet()
        + ", url="
        + url
        + ", groupId="
        + groupId
        + ", topicPrefix="
        + topicPrefix
        + ", batchSamples="
        + batchSamples
        + ", requestTimeout="
        + requestTimeout
        + ", retryMaxBackoff="
        + retryMaxBackoff
        + ", metricPrefix="
        + metricPrefix
        + ", createTopics="
        + createTopics
        + ", credentials="
        + credentials
        + ", caFile="
        + caFile
        + ", insecureSkipVerify="
        + insecureSkipVerify
        + ", adminAddress="
        + adminAddress
        + ", identity="
        + identity
        + ", selfMetrics="
        + selfMetrics.summary()
        + "]";
  }

  /** All defaults: local broker, local Prometheus. */
  public static PromSinkConfig defaults() {
    return fromEnv(Map.of());
  }

  /**
   * Reads and validates the settings.
   *
   * @throws ConfigException naming every bad key, its value and what is allowed
   */
  public static PromSinkConfig fromEnv(Map<String, String> env) {
    return read(SettingsReader.forService(SETTINGS, env));
  }

  /**
   * Like {@link #fromEnv(Map)}, in an environment shared with other services (the local stack):
   * their keys are not reported as unknown.
   */
  public static PromSinkConfig fromEnv(Map<String, String> env, Settings... alsoKnown) {
    return read(SettingsReader.forService(SETTINGS, env, alsoKnown));
  }

  private static PromSinkConfig read(SettingsReader r) {
    String bootstrap = r.get(KAFKA_BOOTSTRAP);
    URI url = r.get(URL);
    String groupId = r.get(GROUP_ID);
    String prefix = r.get(TOPIC_PREFIX);
    int batch = r.get(BATCH_SAMPLES);
    Duration timeout = r.get(REQUEST_TIMEOUT);
    Duration maxBackoff = r.get(RETRY_MAX_BACKOFF);
    String metricPrefix = r.get(METRIC_PREFIX);
    boolean createTopics = r.get(CREATE_TOPICS);
    Credentials credentials = credentials(r);
    Optional<Path> ca = caFile(r);
    boolean insecure = r.get(INSECURE_SKIP_VERIFY);
    if (insecure && ca.isPresent()) {
      r.problem(
          INSECURE_SKIP_VERIFY.key(),
          "true",
          "false when " + CA_FILE.key() + " is set (verify against the CA, or not at all)");
    }
    Optional<InetSocketAddress> admin = r.get(ADMIN_ADDRESS);
    Map<String, String> kafka = r.kafkaProperties();
    ProcessIdentity identity = ProcessIdentity.readTags(r);
    SelfMetrics.Config selfMetrics = SelfMetrics.Config.read(r);
    r.check();
    return new PromSinkConfig(
        bootstrap,
        kafka,
        url,
        groupId,
        prefix,
        batch,
        timeout,
        maxBackoff,
        metricPrefix,
        createTopics,
        credentials,
        ca,
        insecure,
        admin,
        identity,
        selfMetrics);
  }

  private static Credentials credentials(SettingsReader r) {
    String user = r.get(USERNAME);
    Optional<String> password = secret(r, PASSWORD, PASSWORD_FILE);
    Optional<String> token = secret(r, BEARER_TOKEN, BEARER_TOKEN_FILE);
    if (user != null && token.isPresent()) {
      r.problem(
          BEARER_TOKEN.key(),
          "(set)",
          "unset when " + USERNAME.key() + " is set: basic auth or a bearer token, not both");
      return Credentials.none();
    }
    if (user != null && password.isEmpty()) {
      r.problem(
          PASSWORD.key(),
          "(unset)",
          "set (or " + PASSWORD_FILE.key() + ") when " + USERNAME.key() + " is set");
      return Credentials.none();
    }
    if (user == null && password.isPresent()) {
      r.problem(USERNAME.key(), "(unset)", "set when a password is set");
      return Credentials.none();
    }
    if (user != null) {
      return new Credentials.Basic(user, password.get());
    }
    return token.<Credentials>map(Credentials.Bearer::new).orElse(Credentials.none());
  }

  // The value, or the first non-blank line of the file; both set is an error.
  private static Optional<String> secret(
      SettingsReader r, Setting<String> direct, Setting<String> fileSetting) {
    String value = r.get(direct);
    String file = r.get(fileSetting);
    if (value != null && file != null) {
      r.problem(fileSetting.key(), file, "unset when " + direct.key() + " is set (one of the two)");
      return Optional.of(value);
    }
    if (value != null) {
      return Optional.of(value);
    }
    if (file == null) {
      return Optional.empty();
    }
    String allowed = "a readable file whose first non-blank line is the secret";
    try {
      String first =
          Files.readAllLines(Path.of(file)).stream()
              .map(String::strip)
              .filter(l -> !l.isEmpty())
              .findFirst()
              .orElse("");
      if (first.isEmpty()) {
        r.problem(fileSetting.key(), file, allowed + " (the file is empty)");
        return Optional.empty();
      }
      return Optional.of(first);
    } catch (IOException | RuntimeException e) {
      r.problem(fileSetting.key(), file, allowed + " (" + e + ")");
      return Optional.empty();
    }
  }

  private static Optional<Path> caFile(SettingsReader r) {
    String file = r.get(CA_FILE);
    if (file == null) {
      return Optional.empty();
    }
    try {
      Tls.context(Optional.of(Path.of(file)), false);
      return Optional.of(Path.of(file));
    } catch (IllegalArgumentException e) {
      r.problem(
          CA_FILE.key(), file, "a readable PEM file of CA certificates (" + e.getMessage() + ")");
      return Optional.empty();
    }
  }

  private static URI httpUrl(String raw) {
    try {
      URI uri = new URI(raw.trim());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw new IllegalArgumentException(
        "an http(s) URL such as http://prometheus:9090/api/v1/write");
  }

  /** The platform's topics under {@link #topicPrefix()}. */
  public Topics topics() {
    return Topics.withPrefix(topicPrefix);
  }

  public Map<String, Object> adminConfig() {
    return clientConfig(KafkaNames.ADMIN);
  }

  public Map<String, Object> producerConfig() {
    return clientConfig(KafkaNames.PRODUCER);
  }

  public Map<String, Object> consumerConfig() {
    return clientConfig(KafkaNames.CONSUMER);
  }

  private Map<String, Object> clientConfig(Set<String> names) {
    Map<String, Object> props = new HashMap<>();
    kafkaProperties.forEach(
        (property, value) -> {
          if (names.contains(property)) {
            props.put(property, value);
          }
        });
    props.put(KAFKA_BOOTSTRAP.kafkaProperty(), kafkaBootstrap);
    return props;
  }

  /** Returns a copy with another bootstrap (the local stack points the sink at its own broker). */
  public PromSinkConfig withKafkaBootstrap(String bootstrap) {
    return new PromSinkConfig(
        bootstrap,
        kafkaProperties,
        url,
        groupId,
        topicPrefix,
        batchSamples,
        requestTimeout,
        retryMaxBackoff,
        metricPrefix,
        createTopics,
        credentials,
        caFile,
        insecureSkipVerify,
        adminAddress,
        identity,
        selfMetrics);
  }

  /** Returns a copy with another admin address (empty: no admin port). */
  public PromSinkConfig withAdminAddress(Optional<InetSocketAddress> address) {
    return new PromSinkConfig(
        kafkaBootstrap,
        kafkaProperties,
        url,
        groupId,
        topicPrefix,
        batchSamples,
        requestTimeout,
        retryMaxBackoff,
        metricPrefix,
        createTopics,
        credentials,
        caFile,
        insecureSkipVerify,
        address,
        identity,
        selfMetrics);
  }

  /** Returns a copy writing to another URL. */
  public PromSinkConfig withUrl(URI remoteWriteUrl) {
    return new PromSinkConfig(
        kafkaBootstrap,
        kafkaProperties,
        remoteWriteUrl,
        groupId,
        topicPrefix,
        batchSamples,
        requestTimeout,
        retryMaxBackoff,
        metricPrefix,
        createTopics,
        credentials,
        caFile,
        insecureSkipVerify,
        adminAddress,
        identity,
        selfMetrics);
  }
}
