package io.fleetstats.kit.settings;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a service's settings from its environment ({@code System.getenv()} in production, a plain
 * map in tests) and the optional YAML file named by {@code FLEETSTATS_CONFIG_FILE} (the environment
 * wins). Problems are collected, not thrown one by one, so that {@link #check()} reports every bad
 * key at once with its value and what is allowed.
 *
 * <p>Made {@link #forService for a service}, it also knows the service's {@link Settings} table: an
 * unknown {@code FLEETSTATS_*} key is reported naming the nearest known one (a warning, or an error
 * with {@code FLEETSTATS_STRICT_CONFIG=true}); {@code FLEETSTATS_KAFKA_<PROPERTY>} names are
 * checked against the Kafka clients' own definitions, and one that is not a property is reported
 * and ignored; a property set both by a setting and as {@code FLEETSTATS_KAFKA_<PROPERTY>} is an
 * error naming both, and so is a prefixed form of it ({@code producer.bootstrap.servers}), which
 * would give one client another value. Variables Kubernetes adds for a Service (e.g. {@code
 * FLEETSTATS_KAFKA_SERVICE_HOST}, {@code FLEETSTATS_KAFKA_PORT_9092_TCP} for a Service named {@code
 * fleetstats-kafka}) are recognised as such and ignored.
 */
public final class SettingsReader {
  /** Prefix of our own keys. */
  public static final String PREFIX = "FLEETSTATS_";

  /** Prefix of Kafka client properties passed through: {@code FLEETSTATS_KAFKA_SASL_MECHANISM}. */
  public static final String KAFKA_PREFIX = "FLEETSTATS_KAFKA_";

  private static final Logger log = LoggerFactory.getLogger(SettingsReader.class);

  private final Map<String, String> env;
  private final Settings table;
  private final List<Settings> alsoKnown;
  private final List<String> problems = new ArrayList<>();
  private final List<String> warnings = new ArrayList<>();

  /** A reader of {@code env} alone: no table, so no key is unknown. */
  public SettingsReader(Map<String, String> env) {
    this(env, null, List.of());
  }

  private SettingsReader(Map<String, String> env, Settings table, List<Settings> alsoKnown) {
    this.env = Map.copyOf(env);
    this.table = table;
    this.alsoKnown = List.copyOf(alsoKnown);
  }

  /**
   * The reader of one service: its environment merged with its settings file.
   *
   * @param alsoKnown tables of services that share this environment (the local stack runs all of
   *     them in one process): their keys and Kafka properties are not reported as unknown here
   */
  public static SettingsReader forService(
      Settings table, Map<String, String> env, Settings... alsoKnown) {
    Map<String, String> merged = new HashMap<>();
    env.forEach(
        (k, v) -> {
          if (k != null && v != null) {
            merged.put(k, v);
          }
        });
    SettingsReader probe = new SettingsReader(merged, table, List.of(alsoKnown));
    List<String> fileProblems = new ArrayList<>();
    String file = probe.string(null, Settings.CONFIG_FILE.key());
    if (file != null) {
      ConfigFile.read(
              Path.of(file),
              k -> probe.isKnown(k) || k.startsWith(KAFKA_PREFIX),
              probe::nearestKey,
              fileProblems)
          .forEach(merged::putIfAbsent);
    }
    SettingsReader reader = new SettingsReader(merged, table, List.of(alsoKnown));
    fileProblems.forEach(reader::problem);
    return reader;
  }

  /**
   * The value of {@code setting}: from its keys, else (for one that sets a Kafka property) from
   * {@code FLEETSTATS_KAFKA_<PROPERTY>}, else its default. A bad value is recorded as a problem and
   * the default returned.
   */
  public <T> T get(Setting<T> setting) {
    String raw = string(null, setting.keys().toArray(String[]::new));
    String from = setting.key();
    if (raw == null && setting.kafkaProperty() != null) {
      from = kafkaKey(setting.kafkaProperty());
      raw = string(null, from);
    }
    if (raw == null) {
      return setting.defaultValue();
    }
    try {
      return setting.parser().apply(raw);
    } catch (IllegalArgumentException e) {
      problem(from, setting.secret() ? "<hidden>" : raw, e.getMessage());
      return setting.defaultValue();
    }
  }

  /** Whether any of {@code setting}'s keys is set (not blank). */
  public boolean isSet(Setting<?> setting) {
    return string(null, setting.keys().toArray(String[]::new)) != null;
  }

  /** The first non-blank value among {@code keys}, else {@code fallback}. */
  public String string(String fallback, String... keys) {
    for (String key : keys) {
      String v = env.get(key);
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return fallback;
  }

  public Duration duration(Duration fallback, Duration min, String... keys) {
    return get(Setting.duration(keys[0], fallback, min).aliases(rest(keys)));
  }

  public int integer(int fallback, int min, int max, String... keys) {
    return get(Setting.integer(keys[0], fallback, min, max).aliases(rest(keys)));
  }

  public boolean bool(boolean fallback, String... keys) {
    return get(Setting.bool(keys[0], fallback).aliases(rest(keys)));
  }

  /** {@code host:port} (host may be empty for all interfaces, port 0 for any free port). */
  public InetSocketAddress address(InetSocketAddress fallback, String... keys) {
    return get(Setting.address(keys[0], fallback).aliases(rest(keys)));
  }

  /**
   * Like {@link #address}, but {@code off} or {@code none} (any case) turns the listener off:
   * empty. Unset gives {@code fallback} (empty when it is null).
   */
  public Optional<InetSocketAddress> optionalAddress(InetSocketAddress fallback, String... keys) {
    return get(Setting.optionalAddress(keys[0], fallback).aliases(rest(keys)));
  }

  private static String[] rest(String[] keys) {
    return java.util.Arrays.copyOfRange(keys, 1, keys.length);
  }

  /**
   * Kafka client properties passed through as {@code FLEETSTATS_KAFKA_<PROPERTY>}: underscores
   * become dots and the name is lower-cased ({@code FLEETSTATS_KAFKA_SECURITY_PROTOCOL} → {@code
   * security.protocol}). Keys of the table's own settings ({@code FLEETSTATS_KAFKA_BOOTSTRAP}),
   * properties a setting owns (also behind a client prefix such as {@code producer.}), service-link
   * variables and (with a table) names that are not properties of the service's clients are left
   * out; {@link #check()} reports the last ones.
   */
  public Map<String, String> kafkaProperties() {
    Map<String, String> props = new TreeMap<>();
    Set<String> owned = new HashSet<>();
    if (table != null) {
      table
          .settings()
          .forEach(
              s -> {
                if (s.kafkaProperty() != null) {
                  owned.add(s.kafkaProperty());
                }
              });
    }
    Set<String> links = serviceLinks();
    env.forEach(
        (k, v) -> {
          if (!k.startsWith(KAFKA_PREFIX) || links.contains(k) || isOwnKey(k)) {
            return;
          }
          String property = property(k);
          if (k.equals(KAFKA_PREFIX + "BOOTSTRAP") || owned.contains(property)) {
            return;
          }
          // A prefixed form (producer.bootstrap.servers) would give one client another value
          // than the setting gives the others; check() reports it.
          if (table != null && owned.contains(table.kafka().unprefixed(property))) {
            return;
          }
          if (table != null && table.kafka().fixed().containsKey(property)) {
            return; // check() reports it
          }
          if (table == null || table.kafka().accepts(property)) {
            props.put(property, v);
          }
        });
    return props;
  }

  /**
   * The Kafka property {@code FLEETSTATS_KAFKA_<PROPERTY>} names: {@code
   * FLEETSTATS_KAFKA_SECURITY_PROTOCOL} → {@code security.protocol}.
   */
  public static String property(String key) {
    return key.substring(KAFKA_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.');
  }

  private static String kafkaKey(String property) {
    return KAFKA_PREFIX + property.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  /** Records a problem with {@code key}: its bad value and what is allowed. */
  public void problem(String key, String value, String allowed) {
    problems.add(key + "='" + value + "' is invalid: expected " + allowed);
  }

  /** Records a free-form problem. */
  public void problem(String message) {
    problems.add(message);
  }

  /** What {@link #check()} reports as warnings (unknown keys and properties, unless strict). */
  public List<String> warnings() {
    return List.copyOf(warnings);
  }

  /**
   * Reports what the table does not know (logged as warnings, or problems when {@code
   * FLEETSTATS_STRICT_CONFIG=true}), then fails when there is any problem.
   *
   * @throws ConfigException listing every problem found
   */
  public void check() {
    if (table != null) {
      boolean strict = get(Settings.STRICT_CONFIG);
      List<String> unknown = unknownKeys();
      if (strict) {
        unknown.forEach(u -> problems.add(u + " (FLEETSTATS_STRICT_CONFIG=true)"));
      } else {
        for (String u : unknown) {
          warnings.add(u);
          log.warn("{}", u);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }

  private List<String> unknownKeys() {
    List<String> out = new ArrayList<>();
    Set<String> links = serviceLinks();
    Map<String, String> sorted = new TreeMap<>(env);
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      String k = e.getKey();
      if (!k.startsWith(PREFIX) || links.contains(k) || isKnown(k)) {
        continue;
      }
      if (k.startsWith(KAFKA_PREFIX)) {
        String property = property(k);
        Setting<?> owner = owner(property);
        Setting<?> behindPrefix = owner == null ? owner(table.kafka().unprefixed(property)) : null;
        String fixedWhy = table.kafka().fixed().get(property);
        if (fixedWhy != null) {
          problems.add(
              k
                  + " cannot be changed: the "
                  + table.service()
                  + " sets "
                  + property
                  + " itself ("
                  + fixedWhy
                  + ")");
        } else if (owner != null && isSet(owner)) {
          problems.add(
              k
                  + " and "
                  + owner.key()
                  + " both set the Kafka property "
                  + property
                  + "; keep one of them");
        } else if (behindPrefix != null) {
          // The setting always has a value (its default at least), so this is a second way.
          problems.add(
              k
                  + " would set "
                  + behindPrefix.kafkaProperty()
                  + " for one client only ("
                  + property
                  + "); "
                  + behindPrefix.key()
                  + " sets it for every client: use that");
        } else if (owner == null && !acceptedSomewhere(property)) {
          String near = nearest(property, table.kafka().all());
          out.add(
              k
                  + " is not a Kafka "
                  + table.kafka().clients()
                  + " property ('"
                  + property
                  + "'); ignored"
                  + (near == null ? "" : ". Did you mean " + kafkaKey(near) + " (" + near + ")?"));
        }
        continue;
      }
      String near = nearestKey(k);
      out.add(
          "unknown setting "
              + k
              + " is ignored"
              + (near == null
                  ? "; see --help for the " + table.service() + "'s settings"
                  : ". Did you mean " + near + "?"));
    }
    return out;
  }

  private Setting<?> owner(String property) {
    for (Setting<?> s : table.settings()) {
      if (property.equals(s.kafkaProperty())) {
        return s;
      }
    }
    return null;
  }

  private boolean acceptedSomewhere(String property) {
    if (table.kafka().accepts(property)) {
      return true;
    }
    for (Settings other : alsoKnown) {
      if (other.kafka().accepts(property)) {
        return true;
      }
    }
    return false;
  }

  private boolean isOwnKey(String key) {
    return table != null && table.keys().contains(key);
  }

  /** Whether {@code key} is read by this service or by one it shares its environment with. */
  boolean isKnown(String key) {
    if (table == null || table.keys().contains(key)) {
      return true;
    }
    for (Settings other : alsoKnown) {
      if (other.keys().contains(key)) {
        return true;
      }
    }
    return false;
  }

  /** The known key nearest to {@code key}, or null when none is close. */
  String nearestKey(String key) {
    Set<String> keys = new HashSet<>(table == null ? Set.of() : table.keys());
    alsoKnown.forEach(o -> keys.addAll(o.keys()));
    keys.removeIf(k -> !k.startsWith(PREFIX));
    return nearest(key, keys);
  }

  private static String nearest(String word, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(word, c);
      if (d < bestDistance || (d == bestDistance && best != null && c.compareTo(best) < 0)) {
        best = c;
        bestDistance = d;
      }
    }
    // Close: a few edits, or a third of the name (long names take longer typos).
    return best != null && bestDistance <= Math.max(3, word.length() / 3) ? best : null;
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /**
   * Variables Kubernetes sets for every Service in the namespace (docker-link style): for a Service
   * {@code fleetstats-kafka}, {@code FLEETSTATS_KAFKA_SERVICE_HOST}, {@code
   * FLEETSTATS_KAFKA_SERVICE_PORT[_<NAME>]}, {@code FLEETSTATS_KAFKA_PORT} and {@code
   * FLEETSTATS_KAFKA_PORT_<N>_<PROTO>[_PROTO|_PORT|_ADDR]}. Recognised by the family, not by the
   * shape alone: only when the {@code _SERVICE_HOST} of the same prefix is set too.
   */
  private Set<String> serviceLinks() {
    Set<String> out = new HashSet<>();
    for (String k : env.keySet()) {
      if (k.startsWith("FLEETSTATS") && k.endsWith("_SERVICE_HOST")) {
        String service = k.substring(0, k.length() - "_SERVICE_HOST".length());
        for (String other : env.keySet()) {
          if (other.equals(k)
              || other.startsWith(service + "_SERVICE_PORT")
              || other.equals(service + "_PORT")
              || other.matches(
                  java.util.regex.Pattern.quote(service)
                      + "_PORT_\\d+_(TCP|UDP|SCTP)(_(PROTO|PORT|ADDR))?")) {
            out.add(other);
          }
        }
      }
    }
    return out;
  }
}
