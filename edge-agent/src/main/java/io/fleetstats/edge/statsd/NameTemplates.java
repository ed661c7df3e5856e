package io.fleetstats.edge.statsd;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Graphite-style templates that turn the parts of a bucket name into a measurement, tags and a
 * field, as Telegraf's {@code templates} option does ({@code docs/TEMPLATE_PATTERN.md}, {@code
 * internal/templating}). Pure and immutable once compiled; thread-safe.
 *
 * <p>A template spec is {@code [separator] [filter] <template> [k=v,k2=v2]}:
 *
 * <ul>
 *   <li>{@code template}: parts joined by the separator (default {@code .}); {@code measurement}
 *       and {@code field} take the bucket part at that position, {@code measurement*} and {@code
 *       field*} take every remaining part, any other word names a tag, an empty part skips one;
 *       {@code measurement} must appear, {@code measurement*} and {@code field*} can't both;
 *   <li>{@code filter}: a glob over the bucket's parts ({@code cpu.*}); the most specific filter
 *       wins (exact parts before {@code *}); a spec without a filter replaces the default;
 *   <li>{@code k=v,...}: tags added to every bucket the template matches.
 * </ul>
 *
 * Several parts mapped to the same measurement, field or tag are joined with the joiner (Telegraf's
 * {@code metric_separator}). With no matching template the default {@code measurement*} applies,
 * which splits at {@code .} and joins with the joiner.
 */
public final class NameTemplates {
  private static final String DEFAULT_SEPARATOR = ".";

  /** The result of applying a template to a bucket name. */
  public record Applied(String measurement, Map<String, String> tags, String field) {}

  private record Template(String separator, String[] parts, Map<String, String> tags) {}

  private static final class Node {
    final String value;
    final List<Node> children = new ArrayList<>();
    Template template;

    Node(String value) {
      this.value = value;
    }
  }

  private final String joiner;
  private final Node root = new Node("");
  private String rootSeparator = DEFAULT_SEPARATOR;
  private Template defaultTemplate;
  private final boolean identity;

  private NameTemplates(String joiner, List<String> specs) {
    this.joiner = joiner;
    this.defaultTemplate = new Template(DEFAULT_SEPARATOR, new String[] {"measurement*"}, Map.of());
    List<String[]> parsed = new ArrayList<>();
    for (String spec : specs) {
      String[] fields = spec.trim().split("\\s+");
      if (fields.length == 1 && fields[0].isEmpty()) {
        continue;
      }
      parsed.add(parseSpec(spec, fields));
    }
    // Telegraf sorts specs without a filter first, then by the number of parts; a later spec with
    // the same filter replaces an earlier one. A stable sort keeps the configured order for ties.
    parsed.sort(
        Comparator.<String[]>comparingInt(s -> s[1].isEmpty() ? 0 : 1)
            .thenComparingInt(s -> count(s[2], s[0])));
    for (String[] s : parsed) {
      Template t = template(s[0], s[2], s[3], s[4]);
      if (s[1].isEmpty()) {
        defaultTemplate = t;
        rootSeparator = t.separator();
      } else {
        rootSeparator = t.separator();
        insert(root, split(s[1], t.separator()), 0, t);
      }
    }
    this.identity = parsed.isEmpty() && joiner.equals(DEFAULT_SEPARATOR);
  }

  /** No templates, joiner {@code .}: names pass unchanged. */
  public static NameTemplates none() {
    return new NameTemplates(DEFAULT_SEPARATOR, List.of());
  }

  /**
   * Compiles template specs.
   *
   * @param joiner joins parts mapped to the same measurement, field or tag (Telegraf's {@code
   *     metric_separator})
   * @throws IllegalArgumentException naming the bad spec and what is wrong with it
   */
  public static NameTemplates compile(List<String> specs, String joiner) {
    if (joiner.isEmpty()) {
      throw new IllegalArgumentException("the metric separator must not be empty");
    }
    return new NameTemplates(joiner, specs);
  }

  /** Joins parts mapped to the same measurement, field or tag. */
  public String joiner() {
    return joiner;
  }

  /** True when no template is configured and the joiner is {@code .}: every name passes as is. */
  public boolean isIdentity() {
    return identity;
  }

