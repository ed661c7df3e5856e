package io.fleetstats.kit.settings;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * One setting, declared once: its environment key (and the seed's names it also answers to), its
 * default, its parser and a one-line doc. The service's config record is read from these, and the
 * README's settings table and {@code --help} are rendered from them, so a default lives in one
 * place only.
 *
 * <p>A parser returns the value or throws {@link IllegalArgumentException} whose message says what
 * is allowed ("an integer from 1 to 1000"); the reader turns that into {@code KEY='value' is
 * invalid: expected ...}.
 *
 * @param key the {@code FLEETSTATS_*} variable (or the seed's name when there is no alternate)
 * @param aliases further variables read when {@code key} is unset, in order (the seed's names)
 * @param defaultValue the value when no variable is set; may be null ("none")
 * @param shownDefault the default as the docs show it
 * @param parser text to value
 * @param doc one line: what it does, with its unit
 * @param kafkaProperty the Kafka client property this setting sets, or null: setting both the
 *     setting and {@code FLEETSTATS_KAFKA_<PROPERTY>} is an error naming both
 * @param secret never echo the value back in an error
 */
public record Setting<T>(
    String key,
    List<String> aliases,
    T defaultValue,
    String shownDefault,
    Function<String, T> parser,
    String doc,
    String kafkaProperty,
    boolean secret) {

  public Setting {
    aliases = List.copyOf(aliases);
  }

  /** Every variable read, {@link #key()} first. */
  public List<String> keys() {
    return aliases.isEmpty()
        ? List.of(key)
        : java.util.stream.Stream.concat(java.util.stream.Stream.of(key), aliases.stream())
            .toList();
  }

  private static <T> Setting<T> of(String key, T def, String shown, Function<String, T> parser) {
    return new Setting<>(key, List.of(), def, shown, parser, "", null, false);
  }

  /** Free text; blank counts as unset. */
  public static Setting<String> string(String key, String def) {
    return of(key, def, def == null ? "-" : def.isEmpty() ? "(empty)" : def, s -> s);
  }

  /** An integer within bounds. */
  public static Setting<Integer> integer(String key, Integer def, int min, int max) {
    return of(
        key,
        def,
        def == null ? "-" : def.toString(),
        raw -> {
          String allowed = "an integer from " + min + " to " + max;
          try {
            int v = Integer.parseInt(raw);
            if (v < min || v > max) {
              throw new IllegalArgumentException(allowed);
            }
            return v;
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(allowed, e);
          }
        });
  }

  /** {@code true/yes/1/on} or {@code false/no/0/off}, any case. */
  public static Setting<Boolean> bool(String key, Boolean def) {
    return of(key, def, def == null ? "-" : def.toString(), Setting::parseBool);
  }

  /**
   * A duration ({@code 500ms}, {@code 10s}, {@code 1m}, {@code 2h}, {@code 7d}) of at least {@code
   * min}.
   */
  public static Setting<Duration> duration(String key, Duration def, Duration min) {
    return of(
        key,
        def,
        def == null ? "-" : Durations.format(def),
        raw -> {
          Duration d;
          try {
            d = Durations.parse(raw);
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a duration such as 500ms, 10s, 1m", e);
          }
          if (d.compareTo(min) < 0) {
            throw new IllegalArgumentException("at least " + Durations.format(min));
          }
          return d;
        });
  }

  /** {@code host:port}; an empty host means all interfaces, port 0 any free port. */
  public static Setting<InetSocketAddress> address(String key, InetSocketAddress def) {
    return of(key, def, def == null ? "-" : show(def), Setting::parseAddress);
  }

  /**
   * Like {@link #address}, but {@code off} or {@code none} (any case) switches the listener off.
   */
  public static Setting<Optional<InetSocketAddress>> optionalAddress(
      String key, InetSocketAddress def) {
    return of(
        key,
        Optional.ofNullable(def),
        def == null ? "off" : show(def),
        raw ->
            raw.equalsIgnoreCase("off") || raw.equalsIgnoreCase("none")
                ? Optional.empty()
                : Optional.of(parseAddress(raw)));
  }

  /**
   * A size: {@code 8388608}, {@code 512KiB}, {@code 8MiB}, {@code 1GiB} (KB/MB/GB are binary too).
   */
  public static Setting<Long> bytes(String key, Long def, long min) {
    return of(key, def, def == null ? "-" : showBytes(def), raw -> parseBytes(raw, min));
  }

  /** One of an enum's constants, any case. */
  public static <E extends Enum<E>> Setting<E> oneOf(String key, E def, Class<E> type) {
    List<String> names =
        java.util.Arrays.stream(type.getEnumConstants())
            .map(e -> e.name().toLowerCase(Locale.ROOT))
            .toList();
    return of(
        key,
        def,
        def == null ? "-" : def.name().toLowerCase(Locale.ROOT),
        raw -> {
          try {
            return Enum.valueOf(type, raw.toUpperCase(Locale.ROOT));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                String.join(", ", names.subList(0, names.size() - 1))
                    + " or "
                    + names.get(names.size() - 1),
                e);
          }
        });
  }

  /** A value of any type, parsed by {@code parser}. */
  public static <T> Setting<T> custom(String key, T def, String shown, Function<String, T> parser) {
    return of(key, def, shown, parser);
  }

  /** The seed's (or other) names read, in order, when {@link #key()} is unset. */
  public Setting<T> aliases(String... more) {
    return new Setting<>(
        key, List.of(more), defaultValue, shownDefault, parser, doc, kafkaProperty, secret);
  }

  /** The one-line doc. */
  public Setting<T> doc(String text) {
    return new Setting<>(
        key, aliases, defaultValue, shownDefault, parser, text, kafkaProperty, secret);
  }

  /** How the docs show the default, when the value itself does not say it ("the host name"). */
  public Setting<T> shownDefault(String text) {
    return new Setting<>(key, aliases, defaultValue, text, parser, doc, kafkaProperty, secret);
  }

  /** The Kafka client property this setting sets. */
  public Setting<T> kafkaProperty(String property) {
    return new Setting<>(key, aliases, defaultValue, shownDefault, parser, doc, property, secret);
  }

  /** Never echo the value in an error. */
  public Setting<T> asSecret() {
    return new Setting<>(
        key, aliases, defaultValue, shownDefault, parser, doc, kafkaProperty, true);
  }

  static boolean parseBool(String raw) {
    switch (raw.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on":
        return true;
      case "false", "no", "0", "off":
        return false;
      default:
        throw new IllegalArgumentException("true or false");
    }
  }

  static InetSocketAddress parseAddress(String raw) {
    int colon = raw.lastIndexOf(':');
    try {
      int port = Integer.parseInt(raw.substring(colon + 1));
      if (port < 0 || port > 65535) {
        throw new NumberFormatException();
      }
      String host = colon <= 0 ? "0.0.0.0" : raw.substring(0, colon);
      return new InetSocketAddress(host, port);
    } catch (NumberFormatException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("host:port, e.g. 127.0.0.1:8125 or :8125", e);
    }
  }

  static long parseBytes(String raw, long min) {
    String t = raw.strip().toUpperCase(Locale.ROOT).replace(" ", "");
    long unit = 1;
    String[][] units = {
      {"KIB", "10"},
      {"MIB", "20"},
      {"GIB", "30"},
      {"KB", "10"},
      {"MB", "20"},
      {"GB", "30"},
      {"K", "10"},
      {"M", "20"},
      {"G", "30"},
      {"B", "0"}
    };
    for (String[] u : units) {
      if (t.endsWith(u[0])) {
        unit = 1L << Integer.parseInt(u[1]);
        t = t.substring(0, t.length() - u[0].length());
        break;
      }
    }
    long v;
    try {
      v = Math.multiplyExact(Long.parseLong(t), unit);
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("a size in bytes, e.g. 8388608, 512KiB, 8MiB, 1GiB", e);
    }
    if (v < min) {
      throw new IllegalArgumentException("at least " + min + " bytes");
    }
    return v;
  }

  private static String show(InetSocketAddress a) {
    String host = a.getHostString();
    return (host.equals("0.0.0.0") ? "" : host) + ":" + a.getPort();
  }

  private static String showBytes(long b) {
    if (b % (1L << 30) == 0) {
      return (b >> 30) + "GiB";
    }
    if (b % (1L << 20) == 0) {
      return (b >> 20) + "MiB";
    }
    if (b % (1L << 10) == 0) {
      return (b >> 10) + "KiB";
    }
    return Long.toString(b);
  }
}
