package io.fleetstats.bench.prometheus;

import com.sun.net.httpserver.HttpServer;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.sink.delivery.ProxyClient;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.sink.format.WavefrontPoint;
import io.fleetstats.sink.kit.delivery.Backoff;
import io.fleetstats.sink.kit.delivery.BatchSender;
import io.fleetstats.sink.prometheus.format.PromFormatter;
import io.fleetstats.sink.prometheus.format.PromSample;
import io.fleetstats.sink.prometheus.format.SeriesOrder;
import io.fleetstats.sink.prometheus.remote.Credentials;
import io.fleetstats.sink.prometheus.remote.RemoteWriteClient;
import io.fleetstats.sink.prometheus.remote.WriteRequests;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.TimeSeries;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.WriteRequest;
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
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

/**
 * Samples (Prometheus) and lines (Wavefront) per CPU-second of the two sinks' delivery paths, from
 * the same {@code Aggregate} records to one loopback receiver that only decodes, in one JVM run:
 *
 * <ul>
 *   <li><b>prometheus sink</b>: per poll of 500 records (Kafka's {@code max.poll.records}): {@code
 *       PromFormatter} (naming, labels), {@code SeriesOrder} (each series in time order), then
 *       {@code BatchSender} → {@code RemoteWriteClient} in requests of 2,000 samples (the sink's
 *       default {@code FLEETSTATS_BATCH_SAMPLES}): {@code WriteRequest}, snappy, POST, each awaited
 *       until the receiver's 204 before the next.
 *   <li><b>wavefront sink</b>: per poll of 500 records: {@code AggregateLines} (naming, limit
 *       fitting, validation), then {@code BatchSender} → {@code ProxyClient} (gzip level 1, POST
 *       {@code ?f=wavefront}), one request per poll (4,000 lines, under its 10,000-line cap).
 * </ul>
 *
 * Kafka is excluded for both (the loop is the same shared code). The receiver ({@code
 * com.sun.net.httpserver}, 2 threads) decodes each body (snappy + protobuf parse, counting samples;
 * or gunzip, counting lines), answers 2xx, and measures its own thread CPU, which is subtracted
 * from the process CPU to give the sender's (JIT and GC included).
 *
 * <p>Usage: {@code java -jar fleetstats-bench-prometheus-sink-*-bench.jar [points=1000000]
 * [runs=3]}
 */
public final class PromVsWavefrontBench {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private static final int POLL = 500;

  private static final AtomicLong received = new AtomicLong();
  private static final AtomicLong receiverCpuNanos = new AtomicLong();
  private static final AtomicInteger inflight = new AtomicInteger();

  interface Contender {
    String name();

