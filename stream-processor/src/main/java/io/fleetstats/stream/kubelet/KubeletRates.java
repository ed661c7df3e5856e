package io.fleetstats.stream.kubelet;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.KubeletEntity;
import io.fleetstats.schemas.KubeletSummary;
import io.fleetstats.schemas.Sources;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Turns consecutive kubelet summaries of one node into {@link Aggregate}s named as
 * wavefront-collector (and, with prefix {@code heapster.}, the seed's heapster) named them: {@code
 * <prefix><type>.<group>.<field>}, e.g. {@code kubernetes.pod.cpu.usage_rate}, {@code
 * kubernetes.node.memory.working_set}, {@code kubernetes.pod_container.filesystem.usage}, {@code
 * kubernetes.pod.uptime}. Pure: summaries in, aggregates out. One aggregate per entity and group,
 * {@code verbatim} (a sink keeps the underscores).
 *
 * <p>Rates, from cumulative counters between two summaries of the same entity (same pod uid):
 * {@code cpu.usage_rate} in millicores = Δ{@code usageCoreNanoSeconds} / Δns × 1000; the other
 * {@code *_rate} fields per second. Δ time is the two stats blocks' own {@code time} when both have
 * one and it advanced, else the two scrape times. No rate on an entity's first summary, or when a
 * counter went down (a container restarted: counted as a reset, the new value is the baseline).
 */
public final class KubeletRates {
  /** One kubelet field → our group and field. */
  private record Name(String group, String field, double scale) {}

  private static final Map<String, Name> NAMES = names();

  private static Map<String, Name> names() {
    Map<String, Name> m = new LinkedHashMap<>();
    m.put("cpu.usageCoreNanoSeconds", new Name("cpu", "usage", 1));
    m.put("cpu.usageNanoCores", new Name("cpu", "usage_millicores", 1e-6));
    m.put("memory.usageBytes", new Name("memory", "usage", 1));
    m.put("memory.workingSetBytes", new Name("memory", "working_set", 1));
    m.put("memory.rssBytes", new Name("memory", "rss", 1));
    m.put("memory.availableBytes", new Name("memory", "available", 1));
    m.put("memory.pageFaults", new Name("memory", "page_faults", 1));
    m.put("memory.majorPageFaults", new Name("memory", "major_page_faults", 1));
    m.put("network.rxBytes", new Name("network", "rx", 1));
    m.put("network.txBytes", new Name("network", "tx", 1));
    m.put("network.rxErrors", new Name("network", "rx_errors", 1));
    m.put("network.txErrors", new Name("network", "tx_errors", 1));
    for (String fs : List.of("fs", "rootfs", "ephemeral-storage", "imageFs", "logs")) {
      String group =
          switch (fs) {
            case "ephemeral-storage" -> "ephemeral_storage";
            case "imageFs" -> "filesystem.image";
            case "logs" -> "filesystem.logs";
            default -> "filesystem";
          };
      m.put(fs + ".usedBytes", new Name(group, "usage", 1));
      m.put(fs + ".capacityBytes", new Name(group, "limit", 1));
      m.put(fs + ".availableBytes", new Name(group, "available", 1));
      m.put(fs + ".inodes", new Name(group, "inodes", 1));
      m.put(fs + ".inodesFree", new Name(group, "inodes_free", 1));
      m.put(fs + ".inodesUsed", new Name(group, "inodes_used", 1));
    }
    return Map.copyOf(m);
  }

  /** Suffix of a counter's rate field. */
  public static final String RATE_SUFFIX = "_rate";

  private KubeletRates() {}

  /**
   * @param aggregates key (series id) → aggregate
   * @param resets counters that went down (no rate given)
   * @param contribution this node's share of its namespaces' and cluster's roll-ups
   */
  public record Result(
      Map<String, Aggregate> aggregates, int resets, KubeletContribution contribution) {}

  /** Whether {@code current} should replace {@code previous} as the baseline. */
  public static boolean advances(KubeletSummary previous, KubeletSummary current) {
    return previous == null || current.getTakenAt() > previous.getTakenAt();
  }

