package io.fleetstats.kit.selfmetrics;

import io.fleetstats.kit.settings.Durations;
import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.SettingsReader;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.statsd.StatsdConfig;
import io.micrometer.statsd.StatsdFlavor;
import io.micrometer.statsd.StatsdMeterRegistry;
import io.micrometer.statsd.StatsdProtocol;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's own meters sent through the pipeline: every meter of the service's registry (its
 * {@code /metrics} page), JVM and process meters included, mirrored into a Micrometer statsd
 * registry that sends DogStatsD lines to an edge agent ({@code FLEETSTATS_SELF_METRICS}). The agent
 * reads them as it reads any application's statsd, so they reach Wavefront aggregated per window
 * like the data, with the data's tags: the meter's {@code cluster} and {@code namespace}, and its
 * {@code pod} as {@code pod_name} (a series' own tag wins over the agent's stamp in the stream
 * processor, so a central service's meters keep its own pod even when a shared agent forwards
 * them).
 *
 * <pre>
 *   service registry (/metrics) ──onMeterAdded──► statsd registry ──DogStatsD, UDP──► edge agent
 * </pre>
 *
 * Cumulative meters are sent as deltas: a counter as {@code |c} per step, a timer as one {@code
 * |ms} per call of that step's mean (Micrometer's function timer), a gauge as {@code |g}.
 */
