package io.fleetstats.stream.replay;

import com.dynatrace.hash4j.hashing.Hasher64;
import com.dynatrace.hash4j.hashing.Hashing;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.ClusterMetadata;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.StatsdBatchReader;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.SinkConfig;
import io.fleetstats.sink.delivery.ProxyClient;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.sink.format.WavefrontFormatter;
import io.fleetstats.sink.kit.delivery.Backoff;
import io.fleetstats.sink.kit.delivery.BatchSender;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.aggregate.Windows;
import io.fleetstats.stream.topology.ReplayTopology;
import io.fleetstats.stream.topology.StreamMetrics;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.net.URI;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * One replay run: plans the offsets to read, restores or starts the live processors in-process
 * ({@link ReplayTopology}), feeds them the range in a deterministic order ({@link RangeReader}),
 * writes the aggregates of windows inside the range as Wavefront lines with the sink's formatter,
 * and reports progress and a summary.
 */
final class Replay {

  /** A problem with the arguments or what they point at: exit 2, naming the flag. */
  static final class UsageException extends RuntimeException {
    final String flag;

    UsageException(String flag, String message) {
      super(flag + ": " + message);
      this.flag = flag;
    }
  }

  /** The replay was asked to stop; its checkpoint is written. */
  static final class Interrupted extends RuntimeException {
    Interrupted(String message) {
      super(message);
    }
  }

  /** Which records and series take part. Empty sets and lists let everything through. */
  record Filters(
      Set<String> clusters, Set<String> namespaces, List<Pattern> sources, List<Pattern> metrics) {
    boolean source(Source s) {
      if (!clusters.isEmpty() && !clusters.contains(s.getCluster())) {
        return false;
      }
      if (!namespaces.isEmpty() && !namespaces.contains(s.getNamespace())) {
        return false;
      }
      if (sources.isEmpty()) {
        return true;
      }
      String id = Sources.id(s);
      for (Pattern p : sources) {
        if (p.matcher(id).matches() || p.matcher(s.getPod()).matches()) {
          return true;
        }
      }
      return false;
    }

    boolean metric(String name) {
      if (metrics.isEmpty()) {
        return true;
      }
      for (Pattern p : metrics) {
        if (p.matcher(name).matches()) {
          return true;
        }
      }
      return false;
    }

    /** A glob ({@code *} any run of characters, {@code ?} one) as a pattern. */
    static Pattern glob(String glob) {
      StringBuilder re = new StringBuilder();
      for (String part : glob.split("(?=[*?])|(?<=[*?])")) {
        switch (part) {
          case "*" -> re.append(".*");
          case "?" -> re.append('.');
          default -> re.append(Pattern.quote(part));
        }
      }
      return Pattern.compile(re.toString());
    }
  }

  /**
   * Everything a run needs, resolved and checked.
   *
   * @param from start of the event-time range (aligned to the window), inclusive
   * @param to end (aligned), exclusive
   * @param topics raw topics named by {@code --topics}; empty: those matching the raw topic pattern
   * @param fields aggregate fields to write; empty: all
   * @param output where the aggregates go; null with {@code dryRun}
   * @param rateLimit most points a second sent to a proxy; 0 = no limit
   * @param haltAfterRecords stop (writing the checkpoint) after this many records; 0 = never
   * @param includeLate also aggregate the samples the live processor dead-lettered as late
   */
  record Plan(
      StreamConfig config,
      WavefrontFormatter.Options format,
      Instant from,
      Instant to,
      List<String> topics,
      Filters filters,
      Set<String> fields,
      Target output,
      double rateLimit,
      SinkConfig sink,
      boolean dryRun,
      Path checkpoint,
      Duration checkpointInterval,
      Duration timeout,
      Duration progressInterval,
      long haltAfterRecords,
      boolean includeLate,
      String arguments) {}

  /**
   * Where the aggregates go: {@code file} (Wavefront lines), {@code proxy} (Wavefront lines over
   * HTTP, as the sink sends them) or {@code topic} (Aggregate records, as the live processor writes
   * them).
   */
  record Target(String kind, String where) {
    @Override
    public String toString() {
      return kind + ":" + where;
    }
  }

  /** Receives what is written: the aggregate (with its record key) and its lines. */
  private interface Out extends java.io.Closeable {
    void write(String key, Aggregate aggregate, List<String> lines) throws IOException;

    /** Makes everything written so far durable (before a checkpoint). */
    void flush() throws IOException;

    /** The file's length, for a checkpoint; 0 for other outputs. */
    default long position() {
      return 0;
    }
  }

