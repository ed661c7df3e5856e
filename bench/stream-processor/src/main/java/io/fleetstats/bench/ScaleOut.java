package io.fleetstats.bench;

import static org.awaitility.Awaitility.await;

import io.fleetstats.local.EmbeddedKafka;
import io.fleetstats.schemas.Topics;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.StreamProcessor;
import io.fleetstats.stream.topology.TopologyFactory;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * {@code profile=fleet instances=N[,N...]} of {@link FleetProfile}: the same pre-produced fleet
 * input, in a raw topic of {@code partitions} partitions (4), processed by N Kafka Streams
 * instances of one application id in this JVM, each with its own state directory and one stream
 * thread, as N pods of one deployment would. Each value of {@code instances} is a round of its own
 * on a fresh broker, in the order given; one untimed warm-up round (one instance) runs first.
 *
 * <p>The clock runs from the first {@code start()} until every raw partition's committed offset
 * reaches its last data record, so it includes the group's rebalances. Reported: samples/s in total
 * and per instance, each instance's stream-thread CPU (from its start) and the raw partitions it
 * held at the end, stream-thread CPU-seconds per million samples, the JVM's CPU (broker and clients
 * included), and the rebalances seen after RUNNING.
 */
final class ScaleOut {
  record Instance(double threadCpuSeconds, List<Integer> rawPartitions, long samples, int rebal) {}

  record Result(
      int instances,
      int partitions,
      long samples,
      double producedSeconds,
      double runningSeconds,
      double seconds,
      double processCpuSeconds,
      List<Instance> perInstance,
      String loadBefore,
      String loadAfter) {
    double threadCpuSeconds() {
      return perInstance.stream().mapToDouble(Instance::threadCpuSeconds).sum();
    }
  }

  static void run(
      Map<String, String> opts,
      FleetProfile.Shape shape,
      int warmupPods,
      Map<String, String> env,
      Map<String, String> kafka,
      long commitMs,
      Duration timeout)
      throws Exception {
    int partitions = Integer.parseInt(opts.getOrDefault("partitions", "4"));
    List<Integer> counts =
        Arrays.stream(opts.get("instances").split(",")).map(Integer::parseInt).toList();
    for (int n : counts) {
      if (n < 1 || n > partitions) {
        throw new IllegalArgumentException(
            "instances="
                + opts.get("instances")
                + ": each count must be between 1 and partitions ("
                + partitions
                + "), or an instance gets no task; raise partitions=");
      }
    }
    System.out.printf(
        "scale-out: instances %s of one application id in one JVM, one stream thread each, raw"
            + " topic of %d partitions (pod i to partition i mod %d)%n",
        counts, partitions, partitions);
    Path dir = Files.createTempDirectory("fleetstats-scale-bench");
    List<Result> results = new ArrayList<>();
    for (int r = warmupPods > 0 ? 0 : 1; r <= counts.size(); r++) {
      FleetProfile.Shape s =
          r == 0
              ? new FleetProfile.Shape(
                  warmupPods, shape.series(), shape.samples(), 20, shape.clusters(), shape.apps())
              : shape;
      int n = r == 0 ? 1 : counts.get(r - 1);
      Result result =
          round(dir.resolve("r" + r), s, n, partitions, env, kafka, commitMs, timeout, "r" + r);
      System.err.println((r == 0 ? "warm-up round: " : "round " + r + ": ") + result);
      if (r > 0) {
        results.add(result);
      }
      org.apache.kafka.common.utils.Utils.delete(dir.resolve("r" + r).toFile());
    }
    print(shape, results);
  }