  public static Result apply(String prefix, KubeletSummary previous, KubeletSummary current) {
    Map<String, KubeletEntity> before = new HashMap<>();
    boolean usable = previous != null && current.getTakenAt() > previous.getTakenAt();
    if (usable) {
      for (KubeletEntity e : previous.getEntities()) {
        before.put(identity(e), e);
      }
    }
    Map<String, Aggregate> out = new LinkedHashMap<>();
    KubeletContribution share = new KubeletContribution(current.getNode(), current.getTakenAt());
    int resets = 0;
    for (KubeletEntity e : current.getEntities()) {
      Map<String, Map<String, Double>> groups = new TreeMap<>();
      for (Map.Entry<String, Long> g : e.getGauges().entrySet()) {
        put(groups, g.getKey(), g.getValue(), "");
      }
      KubeletEntity old = before.get(identity(e));
      for (Map.Entry<String, Long> c : e.getCounters().entrySet()) {
        put(groups, c.getKey(), c.getValue(), "");
        Long was = old == null ? null : old.getCounters().get(c.getKey());
        if (was == null) {
          continue;
        }
        long delta = c.getValue() - was;
        if (delta < 0) {
          resets++;
          continue;
        }
        double seconds = seconds(c.getKey(), old, e, previous, current);
        if (seconds <= 0) {
          continue;
        }
        double rate =
            c.getKey().equals("cpu.usageCoreNanoSeconds")
                ? delta / seconds / 1e6 // core-ns per s → millicores
                : delta / seconds;
        put(groups, c.getKey(), rate, RATE_SUFFIX);
      }
      if (e.getStartTime() > 0 && current.getTakenAt() >= e.getStartTime()) {
        groups
            .computeIfAbsent("", k -> new TreeMap<>())
            .put("uptime", (double) (current.getTakenAt() - e.getStartTime()));
      }
      contribute(share, e, groups);
      for (Map.Entry<String, Map<String, Double>> g : groups.entrySet()) {
        String name = prefix + e.getType() + (g.getKey().isEmpty() ? "" : "." + g.getKey());
        out.put(seriesId(current, e, g.getKey()), aggregate(current, e, name, g.getValue()));
      }
    }
    return new Result(out, resets, share);
  }

  /**
   * A pod's values count towards its namespace, a node's towards its cluster (heapster's and
   * wavefront-collector's namespace and cluster aggregators); pods and containers are counted in
   * both.
   */
  private static void contribute(
      KubeletContribution share, KubeletEntity e, Map<String, Map<String, Double>> groups) {
    String ns = KubeletContribution.NS;
    String cluster = KubeletContribution.CLUSTER;
    switch (e.getType()) {
      case "pod" -> {
        for (Map.Entry<String, Map<String, Double>> g : groups.entrySet()) {
          share.addGroup(ns, e.getNamespace(), g.getKey(), g.getValue());
        }
        share.add(KubeletContribution.key(ns, e.getNamespace(), "pod"), "count", 1);
        share.add(KubeletContribution.key(cluster, "", "pod"), "count", 1);
      }
      case "pod_container" -> {
        share.add(KubeletContribution.key(ns, e.getNamespace(), "pod_container"), "count", 1);
        share.add(KubeletContribution.key(cluster, "", "pod_container"), "count", 1);
      }
      case "node" -> {
        for (Map.Entry<String, Map<String, Double>> g : groups.entrySet()) {
          share.addGroup(cluster, "", g.getKey(), g.getValue());
        }
      }
      default -> {} // system containers are the node's own
    }
  }

  private static void put(
      Map<String, Map<String, Double>> groups, String kubeletField, double value, String suffix) {
    Name n = NAMES.get(kubeletField);
    if (n == null) {
      return; // a field this version does not name
    }
    double v = suffix.isEmpty() ? value * n.scale() : value;
    groups.computeIfAbsent(n.group(), k -> new TreeMap<>()).put(n.field() + suffix, v);
  }

  private static double seconds(
      String counter,
      KubeletEntity old,
      KubeletEntity now,
      KubeletSummary previous,
      KubeletSummary current) {
    Long t0 = old.getCounterTimes().get(counter);
    Long t1 = now.getCounterTimes().get(counter);
    if (t0 != null && t1 != null && t1 > t0) {
      return (t1 - t0) / 1000.0;
    }
    return (current.getTakenAt() - previous.getTakenAt()) / 1000.0;
  }

  /** Type, namespace, pod uid (a pod re-created under its name is another pod), container. */
  private static String identity(KubeletEntity e) {
    return e.getType()
        + '|'
        + e.getNamespace()
        + '|'
        + e.getPod()
        + '|'
        + e.getPodUid()
        + '|'
        + e.getContainer();
  }

  /** {@code <source id>|<node>|<entity>|<group>}: the aggregates topic's key. */
  static String seriesId(KubeletSummary s, KubeletEntity e, String group) {
    return Sources.id(s.getSource()) + '|' + s.getNode() + '|' + identity(e) + '|' + group;
  }

  private static Aggregate aggregate(
      KubeletSummary s, KubeletEntity e, String name, Map<String, Double> fields) {
    // wavefront-collector's tags: cluster, nodename, type, and namespace/pod/container names
    Map<String, String> tags = new TreeMap<>();
    tags.put("cluster", s.getSource().getCluster());
    tags.put("nodename", s.getNode());
    tags.put("type", e.getType());
    if (!e.getNamespace().isEmpty()) {
      tags.put("namespace", e.getNamespace());
    }
    if (!e.getPod().isEmpty()) {
      tags.put("pod_name", e.getPod());
    }
    if (!e.getContainer().isEmpty()) {
      tags.put("container_name", e.getContainer());
    }
    return Aggregate.newBuilder()
        .setName(name)
        .setMetricType("")
        .setSource(s.getNode().isEmpty() ? s.getSource().getNode() : s.getNode())
        .setTags(new LinkedHashMap<>(tags))
        .setWindowStart(s.getTakenAt())
        .setWindowEnd(s.getTakenAt())
        .setFields(new LinkedHashMap<>(fields))
        .setSketch(null)
        .setVerbatim(true)
        .build();
  }
}