  private final Plan plan;
  private final PrintStream out;
  private final PrintStream log;
  private final AggregateLines lines;
  private final Hasher64 hasher = Hashing.xxh3_64();
  private final long windowMs;

  // counts (kept in checkpoints)
  private final Map<String, Long> counts = new LinkedHashMap<>();
  private final Set<Long> series = new HashSet<>();
  private final TreeSet<Long> windows = new TreeSet<>();
  private final Map<String, Long> invalid = new TreeMap<>();

  private Out sinkOut;
  private long fromMs;
  private long toMs;
  private volatile boolean stopRequested;

  /** A batch of samples the live processor dead-lettered as late, fed at its own event time. */
  private record LateBatch(long eventTime, String key, StatsdBatch batch) {}

  /** Per raw batch (agent, sequence, source) and series, the windows fed from the dead letters. */
  private final Map<String, Map<String, Set<Long>>> included = new HashMap<>();

  /** The raw partition (live task) of each source seen so far. */
  private final Map<String, Integer> sourcePartitions = new HashMap<>();

  private TreeSet<Integer> tasks;

  /**
   * Partitions whose read starts at the oldest record kept, after retention deleted older ones,
   * until their first record is read.
   */
  private final Set<TopicPartition> truncated = new HashSet<>();

  Replay(Plan plan, PrintStream out, PrintStream log) {
    this.plan = plan;
    this.out = out;
    this.log = log;
    this.lines = AggregateLines.of(plan.format());
    this.windowMs = plan.config().window().toMillis();
    for (String k :
        List.of(
            "records",
            "samples",
            "records-filtered",
            "records-undecodable",
            "aggregates",
            "aggregates-outside-range",
            "points",
            "invalid-lines",
            "late-samples",
            "dead-lettered",
            "late-batches-included",
            "late-samples-included",
            "late-samples-deduplicated")) {
      counts.put(k, 0L);
    }
  }

  /** Asks a running replay to stop at the next record, writing its checkpoint. */
  void requestStop() {
    stopRequested = true;
  }

  long count(String key) {
    return counts.getOrDefault(key, 0L);
  }

