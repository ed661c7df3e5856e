package io.fleetstats.kit.settings;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A service's table of settings: every key it reads, in the order the docs list them, and which
 * Kafka client properties it passes through ({@code FLEETSTATS_KAFKA_<PROPERTY>}). {@link
 * #markdown()} is the README's settings table and {@link #help()} the {@code --help} text; a test
 * per module fails when the README differs.
 *
 * @param service the service's name, for messages
 * @param settings every setting, in doc order
 * @param kafka the Kafka client properties the service passes through
 */
public record Settings(String service, List<Setting<?>> settings, KafkaNames kafka) {

  /** {@code FLEETSTATS_CONFIG_FILE}: the optional YAML settings file. */
  public static final Setting<String> CONFIG_FILE =
      Setting.string("FLEETSTATS_CONFIG_FILE", null)
          .doc("optional YAML settings file (nested keys join with '_'); the environment wins");

  /**
   * {@code FLEETSTATS_STRICT_CONFIG}: unknown keys and Kafka properties are errors, not warnings.
   */
  public static final Setting<Boolean> STRICT_CONFIG =
      Setting.bool("FLEETSTATS_STRICT_CONFIG", false)
          .doc("unknown FLEETSTATS_* keys and unknown Kafka properties stop the start (exit 2)");

  public Settings {
    settings = List.copyOf(settings);
    // Aliases may be shared (the seed's INTERVAL feeds two settings); keys may not.
    Map<String, Setting<?>> seen = new LinkedHashMap<>();
    for (Setting<?> s : settings) {
      if (seen.put(s.key(), s) != null) {
        throw new IllegalArgumentException(service + " declares " + s.key() + " twice");
      }
    }
  }

  /**
   * A table with {@code settings} plus {@link #CONFIG_FILE} and {@link #STRICT_CONFIG}, which every
   * service reads.
   */
  public static Settings of(
      String service, KafkaNames kafka, Collection<? extends Setting<?>> settings) {
    List<Setting<?>> all = new ArrayList<>(settings);
    all.add(CONFIG_FILE);
    all.add(STRICT_CONFIG);
    return new Settings(service, all, kafka);
  }

  /** Every key read, aliases included. */
  public Set<String> keys() {
    Set<String> keys = new java.util.LinkedHashSet<>();
    settings.forEach(s -> keys.addAll(s.keys()));
    return keys;
  }

  /** The Markdown table of the README: key (and the names also read), default, meaning. */
  public String markdown() {
    StringBuilder b = new StringBuilder("| variable | default | meaning |\n|---|---|---|\n");
    for (Setting<?> s : settings) {
      b.append("| `").append(s.key()).append('`');
      for (String a : s.aliases()) {
        b.append(", `").append(a).append('`');
      }
      b.append(" | ").append(s.shownDefault().equals("-") ? "–" : "`" + s.shownDefault() + "`");
      // '<prefix>' would be taken for an HTML tag and dropped by the renderer
      b.append(" | ").append(s.doc().replace("|", "\\|").replace("<", "&lt;")).append(" |\n");
    }
    b.append("| `FLEETSTATS_KAFKA_<PROPERTY>` | – | any ")
        .append(kafka.clients())
        .append(" client property: `FLEETSTATS_KAFKA_SECURITY_PROTOCOL` → `security.protocol`;")
        .append(" names are checked against the Kafka clients' own definitions |\n");
    return b.toString();
  }

  /** The lines of {@code --help}: key and aliases with the default in brackets, then the doc. */
  public List<String> help() {
    List<String> lines = new ArrayList<>();
    for (Setting<?> s : settings) {
      List<String> names = s.keys();
      lines.add("  " + String.join(", ", names) + " (" + s.shownDefault() + ")");
      wrap(s.doc(), lines);
    }
    lines.add("  FLEETSTATS_KAFKA_<PROPERTY>");
    wrap(
        "any "
            + kafka.clients()
            + " client property, e.g. FLEETSTATS_KAFKA_SECURITY_PROTOCOL for security.protocol",
        lines);
    return lines;
  }

  /** Help lines stay within picocli's 80 columns, so it never breaks them at column 0. */
  private static void wrap(String text, List<String> lines) {
    String indent = "      ";
    StringBuilder line = new StringBuilder(indent);
    for (String word : text.split(" ")) {
      if (line.length() > indent.length() && line.length() + 1 + word.length() > HELP_WIDTH) {
        lines.add(line.toString());
        line = new StringBuilder(indent);
      }
      if (line.length() > indent.length()) {
        line.append(' ');
      }
      line.append(word);
    }
    lines.add(line.toString());
  }

  private static final int HELP_WIDTH = 79;

  /** Opens the README's generated settings table. */
  public static final String README_BEGIN =
      "<!-- settings: generated from the settings table; edit the declarations, then run the module's"
          + " SettingsDocTest with -Dfleetstats.writeDocs=true -->";

  /** Closes it. */
  public static final String README_END = "<!-- /settings -->";

  /**
   * {@code readme} with the text between {@link #README_BEGIN} and {@link #README_END} replaced by
   * {@link #markdown()}: equal to {@code readme} exactly when the README matches the code.
   *
   * @throws IllegalArgumentException when the README has no such block
   */
  public String inReadme(String readme) {
    int begin = readme.indexOf(README_BEGIN);
    int end = readme.indexOf(README_END);
    if (begin < 0 || end < begin) {
      throw new IllegalArgumentException(
          "the README has no " + README_BEGIN + " ... " + README_END + " block");
    }
    return readme.substring(0, begin) + README_BEGIN + "\n" + markdown() + readme.substring(end);
  }
}