  /** Applies the best matching template (or the default) to a bucket name. */
  public Applied apply(String name) {
    if (identity) {
      return new Applied(name, Map.of(), "");
    }
    Template t = search(root, split(name, rootSeparator), 0);
    if (t == null) {
      t = defaultTemplate;
    }
    String[] fields = split(name, t.separator());
    List<String> measurement = new ArrayList<>(2);
    List<String> field = new ArrayList<>(1);
    Map<String, List<String>> tagParts = new LinkedHashMap<>();
    t.tags().forEach((k, v) -> tagParts.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    String[] parts = t.parts();
    for (int i = 0; i < parts.length && i < fields.length; i++) {
      String part = parts[i];
      switch (part) {
        case "" -> {}
        case "measurement" -> measurement.add(fields[i]);
        case "field" -> field.add(fields[i]);
        case "measurement*" -> measurement.addAll(List.of(fields).subList(i, fields.length));
        case "field*" -> field.addAll(List.of(fields).subList(i, fields.length));
        default -> tagParts.computeIfAbsent(part, x -> new ArrayList<>()).add(fields[i]);
      }
    }
    Map<String, String> tags = new HashMap<>();
    tagParts.forEach((k, v) -> tags.put(k, String.join(joiner, v)));
    return new Applied(String.join(joiner, measurement), tags, String.join(joiner, field));
  }

  /**
   * {separator, filter, template, tags, spec}, each possibly empty (Telegraf's parseTemplateSpecs).
   */
  private static String[] parseSpec(String spec, String[] parts) {
    String separator = DEFAULT_SEPARATOR;
    String filter = "";
    String template;
    String tags = "";
    switch (parts.length) {
      case 1 -> template = parts[0];
      case 2 -> {
        if (parts[1].contains("=")) {
          template = parts[0];
          tags = parts[1];
        } else {
          filter = parts[0];
          template = parts[1];
        }
      }
      case 3 -> {
        if (parts[2].contains("=")) {
          filter = parts[0];
          template = parts[1];
          tags = parts[2];
        } else {
          separator = parts[0];
          filter = parts[1];
          template = parts[2];
        }
      }
      case 4 -> {
        separator = parts[0];
        filter = parts[1];
        template = parts[2];
        tags = parts[3];
      }
      default ->
          throw new IllegalArgumentException(
              "template '"
                  + spec
                  + "' has "
                  + parts.length
                  + " words; expected [separator] [filter] <template> [k=v,...]");
    }
    return new String[] {separator, filter, template, tags, spec.trim()};
  }

  private static Template template(
      String separator, String pattern, String tagString, String spec) {
    String[] parts = split(pattern, separator);
    boolean measurement = false;
    boolean greedyMeasurement = false;
    boolean greedyField = false;
    for (String p : parts) {
      measurement |= p.startsWith("measurement");
      greedyMeasurement |= p.equals("measurement*");
      greedyField |= p.equals("field*");
    }
    if (!measurement) {
      throw new IllegalArgumentException("template '" + spec + "' names no measurement part");
    }
    if (greedyMeasurement && greedyField) {
      throw new IllegalArgumentException(
          "template '" + spec + "' uses both measurement* and field*; only one is allowed");
    }
    Map<String, String> tags = new TreeMap<>();
    if (!tagString.isEmpty()) {
      for (String kv : tagString.split(",", -1)) {
        int eq = kv.indexOf('=');
        if (eq <= 0 || eq == kv.length() - 1) {
          throw new IllegalArgumentException(
              "template '" + spec + "' has a bad tag '" + kv + "'; expected key=value");
        }
        tags.put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    return new Template(separator, parts, Map.copyOf(tags));
  }

  private static void insert(Node node, String[] filter, int i, Template t) {
    if (i == filter.length) {
      node.template = t;
      return;
    }
    for (Node child : node.children) {
      if (child.value.equals(filter[i])) {
        insert(child, filter, i + 1, t);
        return;
      }
    }
    Node child = new Node(filter[i]);
    node.children.add(child);
    // Exact parts in order, the wildcard last (Telegraf's nodes.Less).
    node.children.sort(
        Comparator.<Node>comparingInt(n -> n.value.equals("*") ? 1 : 0)
            .thenComparing(n -> n.value));
    insert(child, filter, i + 1, t);
  }

  private static Template search(Node node, String[] parts, int i) {
    if (i == parts.length || node.children.isEmpty()) {
      return node.template;
    }
    Node wildcard = null;
    for (Node child : node.children) {
      if (child.value.equals("*")) {
        wildcard = child;
      } else if (child.value.equals(parts[i])) {
        Template t = search(child, parts, i + 1);
        if (t != null) {
          return t;
        }
      }
    }
    if (wildcard != null) {
      return search(wildcard, parts, i + 1);
    }
    return node.template;
  }

  /** Go's strings.Split: keeps empty parts, also trailing ones. */
  static String[] split(String s, String separator) {
    List<String> out = new ArrayList<>();
    int start = 0;
    while (true) {
      int at = s.indexOf(separator, start);
      if (at < 0) {
        out.add(s.substring(start));
        return out.toArray(new String[0]);
      }
      out.add(s.substring(start, at));
      start = at + separator.length();
    }
  }

  private static int count(String s, String separator) {
    return split(s, separator).length - 1;
  }
}
