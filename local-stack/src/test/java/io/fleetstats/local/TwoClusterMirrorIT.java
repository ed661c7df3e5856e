package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.edge.EdgeAgent;
import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.sink.SinkConfig;
import io.fleetstats.sink.WavefrontSink;
import io.fleetstats.sink.format.ProxyParser;
import io.fleetstats.stream.StreamConfig;
import io.fleetstats.stream.StreamProcessor;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import wavefront.report.ReportPoint;

/**
 * Two clusters, each with its own Kafka, mirrored into a central Kafka by a real MirrorMaker 2
 * (running in this JVM): edge agents produce into {@code east} and {@code west}; the stream
 * processor (subscribed by topic pattern to {@code east.fleetstats.raw.statsd} and {@code
 * west.fleetstats.raw.statsd}) and the Wavefront sink run on {@code central}, delivering to a
 * loopback HTTP receiver. West's mirror is cut (MirrorMaker 2 stopped) for {@value #CUT_PROPERTY}
 * seconds, default 120, while both clusters keep sending; then restored. Every window of both
 * clusters, per pod and rolled up across clusters, must end at the receiver with exactly the values
 * sent (the last emission of each point wins).
 *
 * <p>Each line carries its DogStatsD timestamp ({@code |T}), so the window of every value is known
 * to the test. Takes about the cut plus two minutes.
 */
class TwoClusterMirrorIT {
  private static final Logger log = LoggerFactory.getLogger(TwoClusterMirrorIT.class);

  /** System property: how long west's mirror is cut, in seconds. */
  static final String CUT_PROPERTY = "fleetstats.mirrorCutSeconds";

  private static final long WINDOW_MS = 5_000;
  private static final String RAW_TOPICS = "fleetstats\\.raw\\..*";

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private final List<MirrorMaker> running = new ArrayList<>();

  /** MirrorMaker 2's Kafka jars (4.3.1) ahead of the test's (4.4.0), see {@link MirrorMaker}. */
  private static ClassLoader mirrorLoader;

  /** Last value per point identity ({@code metric|source|tags|seconds}) at the receiver. */
  private final Map<String, Double> received = new ConcurrentHashMap<>();

  /** Sent: per point identity, the value the window must end with. */
  private final Map<String, Double> expected = new TreeMap<>();

