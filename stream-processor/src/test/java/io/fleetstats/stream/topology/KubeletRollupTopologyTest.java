package io.fleetstats.stream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.KubeletEntity;
import io.fleetstats.schemas.KubeletSummary;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.kubelet.KubeletRollupProcessor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kubelet branch's namespace and cluster roll-ups with explicit scrape times (10 s windows, 5 s
 * grace): two node agents of cluster {@code east}, each scraping every 10 s, pods in namespaces
 * {@code fitcycle} (on both nodes) and {@code kube-system}. The exact lines of one window.
 */
class KubeletRollupTopologyTest {
  private static final long W0 = 1_800_000_000_000L;
  private static final long MIB = 1 << 20;
  private static final long GIB = 1L << 30;

  @TempDir Path stateDir;
  private Driver d;
  private TestInputTopic<String, KubeletSummary> raw;

  private void start(Map<String, String> env) {
    d = new Driver(stateDir, env);
    raw =
        d.driver.createInputTopic(
            Driver.TOPICS.rawKubelet().name(),
            Driver.TOPICS.rawKubelet().keySerde().serializer(),
            Driver.TOPICS.rawKubelet().valueSerde().serializer());
  }

  @AfterEach
  void close() {
    if (d != null) {
      d.close();
    }
  }

  @Test
  void twoNodesGiveExactNamespaceAndClusterSums() {
    start(Map.of());
    // scrape k of node-a at W0 + 200 + 10 s k, of node-b at W0 + 3 s + 10 s k
    for (int k = 0; k < 4; k++) {
      scrapeA(k);
      scrapeB(k);
    }

    Map<String, String> all = rollups(d.records());

    // windows W0 and W0 + 10 s are closed by node-a's scrape at W0 + 30.2 s, the later ones open;
    // the first scrapes give no rates
    assertThat(all.keySet()).allMatch(k -> k.endsWith("@" + W0) || k.endsWith("@" + (W0 + 10_000)));
    assertThat(all.get("kubernetes.cluster.cpu|east|@" + W0)).doesNotContain("usage_rate");
    assertThat(all.get("kubernetes.ns.pod|fitcycle-ns|@" + W0)).endsWith("{count=3.0}");
    // window W0 + 10 s, the second scrapes: the exact lines
    String at = " @" + (W0 + 10_000);
    Map<String, String> lines = new TreeMap<>(all);
    lines.keySet().removeIf(k -> !k.endsWith(at.strip()));
    assertThat(lines)
        .containsExactlyInAnyOrderEntriesOf(
            expected(
                at,
                // fitcycle: api (250 m) and db (100 m) on node-a, web (50 m) on node-b
                "kubernetes.ns.cpu fitcycle-ns cluster=east,namespace=fitcycle,type=ns"
                    + " {usage_millicores=390.0, usage_rate=400.0}",
                "kubernetes.ns.memory fitcycle-ns cluster=east,namespace=fitcycle,type=ns"
                    + " {usage="
                    + (double) (450 * MIB)
                    + ", working_set="
                    + (double) (350 * MIB)
                    + "}",
                "kubernetes.ns.network fitcycle-ns cluster=east,namespace=fitcycle,type=ns"
                    + " {rx_rate=6000.0, tx_rate=3000.0}",
                "kubernetes.ns.pod fitcycle-ns cluster=east,namespace=fitcycle,type=ns {count=3.0}",
                "kubernetes.ns.pod_container fitcycle-ns cluster=east,namespace=fitcycle,type=ns"
                    + " {count=4.0}",
                "kubernetes.ns.cpu kube-system-ns cluster=east,namespace=kube-system,type=ns"
                    + " {usage_millicores=20.0, usage_rate=20.0}",
                "kubernetes.ns.memory kube-system-ns cluster=east,namespace=kube-system,type=ns"
                    + " {usage="
                    + (double) (40 * MIB)
                    + ", working_set="
                    + (double) (30 * MIB)
                    + "}",
                "kubernetes.ns.network kube-system-ns cluster=east,namespace=kube-system,type=ns"
                    + " {rx_rate=1000.0, tx_rate=500.0}",
                "kubernetes.ns.pod kube-system-ns cluster=east,namespace=kube-system,type=ns"
                    + " {count=1.0}",
                "kubernetes.ns.pod_container kube-system-ns cluster=east,namespace=kube-system,type=ns"
                    + " {count=1.0}",
                // cluster: node-a 1000 m, 2 GiB; node-b 500 m, 1 GiB
                "kubernetes.cluster.cpu east cluster=east,type=cluster"
                    + " {usage_millicores=1400.0, usage_rate=1500.0}",
                "kubernetes.cluster.memory east cluster=east,type=cluster"
                    + " {available="
                    + (double) (5 * GIB)
                    + ", working_set="
                    + (double) (3 * GIB)
                    + "}",
                "kubernetes.cluster.filesystem east cluster=east,type=cluster"
                    + " {available=1.5E11, limit=2.0E11, usage=5.0E10}",
                "kubernetes.cluster.network east cluster=east,type=cluster"
                    + " {rx_rate=30000.0, tx_rate=15000.0}",
                "kubernetes.cluster.pod east cluster=east,type=cluster {count=4.0}",
                "kubernetes.cluster.pod_container east cluster=east,type=cluster {count=5.0}"));
  }

