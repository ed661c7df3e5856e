package io.fleetstats.bench.sink;

import com.sun.net.httpserver.HttpServer;
import com.wavefront.sdk.common.clients.WavefrontClient;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.sink.delivery.ProxyClient;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.sink.format.WavefrontFormatter;
import io.fleetstats.sink.format.WavefrontPoint;
import io.fleetstats.sink.kit.delivery.Backoff;
import io.fleetstats.sink.kit.delivery.BatchSender;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

/**
 * Lines/s and lines per CPU-second of two senders delivering the same points to the same loopback
 * receiver, in one JVM run:
 *
 * <ul>
 *   <li><b>fleetstats</b>: the sink's path after Kafka: {@code AggregateLines} (naming, limit
 *       fitting, validation) from {@code Aggregate} records, then {@code BatchSender} → {@code
 *       ProxyClient} (gzip, POST {@code ?f=wavefront}) of 10,000-line batches, each awaited until
 *       the receiver's 202 before the next (commit-after-ack: nothing pipelined). Kafka consumption
 *       is excluded.
 *   <li><b>sdk-*</b>: {@code com.wavefront:wavefront-sdk-java:3.4.3} {@code WavefrontClient}:
 *       {@code sendMetric} of the same points (name, value, timestamp, source, tags; prepared
 *       before the clock starts), then waiting until the receiver has every line. Its queue is
 *       sized to hold all points so none is dropped.
 * </ul>
 *
 * The receiver (a {@code com.sun.net.httpserver} on 127.0.0.1, 2 threads) gunzips and counts lines,
 * answers 202 and measures its own thread CPU, which is subtracted from the process CPU to give the
 * sender's CPU (JIT and GC included).
 *
 * <p>Usage: {@code java -jar fleetstats-bench-wavefront-sink-*-bench.jar [lines=1000000] [runs=3]}
 */
public final class SinkVsSdkBench {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private static final AtomicLong received = new AtomicLong();
  private static final AtomicLong receiverCpuNanos = new AtomicLong();
  private static final AtomicLong requests = new AtomicLong();
  private static final java.util.concurrent.atomic.AtomicInteger inflight =
      new java.util.concurrent.atomic.AtomicInteger();

  /**
   * One contender: sends {@code aggregates} (or their points) and returns when the receiver has
   * all.
   */
  interface Contender {
    String name();