  @AfterEach
  void closeAll() {
    new ArrayList<>(running).forEach(this::stop);
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        log.warn("closing {}: {}", open.get(i), e.toString());
      }
    }
  }

  private <T extends AutoCloseable> T keep(T c) {
    open.add(c);
    return c;
  }

  /**
   * A MirrorMaker 2 in dedicated mode, driving {@code org.apache.kafka.connect.mirror.MirrorMaker}
   * for the flows into {@code central}. MirrorMaker 2 4.3.1 (4.4.0 is not on Central) does not run
   * on the kafka-clients 4.4.0 of this JVM (it uses classes 4.4.0 moved to {@code internals}), so
   * its Kafka jars, copied to {@code target/mirror-maker} by the build, are loaded child-first in a
   * class loader of their own; every other library comes from the test class path.
   */
  private record MirrorMaker(Object driver) {
    static synchronized MirrorMaker start(Map<String, String> props) {
      // Connect swaps the context class loader of the calling thread; the test's Kafka clients
      // must not find MirrorMaker's afterwards
      ClassLoader context = Thread.currentThread().getContextClassLoader();
      try {
        if (mirrorLoader == null) {
          mirrorLoader = kafkaFirst(Path.of("target", "mirror-maker"));
        }
        Class<?> type =
            Class.forName("org.apache.kafka.connect.mirror.MirrorMaker", true, mirrorLoader);
        Object driver =
            type.getConstructor(Map.class, List.class).newInstance(props, List.of("central"));
        type.getMethod("start").invoke(driver);
        return new MirrorMaker(driver);
      } catch (ReflectiveOperationException | IOException e) {
        throw new IllegalStateException("cannot start MirrorMaker 2: " + e, e);
      } finally {
        Thread.currentThread().setContextClassLoader(context);
      }
    }

    void stop() {
      ClassLoader context = Thread.currentThread().getContextClassLoader();
      try {
        driver.getClass().getMethod("stop").invoke(driver);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot stop MirrorMaker 2: " + e, e);
      } finally {
        Thread.currentThread().setContextClassLoader(context);
      }
    }

    private static ClassLoader kafkaFirst(Path dir) throws IOException {
      List<java.net.URL> urls = new ArrayList<>();
      try (var jars = java.nio.file.Files.list(dir)) {
        for (Path jar : jars.filter(j -> j.toString().endsWith(".jar")).sorted().toList()) {
          urls.add(jar.toUri().toURL());
        }
      }
      if (urls.isEmpty()) {
        throw new IOException("no MirrorMaker jars in " + dir.toAbsolutePath() + ": run the build");
      }
      ClassLoader parent = TwoClusterMirrorIT.class.getClassLoader();
      return new java.net.URLClassLoader(urls.toArray(new java.net.URL[0]), parent) {
        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
          if (!name.startsWith("org.apache.kafka.")) {
            return super.loadClass(name, resolve);
          }
          synchronized (getClassLoadingLock(name)) {
            Class<?> c = findLoadedClass(name);
            if (c == null) {
              try {
                c = findClass(name);
              } catch (ClassNotFoundException e) {
                c = super.loadClass(name, false);
              }
            }
            if (resolve) {
              resolveClass(c);
            }
            return c;
          }
        }

        @Override
        public java.net.URL getResource(String name) {
          java.net.URL own = findResource(name);
          return own != null ? own : super.getResource(name);
        }
      };
    }
  }

  /** One pod: its agent and a TCP connection to its statsd port. */
  private record Pod(String cluster, String name, String node, EdgeAgent agent, OutputStream out) {}

  @Test
  void everyWindowOfBothClustersEndsExactAfterWestsMirrorWasCut() throws Exception {
    long began = System.nanoTime();
    Duration cut = Duration.ofSeconds(Long.getLong(CUT_PROPERTY, 120));
    EmbeddedKafka east = keep(EmbeddedKafka.start(dir.resolve("east"), 0));
    EmbeddedKafka west = keep(EmbeddedKafka.start(dir.resolve("west"), 0));
    EmbeddedKafka central = keep(EmbeddedKafka.start(dir.resolve("central"), 0));

    List<Pod> pods = new ArrayList<>();
    for (String cluster : List.of("east", "west")) {
      EmbeddedKafka kafka = cluster.equals("east") ? east : west;
      for (int i = 0; i < 2; i++) {
        pods.add(pod(kafka, cluster, "api-" + i, cluster + "-node-" + i));
      }
    }

    MirrorMaker eastMirror = mirror("east", east, central);
    MirrorMaker westMirror = mirror("west", west, central);
    awaitTopics(central, "east.fleetstats.raw.statsd", "west.fleetstats.raw.statsd");

    ProxyReceiver receiver = keep(ProxyReceiver.start(0, java.util.Optional.empty()));
    receiver.addListener(this::onLine);
    StreamProcessor processor = keep(StreamProcessor.start(processorConfig(central)));
    keep(WavefrontSink.start(sinkConfig(central, receiver)));

    Random random = new Random(16);
    send(pods, Duration.ofSeconds(30), random);
    log.info("cutting west's mirror for {} s", cut.toSeconds());
    stop(westMirror);
    send(pods, cut, random);
    log.info("restoring west's mirror");
    westMirror = mirror("west", west, central);
    send(pods, Duration.ofSeconds(30), random);
    addRollups();

    await()
        .atMost(Duration.ofMinutes(4))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> mismatches().isEmpty());
    long seconds = (System.nanoTime() - began) / 1_000_000_000L;
    log.info(
        "two clusters: {} window values checked, {} corrections emitted, {} s",
        expected.size(),
        processor.correctionsEmitted(),
        seconds);
    System.out.printf(
        "TwoClusterMirrorIT: windows checked %d (per pod and rolled up), corrections emitted %d,"
            + " cut %d s, %d s in all%n",
        expected.size(), processor.correctionsEmitted(), cut.toSeconds(), seconds);
    assertThat(mismatches()).isEmpty();
    assertThat(processor.lateSamples()).isZero();
    // west's windows during the cut were emitted only after it: corrections happened
    assertThat(processor.correctionsEmitted()).isPositive();
    stop(eastMirror);
    stop(westMirror);
  }

  private Pod pod(EmbeddedKafka kafka, String cluster, String name, String node)
      throws IOException {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
    env.put("CLUSTER_NAME", cluster);
    env.put("NAMESPACE", "default");
    env.put("POD_NAME", name);
    env.put("NODE_HOSTNAME", node);
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_STATSD_TCP_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_ADMIN_ADDRESS", "off");
    env.put("FLEETSTATS_TOPIC_PARTITIONS", "2");
    EdgeAgent agent = keep(EdgeAgent.start(EdgeConfig.fromEnv(env)));
    Socket socket = keep(new Socket("127.0.0.1", agent.statsdTcpAddress().getPort()));
    return new Pod(cluster, name, node, agent, socket.getOutputStream());
  }

  /** MirrorMaker 2 in dedicated mode: {@code source} → central, raw topics only. */
  private MirrorMaker mirror(String source, EmbeddedKafka from, EmbeddedKafka central) {
    Map<String, String> p = new HashMap<>();
    p.put("clusters", source + ",central");
    p.put(source + ".bootstrap.servers", from.bootstrapServers());
    p.put("central.bootstrap.servers", central.bootstrapServers());
    p.put(source + "->central.enabled", "true");
    p.put(source + "->central.topics", RAW_TOPICS);
    p.put("central->" + source + ".enabled", "false");
    for (String f :
        List.of(
            "replication.factor",
            "checkpoints.topic.replication.factor",
            "heartbeats.topic.replication.factor",
            "offset-syncs.topic.replication.factor",
            "config.storage.replication.factor",
            "offset.storage.replication.factor",
            "status.storage.replication.factor")) {
      p.put(f, "1");
    }
    p.put("sync.group.offsets.enabled", "false");
    p.put("sync.topic.acls.enabled", "false");
    p.put("refresh.topics.interval.seconds", "1");
    p.put("offset.flush.interval.ms", "1000");
    MirrorMaker mm = MirrorMaker.start(p);
    running.add(mm);
    return mm;
  }

  private void stop(MirrorMaker mm) {
    if (running.remove(mm)) {
      mm.stop();
    }
  }

  private static void awaitTopics(EmbeddedKafka kafka, String... topics) {
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
      await()
          .atMost(Duration.ofMinutes(2))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> admin.listTopics().names().get().containsAll(Set.of(topics)));
    }
  }

  private StreamConfig processorConfig(EmbeddedKafka central) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", central.bootstrapServers());
    env.put("FLEETSTATS_APPLICATION_ID", "two-cluster-it");
    env.put("FLEETSTATS_WINDOW", WINDOW_MS + "ms");
    env.put("FLEETSTATS_GRACE", "1s");
    env.put("FLEETSTATS_ROLLUPS", "fleet:drop=pod_name,node,cluster");
    env.put("FLEETSTATS_STATE_DIR", dir.resolve("state").toString());
    env.put("FLEETSTATS_ADMIN_ADDRESS", "off");
    env.put("CLUSTER_NAME", "central");
    // mirrored topics created after the start are picked up within this
    env.put("FLEETSTATS_KAFKA_METADATA_MAX_AGE_MS", "2000");
    return StreamConfig.fromEnv(env);
  }

  private static SinkConfig sinkConfig(EmbeddedKafka central, ProxyReceiver receiver) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", central.bootstrapServers());
    env.put("FLEETSTATS_PROXY_URL", receiver.url().toString());
    env.put("FLEETSTATS_ADMIN_ADDRESS", "off");
    env.put("CLUSTER_NAME", "central");
    return SinkConfig.fromEnv(env);
  }

  /**
   * For {@code length}, every 100 ms and pod: one counter and one timer value, each line with its
   * DogStatsD timestamp (the current second); what is sent is added to {@link #expected}.
   */
  private void send(List<Pod> pods, Duration length, Random random) throws IOException {
    long end = System.currentTimeMillis() + length.toMillis();
    ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
    CompletableFuture<Void> done = new CompletableFuture<>();
    ticks.scheduleAtFixedRate(
        () -> {
          if (System.currentTimeMillis() >= end) {
            done.complete(null);
            return;
          }
          try {
            sendOnce(pods, random);
          } catch (IOException | RuntimeException e) {
            done.completeExceptionally(e);
          }
        },
        0,
        100,
        TimeUnit.MILLISECONDS);
    try {
      done.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IOException(e.getCause());
    } finally {
      ticks.shutdownNow();
    }
  }

  /** One tick of {@link #send}: a counter and a timer line per pod. */
  private void sendOnce(List<Pod> pods, Random random) throws IOException {
    long seconds = System.currentTimeMillis() / 1000;
    long windowSeconds = Math.floorDiv(seconds * 1000, WINDOW_MS) * WINDOW_MS / 1000;
    for (Pod p : pods) {
      int hits = 1 + random.nextInt(5);
      int latency = 1 + random.nextInt(500);
      String lines =
          "mc.hits:"
              + hits
              + "|c|T"
              + seconds
              + "\nmc.latency:"
              + latency
              + "|ms|T"
              + seconds
              + "\n";
      p.out().write(lines.getBytes(StandardCharsets.UTF_8));
      p.out().flush();
      String tags = podTags(p);
      expected.merge(key("mc.hits", p.node(), tags, windowSeconds), (double) hits, Double::sum);
      expected.merge(key("mc.latency.count", p.node(), tags, windowSeconds), 1.0, Double::sum);
      expected.merge(
          key("mc.latency.sum", p.node(), tags, windowSeconds), (double) latency, Double::sum);
    }
  }

  /** The fleet roll-up of every window: the sum over the four pods. */
  private void addRollups() {
    Map<String, Double> rollups = new HashMap<>();
    expected.forEach(
        (k, v) -> {
          String[] parts = k.split("\\|");
          String metricType = parts[0].equals("mc.hits") ? "counter" : "timing";
          String tags = "metric_type=" + metricType + ",namespace=default,rollup=fleet";
          rollups.merge(key(parts[0], "fleet", tags, Long.parseLong(parts[3])), v, Double::sum);
        });
    expected.putAll(rollups);
  }

  private static String podTags(Pod p) {
    return "cluster=" + p.cluster() + ",metric_type=%s,namespace=default,pod_name=" + p.name();
  }

  private static String key(String metric, String source, String tags, long seconds) {
    String metricType = metric.equals("mc.hits") ? "counter" : "timing";
    return metric + '|' + source + '|' + String.format(tags, metricType) + '|' + seconds;
  }

  private void onLine(String line) {
    ReportPoint p = ProxyParser.parseAndValidate(line);
    StringBuilder tags = new StringBuilder();
    new TreeMap<>(p.getAnnotations())
        .forEach(
            (k, v) -> tags.append(tags.length() == 0 ? "" : ",").append(k).append('=').append(v));
    received.put(
        p.getMetric() + '|' + p.getHost() + '|' + tags + '|' + p.getTimestamp() / 1000,
        ((Number) p.getValue()).doubleValue());
  }

  /** Expected points the receiver does not have, or has with another value. */
  private List<String> mismatches() {
    List<String> wrong = new ArrayList<>();
    expected.forEach(
        (k, v) -> {
          Double got = received.get(k);
          if (got == null || Math.abs(got - v) > 1e-9) {
            wrong.add(k + " expected " + v + " got " + got);
          }
        });
    if (!wrong.isEmpty()) {
      log.info(
          "{} of {} points not exact yet, e.g. {}", wrong.size(), expected.size(), wrong.get(0));
    }
    return wrong;
  }
}
