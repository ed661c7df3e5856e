package io.fleetstats.edge;

import io.fleetstats.kit.settings.EnvReader;
import io.fleetstats.edge.statsd.NameTemplates;
import io.fleetstats.edge.statsd.StatsdOptions;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The edge agent's settings for statsd reading, the TCP listener, the admin port and the
 * outage buffer; part of {@link EdgeConfig}.
 *
 * @param statsd how lines are read: tag dialects, naming, templates and limits (see
 *     {@link StatsdOptions} for each key and default)
 * @param tcpAddress {@code FLEETSTATS_STATSD_TCP_ADDRESS}: TCP {@code host:port} for
 *     newline-framed statsd, or null (default) for no TCP listener; {@code off} also disables it
 * @param maxTcpConnections {@code FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS}: further connections are
 *     closed at once and counted; default 250 (Telegraf's)
 * @param adminAddress {@code FLEETSTATS_ADMIN_ADDRESS}: {@code /healthz}, {@code /readyz},
 *     {@code /metrics} of the standalone agent; default {@code :9125} (all interfaces, so the
 *     kubelet's probes reach it); {@code off} disables it
 * @param bufferMaxBytes {@code FLEETSTATS_BUFFER_MAX_BYTES}: serialized batches held while Kafka
 *     is slow or down, those handed to the producer included; beyond it the oldest are moved to
 *     the spool, or dropped and counted; bytes, default 8 MiB
 * @param spoolDirectory {@code FLEETSTATS_SPOOL_DIR}: where batches beyond the memory bound wait
 *     on disk (kept across restarts); default none (no spool)
 * @param spoolMaxBytes {@code FLEETSTATS_SPOOL_MAX_BYTES}: bound of the spool; beyond it its
 *     oldest batches are dropped and counted; bytes, default 256 MiB
 */
public record IngestSettings(
    StatsdOptions statsd,
    InetSocketAddress tcpAddress,
    int maxTcpConnections,
    InetSocketAddress adminAddress,
    long bufferMaxBytes,
    Path spoolDirectory,
    long spoolMaxBytes) {

  public static final String TCP_ADDRESS = "FLEETSTATS_STATSD_TCP_ADDRESS";
  public static final String MAX_TCP_CONNECTIONS = "FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS";
  public static final String TAGS_DOGSTATSD = "FLEETSTATS_STATSD_TAGS_DOGSTATSD";
  public static final String TAGS_INFLUX = "FLEETSTATS_STATSD_TAGS_INFLUX";
  public static final String TAGS_LIBRATO = "FLEETSTATS_STATSD_TAGS_LIBRATO";
  public static final String TAGS_SIGNALFX = "FLEETSTATS_STATSD_TAGS_SIGNALFX";
  public static final String KEEP_CONTAINER_TAG = "FLEETSTATS_STATSD_KEEP_CONTAINER_TAG";
  public static final String SANITIZE_NAME_METHOD = "FLEETSTATS_STATSD_SANITIZE_NAME_METHOD";
  public static final String CONVERT_NAMES = "FLEETSTATS_STATSD_CONVERT_NAMES";
  public static final String METRIC_SEPARATOR = "FLEETSTATS_STATSD_METRIC_SEPARATOR";
  public static final String TEMPLATES = "FLEETSTATS_STATSD_TEMPLATES";
  public static final String MAX_NAME_LENGTH = "FLEETSTATS_STATSD_MAX_NAME_LENGTH";
  public static final String MAX_TAGS = "FLEETSTATS_STATSD_MAX_TAGS";
  public static final String MAX_TAG_LENGTH = "FLEETSTATS_STATSD_MAX_TAG_LENGTH";
  public static final String ADMIN_ADDRESS = "FLEETSTATS_ADMIN_ADDRESS";
  public static final String BUFFER_MAX_BYTES = "FLEETSTATS_BUFFER_MAX_BYTES";
  public static final String SPOOL_DIR = "FLEETSTATS_SPOOL_DIR";
  public static final String SPOOL_MAX_BYTES = "FLEETSTATS_SPOOL_MAX_BYTES";

  /** Every key read here. */
  public static final Set<String> KEYS =
      Set.of(
          TCP_ADDRESS, MAX_TCP_CONNECTIONS, TAGS_DOGSTATSD, TAGS_INFLUX, TAGS_LIBRATO, TAGS_SIGNALFX,
          KEEP_CONTAINER_TAG, SANITIZE_NAME_METHOD, CONVERT_NAMES, METRIC_SEPARATOR, TEMPLATES,
          MAX_NAME_LENGTH, MAX_TAGS, MAX_TAG_LENGTH, ADMIN_ADDRESS, BUFFER_MAX_BYTES, SPOOL_DIR,
          SPOOL_MAX_BYTES);

  /** Defaults: what {@link #read} gives for an empty environment. */
  public static IngestSettings defaults() {
    return read(new EnvReader(java.util.Map.of()), StatsdOptions.DEFAULT_MAX_LINE_LENGTH);
  }

  /** Reads the keys; problems go to the reader, reported with every other one. */
  static IngestSettings read(EnvReader r, int maxLineLength) {
    boolean dog = r.bool(true, TAGS_DOGSTATSD);
    boolean influx = r.bool(true, TAGS_INFLUX);
    boolean librato = r.bool(true, TAGS_LIBRATO);
    boolean signalfx = r.bool(true, TAGS_SIGNALFX);
    boolean keepContainer = r.bool(false, KEEP_CONTAINER_TAG);
    String methodText = r.string("telegraf", SANITIZE_NAME_METHOD);
    StatsdOptions.NameMethod method = StatsdOptions.NameMethod.TELEGRAF;
    try {
      method = StatsdOptions.NameMethod.valueOf(methodText.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      r.problem(SANITIZE_NAME_METHOD, methodText, "telegraf, upstream or none");
    }
    boolean convert = r.bool(false, CONVERT_NAMES);
    String separator = r.string(".", METRIC_SEPARATOR);
    List<String> templates = list(r.string("", TEMPLATES));
    NameTemplates compiled = NameTemplates.none();
    try {
      compiled = NameTemplates.compile(templates, separator);
    } catch (IllegalArgumentException e) {
      r.problem(
          TEMPLATES,
          String.join("; ", templates),
          "Telegraf templates separated by ';' or new lines: " + e.getMessage());
    }
    int maxName = r.integer(StatsdOptions.DEFAULT_MAX_NAME_LENGTH, 1, 65_535, MAX_NAME_LENGTH);
    int maxTags = r.integer(StatsdOptions.DEFAULT_MAX_TAGS, 0, 1_000, MAX_TAGS);
    int maxTag = r.integer(StatsdOptions.DEFAULT_MAX_TAG_LENGTH, 1, 65_535, MAX_TAG_LENGTH);
    StatsdOptions options =
        new StatsdOptions(
            dog, influx, librato, signalfx, keepContainer, method, convert, compiled, maxLineLength,
            maxName, maxTags, maxTag);

    InetSocketAddress tcp = r.optionalAddress(null, TCP_ADDRESS).orElse(null);
    int maxConnections = r.integer(250, 1, 100_000, MAX_TCP_CONNECTIONS);
    InetSocketAddress admin = r.optionalAddress(new InetSocketAddress("0.0.0.0", 9125), ADMIN_ADDRESS).orElse(null);
    long bufferBytes = bytes(r, BUFFER_MAX_BYTES, 8L << 20, 64L << 10);
    String spool = r.string(null, SPOOL_DIR);
    long spoolBytes = bytes(r, SPOOL_MAX_BYTES, 256L << 20, 1L << 20);
    return new IngestSettings(
        options, tcp, maxConnections, admin, bufferBytes, spool == null ? null : Path.of(spool), spoolBytes);
  }

  /** A copy with another admin address (null: off). */
  public IngestSettings withAdminAddress(InetSocketAddress address) {
    return new IngestSettings(statsd, tcpAddress, maxTcpConnections, address, bufferMaxBytes, spoolDirectory, spoolMaxBytes);
  }

  /** {@code ;} or new lines separate the items; blanks around them are removed. */
  static List<String> list(String raw) {
    List<String> out = new ArrayList<>();
    for (String item : raw.split("[;\n]")) {
      if (!item.isBlank()) {
        out.add(item.strip());
      }
    }
    return out;
  }

  /** A size such as {@code 8388608}, {@code 512KiB}, {@code 8MiB}, {@code 1GiB} (also KB/MB/GB = binary). */
  static long bytes(EnvReader r, String key, long fallback, long min) {
    String raw = r.string(null, key);
    if (raw == null) {
      return fallback;
    }
    String t = raw.strip().toUpperCase(Locale.ROOT).replace(" ", "");
    long unit = 1;
    for (String[] u : new String[][] {{"KIB", "10"}, {"MIB", "20"}, {"GIB", "30"}, {"KB", "10"}, {"MB", "20"}, {"GB", "30"}, {"K", "10"}, {"M", "20"}, {"G", "30"}, {"B", "0"}}) {
      if (t.endsWith(u[0])) {
        unit = 1L << Integer.parseInt(u[1]);
        t = t.substring(0, t.length() - u[0].length());
        break;
      }
    }
    try {
      long v = Math.multiplyExact(Long.parseLong(t), unit);
      if (v < min) {
        r.problem(key, raw, "at least " + min + " bytes");
        return fallback;
      }
      return v;
    } catch (ArithmeticException | NumberFormatException e) {
      r.problem(key, raw, "a size in bytes, e.g. 8388608, 512KiB, 8MiB, 1GiB");
      return fallback;
    }
  }
}