    void run(List<Aggregate> aggregates, List<WavefrontPoint> points, long expected)
        throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int lines = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    // the SDK logs through JUL: keep its warnings (drops, failures), not its INFO chatter
    java.util.logging.Logger.getLogger("com.wavefront").setLevel(java.util.logging.Level.WARNING);

    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    server.setExecutor(pool);
    server.createContext(
        "/",
        ex -> {
          inflight.incrementAndGet();
          long cpu0 = THREADS.getCurrentThreadCpuTime();
          try (ex) {
            boolean gzip =
                "gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"));
            InputStream in =
                gzip ? new GZIPInputStream(ex.getRequestBody(), 65536) : ex.getRequestBody();
            byte[] buf = new byte[65536];
            long n = 0;
            int last = '\n';
            for (int r; (r = in.read(buf)) > 0; ) {
              for (int i = 0; i < r; i++) {
                if (buf[i] == '\n') {
                  n++;
                }
              }
              last = buf[r - 1];
            }
            if (last != '\n') {
              n++;
            }
            // counted before the 202: a sender that awaits the answer must find its lines counted
            received.addAndGet(n);
            requests.incrementAndGet();
            ex.sendResponseHeaders(202, -1);
          } finally {
            inflight.decrementAndGet();
            receiverCpuNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - cpu0);
          }
        });
    server.start();
    URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort());

    List<Aggregate> aggregates = aggregates(lines / 8);
    WavefrontFormatter formatter = new WavefrontFormatter("");
    List<WavefrontPoint> points = new ArrayList<>(lines);
    for (Aggregate a : aggregates) {
      points.addAll(formatter.format(a).points());
    }
    long expected = points.size();

    List<Contender> contenders =
        List.of(
            fleetstats(url),
            sdk(url, "sdk-tuned (batch 100k, flush 1 s)", 100_000, 1000, false),
            sdk(url, "sdk-fast (batch 10k, flush 10 ms)", 10_000, 10, false));
    // The SDK's defaults send at most one 10k batch per 1-s tick (research/wavefront.md §3.3): a
    // full run would take lines/10k seconds, so it runs once, on a fifth of the points.
    Contender sdkDefaults =
        sdk(
            url,
            "sdk-defaults (batch 10k, flush 1 s), 1/5 of the points, once",
            10_000,
            1000,
            false);

    System.out.printf(
        Locale.ROOT,
        "lines per run: %d; runs: %d; cores: %d; java %s%n",
        expected,
        runs,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"));
    // Warm-up: every contender once on a quarter of the points (JIT), not counted.
    int warm = aggregates.size() / 4;
    for (Contender c : contenders) {
      measure(c, aggregates.subList(0, warm), points.subList(0, warm * 8), warm * 8L);
    }
    int fifth = aggregates.size() / 5;
    Map<String, List<double[]>> results = new LinkedHashMap<>();
    for (int r = 0; r < runs; r++) {
      for (Contender c : contenders) {
        double[] m = measure(c, aggregates, points, expected);
        results.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(m);
        System.out.printf(
            Locale.ROOT,
            "run %d %-40s %10.0f lines/s  %10.0f lines per sender CPU-s  (%.2f s, sender CPU %.2f s, receiver CPU %.2f s)%n",
            r + 1,
            c.name(),
            m[0],
            m[1],
            m[2],
            m[3],
            m[4]);
      }
    }
    double[] d =
        measure(
            sdkDefaults, aggregates.subList(0, fifth), points.subList(0, fifth * 8), fifth * 8L);
    results.computeIfAbsent(sdkDefaults.name(), k -> new ArrayList<>()).add(d);
    System.out.printf(
        Locale.ROOT,
        "run 1 %-40s %10.0f lines/s  %10.0f lines per sender CPU-s  (%.2f s, sender CPU %.2f s, receiver CPU %.2f s)%n",
        sdkDefaults.name(),
        d[0],
        d[1],
        d[2],
        d[3],
        d[4]);
    System.out.println();
    System.out.println(
        "| sender | lines/s (median) | lines per sender CPU-second (median) | runs (lines/s) |");
    System.out.println("| --- | --- | --- | --- |");
    for (Map.Entry<String, List<double[]>> e : results.entrySet()) {
      double[] rate = e.getValue().stream().mapToDouble(m -> m[0]).sorted().toArray();
      double[] perCpu = e.getValue().stream().mapToDouble(m -> m[1]).sorted().toArray();
      System.out.printf(
          Locale.ROOT,
          "| %s | %,.0f | %,.0f | %s |%n",
          e.getKey(),
          rate[rate.length / 2],
          perCpu[perCpu.length / 2],
          String.join(
              ", ",
              Arrays.stream(e.getValue().stream().mapToDouble(m -> m[0]).toArray())
                  .mapToObj(v -> String.format(Locale.ROOT, "%,.0f", v))
                  .toList()));
    }
    server.stop(0);
    pool.shutdownNow();
  }

  /** {lines/s, lines per sender CPU-s, seconds, sender CPU s, receiver CPU s}. */
  private static double[] measure(
      Contender c, List<Aggregate> aggregates, List<WavefrontPoint> points, long expected)
      throws Exception {
    while (inflight.get() > 0) {
      TimeUnit.MILLISECONDS.sleep(1); // the previous contender's last request
    }
    System.gc();
    received.set(0);
    long recv0 = receiverCpuNanos.get();
    long cpu0 = OS.getProcessCpuTime();
    long t0 = System.nanoTime();
    c.run(aggregates, points, expected);
    long t1 = System.nanoTime();
    long cpu = OS.getProcessCpuTime() - cpu0;
    long recv = receiverCpuNanos.get() - recv0;
    if (received.get() != expected) {
      throw new IllegalStateException(
          c.name() + ": receiver got " + received.get() + " lines, expected " + expected);
    }
    double secs = (t1 - t0) / 1e9;
    double senderCpu = Math.max(1, cpu - recv) / 1e9;
    return new double[] {expected / secs, expected / senderCpu, secs, senderCpu, recv / 1e9};
  }

  private static Contender fleetstats(URI url) {
    AggregateLines format = AggregateLines.withPrefix("");
    BatchSender<String> sender =
        new BatchSender<>(
            new ProxyClient(url, Duration.ofSeconds(10)),
            Backoff.upTo(Duration.ofSeconds(1)),
            () -> 0.5);
    return new Contender() {
      @Override
      public String name() {
        return "fleetstats sink (format+validate+gzip+POST, await 202)";
      }

      @Override
      public void run(List<Aggregate> aggregates, List<WavefrontPoint> points, long expected)
          throws Exception {
        List<String> batch = new ArrayList<>(10_008);
        for (Aggregate a : aggregates) {
          batch.addAll(format.apply(a).text());
          if (batch.size() >= 10_000) {
            send(batch);
          }
        }
        send(batch);
      }

      private void send(List<String> batch) throws InterruptedException {
        if (batch.isEmpty()) {
          return;
        }
        BatchSender.Result r = sender.send(batch, WavefrontPoint.FORMAT, d -> true);
        if (r.status() != BatchSender.Status.DELIVERED || !r.rejected().isEmpty()) {
          throw new IllegalStateException("not delivered: " + r);
        }
        batch.clear();
      }
    };
  }

  private static Contender sdk(
      URI url, String name, int batchSize, int flushMillis, boolean explicitFlush) {
    return new Contender() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public void run(List<Aggregate> aggregates, List<WavefrontPoint> points, long expected)
          throws Exception {
        WavefrontClient client =
            new WavefrontClient.Builder(url.toString())
                .batchSize(batchSize)
                .maxQueueSize(Math.max(points.size(), batchSize))
                .flushInterval(flushMillis, TimeUnit.MILLISECONDS)
                .includeSdkMetrics(false)
                .build();
        try {
          for (WavefrontPoint p : points) {
            client.sendMetric(p.name(), p.value(), p.epochSeconds(), p.source(), p.tags());
          }
          if (explicitFlush) {
            client.flush(); // sends what is queued now instead of at the next tick
          }
          long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
          while (received.get() < expected) {
            if (System.nanoTime() > deadline) {
              throw new IllegalStateException(
                  name
                      + ": only "
                      + received.get()
                      + " of "
                      + expected
                      + " lines arrived; SDK failures "
                      + client.getFailureCount());
            }
            Thread.onSpinWait();
            TimeUnit.MICROSECONDS.sleep(200);
          }
        } finally {
          client.close();
        }
      }
    };
  }

  /** Timers of a realistic fleet: 8 fields each, the seed's tags plus app and container. */
  public static List<Aggregate> aggregates(int n) {
    List<Aggregate> out = new ArrayList<>(n);
    long start = 1_764_086_400_000L;
    for (int i = 0; i < n; i++) {
      Map<String, String> tags = new LinkedHashMap<>();
      tags.put("metric_type", "timing");
      tags.put("pod_name", "api-server-" + (i % 50));
      tags.put("cluster", "prod-eu-" + (i % 3));
      tags.put("namespace", "default");
      tags.put("app", "api-server");
      Map<String, Double> fields = new LinkedHashMap<>();
      double base = 10 + (i % 997) * 0.37;
      fields.put("count", (double) (100 + i % 50));
      fields.put("mean", base);
      fields.put("median", base * 0.9);
      fields.put("upper", base * 3.1);
      fields.put("lower", base * 0.1);
      fields.put("stddev", base * 0.25);
      fields.put("sum", base * (100 + i % 50));
      fields.put("90_percentile", base * 1.8);
      out.add(
          Aggregate.newBuilder()
              .setName("fitcycle-api-server.endpoint" + (i % 200) + ".latency")
              .setMetricType("timing")
              .setSource("node-" + (i % 20))
              .setTags(tags)
              .setWindowStart(start + (i / 2000) * 10_000L)
              .setWindowEnd(start + (i / 2000) * 10_000L + 10_000)
              .setFields(fields)
              .build());
    }
    return out;
  }
}
