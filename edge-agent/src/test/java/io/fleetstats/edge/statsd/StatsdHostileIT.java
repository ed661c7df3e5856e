package io.fleetstats.edge.statsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.edge.EdgeAgent;
import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A running edge agent (real UDP socket, real broker) fed hostile statsd:
 *
 * <ul>
 *   <li>fuzzed lines (random, and mutated lines of the fuzz corpus, {@link StatsdParserFuzzTest}),
 *       {@value #LINES_PER_DATAGRAM} to a datagram: the agent does not crash, and every line is
 *       accounted for exactly: the lines it counted plus {@value #LINES_PER_DATAGRAM} per datagram
 *       the kernel dropped (the socket's {@code drops} column of {@code /proc/net/udp}) equal the
 *       lines sent; its rejects by reason and its samples equal what the same parser, run by the
 *       test on every line, says; and every sample reaches Kafka.
 *   <li>one pod sending {@value #UNIQUE_SERIES} unique series: every sample reaches Kafka, nothing
 *       is dropped, and the heap grows by far less than those series would take if the agent kept
 *       them (its batch is drained at {@code FLEETSTATS_MAX_BATCH_SAMPLES}, its series cache holds
 *       4096).
 * </ul>
 *
 * The fuzz run sends {@value #DEFAULT_FUZZ_LINES} lines by default; {@code
 * -Dfleetstats.fuzz.lines=10000000} for the 10 M run (figures in docs/reliability.md).
 */
class StatsdHostileIT {
  static final int LINES_PER_DATAGRAM = 8;
  static final long DEFAULT_FUZZ_LINES = 1_000_000;
  static final int UNIQUE_SERIES = 1_000_000;
  private static final long SEED = 20261206L;

  /** Datagrams sent but neither read by the agent nor dropped by the kernel, at most. */
  private static final int IN_FLIGHT = 256;

  private static final String TOPIC = Topics.defaults().rawStatsd().name();
  private static KafkaClusterTestKit cluster;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster = TestKafka.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static EdgeAgent agent(String pod) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers());
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_STATSD_MAX_PACKET_SIZE", "65535");
    env.put("FLEETSTATS_FLUSH_INTERVAL", "200ms");
    env.put("FLEETSTATS_TOPIC_PARTITIONS", "1");
    env.put("CLUSTER_NAME", "it");
    env.put("NAMESPACE", "hostile");
    env.put("NODE_HOSTNAME", "node-1");
    env.put("POD_NAME", pod);
    return EdgeAgent.start(EdgeConfig.fromEnv(env));
  }

  @Test
  void everyFuzzedLineIsCountedAcceptedOrRejectedByReasonAndTheAgentKeepsRunning()
      throws Exception {
    long target = Long.getLong("fleetstats.fuzz.lines", DEFAULT_FUZZ_LINES);
    Random random = new Random(SEED);
    List<String> corpus = StatsdParserFuzzTest.corpus();
    try (EdgeAgent agent = agent("fuzz-0");
        DatagramChannel channel = DatagramChannel.open()) {
      StatsdParser parser = new StatsdParser(agent.config().statsdOptions().parsing());
      StatsdStats stats = agent.statsdStats();
      InetSocketAddress to = agent.statsdAddress();
      channel.connect(to);
      UdpDrops drops = new UdpDrops(to.getPort());
      Map<RejectReason, Long> expectedRejects = new EnumMap<>(RejectReason.class);
      long expectedSamples = 0;
      long sent = 0;
      long datagrams = 0;
      long started = System.nanoTime();
      StringBuilder payload = new StringBuilder();
      while (sent < target) {
        payload.setLength(0);
        for (int i = 0; i < LINES_PER_DATAGRAM; i++) {
          String line = "";
          // one line as the agent reads it: some corpus rows hold a newline or a CR of their own
          while (line.isEmpty() || line.indexOf('\n') >= 0 || line.endsWith("\r")) {
            line =
                StatsdParserFuzzTest.onTheWire(
                    random.nextInt(3) == 0
                        ? StatsdParserFuzzTest.randomLine(random)
                        : StatsdParserFuzzTest.mutate(
                            corpus.get(random.nextInt(corpus.size())), random));
          }
          ParseResult result = parser.parse(line);
          if (result instanceof ParseResult.Ok ok) {
            expectedSamples += ok.samples().size();
          } else {
            expectedRejects.merge(((ParseResult.Rejected) result).reason(), 1L, Long::sum);
          }
          if (i > 0) {
            payload.append('\n');
          }
          payload.append(line);
        }
        pace(stats, drops, datagrams);
        channel.write(ByteBuffer.wrap(payload.toString().getBytes(StandardCharsets.UTF_8)));
        datagrams++;
        sent += LINES_PER_DATAGRAM;
      }
      long sentDatagrams = datagrams;
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> stats.packets() + drops.since() == sentDatagrams);
      long seconds = Math.max(1, (System.nanoTime() - started) / 1_000_000_000L);
      long dropped = drops.since();
      long expectedTotal = expectedSamples;
      Map<String, Long> rejected = new java.util.TreeMap<>();
      for (RejectReason r : RejectReason.values()) {
        if (stats.rejected(r) > 0) {
          rejected.put(r.name().toLowerCase(Locale.ROOT), stats.rejected(r));
        }
      }
      System.out.printf(
          "fuzz over UDP: %d lines in %d datagrams sent in %d s; lines counted %d (accepted %d,"
              + " rejected %d), lost in %d datagrams dropped by the kernel %d; samples %d;"
              + " rejected by reason %s%n",
          sent,
          sentDatagrams,
          seconds,
          stats.lines(),
          stats.lines() - stats.rejectedTotal(),
          stats.rejectedTotal(),
          dropped,
          dropped * LINES_PER_DATAGRAM,
          stats.samples(),
          rejected);

      assertThat(agent.notReadyReason()).isEmpty();
      assertThat(stats.lines() + dropped * LINES_PER_DATAGRAM).isEqualTo(sent);
      if (dropped == 0) {
        // nothing lost: every line's outcome is known, reason by reason
        for (RejectReason r : RejectReason.values()) {
          assertThat(stats.rejected(r))
              .as("rejected %s", r)
              .isEqualTo(expectedRejects.getOrDefault(r, 0L));
        }
        assertThat(stats.samples()).isEqualTo(expectedTotal);
      }
      assertThat(stats.rejectedTotal()).isGreaterThan(sent / 10);
      assertThat(stats.lines() - stats.rejectedTotal()).isGreaterThan(sent / 20);
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> agent.samplesPublished() == stats.samples());
      assertThat(agent.samplesDropped()).isZero();
      assertThat(agent.samplesFailed()).isZero();
      assertThat(samplesInKafka("fuzz-0", stats.samples())).isEqualTo(stats.samples());
    }
  }

  @Test
  void onePodSendingAMillionUniqueSeriesKeepsTheAgentsHeapBoundedAndLosesNothing()
      throws Exception {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    try (EdgeAgent agent = agent("cardinality-0");
        DatagramChannel channel = DatagramChannel.open()) {
      StatsdStats stats = agent.statsdStats();
      InetSocketAddress to = agent.statsdAddress();
      channel.connect(to);
      UdpDrops drops = new UdpDrops(to.getPort());
      long before = heapAfterGc(memory);
      long datagrams = 0;
      long peak = before;
      StringBuilder payload = new StringBuilder();
      for (int i = 0; i < UNIQUE_SERIES; ) {
        payload.setLength(0);
        for (int k = 0; k < LINES_PER_DATAGRAM && i < UNIQUE_SERIES; k++, i++) {
          if (k > 0) {
            payload.append('\n');
          }
          payload.append("tenant.request.").append(i).append(":1|c|#user_id:u").append(i);
        }
        pace(stats, drops, datagrams);
        channel.write(ByteBuffer.wrap(payload.toString().getBytes(StandardCharsets.UTF_8)));
        datagrams++;
        if (datagrams % 25_000 == 0) {
          peak = Math.max(peak, heapAfterGc(memory));
        }
      }
      long sentDatagrams = datagrams;
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> stats.packets() + drops.since() == sentDatagrams);
      long dropped = drops.since();
      long expected = UNIQUE_SERIES - dropped * LINES_PER_DATAGRAM;
      await().atMost(Duration.ofSeconds(60)).until(() -> agent.samplesPublished() == expected);
      long after = heapAfterGc(memory);
      peak = Math.max(peak, after);
      System.out.printf(
          "one pod, %d unique series: %d samples published in %d batches, %d dropped by the"
              + " kernel (datagrams), %d dropped by the agent; heap after GC %d MiB before, peak"
              + " %d MiB, %d MiB after%n",
          UNIQUE_SERIES,
          agent.samplesPublished(),
          agent.batchesPublished(),
          dropped,
          agent.samplesDropped(),
          before >> 20,
          peak >> 20,
          after >> 20);
      assertThat(stats.samples()).isEqualTo(expected);
      assertThat(stats.rejectedTotal()).isZero();
      assertThat(agent.samplesDropped()).isZero();
      // 1 M series kept would take hundreds of MiB (name, tags, arrays per series)
      assertThat(peak - before).isLessThan(64L << 20);
      assertThat(samplesInKafka("cardinality-0", expected)).isEqualTo(expected);
    }
  }

  /** Waits while more than {@link #IN_FLIGHT} datagrams are neither read nor dropped. */
  private static void pace(StatsdStats stats, UdpDrops drops, long sent) throws IOException {
    long spins = 0;
    while (sent - stats.packets() - drops.known() > IN_FLIGHT) {
      if (++spins % 10_000 == 0) {
        drops.since(); // refresh: dropped datagrams will never be read
      }
      Thread.onSpinWait();
    }
  }

  private static long heapAfterGc(MemoryMXBean memory) {
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }

  /** Samples in the records of pod {@code pod} on the raw topic, read until {@code expected}. */
  private static long samplesInKafka(String pod, long expected) {
    try (KafkaConsumer<String, StatsdBatch> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                cluster.bootstrapServers(),
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                "2000"),
            new StringDeserializer(),
            Topics.STATSD_BATCH.deserializer())) {
      TestKafka.readFromStart(consumer, TOPIC);
      long[] samples = new long[1];
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                for (ConsumerRecord<String, StatsdBatch> r :
                    consumer.poll(Duration.ofMillis(200))) {
                  if (pod.equals(r.value().getSource().getPod())) {
                    for (Series s : r.value().getSeries()) {
                      samples[0] += s.getReceivedAt().size();
                    }
                  }
                }
                return samples[0] >= expected;
              });
      return samples[0];
    }
  }

  /**
   * The kernel's drop count of the UDP socket bound to a loopback port: the {@code drops} column of
   * {@code /proc/net/udp} (datagrams that arrived while the receive buffer was full), since this
   * object was made. Zero where there is no such file.
   */
  static final class UdpDrops {
    private final String localHexPort;
    private final long start;
    private long known;

    UdpDrops(int port) throws IOException {
      this.localHexPort = String.format(":%04X", port);
      this.start = read();
    }

    long known() {
      return known;
    }

    long since() throws IOException {
      known = read() - start;
      return known;
    }

    private long read() throws IOException {
      Path udp = Path.of("/proc/net/udp");
      if (!Files.exists(udp)) {
        return 0;
      }
      long drops = 0;
      List<String> lines = new ArrayList<>(Files.readAllLines(udp));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.trim().split("\\s+");
        // sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
        if (f.length >= 13 && f[1].endsWith(localHexPort)) {
          drops += Long.parseLong(f[12]);
        }
      }
      return drops;
    }
  }
}