public final class SelfMetrics implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SelfMetrics.class);

  /** Where to send; {@code off} (the default) sends nothing. */
  public static final Setting<Optional<URI>> TARGET =
      Setting.custom("FLEETSTATS_SELF_METRICS", Optional.<URI>empty(), "off", SelfMetrics::target)
          .doc(
              "send this service's own meters (JVM and process meters included) as DogStatsD to"
                  + " an edge agent: udp://host:port (or tcp://host:port), or off");

  /**
   * How often gauges are read and cumulative meters sent. One send per window of the stream
   * processor gives each window one gauge value and the counts of that window.
   */
  public static final Setting<Duration> STEP =
      Setting.duration(
              "FLEETSTATS_SELF_METRICS_STEP", Duration.ofSeconds(10), Duration.ofSeconds(1))
          .doc(
              "how often the self-metrics are sent; the stream processor's FLEETSTATS_WINDOW"
                  + " (default 10s) gives one gauge value per window");

  /** Meters not sent, by name (Telegraf's {@code namedrop}). */
  public static final Setting<List<Glob>> NAMEDROP =
      Setting.custom(
              "FLEETSTATS_SELF_METRICS_NAMEDROP", List.<Glob>of(), "none", SelfMetrics::globs)
          .doc(
              "self-metrics not sent, by meter name: comma-separated globs (* any text, ? one"
                  + " character; Telegraf's namedrop), e.g. kafka.producer.*,jvm.buffer.*; none"
                  + " drops no name. /metrics keeps every meter");

  /**
   * Meters not sent, by tag (Telegraf's {@code tagdrop}). The default leaves the Kafka clients'
   * per-task, per-processor-node, per-partition and per-broker-connection meters on {@code
   * /metrics} only: in the local stack's demo they were 65 % of all the lines the sink sent (47,260
   * of 72,735 in 150 s), each a point a Wavefront user pays for.
   */
  public static final Setting<List<TagDrop>> TAGDROP =
      Setting.custom(
              "FLEETSTATS_SELF_METRICS_TAGDROP",
              TagDrop.DEFAULTS,
              "task.id=*,processor.node.id=*,partition=*,node.id=*",
              SelfMetrics::tagDrops)
          .doc(
              "self-metrics not sent, by tag: comma-separated key=glob (Telegraf's tagdrop); a"
                  + " meter with a matching tag is not sent. The default keeps the Kafka clients'"
                  + " per-task, per-processor-node, per-partition and per-broker meters on /metrics"
                  + " only; none sends them all");

  /** The settings every service adds to its table. */
  public static final List<Setting<?>> SETTINGS = List.of(TARGET, STEP, NAMEDROP, TAGDROP);

  /** A tag whose value matches {@code glob} drops the meter. */
  public record TagDrop(String key, Glob glob) {
    static final List<TagDrop> DEFAULTS =
        List.of(
            new TagDrop("task.id", SelfMetrics.glob("*")),
            new TagDrop("processor.node.id", SelfMetrics.glob("*")),
            new TagDrop("partition", SelfMetrics.glob("*")),
            new TagDrop("node.id", SelfMetrics.glob("*")));

    boolean drops(Meter.Id id) {
      String value = id.getTag(key);
      return value != null && glob.matches(value);
    }

    @Override
    public String toString() {
      return key + "=" + glob;
    }
  }

  /**
   * @param target {@code udp://host:port} or {@code tcp://host:port} of an edge agent's statsd
   *     listener; empty: off
   * @param step how often gauges are read and deltas sent (Micrometer's polling frequency and step)
   */
  public record Config(
      Optional<URI> target, Duration step, List<Glob> namedrop, List<TagDrop> tagdrop) {
    /** Nothing sent. */
    public static final Config OFF = new Config(Optional.empty(), STEP.defaultValue());

    /** {@code target} every {@code step}, with the default drops. */
    public Config(Optional<URI> target, Duration step) {
      this(target, step, NAMEDROP.defaultValue(), TAGDROP.defaultValue());
    }

    /** Reads {@link #SETTINGS}. */
    public static Config read(SettingsReader r) {
      return new Config(r.get(TARGET), r.get(STEP), r.get(NAMEDROP), r.get(TAGDROP));
    }

    /** {@code udp://127.0.0.1:8125 every 10s}, or {@code off}. */
    public String summary() {
      return target.map(t -> t + " every " + Durations.format(step)).orElse("off");
    }

    /** Whether a meter with this id is left out. */
    boolean drops(Meter.Id id) {
      for (Glob g : namedrop) {
        if (g.matches(id.getName())) {
          return true;
        }
      }
      for (TagDrop t : tagdrop) {
        if (t.drops(id)) {
          return true;
        }
      }
      return false;
    }

    /** What is left out, for the start line: {@code dropping meters tagged task.id=*, ...}. */
    String dropSummary() {
      List<String> parts = new java.util.ArrayList<>();
      if (!namedrop.isEmpty()) {
        parts.add(
            "named " + namedrop.stream().map(Glob::toString).collect(Collectors.joining(", ")));
      }
      if (!tagdrop.isEmpty()) {
        parts.add(
            "tagged " + tagdrop.stream().map(TagDrop::toString).collect(Collectors.joining(", ")));
      }
      return parts.isEmpty() ? "" : " (not sent: meters " + String.join("; ", parts) + ")";
    }
  }

  private final List<AutoCloseable> binders;
  private final StatsdMeterRegistry statsd;

  private SelfMetrics(List<AutoCloseable> binders, StatsdMeterRegistry statsd) {
    this.binders = binders;
    this.statsd = statsd;
  }

  /**
   * Binds the JVM and process meters to {@code registry} (so {@code /metrics} shows them too) and,
   * when {@code config} has a target, starts sending every meter of {@code registry}, those
   * registered later included.
   *
   * @param tags the service's identity tags ({@code cluster}, {@code namespace}, {@code pod}), put
   *     on the JVM and process meters
   */
  public static SelfMetrics start(Config config, MeterRegistry registry, Tags tags) {
    JvmGcMetrics gc = new JvmGcMetrics(tags);
    new JvmMemoryMetrics(tags).bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics(tags).bindTo(registry);
    new ClassLoaderMetrics(tags).bindTo(registry);
    new ProcessorMetrics(tags).bindTo(registry);
    new UptimeMetrics(tags).bindTo(registry);
    new FileDescriptorMetrics(tags).bindTo(registry);
    if (config.target().isEmpty()) {
      return new SelfMetrics(List.of(gc), null);
    }
    StatsdMeterRegistry statsd = new StatsdMeterRegistry(statsdConfig(config), Clock.SYSTEM);
    filter(statsd, config);
    forward(registry, statsd);
    log.info("sending self-metrics to {}{}", config.summary(), config.dropSummary());
    return new SelfMetrics(List.of(gc), statsd);
  }

  /**
   * Like {@link #start(Config, MeterRegistry, Tags)}, with the lines handed to {@code lines}
   * instead of a socket (the line format without the network).
   */
  static SelfMetrics startTo(
      Config config, MeterRegistry registry, Tags tags, Consumer<String> lines) {
    StatsdMeterRegistry statsd =
        StatsdMeterRegistry.builder(statsdConfig(config)).lineSink(lines::accept).build();
    filter(statsd, config);
    forward(registry, statsd);
    return new SelfMetrics(List.of(), statsd);
  }

  private static void filter(MeterRegistry statsd, Config config) {
    // the drops see the service's own ids (pod, not yet pod_name)
    statsd.config().meterFilter(MeterFilter.deny(config::drops));
    statsd.config().meterFilter(MeterFilter.renameTag("", "pod", "pod_name"));
  }

  private static StatsdConfig statsdConfig(Config config) {
    URI target = config.target().orElseThrow();
    return new StatsdConfig() {
      @Override
      public String get(String key) {
        return null;
      }

      @Override
      public StatsdFlavor flavor() {
        // the edge agent reads DogStatsD tags (|#k:v) by default, as Telegraf does
        return StatsdFlavor.DATADOG;
      }

      @Override
      public String host() {
        return target.getHost();
      }

      @Override
      public int port() {
        return target.getPort();
      }

      @Override
      public StatsdProtocol protocol() {
        return "tcp".equals(target.getScheme()) ? StatsdProtocol.TCP : StatsdProtocol.UDP;
      }

      @Override
      public Duration pollingFrequency() {
        return config.step();
      }

      @Override
      public Duration step() {
        return config.step();
      }
    };
  }

  /** Mirrors every meter of {@code source}, present and future, into {@code statsd}. */
  private static void forward(MeterRegistry source, MeterRegistry statsd) {
    source.config().onMeterAdded(m -> mirror(m, statsd));
    source.config().onMeterRemoved(m -> statsd.removeByPreFilterId(m.getId()));
    source.getMeters().forEach(m -> mirror(m, statsd));
  }

  static void mirror(Meter meter, MeterRegistry statsd) {
    Meter.Id id = meter.getId();
    String name = id.getName();
    Tags tags = Tags.of(id.getTags());
    meter.use(
        gauge -> gauge(name, tags, gauge, Gauge::value, statsd),
        counter ->
            FunctionCounter.builder(name, counter, c -> c.count())
                .tags(tags)
                .baseUnit(id.getBaseUnit())
                .register(statsd),
        timer -> functionTimer(name, tags, timer, t -> t.count(), t -> t.totalTime(ms()), statsd),
        summary -> {
          FunctionCounter.builder(name + ".count", summary, s -> s.count())
              .tags(tags)
              .register(statsd);
          FunctionCounter.builder(name + ".sum", summary, s -> s.totalAmount())
              .tags(tags)
              .register(statsd);
        },
        longTask -> gauge(name + ".active", tags, longTask, t -> t.activeTasks(), statsd),
        timeGauge -> gauge(name, tags, timeGauge, Gauge::value, statsd),
        functionCounter ->
            FunctionCounter.builder(name, functionCounter, FunctionCounter::count)
                .tags(tags)
                .baseUnit(id.getBaseUnit())
                .register(statsd),
        functionTimer ->
            functionTimer(
                name, tags, functionTimer, t -> (long) t.count(), t -> t.totalTime(ms()), statsd),
        other -> {
          int i = 0;
          for (Measurement m : other.measure()) {
            final int index = i++;
            gauge(
                name,
                tags.and("statistic", m.getStatistic().getTagValueRepresentation()),
                other,
                o -> valueAt(o, index),
                statsd);
          }
        });
  }

  private static TimeUnit ms() {
    return TimeUnit.MILLISECONDS;
  }

  private static double valueAt(Meter meter, int index) {
    int i = 0;
    for (Measurement m : meter.measure()) {
      if (i++ == index) {
        return m.getValue();
      }
    }
    return Double.NaN;
  }

  private static <T> void gauge(
      String name,
      Tags tags,
      T obj,
      java.util.function.ToDoubleFunction<T> value,
      MeterRegistry statsd) {
    // strong: the source registry may hold its meter weakly, the mirror must not lose it earlier
    Gauge.builder(name, obj, value).tags(tags).strongReference(true).register(statsd);
  }

  private static <T> void functionTimer(
      String name,
      Tags tags,
      T obj,
      java.util.function.ToLongFunction<T> count,
      java.util.function.ToDoubleFunction<T> totalMillis,
      MeterRegistry statsd) {
    FunctionTimer.builder(name, obj, count, totalMillis, TimeUnit.MILLISECONDS)
        .tags(tags)
        .register(statsd);
  }

  /** {@code a.*,b.?} as patterns; {@code none} or empty: none. */
  static List<Glob> globs(String raw) {
    List<Glob> out = new java.util.ArrayList<>();
    for (String part : list(raw)) {
      out.add(glob(part));
    }
    return List.copyOf(out);
  }

  /** {@code key=glob,...}; {@code none} or empty: none. */
  static List<TagDrop> tagDrops(String raw) {
    List<TagDrop> out = new java.util.ArrayList<>();
    for (String part : list(raw)) {
      int eq = part.indexOf('=');
      if (eq <= 0 || eq == part.length() - 1) {
        throw new IllegalArgumentException(
            "'" + part + "' is not key=glob: use e.g. task.id=* or topic=fleetstats.*, or none");
      }
      out.add(new TagDrop(part.substring(0, eq).trim(), glob(part.substring(eq + 1).trim())));
    }
    return List.copyOf(out);
  }

  private static List<String> list(String raw) {
    String text = raw.trim();
    if (text.isEmpty() || text.equalsIgnoreCase("none")) {
      return List.of();
    }
    return java.util.Arrays.stream(text.split(","))
        .map(String::trim)
        .filter(p -> !p.isEmpty())
        .toList();
  }

  /** A glob ({@code *} any text, {@code ?} one character) matching whole strings. */
  public record Glob(String text, Pattern regex) {
    boolean matches(String value) {
      return regex.matcher(value).matches();
    }

    @Override
    public String toString() {
      return text;
    }
  }

  static Glob glob(String glob) {
    StringBuilder regex = new StringBuilder();
    StringBuilder literal = new StringBuilder();
    for (char c : glob.toCharArray()) {
      if (c == '*' || c == '?') {
        if (literal.length() > 0) {
          regex.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        regex.append(c == '*' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    if (literal.length() > 0) {
      regex.append(Pattern.quote(literal.toString()));
    }
    return new Glob(glob, Pattern.compile(regex.toString()));
  }

  /** {@code udp://host:port}, {@code tcp://host:port}, or {@code off}/{@code none}. */
  static Optional<URI> target(String raw) {
    String text = raw.trim();
    if (text.equalsIgnoreCase("off") || text.equalsIgnoreCase("none")) {
      return Optional.empty();
    }
    String allowed = "udp://host:port or tcp://host:port of an edge agent's statsd port, or off";
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(allowed, e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("udp") || scheme.equals("tcp"))
        || uri.getHost() == null
        || uri.getPort() < 1
        || (uri.getPath() != null && !uri.getPath().isEmpty())) {
      throw new IllegalArgumentException(allowed);
    }
    return Optional.of(uri);
  }

  /** Stops sending (what is buffered is flushed) and unbinds the GC listener. */
  @Override
  public void close() {
    if (statsd != null) {
      statsd.close();
    }
    for (AutoCloseable c : binders) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("cannot close {}: {}", c, e.toString());
      }
    }
  }
}