  @Test
  void aNodeThatSkipsAWindowCountsWithItsScrapeOfTheWindowBefore() {
    start(Map.of());
    scrapeA(0);
    scrapeB(0);
    scrapeA(1);
    // node-b's second scrape is late by 9 s: at W0 + 22 s, in the window after
    raw.pipeInput(key("node-b"), nodeB(W0 + 22_000, 1), W0 + 22_000);
    scrapeA(2);
    scrapeA(3);
    scrapeA(4);

    Map<String, String> lines = rollups(d.records());

    // window W0 + 10 s: node-a's second scrape, node-b's first (no rates yet: only node-a's)
    assertThat(lines.get("kubernetes.cluster.memory|east|@" + (W0 + 10_000)))
        .contains("working_set=" + (double) (3 * GIB));
    assertThat(lines.get("kubernetes.cluster.cpu|east|@" + (W0 + 10_000)))
        .contains("usage_rate=1000.0");
    assertThat(lines.get("kubernetes.cluster.pod|east|@" + (W0 + 10_000))).contains("count=4.0");
    // window W0 + 20 s: node-b's late scrape is in it, with its rate over the 19 s since its first
    assertThat(lines.get("kubernetes.cluster.cpu|east|@" + (W0 + 20_000)))
        .contains("usage_rate=" + (1000.0 + 5_000_000_000.0 / 19.0 / 1e6) + "}");
  }

  @Test
  void aShareForAnEmittedWindowIsCountedAsLate() {
    start(Map.of());
    for (int k = 0; k < 4; k++) {
      scrapeA(k);
    }
    // node-b's scrape of the window W0 + 10 s arrives after node-a's W0 + 30.2 s closed it
    raw.pipeInput(key("node-b"), nodeB(W0 + 13_000, 0), W0 + 13_000);

    assertThat(d.metric(KubeletRollupProcessor.LATE)).isEqualTo(1.0);
    assertThat(rollups(d.records()).get("kubernetes.cluster.pod|east|@" + (W0 + 10_000)))
        .contains("count=2.0");
  }

  @Test
  void aSilentClusterHasItsLastWindowsEmittedByTheWallClock() {
    start(Map.of(StreamConfig.ROLLUP_GRACE.key(), "60s"));
    scrapeA(0);
    scrapeB(0);
    assertThat(rollups(d.records())).isEmpty();

    d.tick(Duration.ofSeconds(61));

    assertThat(rollups(d.records()))
        .containsEntry(
            "kubernetes.cluster.pod|east|@" + W0, "east cluster=east,type=cluster {count=4.0}");
  }

  @Test
  void heapsterPrefixNamesTheRollupsAsTheSeedsDashboards() {
    start(Map.of(StreamConfig.KUBELET_PREFIX.key(), "heapster."));
    for (int k = 0; k < 4; k++) {
      scrapeA(k);
    }

    Map<String, String> lines = rollups(d.records());

    assertThat(lines).containsKey("heapster.ns.cpu|fitcycle-ns|@" + (W0 + 10_000));
    assertThat(lines).containsKey("heapster.cluster.cpu|east|@" + (W0 + 10_000));
    assertThat(lines.keySet()).allMatch(k -> k.startsWith("heapster."));
  }

  // node-a: fitcycle/api (250 m), fitcycle/db (100 m, two containers), node 1000 m
  private void scrapeA(int k) {
    long t = W0 + 200 + 10_000L * k;
    raw.pipeInput(key("node-a"), nodeA(t, k), t);
  }

  // node-b: fitcycle/web (50 m), kube-system/dns (20 m), node 500 m
  private void scrapeB(int k) {
    long t = W0 + 3_000 + 10_000L * k;
    raw.pipeInput(key("node-b"), nodeB(t, k), t);
  }

  private static KubeletSummary nodeA(long t, int k) {
    return summary(
        "node-a",
        t,
        node(k * 10_000_000_000L, 1_000_000_000L, 2 * GIB, 3 * GIB, k * 200_000L, k * 100_000L),
        pod(
            "fitcycle",
            "api-1",
            k * 2_500_000_000L,
            240_000_000,
            100 * MIB,
            150 * MIB,
            k * 50_000L),
        container("fitcycle", "api-1", "api"),
        pod("fitcycle", "db-1", k * 1_000_000_000L, 100_000_000, 200 * MIB, 250 * MIB, k * 0L),
        container("fitcycle", "db-1", "mysql"),
        container("fitcycle", "db-1", "exporter"));
  }

