package io.fleetstats.stream.kubelet;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One node's share of its cluster's namespace and cluster roll-ups at one scrape: per roll-up
 * series ({@code ns|<namespace>|<group>} or {@code cluster||<group>}) the sum of the values of that
 * node's pods (for {@code ns}) or of the node itself (for {@code cluster}), plus pod and container
 * counts. {@link KubeletRates} makes it from a summary; it crosses the kubelet roll-up repartition
 * topic keyed by cluster, so every node's share of a cluster meets in one task ({@link
 * KubeletRollupProcessor}), which adds the nodes up per window.
 */
public final class KubeletContribution {
  private static final byte FORMAT = 1;

  /** Roll-up type of a namespace's series. */
  public static final String NS = "ns";

  /** Roll-up type of a cluster's series. */
  public static final String CLUSTER = "cluster";

  /**
   * Fields of pods summed per namespace, by group: the gauges and rates that add up (cumulative
   * counters do not: a pod that goes away would make the sum fall).
   */
  static final Map<String, List<String>> NS_FIELDS =
      Map.of(
          "cpu", List.of("usage_rate", "usage_millicores"),
          "memory",
              List.of("usage", "working_set", "rss", "page_faults_rate", "major_page_faults_rate"),
          "network", List.of("rx_rate", "tx_rate", "rx_errors_rate", "tx_errors_rate"),
          "ephemeral_storage", List.of("usage"));

  /** Fields of nodes summed per cluster, by group. */
  static final Map<String, List<String>> CLUSTER_FIELDS =
      Map.of(
          "cpu", List.of("usage_rate", "usage_millicores"),
          "memory",
              List.of(
                  "usage",
                  "working_set",
                  "rss",
                  "available",
                  "page_faults_rate",
                  "major_page_faults_rate"),
          "network", List.of("rx_rate", "tx_rate", "rx_errors_rate", "tx_errors_rate"),
          "filesystem", List.of("usage", "limit", "available"));

  private final String node;
  private final long takenAt;
  private final TreeMap<String, TreeMap<String, Double>> sums;

  public KubeletContribution(String node, long takenAt) {
    this(node, takenAt, new TreeMap<>());
  }

  private KubeletContribution(
      String node, long takenAt, TreeMap<String, TreeMap<String, Double>> sums) {
    this.node = node;
    this.takenAt = takenAt;
    this.sums = sums;
  }

  public String node() {
    return node;
  }

  public long takenAt() {
    return takenAt;
  }

  /** Roll-up series key → field → sum. */
  public Map<String, TreeMap<String, Double>> sums() {
    return sums;
  }

  public boolean isEmpty() {
    return sums.isEmpty();
  }

  /** The key of a roll-up series: {@code <type>|<namespace>|<group>}. */
  static String key(String type, String namespace, String group) {
    return type + '|' + namespace + '|' + group;
  }

  /** Adds {@code value} to a field of a roll-up series. */
  void add(String key, String field, double value) {
    sums.computeIfAbsent(key, k -> new TreeMap<>()).merge(field, value, Double::sum);
  }

  /**
   * Adds the summable fields of an entity's group (as {@link #NS_FIELDS} or {@link #CLUSTER_FIELDS}
   * name them).
   */
  void addGroup(String type, String namespace, String group, Map<String, Double> fields) {
    List<String> summed = (NS.equals(type) ? NS_FIELDS : CLUSTER_FIELDS).get(group);
    if (summed == null) {
      return;
    }
    for (String f : summed) {
      Double v = fields.get(f);
      if (v != null) {
        add(key(type, namespace, group), f, v);
      }
    }
  }

  /** Adds another node's share into this one. */
  public void merge(KubeletContribution other) {
    for (Map.Entry<String, TreeMap<String, Double>> s : other.sums.entrySet()) {
      for (Map.Entry<String, Double> f : s.getValue().entrySet()) {
        add(s.getKey(), f.getKey(), f.getValue());
      }
    }
  }

  public byte[] toBytes() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(FORMAT);
      writeString(out, node);
      out.writeLong(takenAt);
      out.writeInt(sums.size());
      for (Map.Entry<String, TreeMap<String, Double>> s : sums.entrySet()) {
        writeString(out, s.getKey());
        out.writeInt(s.getValue().size());
        for (Map.Entry<String, Double> f : s.getValue().entrySet()) {
          writeString(out, f.getKey());
          out.writeDouble(f.getValue());
        }
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode the kubelet roll-up share of " + node, e);
    }
  }

  /**
   * Reads what {@link #toBytes} wrote.
   *
   * @throws IllegalArgumentException when the bytes are not a share of a known format
   */
  public static KubeletContribution fromBytes(byte[] bytes) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IllegalArgumentException("unknown kubelet roll-up share format " + format);
      }
      String node = readString(in);
      long takenAt = in.readLong();
      int n = in.readInt();
      TreeMap<String, TreeMap<String, Double>> sums = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        String key = readString(in);
        int m = in.readInt();
        TreeMap<String, Double> fields = new TreeMap<>();
        for (int j = 0; j < m; j++) {
          fields.put(readString(in), in.readDouble());
        }
        sums.put(key, fields);
      }
      return new KubeletContribution(node, takenAt, sums);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "corrupt kubelet roll-up share (" + bytes.length + " bytes): " + e, e);
    }
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static String readString(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw new IOException("bad string length " + n);
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
