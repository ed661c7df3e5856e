package io.fleetstats.kit.settings;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Reads service settings from an environment map ({@code System.getenv()} in production, a plain
 * map in tests). Problems are collected, not thrown one by one, so that {@link #check()} can report
 * every bad key at once with its value and what is allowed.
 */
public final class EnvReader {
  /** Prefix of our own keys. */
  public static final String PREFIX = "FLEETSTATS_";
  /** Prefix of Kafka client properties passed through: {@code FLEETSTATS_KAFKA_SASL_MECHANISM}. */
  public static final String KAFKA_PREFIX = "FLEETSTATS_KAFKA_";

  private final Map<String, String> env;
  private final List<String> problems = new ArrayList<>();

  public EnvReader(Map<String, String> env) {
    this.env = Map.copyOf(env);
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
    String raw = string(null, keys);
    if (raw == null) {
      return fallback;
    }
    try {
      Duration d = Durations.parse(raw);
      if (d.compareTo(min) < 0) {
        problem(keys[0], raw, "at least " + Durations.format(min));
        return fallback;
      }
      return d;
    } catch (IllegalArgumentException e) {
      problem(keys[0], raw, "a duration such as 500ms, 10s, 1m");
      return fallback;
    }
  }

  public int integer(int fallback, int min, int max, String... keys) {
    String raw = string(null, keys);
    if (raw == null) {
      return fallback;
    }
    try {
      int v = Integer.parseInt(raw);
      if (v < min || v > max) {
        problem(keys[0], raw, "an integer from " + min + " to " + max);
        return fallback;
      }
      return v;
    } catch (NumberFormatException e) {
      problem(keys[0], raw, "an integer from " + min + " to " + max);
      return fallback;
    }
  }

  public boolean bool(boolean fallback, String... keys) {
    String raw = string(null, keys);
    if (raw == null) {
      return fallback;
    }
    switch (raw.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on":
        return true;
      case "false", "no", "0", "off":
        return false;
      default:
        problem(keys[0], raw, "true or false");
        return fallback;
    }
  }

  /** {@code host:port} (host may be empty for all interfaces, port 0 for any free port). */
  public InetSocketAddress address(InetSocketAddress fallback, String... keys) {
    String raw = string(null, keys);
    if (raw == null) {
      return fallback;
    }
    int colon = raw.lastIndexOf(':');
    try {
      int port = Integer.parseInt(raw.substring(colon + 1));
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      String host = colon <= 0 ? "0.0.0.0" : raw.substring(0, colon);
      return new InetSocketAddress(host, port);
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      problem(keys[0], raw, "host:port, e.g. 127.0.0.1:8125 or :8125");
      return fallback;
    }
  }

  /**
   * Like {@link #address}, but {@code off} or {@code none} (any case) turns the listener off:
   * empty. Unset gives {@code fallback} (empty when it is null).
   */
  public Optional<InetSocketAddress> optionalAddress(InetSocketAddress fallback, String... keys) {
    String raw = string(null, keys);
    if (raw != null && (raw.equalsIgnoreCase("off") || raw.equalsIgnoreCase("none"))) {
      return Optional.empty();
    }
    return Optional.ofNullable(address(fallback, keys));
  }

  /**
   * Kafka client properties passed through as {@code FLEETSTATS_KAFKA_<PROPERTY>}: underscores
   * become dots and the name is lower-cased ({@code FLEETSTATS_KAFKA_SECURITY_PROTOCOL} →
   * {@code security.protocol}). {@code FLEETSTATS_KAFKA_BOOTSTRAP} is read separately.
   */
  public Map<String, String> kafkaProperties() {
    Map<String, String> props = new TreeMap<>();
    env.forEach(
        (k, v) -> {
          if (k.startsWith(KAFKA_PREFIX) && !k.equals(KAFKA_PREFIX + "BOOTSTRAP")) {
            props.put(k.substring(KAFKA_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
          }
        });
    return props;
  }

  /** Records a problem with {@code key}: its bad value and what is allowed. */
  public void problem(String key, String value, String allowed) {
    problems.add(key + "='" + value + "' is invalid: expected " + allowed);
  }

  /** Records a free-form problem. */
  public void problem(String message) {
    problems.add(message);
  }

  /** @throws ConfigException listing every problem found so far */
  public void check() {
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }
}
