package io.fleetstats.stream.rollup;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One roll-up rule: which tags a roll-up series forgets ({@code drop}) or keeps ({@code keep}).
 * Every per-source series is rolled up by every rule: its tags minus the forgotten ones (plus
 * {@code rollup=<name>}) name the roll-up series it merges into.
 *
 * <p>Syntax ({@code FLEETSTATS_ROLLUPS}): rules separated by {@code ;}, each {@code
 * <name>:drop=<tag>,<tag>...} or {@code <name>:keep=<tag>,<tag>...}, e.g. {@code
 * app:drop=pod_name,node;fleet:drop=pod_name,node,cluster}. The pseudo-tag {@code node} stands for
 * the Wavefront source of per-pod series (the node). {@code metric_type} is always kept; {@code
 * keep} lists what survives besides it.
 *
 * <p>The roll-up's Wavefront {@code source} is the node when the rule keeps it, else the cluster
 * when it keeps {@code cluster}, else {@value #FLEET_SOURCE}.
 *
 * @param name rule name, written as tag {@code rollup=<name>} on its series
 * @param keep true for a keep-list, false for a drop-list
 * @param tags the tags listed
 */
public record RollupRule(String name, boolean keep, Set<String> tags) {
  /** The tag that marks roll-up series, valued with the rule name. */
  public static final String ROLLUP_TAG = "rollup";

  /** The pseudo-tag for the per-pod series' source (the node). */
  public static final String NODE = "node";

  /** Source of roll-ups that keep neither node nor cluster. */
  public static final String FLEET_SOURCE = "fleet";

  public RollupRule {
    tags = Set.copyOf(tags);
  }

  /** Whether this rule's roll-ups keep tag (or pseudo-tag {@code node}) {@code tag}. */
  public boolean keeps(String tag) {
    if (tag.equals("metric_type")) {
      return true;
    }
    return keep == tags.contains(tag);
  }

  /**
   * The roll-up series of a per-source series: its Wavefront source and its tags (sorted, with
   * {@code rollup=<name>}).
   */
  public Target target(String node, Map<String, String> seriesTags) {
    TreeMap<String, String> out = new TreeMap<>();
    for (Map.Entry<String, String> t : seriesTags.entrySet()) {
      // metric_type is part of the id already and leads the aggregate's tags
      if (keeps(t.getKey()) && !t.getKey().equals("metric_type")) {
        out.put(t.getKey(), t.getValue());
      }
    }
    out.put(ROLLUP_TAG, name);
    String source;
    if (keeps(NODE)) {
      source = node;
    } else if (out.containsKey("cluster")) {
      source = out.get("cluster");
    } else {
      source = FLEET_SOURCE;
    }
    return new Target(source, out);
  }

  /** Where a per-source series rolls up to under one rule. */
  public record Target(String source, TreeMap<String, String> tags) {
    /** The roll-up series id, also its Kafka key: {@code rollup/<source>|<name>|<type>|k=v,...}. */
    public String id(String name, String metricType) {
      StringBuilder b =
          new StringBuilder("rollup/")
              .append(source)
              .append('|')
              .append(name)
              .append('|')
              .append(metricType)
              .append('|');
      boolean first = true;
      for (Map.Entry<String, String> t : tags.entrySet()) {
        if (!first) {
          b.append(',');
        }
        b.append(t.getKey()).append('=').append(t.getValue());
        first = false;
      }
      return b.toString();
    }
  }

  /**
   * Parses {@code FLEETSTATS_ROLLUPS}.
   *
   * @return the rules in order; empty for a blank value
   * @throws IllegalArgumentException naming the bad rule and what is allowed
   */
  public static List<RollupRule> parse(String raw) {
    List<RollupRule> rules = new ArrayList<>();
    if (raw == null || raw.isBlank()) {
      return rules;
    }
    Set<String> names = new HashSet<>();
    for (String part : raw.split(";")) {
      String rule = part.trim();
      if (rule.isEmpty()) {
        continue;
      }
      int colon = rule.indexOf(':');
      int eq = rule.indexOf('=');
      if (colon <= 0 || eq < colon) {
        throw new IllegalArgumentException(
            "rule '" + rule + "' is not <name>:drop=<tag>,... or <name>:keep=<tag>,...");
      }
      String name = rule.substring(0, colon).trim();
      String mode = rule.substring(colon + 1, eq).trim();
      if (!name.matches("[A-Za-z0-9_.-]+")) {
        throw new IllegalArgumentException(
            "rule name '" + name + "' may hold letters, digits, '.', '_' and '-' only");
      }
      if (!names.add(name)) {
        throw new IllegalArgumentException("rule name '" + name + "' is used twice");
      }
      if (!mode.equals("drop") && !mode.equals("keep")) {
        throw new IllegalArgumentException(
            "rule '" + name + "': '" + mode + "' is neither drop nor keep");
      }
      Set<String> tags = new LinkedHashSet<>();
      for (String t : rule.substring(eq + 1).split(",")) {
        String tag = t.trim();
        if (tag.isEmpty()) {
          continue;
        }
        if (tag.equals("metric_type") || tag.equals(ROLLUP_TAG)) {
          throw new IllegalArgumentException(
              "rule '" + name + "': tag '" + tag + "' cannot be listed (always kept or set)");
        }
        tags.add(tag);
      }
      if (mode.equals("drop") && tags.isEmpty()) {
        throw new IllegalArgumentException("rule '" + name + "' drops no tag");
      }
      rules.add(new RollupRule(name, mode.equals("keep"), tags));
    }
    return rules;
  }

  /** The rule in {@code FLEETSTATS_ROLLUPS} syntax. */
  @Override
  public String toString() {
    return name
        + ":"
        + (keep ? "keep=" : "drop=")
        + String.join(",", new java.util.TreeSet<>(tags));
  }
}