  private static Result round(
      Path dir,
      FleetProfile.Shape shape,
      int n,
      int partitions,
      Map<String, String> env,
      Map<String, String> kafka,
      long commitMs,
      Duration timeout,
      String id)
      throws Exception {
    try (EmbeddedKafka cluster = EmbeddedKafka.start(dir.resolve("broker"), 0)) {
      String bootstrap = cluster.bootstrapServers();
      Topics topics = Topics.withPrefix("fleet");
      long t = System.nanoTime();
      long[] data = FleetProfile.produce(bootstrap, topics, shape, partitions);
      double produced = (System.nanoTime() - t) / 1e9;
      checkProduced(bootstrap, topics.rawStatsd().name(), data, shape.pods());
      String appId = "fleet-scale-" + id;
      String raw = topics.rawStatsd().name();
      long samplesPerRecord = (long) shape.series() * shape.samples();
      List<KafkaStreams> streams = new ArrayList<>();
      List<CountDownLatch> running = new ArrayList<>();
      List<AtomicInteger> rebalances = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        StreamConfig config =
            StreamBench.fleetstatsConfig(
                bootstrap, topics, dir.resolve("state-" + i), appId, commitMs, kafka, env);
        Properties props = StreamProcessor.streamsProperties(config);
        // distinct client ids, so that each instance's stream thread can be told apart by name
        props.put(StreamsConfig.CLIENT_ID_CONFIG, appId + "-i" + i);
        KafkaStreams s = new KafkaStreams(TopologyFactory.build(config, topics), props);
        CountDownLatch up = new CountDownLatch(1);
        AtomicInteger rebalanced = new AtomicInteger();
        s.setStateListener(
            (now, before) -> {
              if (now == KafkaStreams.State.RUNNING) {
                up.countDown();
              } else if (now == KafkaStreams.State.REBALANCING
                  && before == KafkaStreams.State.RUNNING) {
                rebalanced.incrementAndGet();
              }
            });
        streams.add(s);
        running.add(up);
        rebalances.add(rebalanced);
      }
      String loadBefore = loadAverage();
      long cpu0 = processCpuNanos();
      long t0 = System.nanoTime();
      for (KafkaStreams s : streams) {
        s.start();
      }
      for (CountDownLatch up : running) {
        if (!up.await(300, TimeUnit.SECONDS)) {
          throw new IllegalStateException(appId + ": an instance did not reach RUNNING in 300 s");
        }
      }
      double runningSeconds = (System.nanoTime() - t0) / 1e9;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        await()
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(50))
            .atMost(timeout)
            .until(() -> allCommitted(admin, appId, raw, data));
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double processCpu = (processCpuNanos() - cpu0) / 1e9;
      String loadAfter = loadAverage();
      List<Instance> per = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        Thread thread = streamThread(appId + "-i" + i);
        double cpu = StreamBench.THREADS.getThreadCpuTime(thread.getId()) / 1e9;
        TreeSet<Integer> held = new TreeSet<>();
        for (ThreadMetadata tm : streams.get(i).metadataForLocalThreads()) {
          for (TaskMetadata task : tm.activeTasks()) {
            task.topicPartitions().stream()
                .filter(tp -> tp.topic().equals(raw))
                .forEach(tp -> held.add(tp.partition()));
          }
        }
        long samples = held.stream().mapToLong(p -> data[p] * samplesPerRecord).sum();
        per.add(new Instance(cpu, List.copyOf(held), samples, rebalances.get(i).get()));
      }
      for (KafkaStreams s : streams) {
        s.close(Duration.ofSeconds(60));
      }
      return new Result(
          n,
          partitions,
          shape.samplesTotal(),
          produced,
          runningSeconds,
          seconds,
          processCpu,
          per,
          loadBefore,
          loadAfter);
    }
  }

  /** Fails unless every partition holds its data and heartbeats (a send may fail unnoticed). */
  private static void checkProduced(String bootstrap, String raw, long[] data, int pods)
      throws Exception {
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
      for (int p = 0; p < data.length; p++) {
        latest.put(new TopicPartition(raw, p), OffsetSpec.latest());
      }
      var ends = admin.listOffsets(latest).all().get();
      for (int p = 0; p < data.length; p++) {
        long heartbeats = pods / data.length + (p < pods % data.length ? 1 : 0);
        long end = ends.get(new TopicPartition(raw, p)).offset();
        if (end != data[p] + heartbeats) {
          throw new IllegalStateException(
              raw
                  + "-"
                  + p
                  + ": "
                  + end
                  + " records on the broker, "
                  + (data[p] + heartbeats)
                  + " sent; the input producer lost records (see the broker's errors above);"
                  + " run each instance count in a JVM of its own with warmup=0");
        }
      }
    }
  }

  private static boolean allCommitted(Admin admin, String appId, String raw, long[] data)
      throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get();
    for (int p = 0; p < data.length; p++) {
      OffsetAndMetadata o = committed.get(new TopicPartition(raw, p));
      if (o == null || o.offset() < data[p]) {
        return false;
      }
    }
    return true;
  }

  /** The stream thread of the instance with client id {@code clientId}. */
  private static Thread streamThread(String clientId) {
    List<Thread> found =
        Thread.getAllStackTraces().keySet().stream()
            .filter(t -> t.getName().startsWith(clientId + "-StreamThread-"))
            .toList();
    if (found.size() != 1) {
      throw new IllegalStateException("expected one stream thread of " + clientId + ": " + found);
    }
    return found.get(0);
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " / " + f[1] + " / " + f[2];
    } catch (IOException e) {
      return "n/a";
    }
  }

  private static void print(FleetProfile.Shape shape, List<Result> results) {
    System.out.println();
    System.out.println(
        "| round | instances | raw partitions | samples | s to all RUNNING | wall s (start → all"
            + " committed) | samples/s total | samples/s per instance | stream-thread CPU s (sum)"
            + " | stream-thread CPU-s per M samples | JVM CPU s (broker incl.) | load at start →"
            + " end |");
    System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      System.out.printf(
          "| %d | %d | %d | %,d | %.1f | %.1f | %,.0f | %,.0f | %.1f | %.2f | %.1f | %s → %s |%n",
          i + 1,
          r.instances(),
          r.partitions(),
          r.samples(),
          r.runningSeconds(),
          r.seconds(),
          r.samples() / r.seconds(),
          r.samples() / r.seconds() / r.instances(),
          r.threadCpuSeconds(),
          r.threadCpuSeconds() / (r.samples() / 1e6),
          r.processCpuSeconds(),
          r.loadBefore(),
          r.loadAfter());
    }
    System.out.println();
    for (int i = 0; i < results.size(); i++) {
      Result r = results.get(i);
      StringBuilder b =
          new StringBuilder(
              String.format(
                  "round %d (%d instances; input produced in %.1f s):",
                  i + 1, r.instances(), r.producedSeconds()));
      for (int k = 0; k < r.perInstance().size(); k++) {
        Instance x = r.perInstance().get(k);
        b.append(
            String.format(
                " instance %d: raw partitions %s at the end (%,d samples, %,.0f samples/s over the"
                    + " run), stream-thread CPU %.1f s (busy %.0f %%), rebalances after RUNNING"
                    + " %d;",
                k,
                x.rawPartitions(),
                x.samples(),
                x.samples() / r.seconds(),
                x.threadCpuSeconds(),
                100 * x.threadCpuSeconds() / r.seconds(),
                x.rebal()));
      }
      System.out.println(b);
    }
    System.out.println(
        "clock: from the first start() until every raw partition's committed offset reaches its"
            + " data's end (rebalances included); stream-thread CPU from each thread's start");
  }

  private ScaleOut() {}
}
