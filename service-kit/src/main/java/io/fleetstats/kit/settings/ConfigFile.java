package io.fleetstats.kit.settings;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The optional YAML settings file ({@code FLEETSTATS_CONFIG_FILE}), read into the same keys as the
 * environment: nested keys are joined with {@code _}, {@code .} and {@code -} become {@code _},
 * upper-cased and prefixed with {@code FLEETSTATS_}, so
 *
 * <pre>
 * statsd:
 *   tcp_address: ":8125"
 *   templates: ["cpu.* measurement.measurement.host"]
 * flush_interval: 1s
 * kafka:
 *   bootstrap: kafka:9092
 *   security.protocol: SASL_SSL
 * </pre>
 *
 * gives {@code FLEETSTATS_STATSD_TCP_ADDRESS}, {@code FLEETSTATS_STATSD_TEMPLATES} (a list is
 * joined with new lines), {@code FLEETSTATS_FLUSH_INTERVAL}, {@code FLEETSTATS_KAFKA_BOOTSTRAP} and
 * the Kafka property {@code security.protocol}. The environment wins over the file.
 */
public final class ConfigFile {
  /** The environment variable naming the file. */
  public static final String KEY = "FLEETSTATS_CONFIG_FILE";

  private ConfigFile() {}

  /**
   * @param known which flattened keys exist ({@code FLEETSTATS_KAFKA_*} always passes)
   * @param problems where unreadable files and unknown keys are reported
   * @return the file's settings as environment keys, empty when it cannot be read
   */
  public static Map<String, String> read(
      Path file, Predicate<String> known, UnaryOperator<String> nearest, List<String> problems) {
    Map<String, String> out = new TreeMap<>();
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
    } catch (IOException e) {
      problems.add(
          KEY + "='" + file + "' cannot be read: " + e.getMessage().lines().findFirst().orElse(""));
      return out;
    }
    if (root == null || root.isMissingNode() || root.isNull()) {
      return out;
    }
    if (!root.isObject()) {
      problems.add(KEY + "='" + file + "' is invalid: expected a YAML mapping of settings");
      return out;
    }
    flatten("", root, out, problems, file);
    List<String> unknown = new ArrayList<>();
    for (String key : out.keySet()) {
      if (!known.test(key) && !key.startsWith("FLEETSTATS_KAFKA_")) {
        unknown.add(key);
      }
    }
    for (String key : unknown) {
      String near = nearest.apply(key);
      problems.add(
          "unknown setting "
              + key
              + " in "
              + file
              + " (from its YAML key path)"
              + (near == null ? "; see --help for the keys" : "; did you mean " + near + "?"));
      out.remove(key);
    }
    return out;
  }

  private static void flatten(
      String prefix, JsonNode node, Map<String, String> out, List<String> problems, Path file) {
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      String part = f.getKey().toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
      String key = prefix.isEmpty() ? "FLEETSTATS_" + part : prefix + "_" + part;
      JsonNode v = f.getValue();
      if (v.isObject()) {
        flatten(key, v, out, problems, file);
      } else if (v.isArray()) {
        List<String> items = new ArrayList<>();
        for (JsonNode item : v) {
          if (item.isContainerNode()) {
            problems.add(key + " in " + file + " is invalid: expected a list of plain values");
          } else {
            items.add(item.asText());
          }
        }
        out.put(key, String.join("\n", items));
      } else if (!v.isNull()) {
        out.put(key, v.asText());
      }
    }
  }
}
