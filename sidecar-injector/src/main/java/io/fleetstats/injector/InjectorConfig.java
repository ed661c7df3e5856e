package io.fleetstats.injector;

import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.kit.settings.ConfigException;
import io.fleetstats.kit.settings.KafkaNames;
import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.Settings;
import io.fleetstats.kit.settings.SettingsReader;
import io.fleetstats.schemas.Topics;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Settings of the sidecar injector (the webhook server) and of its {@code --write-cluster-record}
 * task, read from the environment and validated as a whole at start.
 *
 * @param address where the HTTPS server listens
 * @param tlsCert PEM certificate chain (a Kubernetes TLS Secret's {@code tls.crt})
 * @param tlsKey PEM private key ({@code tls.key}): PKCS#8, PKCS#1 (RSA) or SEC1 (EC)
 * @param reloadInterval how often the certificate files are checked for a change
 * @param sidecar the sidecar definition (the chart's ConfigMap: {@code container}, {@code volumes})
 * @param nativeSidecar inject an init container with {@code restartPolicy: Always} (Kubernetes ≥
 *     1.29) instead of a regular container
 * @param bootstrap Kafka bootstrap servers (cluster record)
 * @param kafka other {@code FLEETSTATS_KAFKA_<PROPERTY>} producer and admin properties
 * @param topicPrefix the topics' prefix (cluster record)
 * @param clusterTags the cluster record's tags
 * @param identity cluster, namespace and pod of this process; the cluster names the record
 */
public record InjectorConfig(
    InetSocketAddress address,
    Path tlsCert,
    Path tlsKey,
    Duration reloadInterval,
    Path sidecar,
    boolean nativeSidecar,
    String bootstrap,
    Map<String, String> kafka,
    String topicPrefix,
    Map<String, String> clusterTags,
    ProcessIdentity identity) {

  /** Like the record's, but Kafka properties by name only: their values may hold passwords. */
  @Override
  public String toString() {
    return io.fleetstats.kit.settings.ConfigStrings.of(this);
  }

  private static final Pattern TOPIC_CHARS = Pattern.compile("[A-Za-z0-9._-]{1,200}");

  public static final Setting<InetSocketAddress> ADDRESS =
      Setting.address("FLEETSTATS_INJECTOR_ADDRESS", new InetSocketAddress("0.0.0.0", 8443))
          .doc("HTTPS host:port of the webhook (/mutate, /healthz)");
  public static final Setting<Path> TLS_CERT =
      Setting.custom(
              "FLEETSTATS_INJECTOR_TLS_CERT",
              Path.of("/etc/fleetstats/tls/tls.crt"),
              "/etc/fleetstats/tls/tls.crt",
              InjectorConfig::path)
          .doc("PEM certificate chain of the webhook (a TLS Secret's tls.crt); reloaded on change");
  public static final Setting<Path> TLS_KEY =
      Setting.custom(
              "FLEETSTATS_INJECTOR_TLS_KEY",
              Path.of("/etc/fleetstats/tls/tls.key"),
              "/etc/fleetstats/tls/tls.key",
              InjectorConfig::path)
          .doc(
              "PEM private key (PKCS#8, PKCS#1 or SEC1; a TLS Secret's tls.key); reloaded on change");
  public static final Setting<Duration> RELOAD_INTERVAL =
      Setting.duration(
              "FLEETSTATS_INJECTOR_RELOAD_INTERVAL", Duration.ofSeconds(10), Duration.ofMillis(10))
          .doc("how often the certificate and key files are checked for a change");
  public static final Setting<Path> SIDECAR =
      Setting.custom(
              "FLEETSTATS_INJECTOR_SIDECAR",
              Path.of("/etc/fleetstats/sidecar/sidecar.yaml"),
              "/etc/fleetstats/sidecar/sidecar.yaml",
              InjectorConfig::path)
          .doc("the sidecar definition (container, volumes) the chart renders into a ConfigMap");
  public static final Setting<Boolean> NATIVE_SIDECAR =
      Setting.bool("FLEETSTATS_INJECTOR_NATIVE_SIDECAR", true)
          .doc(
              "inject a native sidecar (init container, restartPolicy Always; Kubernetes 1.29+)"
                  + " instead of a regular container");
  public static final Setting<String> BOOTSTRAP =
      Setting.string("FLEETSTATS_KAFKA_BOOTSTRAP", "localhost:9092")
          .kafkaProperty("bootstrap.servers")
          .doc("Kafka bootstrap servers (--write-cluster-record)");
  public static final Setting<String> TOPIC_PREFIX =
      Setting.string("FLEETSTATS_TOPIC_PREFIX", Topics.DEFAULT_PREFIX)
          .doc("the record goes to <prefix>.clusters (--write-cluster-record)");
  public static final Setting<Map<String, String>> CLUSTER_TAGS =
      Setting.<Map<String, String>>custom(
              "FLEETSTATS_CLUSTER_TAGS", Map.of(), "(none)", InjectorConfig::tags)
          .doc(
              "the cluster's tags k=v,k2=v2, added by the stream processor to its series"
                  + " (--write-cluster-record)");

  /** Every setting of the injector: the table the README and {@code --help} show. */
  public static final Settings SETTINGS =
      Settings.of(
          "sidecar injector",
          KafkaNames.of("producer and admin", KafkaNames.PRODUCER, KafkaNames.ADMIN)
              .fixing(
                  Map.of(
                      "key.serializer", "the record is serialized by the injector itself",
                      "value.serializer", "the record is serialized by the injector itself")),
          Stream.of(
                  List.<Setting<?>>of(
                      ADDRESS, TLS_CERT, TLS_KEY, RELOAD_INTERVAL, SIDECAR, NATIVE_SIDECAR),
                  List.<Setting<?>>of(BOOTSTRAP, TOPIC_PREFIX, CLUSTER_TAGS),
                  ProcessIdentity.TAG_SETTINGS)
              .flatMap(List::stream)
              .toList());

  public InjectorConfig {
    kafka = Map.copyOf(kafka);
    clusterTags = Map.copyOf(clusterTags);
  }

  /**
   * Reads and validates the settings.
   *
   * @throws ConfigException naming every bad key, its value and what is allowed
   */
  public static InjectorConfig fromEnv(Map<String, String> env) {
    SettingsReader r = SettingsReader.forService(SETTINGS, env);
    InetSocketAddress address = r.get(ADDRESS);
    Path cert = r.get(TLS_CERT);
    Path key = r.get(TLS_KEY);
    Duration reload = r.get(RELOAD_INTERVAL);
    Path sidecar = r.get(SIDECAR);
    boolean nativeSidecar = r.get(NATIVE_SIDECAR);
    String bootstrap = r.get(BOOTSTRAP);
    String prefix = r.get(TOPIC_PREFIX);
    if (prefix != null && !TOPIC_CHARS.matcher(prefix).matches()) {
      r.problem(
          TOPIC_PREFIX.key(),
          prefix,
          "letters, digits, '.', '_' and '-' only (a Kafka topic name)");
    }
    Map<String, String> tags = r.get(CLUSTER_TAGS);
    ProcessIdentity identity = ProcessIdentity.readTags(r);
    Map<String, String> kafka = r.kafkaProperties();
    r.check();
    return new InjectorConfig(
        address,
        cert,
        key,
        reload,
        sidecar,
        nativeSidecar,
        bootstrap,
        kafka,
        prefix,
        tags,
        identity);
  }

  /** Producer and admin client properties of the cluster-record task. */
  public Map<String, Object> kafkaProperties() {
    Map<String, Object> props = new LinkedHashMap<>(kafka);
    props.put(BOOTSTRAP.kafkaProperty(), bootstrap);
    return props;
  }

  private static Path path(String raw) {
    try {
      return Path.of(raw);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("a file path (" + e.getMessage() + ")", e);
    }
  }

  /** {@code k=v,k2=v2}; keys and values trimmed, a key at most once. */
  static Map<String, String> tags(String raw) {
    Map<String, String> tags = new LinkedHashMap<>();
    for (String part : raw.split(",")) {
      if (part.isBlank()) {
        continue;
      }
      int eq = part.indexOf('=');
      String k = eq < 0 ? "" : part.substring(0, eq).trim();
      if (k.isEmpty() || tags.put(k, part.substring(eq + 1).trim()) != null) {
        throw new IllegalArgumentException(
            "tags key=value separated by ',', each key once, e.g. region=eu-west-1,env=prod");
      }
    }
    return tags;
  }
}