  /**
   * Runs the replay to its end.
   *
   * @return the summary's counts
   * @throws UsageException when Kafka, a topic or the checkpoint is not as the arguments say
   * @throws Interrupted when stopped before the end (the checkpoint, if any, is written)
   */
  Map<String, Long> run() throws IOException {
    Checkpoint resumed = null;
    if (plan.checkpoint() != null && Files.exists(plan.checkpoint())) {
      try {
        resumed = Checkpoint.read(plan.checkpoint());
      } catch (IOException e) {
        throw new UsageException(
            "--checkpoint",
            plan.checkpoint()
                + " cannot be read ("
                + e.getMessage()
                + "); delete it to start the replay from the beginning");
      }
      if (!resumed.arguments().equals(plan.arguments())) {
        throw new UsageException(
            "--checkpoint",
            plan.checkpoint()
                + " was written by a replay with other arguments ("
                + resumed.arguments()
                + "); use the same arguments, or delete it to start afresh");
      }
    }
    fromMs = resumed != null ? resumed.from() : plan.from().toEpochMilli();
    toMs = resumed != null ? resumed.to() : plan.to().toEpochMilli();
    StreamConfig config = plan.config();
    Topics topics = config.topics();
    long lateness = config.allowedLateness().toMillis();
    long grace = config.grace().toMillis();
    KafkaConsumer<String, byte[]> client;
    try {
      client = consumer();
    } catch (org.apache.kafka.common.KafkaException e) {
      throw new UsageException(
          "--bootstrap",
          "cannot use Kafka at '"
              + plan.config().bootstrap()
              + "' ("
              + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage())
              + "); give HOST:PORT of a reachable broker");
    }
    try (KafkaConsumer<String, byte[]> consumer = client) {
      List<RangeReader.Range> ranges;
      if (resumed != null) {
        ranges = resumed.ranges();
      } else {
        ranges = plan(consumer, fromMs - lateness, toMs + grace + lateness);
      }
      Map<String, ClusterMetadata> clusters = clusters(topics);
      TreeSet<Integer> partitions = new TreeSet<>();
      for (RangeReader.Range r : ranges) {
        if (r.stop() > r.start()) {
          partitions.add(r.partition().partition());
        }
      }
      tasks = partitions;
      List<LateBatch> late = plan.includeLate() ? readLate(topics) : List.of();
      openOutput(resumed);
      if (resumed != null) {
        counts.putAll(resumed.counts());
        for (long s : resumed.series()) {
          series.add(s);
        }
        for (long w : resumed.windows()) {
          windows.add(w);
        }
        log.printf(
            "fleetstats-replay: resuming from %s (%d of %d records done)%n",
            plan.checkpoint(),
            count("records"),
            ranges.stream().mapToLong(r -> r.stop() - r.start()).sum());
      }
      ReplayTopology topology =
          new ReplayTopology(
              config,
              partitions,
              clusters,
              fromMs - lateness,
              new ReplayTopology.Output() {
                @Override
                public void aggregate(String key, Aggregate aggregate) {
                  write(key, aggregate);
                }

                @Override
                public void deadLetter(String reason, String key, byte[] value) {
                  add("dead-lettered", 1);
                  add("dead-lettered-" + reason, 1);
                }
              },
              resumed == null ? null : resumed.state());
      long lateBefore = count("late-samples");
      RangeReader reader =
          new RangeReader(
              consumer,
              ranges,
              resumed == null ? Map.of() : resumed.positions(),
              plan.timeout().multipliedBy(2));
      StatsdBatchReader decoder =
          new StatsdBatchReader(topics.rawStatsd().valueSerde().deserializer());
      Progress progress =
          new Progress(
              log,
              plan.progressInterval(),
              reader,
              fromMs,
              toMs,
              count("records"),
              count("samples"));
      long lastCheckpoint = System.nanoTime();
      long recordsThisRun = 0;
      int lateNext = (int) count("late-batches-included");
      for (int i = 0; i < lateNext; i++) {
        remember(late.get(i));
      }
      ConsumerRecord<String, byte[]> rec;
      while ((rec = reader.next()) != null) {
        while (lateNext < late.size() && late.get(lateNext).eventTime() <= rec.timestamp()) {
          include(topology, late.get(lateNext++));
        }
        feed(topology, decoder, rec);
        recordsThisRun++;
        progress.maybeReport(count("records"), count("samples"), topology.now());
        boolean halt = plan.haltAfterRecords() > 0 && recordsThisRun >= plan.haltAfterRecords();
        if (stopRequested || halt) {
          if (plan.checkpoint() != null) {
            checkpoint(reader, topology, lateBefore);
          }
          flush();
          throw new Interrupted(
              plan.checkpoint() != null
                  ? "stopped after "
                      + count("records")
                      + " records; checkpoint written to "
                      + plan.checkpoint()
                      + ": run the same command again to continue"
                  : "stopped after "
                      + count("records")
                      + " records (no --checkpoint: nothing kept)");
        }
        if (plan.checkpoint() != null
            && System.nanoTime() - lastCheckpoint > plan.checkpointInterval().toNanos()) {
          checkpoint(reader, topology, lateBefore);
          lastCheckpoint = System.nanoTime();
        }
      }
      while (lateNext < late.size()) {
        include(topology, late.get(lateNext++));
      }
      topology.finish();
      counts.put("late-samples", lateBefore + topology.counter(StreamMetrics.LATE_SAMPLES));
      flush();
      closeOutput();
      progress.report(count("records"), count("samples"), topology.now(), true);
      if (plan.checkpoint() != null) {
        Files.deleteIfExists(plan.checkpoint());
      }
      counts.put("series", (long) series.size());
      counts.put("windows", (long) windows.size());
      summary();
      return counts;
    }
  }

  private void feed(
      ReplayTopology topology, StatsdBatchReader decoder, ConsumerRecord<String, byte[]> rec) {
    add("records", 1);
    if (!truncated.isEmpty()) {
      boolean first = truncated.remove(new TopicPartition(rec.topic(), rec.partition()));
      if (first && rec.timestamp() > fromMs) {
        add("partitions-truncated", 1);
        log.printf(
            "fleetstats-replay: warning: %s-%d keeps records from %s only (retention.ms deleted"
                + " older ones), after the range's start %s: windows before then are incomplete%n",
            rec.topic(),
            rec.partition(),
            Instant.ofEpochMilli(rec.timestamp()),
            Instant.ofEpochMilli(fromMs));
      }
    }
    StatsdBatch batch;
    try {
      batch = decoder.deserialize(rec.topic(), rec.value());
    } catch (RuntimeException e) {
      add("records-undecodable", 1);
      return;
    }
    if (batch == null) {
      return;
    }
    Filters f = plan.filters();
    if (!f.source(batch.getSource())) {
      add("records-filtered", 1);
      topology.advance(rec.timestamp());
      return;
    }
    if (!f.metrics().isEmpty()) {
      List<Series> kept = new ArrayList<>(batch.getSeries().size());
      for (Series s : batch.getSeries()) {
        if (f.metric(s.getName())) {
          kept.add(s);
        }
      }
      // an empty batch still moves its source's time, as a heartbeat does live
      batch.setSeries(kept);
    }
    if (!included.isEmpty()) {
      withoutIncluded(batch);
    }
    long samples = 0;
    for (Series s : batch.getSeries()) {
      samples += Windows.sampleCount(s);
    }
    add("samples", samples);
    sourcePartitions.putIfAbsent(Sources.id(batch.getSource()), rec.partition());
    topology.process(rec.partition(), rec.key(), batch, rec.timestamp());
  }

  /**
   * The dead-letter topic's {@code late} batches whose samples fall in the range, in event-time
   * order. Late data is rare by design, so they are held in memory.
   */
  private List<LateBatch> readLate(Topics topics) {
    List<LateBatch> out = new ArrayList<>();
    String topic = topics.deadletter().name();
    var decoder = topics.rawStatsd().valueSerde().deserializer();
    try (KafkaConsumer<String, byte[]> c = consumer()) {
      List<PartitionInfo> parts = c.partitionsFor(topic, plan.timeout());
      if (parts == null || parts.isEmpty()) {
        log.println(
            "fleetstats-replay: --include-late: no topic " + topic + ", nothing to include");
        return out;
      }
      List<TopicPartition> tps =
          parts.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      Map<TopicPartition, Long> ends = c.endOffsets(tps, plan.timeout());
      Map<TopicPartition, Long> times = new HashMap<>();
      tps.forEach(tp -> times.put(tp, fromMs));
      Map<TopicPartition, OffsetAndTimestamp> starts = c.offsetsForTimes(times, plan.timeout());
      List<RangeReader.Range> ranges = new ArrayList<>();
      for (TopicPartition tp : tps) {
        OffsetAndTimestamp s = starts.get(tp);
        ranges.add(new RangeReader.Range(tp, s == null ? ends.get(tp) : s.offset(), ends.get(tp)));
      }
      RangeReader reader = new RangeReader(c, ranges, Map.of(), plan.timeout().multipliedBy(2));
      ConsumerRecord<String, byte[]> r;
      while ((r = reader.next()) != null) {
        var reason = r.headers().lastHeader("fleetstats.reason");
        if (reason == null
            || !"late".equals(new String(reason.value(), StandardCharsets.UTF_8))
            || r.value() == null) {
          continue;
        }
        StatsdBatch b;
        try {
          b = decoder.deserialize(topic, r.value());
        } catch (RuntimeException e) {
          add("records-undecodable", 1);
          continue;
        }
        if (!plan.filters().source(b.getSource())) {
          continue;
        }
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        List<Series> kept = new ArrayList<>();
        for (Series s : b.getSeries()) {
          if (!plan.filters().metric(s.getName())) {
            continue;
          }
          kept.add(s);
          for (Windows.Slice slice : Windows.slices(s, b.getCreatedAt(), windowMs)) {
            min = Math.min(min, slice.windowStart());
            max = Math.max(max, slice.windowStart());
          }
        }
        if (kept.isEmpty() || max < fromMs || min >= toMs) {
          continue;
        }
        b.setSeries(kept);
        out.add(new LateBatch(min, r.key(), b));
      }
    }
    // stable: equal times keep the topic's order
    out.sort(java.util.Comparator.comparingLong(LateBatch::eventTime));
    log.printf(
        "fleetstats-replay: --include-late: %d dead-lettered late batches in the range%n",
        out.size());
    return out;
  }

  /**
   * Feeds a late batch to the task of its source at its own event time (the clock does not move
   * back), where its windows are still open, and remembers its windows so that the same samples in
   * the raw record (the live processor found them late there) are not counted twice.
   */
  private void include(ReplayTopology topology, LateBatch late) {
    remember(late);
    String source = Sources.id(late.batch().getSource());
    Integer p = sourcePartitions.get(source);
    if (p == null || !tasks.contains(p)) {
      p = tasks.first();
    }
    long samples = 0;
    for (Series s : late.batch().getSeries()) {
      samples += Windows.sampleCount(s);
    }
    add("late-batches-included", 1);
    add("late-samples-included", samples);
    // fed without its batch id: it shares it with its raw record (the processor would take it for
    // a re-sent copy), whose samples of these windows remember() keeps from being counted twice
    StatsdBatch anonymous = StatsdBatch.newBuilder(late.batch()).setSequence(0).build();
    topology.process(p, late.key(), anonymous, late.eventTime());
  }

  private void remember(LateBatch late) {
    StatsdBatch b = late.batch();
    if (b.getAgentId().isEmpty()) {
      return; // no batch identity: its raw record cannot be told apart (agents always set one)
    }
    Map<String, Set<Long>> bySeries = included.computeIfAbsent(batchKey(b), k -> new HashMap<>());
    for (Series s : b.getSeries()) {
      Set<Long> w = bySeries.computeIfAbsent(seriesKey(s), k -> new HashSet<>());
      for (Windows.Slice slice : Windows.slices(s, b.getCreatedAt(), windowMs)) {
        w.add(slice.windowStart());
      }
    }
  }

  /** Drops from a raw batch the samples already fed from its dead-lettered copy. */
  private void withoutIncluded(StatsdBatch batch) {
    if (batch.getAgentId().isEmpty()) {
      return;
    }
    Map<String, Set<Long>> bySeries = included.get(batchKey(batch));
    if (bySeries == null) {
      return;
    }
    List<Series> kept = new ArrayList<>(batch.getSeries().size());
    for (Series s : batch.getSeries()) {
      Set<Long> windows = bySeries.get(seriesKey(s));
      if (windows == null) {
        kept.add(s);
        continue;
      }
      int n = Windows.sampleCount(s);
      int[] idx = new int[n];
      int count = 0;
      for (Windows.Slice slice : Windows.slices(s, batch.getCreatedAt(), windowMs)) {
        if (windows.contains(slice.windowStart())) {
          add("late-samples-deduplicated", slice.count());
        } else {
          for (int i = 0; i < slice.count(); i++) {
            idx[count++] = slice.indices()[i];
          }
        }
      }
      if (count == n) {
        kept.add(s);
      } else if (count > 0) {
        java.util.Arrays.sort(idx, 0, count);
        kept.add(Windows.subset(s, idx, count));
      }
    }
    batch.setSeries(kept);
  }

  private static String batchKey(StatsdBatch b) {
    return b.getAgentId() + '|' + b.getSequence() + '|' + Sources.id(b.getSource());
  }

  private static String seriesKey(Series s) {
    return s.getName() + '|' + s.getType() + '|' + new TreeMap<>(s.getTags());
  }

  private void write(String key, Aggregate a) {
    long start = a.getWindowStart();
    if (start < fromMs || start >= toMs) {
      add("aggregates-outside-range", 1);
      return;
    }
    if (!plan.fields().isEmpty()) {
      Map<String, Double> kept = new LinkedHashMap<>();
      a.getFields()
          .forEach(
              (k, v) -> {
                if (plan.fields().contains(k)) {
                  kept.put(k, v);
                }
              });
      a.setFields(kept);
    }
    add("aggregates", 1);
    AggregateLines.Result r = lines.apply(a);
    for (AggregateLines.Invalid i : r.invalid()) {
      invalid.merge(i.verdict().reason().toString(), 1L, Long::sum);
    }
    add("invalid-lines", r.invalid().size());
    add("points", r.text().size());
    windows.add(start);
    series.add(seriesHash(a));
    if (sinkOut != null) {
      try {
        sinkOut.write(key, a, r.text());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  private long seriesHash(Aggregate a) {
    StringBuilder b = new StringBuilder(128);
    b.append(a.getName()).append('|').append(a.getSource());
    new TreeMap<>(a.getTags()).forEach((k, v) -> b.append('|').append(k).append('=').append(v));
    return hasher.hashCharsToLong(b);
  }

  private void add(String key, long n) {
    counts.merge(key, n, Long::sum);
  }

  private KafkaConsumer<String, byte[]> consumer() {
    StreamConfig c = plan.config();
    Map<String, Object> props = new HashMap<>();
    Set<String> names = ConsumerConfig.configNames();
    c.kafka()
        .forEach(
            (k, v) -> {
              if (k.startsWith("consumer.") && names.contains(k.substring(9))) {
                props.put(k.substring(9), v);
              } else if (names.contains(k) && !props.containsKey(k)) {
                props.put(k, v);
              }
            });
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrap());
    // no group: partitions are assigned, nothing is committed, no live group is touched
    props.remove(ConsumerConfig.GROUP_ID_CONFIG);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "fleetstats-replay");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
    props.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) plan.timeout().toMillis());
    props.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) plan.timeout().toMillis());
    props.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20);
    props.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20);
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * The offsets to read: from {@code readFrom} (by time) to the end captured now or {@code readTo}.
   */
  private List<RangeReader.Range> plan(
      KafkaConsumer<String, byte[]> consumer, long readFrom, long readTo) {
    Map<String, List<PartitionInfo>> all;
    try {
      all = consumer.listTopics(plan.timeout());
    } catch (TimeoutException e) {
      throw new UsageException(
          "--bootstrap",
          "Kafka at "
              + plan.config().bootstrap()
              + " did not answer within "
              + plan.timeout().toSeconds()
              + " s (check the address, FLEETSTATS_KAFKA_* security settings, or raise --timeout)");
    }
    List<String> names = new ArrayList<>();
    if (!plan.topics().isEmpty()) {
      for (String t : plan.topics()) {
        if (!all.containsKey(t)) {
          throw new UsageException(
              "--topics",
              "topic '"
                  + t
                  + "' does not exist on "
                  + plan.config().bootstrap()
                  + " (raw topics there: "
                  + String.join(", ", matching(all.keySet(), plan.config().rawStatsdTopics()))
                  + ")");
        }
        names.add(t);
      }
    } else {
      names.addAll(matching(all.keySet(), plan.config().rawStatsdTopics()));
      if (names.isEmpty()) {
        throw new UsageException(
            "--topics",
            "no topic on "
                + plan.config().bootstrap()
                + " matches the raw topic pattern '"
                + plan.config().rawStatsdTopics()
                + "'; name the topics with --topics or set FLEETSTATS_RAW_TOPIC_PATTERN");
      }
    }
    List<TopicPartition> tps = new ArrayList<>();
    for (String t : names) {
      all.get(t).stream()
          .map(p -> new TopicPartition(t, p.partition()))
          .sorted((a, b) -> Integer.compare(a.partition(), b.partition()))
          .forEach(tps::add);
    }
    Map<TopicPartition, Long> ends = consumer.endOffsets(tps, plan.timeout());
    Map<TopicPartition, Long> beginnings = consumer.beginningOffsets(tps, plan.timeout());
    Map<TopicPartition, Long> startTimes = new HashMap<>();
    Map<TopicPartition, Long> stopTimes = new HashMap<>();
    for (TopicPartition tp : tps) {
      startTimes.put(tp, Math.max(0, readFrom));
      stopTimes.put(tp, Math.max(0, readTo));
    }
    Map<TopicPartition, OffsetAndTimestamp> starts =
        consumer.offsetsForTimes(startTimes, plan.timeout());
    Map<TopicPartition, OffsetAndTimestamp> stops =
        consumer.offsetsForTimes(stopTimes, plan.timeout());
    List<RangeReader.Range> ranges = new ArrayList<>();
    for (TopicPartition tp : tps) {
      long end = ends.get(tp);
      OffsetAndTimestamp s = starts.get(tp);
      OffsetAndTimestamp e = stops.get(tp);
      long start = s == null ? end : s.offset();
      long stop = e == null ? end : Math.min(end, e.offset());
      ranges.add(new RangeReader.Range(tp, start, Math.max(start, stop)));
      long first = beginnings.getOrDefault(tp, 0L);
      if (first > 0 && start == first) {
        // retention deleted records here: the first one kept may be newer than the range's start
        truncated.add(tp);
      }
    }
    return ranges;
  }

  private static List<String> matching(Set<String> topics, Pattern pattern) {
    return topics.stream().filter(t -> pattern.matcher(t).matches()).sorted().toList();
  }

  /** The cluster metadata topic, read whole (it is compacted and small), as the global store. */
  private Map<String, ClusterMetadata> clusters(Topics topics) {
    Map<String, ClusterMetadata> out = new HashMap<>();
    try (KafkaConsumer<String, byte[]> c = consumer()) {
      List<PartitionInfo> parts = c.partitionsFor(topics.clusters().name(), plan.timeout());
      if (parts == null || parts.isEmpty()) {
        return out;
      }
      List<TopicPartition> tps =
          parts.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      Map<TopicPartition, Long> ends = c.endOffsets(tps, plan.timeout());
      c.assign(tps);
      c.seekToBeginning(tps);
      var deserializer = topics.clusters().valueSerde().deserializer();
      long deadline = System.nanoTime() + plan.timeout().toNanos();
      while (tps.stream().anyMatch(tp -> c.position(tp) < ends.get(tp))) {
        if (System.nanoTime() > deadline) {
          log.println(
              "fleetstats-replay: cluster metadata not read whole; cluster tags may be missing");
          break;
        }
        for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
          if (r.key() == null) {
            continue;
          }
          if (r.value() == null) {
            out.remove(r.key());
          } else {
            try {
              out.put(r.key(), deserializer.deserialize(r.topic(), r.value()));
            } catch (RuntimeException e) {
              // an unreadable record is skipped, as the live global store would fail on it
            }
          }
        }
      }
    }
    return out;
  }

  private void openOutput(Checkpoint resumed) throws IOException {
    if (plan.dryRun()) {
      return;
    }
    switch (plan.output().kind()) {
      case "file" -> sinkOut = fileOutput(Path.of(plan.output().where()), resumed);
      case "proxy" -> sinkOut = new ProxyOut(URI.create(plan.output().where()));
      default -> sinkOut = new TopicOut(plan.output().where());
    }
  }

  private Out fileOutput(Path file, Checkpoint resumed) throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    FileChannel ch;
    if (resumed != null) {
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      if (ch.size() < resumed.outputBytes()) {
        ch.close();
        throw new UsageException(
            "--checkpoint",
            file
                + " is shorter than the checkpoint says it was ("
                + resumed.outputBytes()
                + " bytes); delete the checkpoint to start afresh");
      }
      ch.truncate(resumed.outputBytes());
      ch.position(resumed.outputBytes());
    } else {
      ch =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING);
    }
    CountingStream bytes = new CountingStream(Channels.newOutputStream(ch), ch.position());
    Writer writer =
        new BufferedWriter(new OutputStreamWriter(bytes, StandardCharsets.UTF_8), 1 << 16);
    return new Out() {
      @Override
      public void write(String key, Aggregate aggregate, List<String> lines) throws IOException {
        for (String line : lines) {
          writer.write(line);
          writer.write('\n');
        }
      }

      @Override
      public void flush() throws IOException {
        writer.flush();
      }

      @Override
      public long position() {
        return bytes.count();
      }

      @Override
      public void close() throws IOException {
        writer.close();
      }
    };
  }

  /**
   * Lines to a Wavefront proxy with the sink's sender: batches of the sink's size, retries with
   * capped backoff, {@code Retry-After} honoured, a 400 bisected and a 413 split; optionally paced
   * to {@code --rate-limit} points a second.
   */
  private final class ProxyOut implements Out {
    private final BatchSender<String> sender;
    private final List<String> buffer = new ArrayList<>();
    private final int batchLines;
    private final long startedAt = System.nanoTime();
    private long sent;

    ProxyOut(URI url) {
      SinkConfig s = plan.sink();
      this.batchLines = s.batchLines();
      this.sender =
          new BatchSender<>(
              new ProxyClient(url, s.requestTimeout(), s.token(), s.gzipLevel()),
              Backoff.upTo(s.retryMaxBackoff()),
              java.util.concurrent.ThreadLocalRandom.current()::nextDouble);
    }

    @Override
    public void write(String key, Aggregate aggregate, List<String> lines) throws IOException {
      buffer.addAll(lines);
      if (buffer.size() >= batchLines) {
        flush();
      }
    }

    @Override
    public void flush() throws IOException {
      if (buffer.isEmpty()) {
        return;
      }
      pace(buffer.size());
      BatchSender.Result r;
      try {
        r =
            sender.send(
                List.copyOf(buffer),
                "wavefront",
                delay -> {
                  Thread.sleep(Math.max(1, delay.toMillis()));
                  return !stopRequested;
                });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while sending to the proxy", e);
      }
      switch (r.status()) {
        case DELIVERED -> {
          add("points-sent", buffer.size() - r.rejected().size());
          add("points-rejected", r.rejected().size());
          sent += buffer.size();
          buffer.clear();
        }
        case STOPPED -> throw new Interrupted("stopped while the proxy was retried: " + r.detail());
        default ->
            throw new IOException(
                "the proxy refused the lines ("
                    + r.detail()
                    + "); check the URL and FLEETSTATS_WAVEFRONT_TOKEN");
      }
    }

    /** Waits until sending {@code n} more points keeps the average at or under the limit. */
    private void pace(int n) throws IOException {
      if (plan.rateLimit() <= 0) {
        return;
      }
      long due = startedAt + (long) ((sent + n) / plan.rateLimit() * 1e9);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        try {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while pacing", e);
        }
      }
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  /** Aggregate records to a topic, keyed as the live processor keys them. */
  private final class TopicOut implements Out {
    private final org.apache.kafka.clients.producer.KafkaProducer<String, Aggregate> producer;
    private final String topic;
    private volatile Exception failure;

    TopicOut(String topic) {
      this.topic = topic;
      Map<String, Object> props = new HashMap<>();
      Set<String> names = org.apache.kafka.clients.producer.ProducerConfig.configNames();
      plan.config()
          .kafka()
          .forEach(
              (k, v) -> {
                if (k.startsWith("producer.") && names.contains(k.substring(9))) {
                  props.put(k.substring(9), v);
                } else if (names.contains(k) && !props.containsKey(k)) {
                  props.put(k, v);
                }
              });
      props.put("bootstrap.servers", plan.config().bootstrap());
      props.put("acks", "all");
      props.put("enable.idempotence", true);
      props.put("client.id", "fleetstats-replay");
      props.putIfAbsent("linger.ms", 20);
      props.putIfAbsent("compression.type", "lz4");
      Topics topics = plan.config().topics();
      producer =
          new org.apache.kafka.clients.producer.KafkaProducer<>(
              props,
              topics.aggregates().keySerde().serializer(),
              topics.aggregates().valueSerde().serializer());
    }

    @Override
    public void write(String key, Aggregate aggregate, List<String> lines) throws IOException {
      check();
      producer.send(
          new org.apache.kafka.clients.producer.ProducerRecord<>(
              topic, null, aggregate.getWindowStart(), key, aggregate),
          (md, e) -> {
            if (e != null && failure == null) {
              failure = e;
            }
          });
      add("records-produced", 1);
    }

    @Override
    public void flush() throws IOException {
      producer.flush();
      check();
    }

    private void check() throws IOException {
      if (failure != null) {
        throw new IOException("writing to topic " + topic + " failed: " + failure, failure);
      }
    }

    @Override
    public void close() throws IOException {
      try {
        flush();
      } finally {
        producer.close(Duration.ofSeconds(30));
      }
    }
  }

  private void flush() throws IOException {
    if (sinkOut != null) {
      sinkOut.flush();
    }
  }

  private void closeOutput() throws IOException {
    if (sinkOut != null) {
      sinkOut.close();
      sinkOut = null;
    }
  }

  private void checkpoint(RangeReader reader, ReplayTopology topology, long lateBefore)
      throws IOException {
    flush();
    Map<String, Long> saved = new LinkedHashMap<>(counts);
    saved.put("late-samples", lateBefore + topology.counter(StreamMetrics.LATE_SAMPLES));
    new Checkpoint(
            plan.arguments(),
            fromMs,
            toMs,
            reader.ranges(),
            reader.positions(),
            sinkOut == null ? 0 : sinkOut.position(),
            saved,
            series.stream().mapToLong(Long::longValue).toArray(),
            windows.stream().mapToLong(Long::longValue).toArray(),
            topology.state())
        .write(plan.checkpoint());
  }

  private void summary() {
    out.printf(
        "fleetstats-replay %s: range %s .. %s, %d records (%d filtered out, %d undecodable),"
            + " %d samples, %d series, %d windows, %d aggregates, %d points%s%n",
        plan.dryRun() ? "dry run" : "done",
        Instant.ofEpochMilli(fromMs),
        Instant.ofEpochMilli(toMs),
        count("records"),
        count("records-filtered"),
        count("records-undecodable"),
        count("samples"),
        count("series"),
        count("windows"),
        count("aggregates"),
        count("points"),
        plan.dryRun() ? " (nothing written)" : " written to " + plan.output());
    if (count("points-sent") > 0 || count("points-rejected") > 0) {
      out.printf(
          "  %d points accepted by the proxy, %d refused on their own (400/413)%n",
          count("points-sent"), count("points-rejected"));
    }
    if (count("records-produced") > 0) {
      out.printf("  %d Aggregate records produced%n", count("records-produced"));
    }
    if (count("late-batches-included") > 0) {
      out.printf(
          "  %d samples the live processor had dead-lettered as late are included (%d batches; %d"
              + " samples of their raw records were not counted again)%n",
          count("late-samples-included"),
          count("late-batches-included"),
          count("late-samples-deduplicated"));
    }
    if (count("late-samples") > 0) {
      out.printf(
          "  %d samples were late for their windows (as live: after %s of allowed lateness);"
              + " they are not in the output (--include-late adds those the live processor dead-lettered)%n",
          count("late-samples"), plan.config().allowedLateness());
    }
    if (count("invalid-lines") > 0) {
      out.printf(
          "  %d lines failed validation and were not written: %s%n",
          count("invalid-lines"), invalid);
    }
  }

  /** An output stream that counts what went through: the output file's length for checkpoints. */
  private static final class CountingStream extends java.io.FilterOutputStream {
    private long count;

    CountingStream(java.io.OutputStream out, long start) {
      super(out);
      this.count = start;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    long count() {
      return count;
    }
  }
}
