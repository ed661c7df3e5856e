package io.fleetstats.stream.replay;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.stream.ItKafka;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.StreamProcessor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay on a real in-JVM KRaft broker against the live stream processor: known traffic from
 * three pods (and a fourth on a mirrored topic) over four 2 s windows with an app roll-up.
 */
class ReplayIT {
  private static final String MIRRORED = "east.fleetstats.raw.statsd";
  private static final long WINDOW = 2_000;
  private static final int BATCHES = 8; // one a second per pod: four windows
  private static final String TIMER = "fitcycle-api-server.prospectPullTime";
  private static final String COUNTER = "fitcycle-api-server.ProspectPull";

  private static KafkaClusterTestKit cluster;
  @TempDir static Path brokerDir;
  @TempDir Path dir;
  private static long t0;
  private static int records;

  @BeforeAll
  static void startBrokerAndProduce() throws Exception {
    cluster = ItKafka.start(brokerDir);
    Topics topics = Topics.defaults();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        2,
        Optional.empty(),
        Duration.ofDays(1),
        Duration.ofSeconds(30));
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
      admin.createTopics(List.of(new NewTopic(MIRRORED, 2, (short) 1))).all().get();
    }
    // aligned to 4 s too, for the replay with 4 s windows
    t0 = (System.currentTimeMillis() - 600_000) / (2 * WINDOW) * (2 * WINDOW);
    try (KafkaProducer<String, StatsdBatch> producer = producer(topics)) {
      for (int i = 0; i < BATCHES; i++) {
        for (int pod = 0; pod < 4; pod++) {
          Source source = source(pod);
          long at = t0 + i * 1000L + 500;
          String topic = pod == 3 ? MIRRORED : topics.rawStatsd().name();
          producer.send(
              new ProducerRecord<>(
                  topic, null, at, Sources.id(source), traffic(source, pod, i, at)));
          records++;
        }
      }
      producer.flush();
    }
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  static Source source(int pod) {
    return Source.newBuilder()
        .setCluster(pod == 3 ? "east" : "local")
        .setNamespace("default")
        .setNode("node-" + (pod % 2))
        .setPod("api-server-" + pod)
        .setContainer("app")
        .build();
  }

  /** Pod {@code pod}'s batch {@code i}: timer values i+1, 2(i+1)+pod, 100+pod; pod+1 counts. */
  static StatsdBatch traffic(Source source, int pod, int i, long at) {
    double[] ones = new double[pod + 1];
    java.util.Arrays.fill(ones, 1.0);
    return batch(
        source,
        at,
        series(TIMER, MetricType.TIMER, at, i + 1, 2 * (i + 1) + pod, 100 + pod),
        series(COUNTER, MetricType.COUNTER, at, ones));
  }

  private Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put(StreamConfig.BOOTSTRAP.key(), cluster.bootstrapServers());
    env.put(StreamConfig.WINDOW.key(), "2s");
    env.put(StreamConfig.GRACE.key(), "1s");
    env.put(StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node");
    env.put(StreamConfig.ROLLUP_GRACE.key(), "2s");
    return env;
  }

  private String from() {
    return Instant.ofEpochMilli(t0).toString();
  }

  private String to() {
    return Instant.ofEpochMilli(t0 + BATCHES * 1000L).toString();
  }

  /** Runs the command; returns exit code, stdout, stderr. */
  private Result replay(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        ReplayMain.run(
            args,
            env(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            false);
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  record Result(int code, String out, String err) {}

  /** Line identity (name, timestamp, source and tags) → value: the last line of each wins. */
  static TreeMap<String, String> points(List<String> lines) {
    TreeMap<String, String> out = new TreeMap<>();
    Pattern p = Pattern.compile("(\"[^\"]+\") (\\S+) (\\d+) (.*)");
    for (String line : lines) {
      Matcher m = p.matcher(line);
      assertThat(m.matches()).as(line).isTrue();
      out.put(m.group(1) + ' ' + m.group(3) + ' ' + m.group(4), m.group(2));
    }
    return out;
  }

  @Test
  void replayWritesTheLinesTheLiveProcessorProducedPerPodAndRolledUp() throws Exception {
    Map<String, String> liveEnv = new HashMap<>(env());
    liveEnv.put(StreamConfig.APPLICATION_ID.key(), "fleetstats-it-replay-live");
    liveEnv.put(StreamConfig.STATE_DIR.key(), dir.resolve("state").toString());
    liveEnv.put(StreamConfig.ADMIN_ADDRESS.key(), "127.0.0.1:0");
    StreamConfig config = StreamConfig.fromEnv(liveEnv);
    AggregateLines format = AggregateLines.withPrefix("");
    List<String> live = new ArrayList<>();
    // 4 pods x 2 series x 4 windows, and 2 clusters' roll-ups x 2 series x 4 windows
    int expected = 4 * 2 * 4 + 2 * 2 * 4;
    TreeSet<String> seen = new TreeSet<>();
    try (StreamProcessor processor = StreamProcessor.start(config);
        KafkaConsumer<String, Aggregate> consumer = consumer(config.topics())) {
      await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () -> {
                for (ConsumerRecord<String, Aggregate> r : consumer.poll(Duration.ofMillis(200))) {
                  Aggregate a = r.value();
                  if (a.getWindowStart() >= t0 && a.getWindowStart() < t0 + BATCHES * 1000L) {
                    seen.add(
                        a.getName()
                            + a.getSource()
                            + new TreeMap<>(a.getTags())
                            + a.getWindowStart());
                    live.addAll(format.apply(a).text());
                  }
                }
                return seen.size() >= expected;
              });
    }
    Path file = dir.resolve("replay.wf");
    Result r = replay("--from", from(), "--to", to(), "--output", "file:" + file);
    assertThat(r.code()).as(r.err()).isZero();
    List<String> replayed = Files.readAllLines(file);
    TreeMap<String, String> livePoints = points(live);
    TreeMap<String, String> replayPoints = points(replayed);
    assertThat(replayPoints.keySet()).containsExactlyInAnyOrderElementsOf(livePoints.keySet());
    List<String> differing =
        livePoints.keySet().stream()
            .filter(k -> !sameValue(livePoints.get(k), replayPoints.get(k)))
            .map(k -> k + ": live " + livePoints.get(k) + ", replay " + replayPoints.get(k))
            .toList();
    assertThat(differing).isEmpty();
    assertThat(replayPoints.keySet())
        .anyMatch(k -> k.contains("\"rollup\"=\"app\"") && k.contains("source=\"east\""))
        .anyMatch(k -> k.contains("\"pod_name\"=\"api-server-3\""));
    assertThat(r.out()).contains(records + " records").contains("4 windows");
  }

  /**
   * Equal, or for a roll-up's mean or standard deviation equal but for the last binary digits:
   * partials are merged in the order they arrive (live, the order they reach the repartition topic
   * from two tasks), and a floating-point merge of variances depends on that order.
   */
  private static boolean sameValue(String live, String replay) {
    if (live.equals(replay)) {
      return true;
    }
    double a = Double.parseDouble(live);
    double b = Double.parseDouble(replay);
    return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
  }

  @Test
  void anotherWindowAndPercentilesGiveExactCountsAndSums() throws Exception {
    Path file = dir.resolve("4s.wf");
    Result r =
        replay(
            "--from",
            from(),
            "--to",
            to(),
            "--window",
            "4s",
            "--percentiles",
            "50,99",
            "--rollups",
            "",
            "--output",
            "file:" + file);
    assertThat(r.code()).as(r.err()).isZero();
    TreeMap<String, String> points = points(Files.readAllLines(file));
    for (int pod = 0; pod < 4; pod++) {
      for (int w = 0; w < 2; w++) {
        long ts = (t0 + w * 4000L) / 1000;
        double count = 0;
        double sum = 0;
        for (int i = w * 4; i < w * 4 + 4; i++) {
          count += 3;
          sum += (i + 1) + (2 * (i + 1) + pod) + (100 + pod);
        }
        String tail = "\"pod_name\"=\"api-server-" + pod + "\"";
        assertThat(value(points, "\"" + TIMER + ".count\" " + ts, tail)).isEqualTo(count);
        assertThat(value(points, "\"" + TIMER + ".sum\" " + ts, tail)).isEqualTo(sum);
        assertThat(value(points, "\"" + COUNTER + "\" " + ts, tail)).isEqualTo(4.0 * (pod + 1));
        assertThat(value(points, "\"" + TIMER + ".upper\" " + ts, tail)).isEqualTo(100.0 + pod);
      }
    }
    assertThat(points.keySet())
        .anyMatch(k -> k.startsWith("\"" + TIMER + ".50.percentile\""))
        .anyMatch(k -> k.startsWith("\"" + TIMER + ".99.percentile\""))
        .noneMatch(k -> k.startsWith("\"" + TIMER + ".90.percentile\""))
        .noneMatch(k -> k.contains("\"rollup\""));
  }

  private static double value(TreeMap<String, String> points, String head, String tagged) {
    List<String> keys =
        points.keySet().stream().filter(k -> k.startsWith(head) && k.contains(tagged)).toList();
    assertThat(keys).as(head + " " + tagged).hasSize(1);
    return Double.parseDouble(points.get(keys.get(0)));
  }

  @Test
  void resumingFromACheckpointWritesTheSameFileAsOneRun() throws Exception {
    Path whole = dir.resolve("whole.wf");
    Result one = replay("--from", from(), "--to", to(), "--output", "file:" + whole);
    assertThat(one.code()).as(one.err()).isZero();

    Path parts = dir.resolve("parts.wf");
    Path checkpoint = dir.resolve("replay.checkpoint");
    String[] args = {
      "--from",
      from(),
      "--to",
      to(),
      "--output",
      "file:" + parts,
      "--checkpoint",
      checkpoint.toString()
    };
    String[] halted =
        java.util.stream.Stream.concat(
                java.util.Arrays.stream(args),
                java.util.stream.Stream.of("--halt-after-records", Integer.toString(records / 2)))
            .toArray(String[]::new);
    Result first = replay(halted);
    assertThat(first.code()).as(first.err()).isEqualTo(ReplayMain.STOPPED);
    assertThat(first.err()).contains("checkpoint written to " + checkpoint);
    assertThat(checkpoint).exists();

    Result second = replay(args);
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(second.err()).contains("resuming from " + checkpoint);
    assertThat(Files.readAllLines(parts))
        .containsExactlyInAnyOrderElementsOf(Files.readAllLines(whole));
    // the same lines; their order within a window may differ (a restored task walks its windows in
    // key order)
    assertThat(summaryCounts(second.out())).isEqualTo(summaryCounts(one.out()));
    assertThat(checkpoint).doesNotExist();
  }

  @Test
  void dryRunCountsWhatARealRunWrites() throws Exception {
    Path file = dir.resolve("real.wf");
    Result real = replay("--from", from(), "--to", to(), "--output", "file:" + file);
    Result dry = replay("--from", from(), "--to", to(), "--dry-run");
    assertThat(real.code()).as(real.err()).isZero();
    assertThat(dry.code()).as(dry.err()).isZero();
    List<String> lines = Files.readAllLines(file);
    Map<String, Long> counts = summaryCounts(dry.out());
    assertThat(counts).isEqualTo(summaryCounts(real.out()));
    assertThat(counts.get("points")).isEqualTo(lines.size());
    assertThat(counts.get("records")).isEqualTo(records);
    assertThat(counts.get("samples")).isEqualTo(4L * BATCHES * 3 + (1 + 2 + 3 + 4) * BATCHES);
    // 4 pods x 2 series + 2 roll-ups x 2 series; 4 windows
    assertThat(counts.get("series")).isEqualTo(12);
    assertThat(counts.get("windows")).isEqualTo(4);
    assertThat(dry.out()).contains("nothing written");
    assertThat(dry.err()).contains("fleetstats-replay: read " + records + " records");
  }

  @Test
  void sendsToAProxyWithRetriesAndToATopicTheLinesOfAFile() throws Exception {
    Path file = dir.resolve("reference.wf");
    Result reference = replay("--from", from(), "--to", to(), "--output", "file:" + file);
    assertThat(reference.code()).as(reference.err()).isZero();
    List<String> expected = Files.readAllLines(file);

    List<String> received = java.util.Collections.synchronizedList(new ArrayList<>());
    java.util.concurrent.atomic.AtomicInteger requests =
        new java.util.concurrent.atomic.AtomicInteger();
    com.sun.net.httpserver.HttpServer proxy =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    proxy.createContext(
        "/",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          if (requests.getAndIncrement() == 0) {
            // the first request finds the proxy busy: the sender must retry it
            exchange.getResponseHeaders().add("Retry-After", "1");
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
            return;
          }
          String encoding = exchange.getRequestHeaders().getFirst("Content-Encoding");
          byte[] plain =
              "gzip".equalsIgnoreCase(encoding)
                  ? new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(body))
                      .readAllBytes()
                  : body;
          for (String line : new String(plain, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
              received.add(line);
            }
          }
          exchange.sendResponseHeaders(202, -1);
          exchange.close();
        });
    proxy.start();
    try {
      Result sent =
          replay(
              "--from",
              from(),
              "--to",
              to(),
              "--output",
              "proxy:http://127.0.0.1:" + proxy.getAddress().getPort(),
              "--rate-limit",
              "100000");
      assertThat(sent.code()).as(sent.err()).isZero();
      assertThat(requests.get()).isGreaterThanOrEqualTo(2);
      assertThat(received).containsExactlyInAnyOrderElementsOf(expected);
      assertThat(sent.out()).contains(expected.size() + " points accepted by the proxy, 0 refused");
    } finally {
      proxy.stop(0);
    }

    Result produced =
        replay("--from", from(), "--to", to(), "--output", "topic:replayed.aggregates");
    assertThat(produced.code()).as(produced.err()).isZero();
    long aggregates = summaryCounts(produced.out()).get("aggregates");
    assertThat(produced.out()).contains(aggregates + " Aggregate records produced");
    AggregateLines format = AggregateLines.withPrefix("");
    List<String> fromTopic = new ArrayList<>();
    Topics topics = Topics.defaults();
    try (KafkaConsumer<String, Aggregate> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-replayed-reader",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
            topics.aggregates().keySerde().deserializer(),
            topics.aggregates().valueSerde().deserializer())) {
      consumer.subscribe(List.of("replayed.aggregates"));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<String, Aggregate> r : consumer.poll(Duration.ofMillis(200))) {
                  assertThat(r.key()).isNotEmpty();
                  assertThat(r.timestamp()).isEqualTo(r.value().getWindowStart());
                  fromTopic.addAll(format.apply(r.value()).text());
                }
                return fromTopic.size() >= expected.size();
              });
    }
    assertThat(fromTopic).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void readsAMirroredTopicByName() throws Exception {
    Path file = dir.resolve("east.wf");
    Result r =
        replay("--from", from(), "--to", to(), "--topics", MIRRORED, "--output", "file:" + file);
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).isNotEmpty().allMatch(l -> l.contains("\"cluster\"=\"east\""));
    assertThat(lines).anyMatch(l -> l.contains("\"pod_name\"=\"api-server-3\""));
  }

  @Test
  void filtersBySourceMetricAndFields() throws Exception {
    Path file = dir.resolve("filtered.wf");
    Result r =
        replay(
            "--from",
            from(),
            "--to",
            to(),
            "--source",
            "api-server-1",
            "--metric",
            "*Time",
            "--rollups",
            "",
            "--output",
            "file:" + file);
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = Files.readAllLines(file);
    assertThat(lines)
        .isNotEmpty()
        .allMatch(
            l -> l.contains("\"pod_name\"=\"api-server-1\"") && l.startsWith("\"" + TIMER + "."));

    Path fieldsFile = dir.resolve("fields.wf");
    Result fields =
        replay(
            "--from",
            from(),
            "--to",
            to(),
            "--fields",
            "count,sum",
            "--output",
            "file:" + fieldsFile);
    assertThat(fields.code()).as(fields.err()).isZero();
    assertThat(Files.readAllLines(fieldsFile))
        .isNotEmpty()
        .allMatch(
            l -> l.startsWith("\"" + TIMER + ".count\" ") || l.startsWith("\"" + TIMER + ".sum\" "))
        .anyMatch(l -> l.startsWith("\"" + TIMER + ".sum\" "));
  }

  @Test
  void badArgumentsExitTwoNamingTheOption() {
    Result reversed = replay("--from", to(), "--to", from(), "--dry-run");
    assertThat(reversed.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(reversed.err()).contains("--from").contains("not before its end");

    Result unknownTopic =
        replay("--from", from(), "--to", to(), "--topics", "no.such.topic", "--dry-run");
    assertThat(unknownTopic.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(unknownTopic.err())
        .contains("--topics")
        .contains("no.such.topic")
        .contains("does not exist");

    Result unreachable =
        replay(
            "--bootstrap",
            "127.0.0.1:" + closedPort(),
            "--timeout",
            "2s",
            "--from",
            from(),
            "--to",
            to(),
            "--dry-run");
    assertThat(unreachable.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(unreachable.err()).contains("--bootstrap").contains("did not answer");

    Result unresolvable =
        replay("--bootstrap", "no-such-host.invalid:9092", "--from", from(), "--dry-run");
    assertThat(unresolvable.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(unresolvable.err()).contains("--bootstrap").contains("no-such-host.invalid");

    Result badTime = replay("--from", "yesterday", "--dry-run");
    assertThat(badTime.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(badTime.err()).contains("--from").contains("ISO-8601");

    Result noOutput = replay("--from", from(), "--to", to());
    assertThat(noOutput.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(noOutput.err()).contains("--output");

    Result badOutput = replay("--from", from(), "--to", to(), "--output", "s3:bucket");
    assertThat(badOutput.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(badOutput.err()).contains("--output").contains("s3:bucket");

    Result rateToFile =
        replay("--from", from(), "--to", to(), "--output", "file:/tmp/x.wf", "--rate-limit", "10");
    assertThat(rateToFile.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(rateToFile.err()).contains("--rate-limit").contains("proxy");

    Result badWindow = replay("--from", from(), "--to", to(), "--window", "soon", "--dry-run");
    assertThat(badWindow.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(badWindow.err()).contains("--window");

    Result distributions =
        replay("--from", from(), "--to", to(), "--distributions", "minute", "--dry-run");
    assertThat(distributions.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(distributions.err()).contains("--allow-non-idempotent").contains("counts it twice");

    Result missing = replay("--to", to(), "--dry-run");
    assertThat(missing.code()).isEqualTo(ReplayMain.USAGE);
    assertThat(missing.err()).contains("--from");
  }

  @Test
  void includeLateAddsWhatTheLiveProcessorDeadLetteredOnceEach() throws Exception {
    Map<String, String> env = new HashMap<>(env());
    env.put(StreamConfig.TOPIC_PREFIX.key(), "latecase");
    env.put(StreamConfig.ALLOWED_LATENESS.key(), "5s");
    env.put(StreamConfig.ROLLUPS.key(), "");
    Topics topics = Topics.withPrefix("latecase");
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        1,
        Optional.empty(),
        Duration.ofDays(1),
        Duration.ofSeconds(30));
    Source pod = source(9);
    long t = t0;
    List<StatsdBatch> batches =
        List.of(
            batch(pod, t + 500, series(TIMER, MetricType.TIMER, t + 500, 1, 2, 3)),
            batch(pod, t + 1500, series(TIMER, MetricType.TIMER, t + 1500, 4)),
            // the source moves on: window [t, t+2s) is emitted and, after 5 s more, no longer kept
            batch(pod, t + 20_000, series(TIMER, MetricType.TIMER, t + 20_000, 50)),
            // a spooled flush: two samples for the first window (late), one current
            batch(
                pod,
                t + 30_000,
                series(TIMER, MetricType.TIMER, t + 1_600, 7, 8),
                series(TIMER, MetricType.TIMER, t + 30_000, 60)));
    try (KafkaProducer<String, StatsdBatch> producer = producer(topics)) {
      long seq = 0;
      for (StatsdBatch b : batches) {
        b.setSequence(seq++);
        producer.send(
            new ProducerRecord<>(
                topics.rawStatsd().name(), null, b.getCreatedAt(), Sources.id(pod), b));
      }
      producer.flush();
    }
    Map<String, String> liveEnv = new HashMap<>(env);
    liveEnv.put(StreamConfig.APPLICATION_ID.key(), "fleetstats-it-replay-late");
    liveEnv.put(StreamConfig.STATE_DIR.key(), dir.resolve("late-state").toString());
    liveEnv.put(StreamConfig.ADMIN_ADDRESS.key(), "127.0.0.1:0");
    try (StreamProcessor processor = StreamProcessor.start(StreamConfig.fromEnv(liveEnv));
        KafkaConsumer<byte[], byte[]> deadletters = deadletterConsumer(topics)) {
      List<ConsumerRecord<byte[], byte[]>> seen = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                deadletters.poll(Duration.ofMillis(200)).forEach(seen::add);
                return !seen.isEmpty();
              });
      assertThat(new String(seen.get(0).headers().lastHeader("fleetstats.reason").value()))
          .isEqualTo("late");
    }
    String from = Instant.ofEpochMilli(t).toString();
    String count = "\"" + TIMER + ".count\" ";
    String firstWindow = " " + t / 1000 + " source=";
    // the range covers the late raw record too: its late samples must be counted once
    String to = Instant.ofEpochMilli(t + 40_000).toString();
    Path without = dir.resolve("without.wf");
    Result plain = replayWith(env, "--from", from, "--to", to, "--output", "file:" + without);
    assertThat(plain.code()).as(plain.err()).isZero();
    assertThat(plain.out()).contains("2 samples were late");
    assertThat(Files.readAllLines(without))
        .filteredOn(l -> l.startsWith(count) && l.contains(firstWindow))
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith(count + "4 "));

    Path with = dir.resolve("with.wf");
    Result late =
        replayWith(env, "--from", from, "--to", to, "--include-late", "--output", "file:" + with);
    assertThat(late.code()).as(late.err()).isZero();
    assertThat(late.out())
        .contains("2 samples the live processor had dead-lettered as late are included")
        .contains("2 samples of their raw records were not counted again")
        .doesNotContain("samples were late");
    assertThat(Files.readAllLines(with))
        .filteredOn(l -> l.startsWith(count) && l.contains(firstWindow))
        .singleElement()
        .satisfies(l -> assertThat(l).startsWith(count + "6 "));
  }

  private Result replayWith(Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        ReplayMain.run(
            args,
            env,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            false);
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static KafkaConsumer<byte[], byte[]> deadletterConsumer(Topics topics) {
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "it-replay-deadletters",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
            new org.apache.kafka.common.serialization.ByteArrayDeserializer());
    consumer.subscribe(List.of(topics.deadletter().name()));
    return consumer;
  }

  private static int closedPort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The counts of the summary line ("N records", "N samples", ...). */
  static Map<String, Long> summaryCounts(String out) {
    Map<String, Long> counts = new TreeMap<>();
    Matcher m =
        Pattern.compile("(\\d+) (records|samples|series|windows|aggregates|points)\\b")
            .matcher(out);
    while (m.find()) {
      counts.put(m.group(2), Long.parseLong(m.group(1)));
    }
    return counts;
  }

  private static KafkaProducer<String, StatsdBatch> producer(Topics topics) {
    return ItKafka.rawProducer(cluster.bootstrapServers(), topics);
  }

  private static KafkaConsumer<String, Aggregate> consumer(Topics topics) {
    return ItKafka.aggregateReader(cluster.bootstrapServers(), topics, "it-replay-reader");
  }
}
