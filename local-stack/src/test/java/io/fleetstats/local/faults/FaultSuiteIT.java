package io.fleetstats.local.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.local.faults.FaultParts.Receiver;
import io.fleetstats.local.faults.FaultParts.TcpCut;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.PointChecker;
import io.fleetstats.testing.PointChecker.Kind;
import io.fleetstats.testing.PointChecker.Pod;
import io.fleetstats.testing.PointChecker.Result;
import io.fleetstats.testing.TestKafka;
import java.io.File;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole pipeline under faults, checked end to end by {@link PointChecker}. Three brokers in
 * this JVM (KRaft, one controller; replication 3, {@code min.insync.replicas=2}); six edge agents
 * (pods on clusters {@code east} and {@code west}, disk spool on), the stream processor and the
 * Wavefront sink as child JVMs; a loopback proxy stand-in. Statsd traffic (counters, timers,
 * gauges, each line stamped with its event time by {@code |T}) goes to every agent the whole time.
 * In turn: the processor, the sink and an edge agent are SIGKILLed, one broker is stopped and
 * restarted, then the leader of a raw partition; the proxy is down (connection refused, then 503)
 * and back; one agent's network path to Kafka is cut under 10 k samples/s and restored. After each,
 * every window that ended before the fault's end must reach the receiver exact, every shortfall
 * matching the agents' counted drops (an agent's SIGKILL loses what it had not yet had acknowledged
 * and cannot count: those windows are reported apart).
 *
 * <p>Every count and duration is a system property ({@code faults.*}, see {@link #prop}); the
 * defaults are the short variant, {@code -Pfaults} runs the full one. The table of results is
 * printed and written to {@code target/faults.md}.
 */
class FaultSuiteIT {
  private static final Logger log = LoggerFactory.getLogger(FaultSuiteIT.class);
  private static final long WINDOW_MS = 5_000;
  private static final int PODS = 6;
  private static final int CUT_POD = 0;
  private static final String NS = "shop";

  @TempDir Path dir;
  private KafkaClusterTestKit cluster;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final PointChecker checker = new PointChecker(WINDOW_MS);
  private final List<String> table = new ArrayList<>();
  private final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Map<Pod, Double> dropsOfDeadIncarnations = new HashMap<>();
  private String bootstrap;
  private Receiver receiver;
  private Process processor;
  private Process sink;
  private final Process[] agents = new Process[PODS];
  private final int[] statsdPorts = new int[PODS];
  private final int[] adminPorts = new int[PODS];
  private final List<Pod> pods = new ArrayList<>();
  private int incarnation;
  private int processorAdmin;
  private String cutBootstrap;
  private final List<TcpCut> cuts = new ArrayList<>();

  /** {@code -Dfaults.<name>}, else the full variant's value under -Pfaults, else the short one. */
  static String prop(String name, String shortValue, String fullValue) {
    boolean full = "full".equals(System.getProperty("faults.variant"));
    return System.getProperty("faults." + name, full ? fullValue : shortValue);
  }

  static int intProp(String name, int shortValue, int fullValue) {
    return Integer.parseInt(prop(name, Integer.toString(shortValue), Integer.toString(fullValue)));
  }

  static Duration durProp(String name, String shortValue, String fullValue) {
    return Duration.parse("PT" + prop(name, shortValue, fullValue).toUpperCase());
  }

  @AfterEach
  void stopAll() throws Exception {
    for (Process p : new Process[] {processor, sink}) {
      if (p != null) {
        p.destroyForcibly();
      }
    }
    for (Process p : agents) {
      if (p != null) {
        p.destroyForcibly();
      }
    }
    for (AutoCloseable c : closing) {
      c.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theCheckerPassesAfterEveryFault() throws Exception {
    int processorKills = intProp("processorKills", 1, 10);
    int sinkKills = intProp("sinkKills", 1, 5);
    int edgeKills = intProp("edgeKills", 1, 3);
    Duration brokerDown = durProp("brokerDown", "10s", "30s");
    Duration proxyDown = durProp("proxyDown", "10s", "5m");
    Duration kafkaCut = durProp("kafkaCut", "15s", "5m");
    int cutRate = intProp("cutRate", 10_000, 10_000);
    Duration settle = durProp("settle", "90s", "120s");

    startCluster();
    Topics topics = Topics.defaults();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", bootstrap),
        topics,
        3,
        Optional.of((short) 3),
        Duration.ofHours(6),
        Duration.ofSeconds(60));
    receiver = new Receiver(TestKafka.freePort());
    closing.add(receiver);
    for (int i = 0; i < PODS; i++) {
      pods.add(new Pod(i % 2 == 0 ? "east" : "west", NS, "api-" + i));
      statsdPorts[i] = TestKafka.freePort();
      adminPorts[i] = TestKafka.freePort();
      agents[i] = startAgent(i);
    }
    for (int i = 0; i < PODS; i++) {
      awaitAgentReady(i);
    }
    processor = startProcessor();
    sink = startSink();
    Traffic traffic = new Traffic();
    closing.add(0, traffic);
    traffic.start();
    long t0 = System.currentTimeMillis();
    await().atMost(Duration.ofSeconds(120)).until(() -> receiver.size() > 0);
    log.info("pipeline up: first line {} ms after traffic began", System.currentTimeMillis() - t0);
    checkpoint("none (baseline)", 0, System.currentTimeMillis(), settle);

    List<Double> rec = new ArrayList<>();
    for (int k = 1; k <= processorKills; k++) {
      awaitProgress();
      FaultParts.sigkill(processor);
      processor = startProcessor();
      rec.add(checkpoint(null, 0, System.currentTimeMillis(), settle));
    }
    row("SIGKILL stream processor", processorKills, rec);

    rec = new ArrayList<>();
    for (int k = 1; k <= sinkKills; k++) {
      awaitProgress();
      FaultParts.sigkill(sink);
      sink = startSink();
      rec.add(checkpoint(null, 0, System.currentTimeMillis(), settle));
    }
    row("SIGKILL wavefront sink", sinkKills, rec);

    rec = new ArrayList<>();
    for (int k = 1; k <= edgeKills; k++) {
      int i = 1 + (k % (PODS - 1)); // not the agent of the network cut
      Pod pod = pods.get(i);
      awaitProgress();
      dropsOfDeadIncarnations.merge(
          pod,
          FaultParts.metric(http, adminPorts[i], "fleetstats_edge_samples_dropped_total"),
          Double::sum);
      long killedAt = System.currentTimeMillis();
      FaultParts.sigkill(agents[i]);
      agents[i] = startAgent(i);
      awaitAgentReady(i);
      long back = System.currentTimeMillis();
      // what it held unacknowledged (≤ one flush and the producer's in-flight batches) and the
      // datagrams sent to its port while it was dead are lost, uncounted
      checker.uncountedLoss(pod, killedAt - 3_000, back + 1_000);
      rec.add(checkpoint(null, 0, back, settle));
    }
    row("SIGKILL edge agent (spool on)", edgeKills, rec);

    for (String which : List.of("one broker (not a raw leader)", "leader of raw partition 0")) {
      int broker = pickBroker(which.startsWith("leader"));
      awaitProgress();
      cluster.brokers().get(broker).shutdown();
      cluster.brokers().get(broker).awaitShutdown();
      long downAt = System.currentTimeMillis();
      waitFor(brokerDown);
      cluster.restartBroker(broker, Map.of());
      long back = System.currentTimeMillis();
      log.info("broker {} down {} ms, restarted", broker, back - downAt);
      rec = List.of(checkpoint(null, 0, back, settle));
      row("broker " + broker + " stopped " + brokerDown.toSeconds() + " s: " + which, 1, rec);
    }

    // proxy: refused for half the time, then 503, then up
    awaitProgress();
    receiver.down();
    waitFor(proxyDown.dividedBy(2));
    receiver.failing();
    waitFor(proxyDown.dividedBy(2));
    receiver.up();
    long proxyBack = System.currentTimeMillis();
    log.info("proxy back; {} requests answered 503", receiver.requests503);
    rec = List.of(checkpoint(null, 0, proxyBack, settle.plus(proxyDown)));
    row(
        "proxy down %d s (refused, then 503: %d requests), back"
            .formatted(proxyDown.toSeconds(), receiver.requests503),
        1,
        rec);

    // Kafka unreachable from one agent, under load
    awaitProgress();
    double lateBefore =
        FaultParts.metric(http, processorAdmin, "fleetstats_stream_samples_late_total");
    long maxBuffer = 0;
    traffic.bulkPerSecond = cutRate;
    cuts.forEach(TcpCut::cut);
    long cutAt = System.currentTimeMillis();
    while (System.currentTimeMillis() - cutAt < kafkaCut.toMillis()) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(500));
      double b = FaultParts.metric(http, adminPorts[CUT_POD], "fleetstats_edge_buffer_bytes");
      if (!Double.isNaN(b)) {
        maxBuffer = Math.max(maxBuffer, (long) b);
      }
    }
    double spooled =
        FaultParts.metric(http, adminPorts[CUT_POD], "fleetstats_edge_batches_spooled_total");
    for (TcpCut c : cuts) {
      c.restore();
    }
    traffic.bulkPerSecond = 0;
    long restored = System.currentTimeMillis();
    log.info(
        "Kafka cut {} s from {}: max buffer {} B (spooling beyond 1 MiB, hard bound 1.5 MiB), {}"
            + " batches spooled",
        kafkaCut.toSeconds(),
        pods.get(CUT_POD),
        maxBuffer,
        spooled);
    // with a spool, the overflow beyond FLEETSTATS_BUFFER_MAX_BYTES is written by the sending
    // thread; memory may run ahead of it up to 1.5 times the bound, beyond which the oldest
    // batches are dropped (BatchPublisher's hard bound)
    if (maxBuffer > 1536 * 1024) {
      failures.add("memory bound broken: " + maxBuffer + " B buffered");
    }
    rec = List.of(checkpoint(null, 0, restored, settle.plus(kafkaCut)));
    double late =
        FaultParts.metric(http, processorAdmin, "fleetstats_stream_samples_late_total")
            - lateBefore;
    if (late != 0) {
      failures.add("the spool's samples replayed after the cut were late: " + late);
    }
    row(
        ("Kafka cut from edge agent %s %d s at %d samples/s (max buffer %d KiB: spool beyond"
                + " 1024, hard bound 1536; %.0f batches spooled)")
            .formatted(
                pods.get(CUT_POD).pod(), kafkaCut.toSeconds(), cutRate, maxBuffer / 1024, spooled),
        1,
        rec);

    traffic.close();
    long end = System.currentTimeMillis();
    checkpoint("final (traffic stopped)", 0, end, settle);
    receiver.writeTo(Path.of("target", "faults-received.txt"));
    String md =
        "| fault | count | samples sent (so far) | points checked (so far) | drops counted |"
            + " lost uncounted at SIGKILL (so far) | checker | recovery s (max) | processor since"
            + " its last start: late / corrections / duplicate batches |\n"
            + "|---|---|---|---|---|---|---|---|---|\n"
            + String.join("\n", table)
            + "\n";
    Files.writeString(Path.of("target", "faults.md"), md);
    log.info("fault table:\n{}", md);
    assertThat(failures).isEmpty();
  }

  private Result last;

  /**
   * Waits until every window up to the one open at {@code faultEndMs} is exact at the receiver;
   * returns the seconds from {@code faultEndMs} until then (the recovery: with no fault it is the
   * pipeline's own delay, the rest of that window plus grace plus delivery).
   */
  private double checkpoint(String name, int count, long faultEndMs, Duration atMost) {
    long untilMs = (Math.floorDiv(faultEndMs, WINDOW_MS) + 1) * WINDOW_MS;
    Result[] r = new Result[1];
    try {
      await()
          .atMost(atMost)
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                refreshDrops();
                r[0] = checker.check(receiver.lines(), untilMs);
                return r[0].ok();
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      failures.add(
          (name == null ? "after fault" : name)
              + ": "
              + (r[0] == null ? "no result" : r[0].summary()));
    }
    double secs = (System.currentTimeMillis() - faultEndMs) / 1000.0;
    last = r[0];
    log.info("checkpoint {}: {} ({} s)", name, r[0] == null ? "-" : r[0].summary(), secs);
    if (name != null) {
      row(name, count, List.of(secs));
    }
    return secs;
  }

  /** The agents' drop counters (plus those of their killed incarnations) into the checker. */
  private void refreshDrops() {
    for (int i = 0; i < PODS; i++) {
      double v = FaultParts.metric(http, adminPorts[i], "fleetstats_edge_samples_dropped_total");
      if (!Double.isNaN(v)) {
        Pod pod = pods.get(i);
        checker.droppedSoFar(pod, (long) (v + dropsOfDeadIncarnations.getOrDefault(pod, 0.0)));
      }
    }
  }

  /** The running processor's late samples, corrections and duplicate batches (since its start). */
  private String processorFigures() {
    return "%.0f / %.0f / %.0f"
        .formatted(
            FaultParts.metric(http, processorAdmin, "fleetstats_stream_samples_late_total"),
            FaultParts.metric(http, processorAdmin, "fleetstats_stream_corrections_emitted_total"),
            FaultParts.metric(http, processorAdmin, "fleetstats_stream_batches_duplicate_total"));
  }

  private void row(String fault, int count, List<Double> recoveries) {
    Result r = last;
    double max = recoveries.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    table.add(
        "| %s | %d | %d | %d | %d | %d | %s | %.1f | %s |"
            .formatted(
                fault,
                count,
                r == null ? 0 : r.samplesSent(),
                r == null ? 0 : r.pointsChecked(),
                r == null ? 0 : r.samplesDroppedCounted(),
                r == null ? 0 : r.samplesLostUncounted(),
                r == null ? "no result" : r.ok() ? "exact" : "FAILED: " + r.errors().get(0),
                max,
                processorFigures()));
  }

  private void awaitProgress() {
    int before = receiver.size();
    await().atMost(Duration.ofSeconds(120)).until(() -> receiver.size() > before + 20);
    // somewhere inside the next window, not at its edge
    long extra = new Random().nextInt(3_000);
    waitFor(Duration.ofMillis(extra));
  }

  private static void waitFor(Duration d) {
    long until = System.nanoTime() + d.toNanos();
    await()
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(100))
        .atMost(d.plusSeconds(5))
        .until(() -> System.nanoTime() >= until);
  }

  private int pickBroker(boolean leaderOfRaw) throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      String raw = Topics.defaults().rawStatsd().name();
      int leader =
          admin
              .describeTopics(List.of(raw))
              .allTopicNames()
              .get(30, TimeUnit.SECONDS)
              .get(raw)
              .partitions()
              .get(0)
              .leader()
              .id();
      if (leaderOfRaw) {
        return leader;
      }
      return cluster.brokers().keySet().stream().filter(b -> b != leader).findFirst().orElseThrow();
    }
  }

  private void startCluster() throws Exception {
    int[] real = new int[3];
    int[] proxied = new int[3];
    Map<Integer, Map<String, String>> perServer = new HashMap<>();
    for (int b = 0; b < 3; b++) {
      real[b] = TestKafka.freePort();
      proxied[b] = TestKafka.freePort();
      // a second listener per broker, advertised at a TCP forwarder, for the one agent whose
      // network path to Kafka is cut: it learns only the forwarders' addresses
      perServer.put(
          b,
          Map.of(
              "listeners",
              "EXTERNAL://localhost:0,CUT://127.0.0.1:" + real[b],
              "advertised.listeners",
              "EXTERNAL://localhost:0,CUT://127.0.0.1:" + proxied[b],
              "listener.security.protocol.map",
              "EXTERNAL:PLAINTEXT,CUT:PLAINTEXT,CONTROLLER:PLAINTEXT"));
    }
    TestKitNodes nodes =
        new TestKitNodes.Builder()
            .setCombined(false)
            .setNumBrokerNodes(3)
            .setNumControllerNodes(1)
            .setBaseDirectory(dir.resolve("kafka"))
            .setPerServerProperties(perServer)
            .build();
    cluster =
        TestKafka.start(
            new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("default.replication.factor", "3")
                .setConfigProp("min.insync.replicas", "2")
                .setConfigProp("offsets.topic.replication.factor", "3")
                .setConfigProp("offsets.topic.num.partitions", "3")
                .setConfigProp("transaction.state.log.replication.factor", "3")
                .setConfigProp("transaction.state.log.min.isr", "2")
                .setConfigProp("transaction.state.log.num.partitions", "3")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("group.min.session.timeout.ms", "2000")
                .setConfigProp("log.cleaner.dedupe.buffer.size", "2097152"));
    bootstrap = cluster.bootstrapServers();
    List<String> cutAddrs = new ArrayList<>();
    for (int b = 0; b < 3; b++) {
      TcpCut c = new TcpCut(proxied[b], real[b]);
      cuts.add(c);
      closing.add(c);
      cutAddrs.add("127.0.0.1:" + proxied[b]);
    }
    cutBootstrap = String.join(",", cutAddrs);
    log.info("3 brokers at {}; cut path {}", bootstrap, cutBootstrap);
  }

  private Process startAgent(int i) throws Exception {
    agentStarts.merge(i, 1, Integer::sum);
    Pod pod = pods.get(i);
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", i == CUT_POD ? cutBootstrap : bootstrap);
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:" + statsdPorts[i]);
    env.put("FLEETSTATS_ADMIN_ADDRESS", "127.0.0.1:" + adminPorts[i]);
    env.put("FLEETSTATS_FLUSH_INTERVAL", "200ms");
    env.put("FLEETSTATS_CREATE_TOPICS", "false");
    env.put("FLEETSTATS_CLUSTER", pod.cluster());
    env.put("FLEETSTATS_NAMESPACE", pod.namespace());
    env.put("FLEETSTATS_NODE", "node-" + (i / 2));
    env.put("FLEETSTATS_POD", pod.pod());
    env.put("FLEETSTATS_SPOOL_DIR", dir.resolve("spool-" + i).toString());
    env.put("FLEETSTATS_BUFFER_MAX_BYTES", "1MiB");
    File logFile = dir.resolve("agent-" + i + ".log").toFile();
    return FaultParts.startJava("io.fleetstats.edge.EdgeAgentMain", "96m", env, logFile);
  }

  private void awaitAgentReady(int i) {
    Path logFile = dir.resolve("agent-" + i + ".log");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              if (!agents[i].isAlive()) {
                throw new AssertionError(
                    "agent " + i + " exited: " + FaultParts.tail(logFile, 3000));
              }
              return Files.exists(logFile)
                  && Files.readString(logFile).split("listening for statsd", -1).length - 1
                      >= agentStarts.getOrDefault(i, 0);
            });
  }

  private final Map<Integer, Integer> agentStarts = new HashMap<>();

  private Process startProcessor() throws Exception {
    incarnation++;
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", bootstrap);
    env.put("FLEETSTATS_APPLICATION_ID", "fleetstats-faults");
    env.put("FLEETSTATS_WINDOW", "5s");
    env.put("FLEETSTATS_GRACE", "2s");
    env.put("FLEETSTATS_STATE_DIR", dir.resolve("processor-state").toString());
    env.put("FLEETSTATS_CREATE_TOPICS", "false");
    processorAdmin = TestKafka.freePort();
    env.put("FLEETSTATS_ADMIN_ADDRESS", "127.0.0.1:" + processorAdmin);
    env.put("FLEETSTATS_KAFKA_SESSION_TIMEOUT_MS", "3000");
    env.put("FLEETSTATS_KAFKA_HEARTBEAT_INTERVAL_MS", "500");
    env.put("FLEETSTATS_KAFKA_TRANSACTION_TIMEOUT_MS", "5000");
    // as the Helm chart: a static member id, so a restart takes its tasks back at once
    env.put("FLEETSTATS_KAFKA_GROUP_INSTANCE_ID", "stream-processor-0");
    File logFile = dir.resolve("processor.log").toFile();
    return FaultParts.startJava("io.fleetstats.stream.StreamProcessorMain", "256m", env, logFile);
  }

  private Process startSink() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", bootstrap);
    env.put("FLEETSTATS_PROXY_URL", "http://127.0.0.1:" + receiver.port);
    env.put("FLEETSTATS_KAFKA_GROUP_INSTANCE_ID", "wavefront-sink-0");
    env.put("FLEETSTATS_ADMIN_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_KAFKA_SESSION_TIMEOUT_MS", "3000");
    env.put("FLEETSTATS_KAFKA_HEARTBEAT_INTERVAL_MS", "500");
    File logFile = dir.resolve("sink.log").toFile();
    return FaultParts.startJava("io.fleetstats.sink.WavefrontSinkMain", "192m", env, logFile);
  }

  /**
   * Every 100 ms, one datagram per pod: 5 counter increments, 3 timer values (integer ms), one
   * gauge value (the same all through a window, so its last value is known whatever the order),
   * each line stamped {@code |T<second>}; during the cut, {@code bulkPerSecond} more counter
   * increments to the cut agent.
   */
  private final class Traffic implements AutoCloseable {
    volatile int bulkPerSecond;
    private final Thread thread = new Thread(this::run, "fault-traffic");
    private volatile boolean stop;
    private final Random rnd = new Random(21);
    final AtomicLong datagrams = new AtomicLong();

    void start() {
      thread.setDaemon(true);
      thread.start();
    }

    private void run() {
      try (DatagramChannel udp = DatagramChannel.open()) {
        long next = System.nanoTime();
        while (!stop) {
          long now = System.currentTimeMillis();
          long sec = now / 1000;
          long at = sec * 1000;
          long windowIndex = at / WINDOW_MS;
          for (int i = 0; i < PODS; i++) {
            Pod pod = pods.get(i);
            StringBuilder b = new StringBuilder();
            for (int k = 0; k < 5; k++) {
              b.append("fault.hits:1|c|T").append(sec).append('\n');
              checker.sent(pod, "fault.hits", Kind.COUNTER, at, 1);
            }
            for (int k = 0; k < 3; k++) {
              int v = 1 + rnd.nextInt(500);
              b.append("fault.latency:").append(v).append("|ms|T").append(sec).append('\n');
              checker.sent(pod, "fault.latency", Kind.TIMER, at, v);
            }
            long g = (windowIndex * 31 + i * 7) % 1000 + 1;
            b.append("fault.temp:").append(g).append("|g|T").append(sec);
            checker.sent(pod, "fault.temp", Kind.GAUGE, at, g);
            send(udp, i, b.toString());
          }
          int bulk = bulkPerSecond / 10;
          for (int sent = 0; sent < bulk; sent += 25) {
            StringBuilder b = new StringBuilder();
            for (int k = 0; k < 25 && sent + k < bulk; k++) {
              b.append("fault.bulk:1|c|T").append(sec).append('\n');
              checker.sent(pods.get(CUT_POD), "fault.bulk", Kind.COUNTER, at, 1);
            }
            send(udp, CUT_POD, b.toString());
          }
          next += TimeUnit.MILLISECONDS.toNanos(100);
          LockSupport.parkNanos(next - System.nanoTime());
        }
      } catch (Exception e) {
        failures.add("traffic: " + e);
      }
    }

    private void send(DatagramChannel udp, int i, String text) throws java.io.IOException {
      udp.send(
          ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)),
          new InetSocketAddress("127.0.0.1", statsdPorts[i]));
      datagrams.incrementAndGet();
    }

    @Override
    public void close() throws InterruptedException {
      stop = true;
      thread.join(5_000);
    }
  }
}