    void run(List<Aggregate> aggregates) throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int points = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;

    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    server.setExecutor(pool);
    server.createContext(
        "/api/v1/write",
        ex -> {
          inflight.incrementAndGet();
          long cpu0 = THREADS.getCurrentThreadCpuTime();
          try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            WriteRequest request = WriteRequests.decode(body);
            long n = 0;
            for (TimeSeries ts : request.getTimeseriesList()) {
              n += ts.getSamplesCount();
            }
            received.addAndGet(n);
            ex.sendResponseHeaders(204, -1);
          } finally {
            inflight.decrementAndGet();
            receiverCpuNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - cpu0);
          }
        });
    server.createContext(
        "/report",
        ex -> {
          inflight.incrementAndGet();
          long cpu0 = THREADS.getCurrentThreadCpuTime();
          try (ex) {
            InputStream in = new GZIPInputStream(ex.getRequestBody(), 65536);
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
            received.addAndGet(n);
            ex.sendResponseHeaders(202, -1);
          } finally {
            inflight.decrementAndGet();
            receiverCpuNanos.addAndGet(THREADS.getCurrentThreadCpuTime() - cpu0);
          }
        });
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort();

    List<Aggregate> aggregates = aggregates(points / 8);
    long expected = aggregates.size() * 8L;
    List<Contender> contenders =
        List.of(prometheus(URI.create(base + "/api/v1/write")), wavefront(URI.create(base)));

    System.out.printf(
        Locale.ROOT,
        "points per run: %d (%d timer aggregates x 8 fields); runs: %d; cores: %d; java %s%n",
        expected,
        aggregates.size(),
        runs,
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"));
    int warm = aggregates.size() / 4;
    for (Contender c : contenders) {
      measure(c, aggregates.subList(0, warm), warm * 8L);
    }
    Map<String, List<double[]>> results = new LinkedHashMap<>();
    for (int r = 0; r < runs; r++) {
      for (Contender c : contenders) {
        double[] m = measure(c, aggregates, expected);
        results.computeIfAbsent(c.name(), k -> new ArrayList<>()).add(m);
        System.out.printf(
            Locale.ROOT,
            "run %d %-58s %10.0f points/s  %10.0f points per sender CPU-s  (%.2f s, sender CPU %.2f s, receiver CPU %.2f s)%n",
            r + 1,
            c.name(),
            m[0],
            m[1],
            m[2],
            m[3],
            m[4]);
      }
    }
    System.out.println();
    System.out.println(
        "| sender | points/s (median) | points per sender CPU-second (median) | runs (per CPU-s) |");
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
              Arrays.stream(e.getValue().stream().mapToDouble(m -> m[1]).toArray())
                  .mapToObj(v -> String.format(Locale.ROOT, "%,.0f", v))
                  .toList()));
    }
    server.stop(0);
    pool.shutdownNow();
  }

  /** {points/s, points per sender CPU-s, seconds, sender CPU s, receiver CPU s}. */
  private static double[] measure(Contender c, List<Aggregate> aggregates, long expected)
      throws Exception {
    while (inflight.get() > 0) {
      TimeUnit.MILLISECONDS.sleep(1);
    }
    System.gc();
    received.set(0);
    long recv0 = receiverCpuNanos.get();
    long cpu0 = OS.getProcessCpuTime();
    long t0 = System.nanoTime();
    c.run(aggregates);
    long t1 = System.nanoTime();
    long cpu = OS.getProcessCpuTime() - cpu0;
    long recv = receiverCpuNanos.get() - recv0;
    if (received.get() != expected) {
      throw new IllegalStateException(
          c.name() + ": receiver got " + received.get() + " points, expected " + expected);
    }
    double secs = (t1 - t0) / 1e9;
    double senderCpu = Math.max(1, cpu - recv) / 1e9;
    return new double[] {expected / secs, expected / senderCpu, secs, senderCpu, recv / 1e9};
  }

  private static Contender prometheus(URI url) {
    PromFormatter formatter = new PromFormatter("");
    BatchSender<PromSample> sender =
        new BatchSender<>(
            new RemoteWriteClient(
                url, Duration.ofSeconds(10), new Credentials.None(), Optional.empty()),
            Backoff.upTo(Duration.ofSeconds(1)),
            () -> 0.5);
    return new Contender() {
      @Override
      public String name() {
        return "prometheus sink (format+order+protobuf+snappy+POST, await 204)";
      }

      @Override
      public void run(List<Aggregate> aggregates) throws Exception {
        for (int from = 0; from < aggregates.size(); from += POLL) {
          List<Aggregate> poll = aggregates.subList(from, Math.min(aggregates.size(), from + POLL));
          List<PromSample> samples = new ArrayList<>(poll.size() * 8);
          int[] owner = new int[poll.size() * 8];
          for (int i = 0; i < poll.size(); i++) {
            for (PromSample s : formatter.format(poll.get(i)).samples()) {
              owner[samples.size()] = i;
              samples.add(s);
            }
          }
          List<PromSample> ordered = SeriesOrder.of(samples, owner).samples();
          for (int k = 0; k < ordered.size(); k += 2000) {
            BatchSender.Result r =
                sender.send(ordered.subList(k, Math.min(ordered.size(), k + 2000)), d -> true);
            if (r.status() != BatchSender.Status.DELIVERED || !r.rejected().isEmpty()) {
              throw new IllegalStateException("not delivered: " + r);
            }
          }
        }
      }
    };
  }

  private static Contender wavefront(URI url) {
    AggregateLines format = AggregateLines.withPrefix("");
    BatchSender<String> sender =
        new BatchSender<>(
            new ProxyClient(url, Duration.ofSeconds(10)),
            Backoff.upTo(Duration.ofSeconds(1)),
            () -> 0.5);
    return new Contender() {
      @Override
      public String name() {
        return "wavefront sink (format+validate+gzip+POST, await 202)";
      }

      @Override
      public void run(List<Aggregate> aggregates) throws Exception {
        for (int from = 0; from < aggregates.size(); from += POLL) {
          List<Aggregate> poll = aggregates.subList(from, Math.min(aggregates.size(), from + POLL));
          List<String> lines = new ArrayList<>(poll.size() * 8);
          for (Aggregate a : poll) {
            lines.addAll(format.apply(a).text());
          }
          BatchSender.Result r = sender.send(lines, WavefrontPoint.FORMAT, d -> true);
          if (r.status() != BatchSender.Status.DELIVERED || !r.rejected().isEmpty()) {
            throw new IllegalStateException("not delivered: " + r);
          }
        }
      }
    };
  }

  /**
   * Timers of a realistic fleet, as {@code bench/wavefront-sink} makes them: 8 fields each, the
   * seed's tags plus app, 200 endpoints, 50 pods, 3 clusters, 20 nodes.
   */
  static List<Aggregate> aggregates(int n) {
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