  private static KubeletSummary nodeB(long t, int k) {
    return summary(
        "node-b",
        t,
        node(k * 5_000_000_000L, 400_000_000L, GIB, 2 * GIB, k * 100_000L, k * 50_000L),
        pod("fitcycle", "web-1", k * 500_000_000L, 50_000_000, 50 * MIB, 50 * MIB, k * 10_000L),
        container("fitcycle", "web-1", "web"),
        pod("kube-system", "dns-1", k * 200_000_000L, 20_000_000, 30 * MIB, 40 * MIB, k * 10_000L),
        container("kube-system", "dns-1", "coredns"));
  }

  private static String key(String node) {
    return Sources.id(agent(node));
  }

  private static Source agent(String node) {
    return Source.newBuilder()
        .setCluster("east")
        .setNamespace("fleetstats")
        .setNode(node)
        .setPod("fleetstats-node-agent-" + node)
        .setContainer("")
        .setApp("")
        .build();
  }

  private static KubeletSummary summary(String node, long t, KubeletEntity... entities) {
    return KubeletSummary.newBuilder()
        .setSource(agent(node))
        .setNode(node)
        .setTakenAt(t)
        .setEntities(List.of(entities))
        .build();
  }

  /** Counters: cpu core-ns, network rx bytes (tx = half); gauges as given. */
  private static KubeletEntity node(
      long cpu, long nanoCores, long workingSet, long available, long rx, long tx) {
    return KubeletEntity.newBuilder()
        .setType("node")
        .setStartTime(W0 - 3_600_000)
        .setCounters(
            Map.of("cpu.usageCoreNanoSeconds", cpu, "network.rxBytes", rx, "network.txBytes", tx))
        .setGauges(
            Map.of(
                "cpu.usageNanoCores",
                nanoCores,
                "memory.workingSetBytes",
                workingSet,
                "memory.availableBytes",
                available,
                "fs.usedBytes",
                25_000_000_000L,
                "fs.capacityBytes",
                100_000_000_000L,
                "fs.availableBytes",
                75_000_000_000L))
        .build();
  }

  private static KubeletEntity pod(
      String ns, String name, long cpu, long nanoCores, long workingSet, long usage, long rx) {
    return KubeletEntity.newBuilder()
        .setType("pod")
        .setNamespace(ns)
        .setPod(name)
        .setPodUid("uid-" + name)
        .setStartTime(W0 - 600_000)
        .setCounters(
            Map.of(
                "cpu.usageCoreNanoSeconds", cpu,
                "network.rxBytes", rx,
                "network.txBytes", rx / 2))
        .setGauges(
            Map.of(
                "cpu.usageNanoCores", nanoCores,
                "memory.workingSetBytes", workingSet,
                "memory.usageBytes", usage))
        .build();
  }

  private static KubeletEntity container(String ns, String pod, String name) {
    return KubeletEntity.newBuilder()
        .setType("pod_container")
        .setNamespace(ns)
        .setPod(pod)
        .setPodUid("uid-" + pod)
        .setContainer(name)
        .setStartTime(W0 - 600_000)
        .setGauges(Map.of("memory.workingSetBytes", MIB))
        .build();
  }

  /**
   * The roll-up aggregates as {@code <name>|<source>|@<window start>} → {@code <source> <tags>
   * <fields>}; fails when one is emitted twice.
   */
  private static Map<String, String> rollups(List<TestRecord<String, Aggregate>> records) {
    Map<String, String> out = new TreeMap<>();
    for (TestRecord<String, Aggregate> r : records) {
      Aggregate a = r.value();
      String type = a.getTags().get("type");
      if (!"ns".equals(type) && !"cluster".equals(type)) {
        continue;
      }
      assertThat(a.getVerbatim()).isTrue();
      assertThat(a.getWindowEnd() - a.getWindowStart()).isEqualTo(10_000);
      List<String> tags = new ArrayList<>();
      new TreeMap<>(a.getTags()).forEach((k, v) -> tags.add(k + "=" + v));
      String value =
          a.getSource() + " " + String.join(",", tags) + " " + new TreeMap<>(a.getFields());
      String key = a.getName() + "|" + a.getSource() + "|@" + a.getWindowStart();
      if (out.put(key, value) != null) {
        throw new AssertionError("emitted twice: " + key);
      }
    }
    return out;
  }

  private static Map<String, String> expected(String at, String... lines) {
    Map<String, String> out = new TreeMap<>();
    for (String l : lines) {
      String[] p = l.split(" ", 3);
      out.put(p[0] + "|" + p[1] + "|" + at.strip(), p[1] + " " + p[2]);
    }
    return out;
  }
}
