package io.fleetstats.edge;

import io.fleetstats.edge.statsd.NameTemplates;
import io.fleetstats.edge.statsd.StatsdOptions;
import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.SettingsReader;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The edge agent's settings for statsd reading, the TCP listener, the admin port and the outage
 * buffer; part of {@link EdgeConfig}.
 *
 * @param statsd how lines are read: tag dialects, naming, templates and limits
 * @param tcpAddress {@link #TCP_ADDRESS}, or null for no TCP listener
 * @param maxTcpConnections {@link #MAX_TCP_CONNECTIONS}
 * @param adminAddress {@link #ADMIN_ADDRESS}, or null when off
 * @param bufferMaxBytes {@link #BUFFER_MAX_BYTES}
 * @param spoolDirectory {@link #SPOOL_DIR}, or null for no spool
 * @param spoolMaxBytes {@link #SPOOL_MAX_BYTES}
 */
public record IngestSettings(
    StatsdOptions statsd,
    InetSocketAddress tcpAddress,
    int maxTcpConnections,
    InetSocketAddress adminAddress,
    long bufferMaxBytes,
    Path spoolDirectory,
    long spoolMaxBytes) {

  public static final Setting<Optional<InetSocketAddress>> TCP_ADDRESS =
      Setting.optionalAddress("FLEETSTATS_STATSD_TCP_ADDRESS", null)
          .doc("TCP host:port for newline-framed statsd; off disables it");
  public static final Setting<Integer> MAX_TCP_CONNECTIONS =
      Setting.integer("FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS", 250, 1, 100_000)
          .doc("further TCP connections are closed at once and counted (Telegraf's limit)");
  public static final Setting<Boolean> TAGS_DOGSTATSD =
      Setting.bool("FLEETSTATS_STATSD_TAGS_DOGSTATSD", true).doc("read DogStatsD tags |#k:v");
  public static final Setting<Boolean> TAGS_INFLUX =
      Setting.bool("FLEETSTATS_STATSD_TAGS_INFLUX", true)
          .doc("read Influx tags in the bucket: name,k=v:1|c");
  public static final Setting<Boolean> TAGS_LIBRATO =
      Setting.bool("FLEETSTATS_STATSD_TAGS_LIBRATO", true).doc("read Librato tags: name#k=v");
  public static final Setting<Boolean> TAGS_SIGNALFX =
      Setting.bool("FLEETSTATS_STATSD_TAGS_SIGNALFX", true).doc("read SignalFx tags: name[k=v]");
  public static final Setting<Boolean> KEEP_CONTAINER_TAG =
      Setting.bool("FLEETSTATS_STATSD_KEEP_CONTAINER_TAG", false)
          .doc("keep DogStatsD's |c: container field as a tag named container");
  public static final Setting<StatsdOptions.NameMethod> SANITIZE_NAME_METHOD =
      Setting.oneOf(
              "FLEETSTATS_STATSD_SANITIZE_NAME_METHOD",
              StatsdOptions.NameMethod.TELEGRAF,
              StatsdOptions.NameMethod.class)
          .doc("how names are cleaned: telegraf, upstream or none");
  public static final Setting<Boolean> CONVERT_NAMES =
      Setting.bool("FLEETSTATS_STATSD_CONVERT_NAMES", false)
          .doc("Telegraf's convert_names: . -> _ and - -> __");
  public static final Setting<String> METRIC_SEPARATOR =
      Setting.string("FLEETSTATS_STATSD_METRIC_SEPARATOR", ".")
          .doc("joins the parts a template picks");
  public static final Setting<String> TEMPLATES =
      Setting.string("FLEETSTATS_STATSD_TEMPLATES", "")
          .shownDefault("none")
          .doc("Telegraf templates, separated by ';' or new lines");
  public static final Setting<Integer> MAX_NAME_LENGTH =
      Setting.integer(
              "FLEETSTATS_STATSD_MAX_NAME_LENGTH", StatsdOptions.DEFAULT_MAX_NAME_LENGTH, 1, 65_535)
          .doc("longer metric names are rejected");
  public static final Setting<Integer> MAX_TAGS =
      Setting.integer("FLEETSTATS_STATSD_MAX_TAGS", StatsdOptions.DEFAULT_MAX_TAGS, 0, 1_000)
          .doc("lines with more tags are rejected");
  public static final Setting<Integer> MAX_TAG_LENGTH =
      Setting.integer(
              "FLEETSTATS_STATSD_MAX_TAG_LENGTH", StatsdOptions.DEFAULT_MAX_TAG_LENGTH, 1, 65_535)
          .doc("lines with a longer tag key or value are rejected");
  public static final Setting<Optional<InetSocketAddress>> ADMIN_ADDRESS =
      Setting.optionalAddress("FLEETSTATS_ADMIN_ADDRESS", new InetSocketAddress("0.0.0.0", 9125))
          .doc("/healthz, /readyz, /metrics of the standalone agent; off disables it");
  public static final Setting<Long> BUFFER_MAX_BYTES =
      Setting.bytes("FLEETSTATS_BUFFER_MAX_BYTES", 8L << 20, 64L << 10)
          .doc(
              "memory for batches while Kafka is slow or down (in flight included); beyond it the oldest are spooled or dropped");
  public static final Setting<String> SPOOL_DIR =
      Setting.string("FLEETSTATS_SPOOL_DIR", null)
          .shownDefault("none")
          .doc(
              "disk spool for batches beyond the memory bound, kept across restarts (one folder per input)");
  public static final Setting<Long> SPOOL_MAX_BYTES =
      Setting.bytes("FLEETSTATS_SPOOL_MAX_BYTES", 256L << 20, 1L << 20)
          .doc(
              "bound of the spool, per input; beyond it its oldest batches are dropped and counted");

  /** The settings of statsd reading and listening, in doc order. */
  static final List<Setting<?>> STATSD_SETTINGS =
      List.of(
          TCP_ADDRESS,
          MAX_TCP_CONNECTIONS,
          TAGS_DOGSTATSD,
          TAGS_INFLUX,
          TAGS_LIBRATO,
          TAGS_SIGNALFX,
          KEEP_CONTAINER_TAG,
          SANITIZE_NAME_METHOD,
          CONVERT_NAMES,
          METRIC_SEPARATOR,
          TEMPLATES,
          MAX_NAME_LENGTH,
          MAX_TAGS,
          MAX_TAG_LENGTH);

  /** The settings of the outage buffer and the admin port, in doc order. */
  static final List<Setting<?>> BUFFER_SETTINGS =
      List.of(BUFFER_MAX_BYTES, SPOOL_DIR, SPOOL_MAX_BYTES, ADMIN_ADDRESS);

  /** Defaults: what {@link #read} gives for an empty environment. */
  public static IngestSettings defaults() {
    return read(new SettingsReader(java.util.Map.of()), StatsdOptions.DEFAULT_MAX_LINE_LENGTH);
  }

  /** Reads the keys; problems go to the reader, reported with every other one. */
  static IngestSettings read(SettingsReader r, int maxLineLength) {
    String separator = r.get(METRIC_SEPARATOR);
    List<String> templates = list(r.get(TEMPLATES));
    NameTemplates compiled = NameTemplates.none();
    try {
      compiled = NameTemplates.compile(templates, separator);
    } catch (IllegalArgumentException e) {
      r.problem(
          TEMPLATES.key(),
          String.join("; ", templates),
          "Telegraf templates separated by ';' or new lines: " + e.getMessage());
    }
    StatsdOptions options =
        new StatsdOptions(
            r.get(TAGS_DOGSTATSD),
            r.get(TAGS_INFLUX),
            r.get(TAGS_LIBRATO),
            r.get(TAGS_SIGNALFX),
            r.get(KEEP_CONTAINER_TAG),
            r.get(SANITIZE_NAME_METHOD),
            r.get(CONVERT_NAMES),
            compiled,
            maxLineLength,
            r.get(MAX_NAME_LENGTH),
            r.get(MAX_TAGS),
            r.get(MAX_TAG_LENGTH));
    String spool = r.get(SPOOL_DIR);
    return new IngestSettings(
        options,
        r.get(TCP_ADDRESS).orElse(null),
        r.get(MAX_TCP_CONNECTIONS),
        r.get(ADMIN_ADDRESS).orElse(null),
        r.get(BUFFER_MAX_BYTES),
        spool == null ? null : Path.of(spool),
        r.get(SPOOL_MAX_BYTES));
  }

  /** A copy with another admin address (null: off). */
  public IngestSettings withAdminAddress(InetSocketAddress address) {
    return new IngestSettings(
        statsd,
        tcpAddress,
        maxTcpConnections,
        address,
        bufferMaxBytes,
        spoolDirectory,
        spoolMaxBytes);
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
}
