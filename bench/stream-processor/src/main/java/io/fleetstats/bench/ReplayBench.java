package io.fleetstats.bench;

import io.fleetstats.local.EmbeddedKafka;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.replay.ReplayMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
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
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Load harness (not a test): {@code fleetstats-replay} raw samples per second on one thread, from a
 * real in-JVM KRaft broker to a file of Wavefront lines. The traffic is {@link StreamBench}'s (20
 * pods, batches of 100 series × 50 samples, one flush a second), produced once; each round then
 * replays the whole range through {@link ReplayMain#run} as the command line does. Reported: wall
 * samples/s, CPU seconds of the replay thread per M samples (reading, decoding, windows, roll-ups,
 * formatting, writing), and the whole process's CPU per M samples (which also holds the broker
 * serving the fetches and the consumer's network thread). The first round warms the JIT up and is
 * not reported.
 *
 * <p>Usage: {@code ReplayBench [batches=N] [rounds=N] [partitions=N] [variants=file,rollups,dry]}
 */
public final class ReplayBench {
  private static final int PODS = 20;
  private static final long T0 = 1_700_000_000_000L;

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new HashMap<>();
    for (String a : args) {
      int eq = a.indexOf('=');
      opts.put(a.substring(0, eq), a.substring(eq + 1));
    }
    int batches = Integer.parseInt(opts.getOrDefault("batches", "4000"));
    int rounds = Integer.parseInt(opts.getOrDefault("rounds", "3"));
    int partitions = Integer.parseInt(opts.getOrDefault("partitions", "1"));
    List<String> variants = List.of(opts.getOrDefault("variants", "file,rollups,dry").split(","));
    Path dir = Files.createTempDirectory("fleetstats-replay-bench");
    try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("broker"), 0)) {
      Topics topics = Topics.defaults();
      TopicSetup.ensure(
          Map.of("bootstrap.servers", kafka.bootstrapServers()),
          topics,
          partitions,
          Optional.empty(),
          Duration.ofDays(3650),
          Duration.ofSeconds(30));
      produce(kafka.bootstrapServers(), topics, batches);
      String from = Instant.ofEpochMilli(T0 - 10_000).toString();
      String to = Instant.ofEpochMilli(T0 + (batches / PODS + 20) * 1_000L).toString();
      System.out.printf(
          "replay bench: %d batches x 5,000 samples (%d M samples), %d partition(s), %d"
              + " processors, %s%n",
          batches,
          batches * 5_000L / 1_000_000,
          partitions,
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.vm.version"));
      System.out.println(
          "| variant | round | samples | wall s | samples/s | replay-thread CPU-s per M samples"
              + " | process CPU-s per M samples | points |");
      System.out.println("|---|---|---|---|---|---|---|---|");
      for (int r = 0; r <= rounds; r++) {
        for (String v : variants) {
          List<String> a = new ArrayList<>(List.of("--from", from, "--to", to));
          Map<String, String> env = new HashMap<>();
          env.put(StreamConfig.BOOTSTRAP.key(), kafka.bootstrapServers());
          env.put(StreamConfig.ROLLUPS.key(), v.equals("rollups") ? "app:drop=pod_name,node" : "");
          Path out = dir.resolve("out.wf");
          if (v.equals("dry")) {
            a.add("--dry-run");
          } else {
            a.add("--output");
            a.add("file:" + out);
          }
          a.add("--progress-interval");
          a.add("1h");
          Result res = run(a, env);
          Files.deleteIfExists(out);
          if (r == 0) {
            continue; // warm-up
          }
          double m = res.samples / 1e6;
          System.out.printf(
              "| %s | %d | %d | %.2f | %,.0f | %.3f | %.3f | %d |%n",
              v,
              r,
              res.samples,
              res.wall,
              res.samples / res.wall,
              res.threadCpu / m,
              res.processCpu / m,
              res.points);
        }
      }
    } finally {
      try (var walk = Files.walk(dir)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  record Result(long samples, long points, double wall, double threadCpu, double processCpu) {}

  private static Result run(List<String> args, Map<String, String> env) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long proc0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    int code =
        ReplayMain.run(
            args.toArray(String[]::new),
            env,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            false);
    double wall = (System.nanoTime() - t0) / 1e9;
    double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
    double proc = (os.getProcessCpuTime() - proc0) / 1e9;
    String summary = out.toString(StandardCharsets.UTF_8);
    if (code != 0) {
      throw new IllegalStateException("replay exited " + code + ": " + summary + err);
    }
    return new Result(count(summary, "samples"), count(summary, "points"), wall, cpu, proc);
  }

  private static long count(String summary, String what) {
    Matcher m = Pattern.compile("(\\d+) " + what + "\\b").matcher(summary);
    if (!m.find()) {
      throw new IllegalStateException("no '" + what + "' in: " + summary);
    }
    return Long.parseLong(m.group(1));
  }

  private static void produce(String bootstrap, Topics topics, int batches) throws Exception {
    Random rnd = new Random(7);
    try (KafkaProducer<String, StatsdBatch> p =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ProducerConfig.LINGER_MS_CONFIG,
                20,
                ProducerConfig.BATCH_SIZE_CONFIG,
                256 * 1024,
                ProducerConfig.ACKS_CONFIG,
                "all"),
            new StringSerializer(),
            topics.rawStatsd().valueSerde().serializer())) {
      for (int b = 0; b < batches; b++) {
        Source pod = StreamBench.pod(b % PODS);
        long flushAt = T0 + (b / PODS) * 1_000L;
        p.send(
            new ProducerRecord<>(
                topics.rawStatsd().name(),
                null,
                flushAt,
                Sources.id(pod),
                StreamBench.batch(pod, flushAt, rnd)));
      }
      p.flush();
    }
  }
}
