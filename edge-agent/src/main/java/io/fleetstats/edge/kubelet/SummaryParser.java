package io.fleetstats.edge.kubelet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleetstats.schemas.KubeletEntity;
import io.fleetstats.schemas.KubeletSummary;
import io.fleetstats.schemas.Source;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Reads a kubelet Summary API response ({@code k8s.io/kubelet/pkg/apis/stats/v1alpha1}) into a
 * {@link KubeletSummary}: the node, its system containers, every pod and every pod container, with
 * the values as the kubelet gave them. Every leaf of the API is optional (real kubelets omit
 * fields: no pod network on some runtimes, no {@code usageNanoCores} per container, {@code "time":
 * null}); an absent or non-numeric value is simply absent, never zero.
 *
 * <p>Values are kept under {@code <block>.<kubelet field>}, e.g. {@code cpu.usageCoreNanoSeconds},
 * {@code memory.workingSetBytes}, {@code rootfs.usedBytes}, {@code ephemeral-storage.usedBytes};
 * cumulative ones ({@link #COUNTERS}) go to {@code counters} with their block's time, the rest to
 * {@code gauges}. Naming and rates are the stream processor's, so a replay can redo them.
 */
public final class SummaryParser {
  /** Fields that only grow (until a restart): rates are computed from them. */
  public static final Set<String> COUNTERS =
      Set.of(
          "cpu.usageCoreNanoSeconds",
          "memory.pageFaults",
          "memory.majorPageFaults",
          "network.rxBytes",
          "network.txBytes",
          "network.rxErrors",
          "network.txErrors");

  private static final List<String> CPU = List.of("usageNanoCores", "usageCoreNanoSeconds");
  private static final List<String> MEMORY =
      List.of(
          "availableBytes",
          "usageBytes",
          "workingSetBytes",
          "rssBytes",
          "pageFaults",
          "majorPageFaults");
  private static final List<String> NETWORK = List.of("rxBytes", "rxErrors", "txBytes", "txErrors");
  private static final List<String> FS =
      List.of("availableBytes", "capacityBytes", "usedBytes", "inodesFree", "inodes", "inodesUsed");

  private final ObjectMapper json = new ObjectMapper();

  /** A body that is not a summary: what was wrong, for the log and the failure counter. */
  public static final class BadSummaryException extends Exception {
    public BadSummaryException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * @param body the response body
   * @param source the scraping agent
   * @param takenAt scrape time, epoch ms
   * @throws BadSummaryException when the body is not JSON or has no {@code node} object
   */
  public KubeletSummary parse(byte[] body, Source source, long takenAt) throws BadSummaryException {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (JsonProcessingException e) {
      throw new BadSummaryException("not JSON: " + e.getOriginalMessage(), e);
    } catch (java.io.IOException e) {
      throw new BadSummaryException("unreadable: " + e.getMessage(), e);
    }
    if (root == null || !root.path("node").isObject()) {
      throw new BadSummaryException(
          "no \"node\" object: not a kubelet /stats/summary response", null);
    }
    JsonNode node = root.path("node");
    List<KubeletEntity> entities = new ArrayList<>();
    KubeletEntity nodeEntity = entity("node", "", "", "", "", node);
    block(nodeEntity, "cpu", node.path("cpu"), CPU);
    block(nodeEntity, "memory", node.path("memory"), MEMORY);
    block(nodeEntity, "network", node.path("network"), NETWORK);
    block(nodeEntity, "fs", node.path("fs"), FS);
    block(nodeEntity, "imageFs", node.path("runtime").path("imageFs"), FS);
    entities.add(nodeEntity);
    for (JsonNode sys : node.path("systemContainers")) {
      KubeletEntity e = entity("sys_container", "", "", "", text(sys, "name"), sys);
      block(e, "cpu", sys.path("cpu"), CPU);
      block(e, "memory", sys.path("memory"), MEMORY);
      entities.add(e);
    }
    for (JsonNode pod : root.path("pods")) {
      JsonNode ref = pod.path("podRef");
      String namespace = text(ref, "namespace");
      String name = text(ref, "name");
      String uid = text(ref, "uid");
      KubeletEntity p = entity("pod", namespace, name, uid, "", pod);
      block(p, "cpu", pod.path("cpu"), CPU);
      block(p, "memory", pod.path("memory"), MEMORY);
      block(p, "network", pod.path("network"), NETWORK);
      block(p, "ephemeral-storage", pod.path("ephemeral-storage"), FS);
      entities.add(p);
      for (JsonNode c : pod.path("containers")) {
        KubeletEntity e = entity("pod_container", namespace, name, uid, text(c, "name"), c);
        block(e, "cpu", c.path("cpu"), CPU);
        block(e, "memory", c.path("memory"), MEMORY);
        block(e, "rootfs", c.path("rootfs"), FS);
        block(e, "logs", c.path("logs"), FS);
        entities.add(e);
      }
    }
    return KubeletSummary.newBuilder()
        .setSource(source)
        .setNode(text(node, "nodeName"))
        .setTakenAt(takenAt)
        .setEntities(entities)
        .build();
  }

  private static KubeletEntity entity(
      String type, String namespace, String pod, String uid, String container, JsonNode stats) {
    return KubeletEntity.newBuilder()
        .setType(type)
        .setNamespace(namespace)
        .setPod(pod)
        .setPodUid(uid)
        .setContainer(container)
        .setStartTime(time(stats.path("startTime")))
        .setCounters(new LinkedHashMap<>())
        .setCounterTimes(new LinkedHashMap<>())
        .setGauges(new LinkedHashMap<>())
        .build();
  }

  private static void block(KubeletEntity e, String block, JsonNode stats, List<String> fields) {
    if (!stats.isObject()) {
      return;
    }
    long time = time(stats.path("time"));
    for (String field : fields) {
      JsonNode v = stats.path(field);
      if (!v.canConvertToExactIntegral() && !(v.isTextual() && isUnsigned(v.asText()))) {
        continue;
      }
      long value = v.isTextual() ? Long.parseUnsignedLong(v.asText()) : v.asLong();
      String key = block + "." + field;
      if (COUNTERS.contains(key)) {
        e.getCounters().put(key, value);
        if (time > 0) {
          e.getCounterTimes().put(key, time);
        }
      } else {
        e.getGauges().put(key, value);
      }
    }
  }

  private static boolean isUnsigned(String s) {
    if (s.isEmpty() || s.length() > 20) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** An RFC 3339 time as epoch ms; 0 when absent, null or unreadable. */
  private static long time(JsonNode node) {
    if (!node.isTextual()) {
      return 0;
    }
    try {
      return Instant.parse(node.asText()).toEpochMilli();
    } catch (DateTimeParseException e) {
      return 0;
    }
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.path(field);
    return v.isTextual() ? v.asText() : "";
  }

  /** Values in a summary, for the agent's "samples" count. */
  public static int values(KubeletSummary s) {
    int n = 0;
    for (KubeletEntity e : s.getEntities()) {
      n += e.getCounters().size() + e.getGauges().size();
    }
    return n;
  }
}
