package io.fleetstats.kit.settings;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The Kafka client properties a service accepts as {@code FLEETSTATS_KAFKA_<PROPERTY>}, taken from
 * the clients' own config definitions ({@code ProducerConfig.configNames()} …), so a misspelled
 * name or a Kubernetes service-link variable is reported instead of reaching a client.
 *
 * @param clients which clients, for messages: "producer and admin"
 * @param names properties accepted as they are
 * @param prefixed properties accepted behind a prefix ({@code producer.}, {@code topic.} …), as
 *     Kafka Streams takes them
 * @param fixed properties the service sets itself and lets nobody change, each with why (and which
 *     setting to use instead): passing one is an error, not a silent override
 */
public record KafkaNames(
    String clients,
    Set<String> names,
    Map<String, Set<String>> prefixed,
    Map<String, String> fixed) {
  /** Producer properties. */
  public static final Set<String> PRODUCER = ProducerConfig.configNames();

  /** Consumer properties. */
  public static final Set<String> CONSUMER = ConsumerConfig.configNames();

  /** Admin client properties. */
  public static final Set<String> ADMIN = AdminClientConfig.configNames();

  /** Topic-level properties ({@code retention.ms} …), from {@link TopicConfig}'s constants. */
  public static final Set<String> TOPIC = topicConfigNames();

  public KafkaNames {
    names = Set.copyOf(names);
    prefixed = Map.copyOf(prefixed);
    fixed = Map.copyOf(fixed);
  }

  /** Names with prefixed forms, none fixed. */
  public KafkaNames(String clients, Set<String> names, Map<String, Set<String>> prefixed) {
    this(clients, names, prefixed, Map.of());
  }

  /** The same names, with {@code more} properties the service fixes (property → why). */
  public KafkaNames fixing(Map<String, String> more) {
    Map<String, String> all = new java.util.HashMap<>(fixed);
    all.putAll(more);
    return new KafkaNames(clients, names, prefixed, all);
  }

  /** The union of {@code sets}, no prefixes. */
  @SafeVarargs
  public static KafkaNames of(String clients, Set<String>... sets) {
    Set<String> all = new TreeSet<>();
    for (Set<String> s : sets) {
      all.addAll(s);
    }
    return new KafkaNames(clients, all, Map.of());
  }

  /** Whether {@code property} (lower case, dotted) is one the service's clients know. */
  public boolean accepts(String property) {
    if (names.contains(property)) {
      return true;
    }
    for (Map.Entry<String, Set<String>> e : prefixed.entrySet()) {
      if (property.startsWith(e.getKey())
          && e.getValue().contains(property.substring(e.getKey().length()))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The client property behind a prefix ({@code producer.bootstrap.servers} → {@code
   * bootstrap.servers}), or {@code property} itself when no prefix of these names matches.
   */
  public String unprefixed(String property) {
    for (Map.Entry<String, Set<String>> e : prefixed.entrySet()) {
      if (property.startsWith(e.getKey())) {
        String rest = property.substring(e.getKey().length());
        if (e.getValue().contains(rest)) {
          return rest;
        }
      }
    }
    return property;
  }

  /** Every accepted name, prefixed ones included: the candidates for "did you mean". */
  public Set<String> all() {
    Set<String> all = new TreeSet<>(names);
    prefixed.forEach((prefix, set) -> set.forEach(n -> all.add(prefix + n)));
    return all;
  }

  private static Set<String> topicConfigNames() {
    Set<String> out = new TreeSet<>();
    for (Field f : TopicConfig.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers())
          && f.getName().endsWith("_CONFIG")
          && f.getType() == String.class) {
        try {
          out.add((String) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return Set.copyOf(out);
  }
}
