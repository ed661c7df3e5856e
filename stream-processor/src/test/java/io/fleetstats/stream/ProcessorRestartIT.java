package io.fleetstats.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import java.io.File;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor alone (a child JVM, {@code StreamProcessorMain}) is killed with SIGKILL against a
 * running broker and started again on its state directory, with the Kafka defaults (session 45 s,
 * transaction timeout 10 s) and the static member id the Helm chart gives it (the pod name). The
 * restart must take the dead instance's place in the group as the same static member (so it does
 * not wait out the dead member's session) and report the rebuild of its local state as a recovery,
 * not as an ERROR. Both starts' times are printed, not asserted.
 */
class ProcessorRestartIT {
  private static KafkaClusterTestKit cluster;
  @TempDir static Path brokerDir;
  @TempDir Path stateDir;
  @TempDir Path logDir;
  private Process child;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster = ItKafka.start(brokerDir);
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void killChild() {
    if (child != null) {
      child.destroyForcibly();
    }
  }

  @Test
  void aRestartAfterSigkillIsReadyAsSoonAsACleanStartAndSaysWhatItRebuilt() throws Exception {
    Topics topics = Topics.defaults();
    TopicSetup.ensure(
        Map.of("bootstrap.servers", cluster.bootstrapServers()),
        topics,
        3,
        Optional.empty(),
        Duration.ofHours(1),
        Duration.ofSeconds(30));
    int adminPort = freePort();

    long t0 = System.nanoTime();
    child = startChild(adminPort, "first");
    awaitReady(adminPort, "first");
    double cleanStart = (System.nanoTime() - t0) / 1e9;
    // open windows in the stores, mid-transaction when killed
    try (KafkaProducer<String, StatsdBatch> producer = producer(topics)) {
      for (int i = 0; i < 6; i++) {
        Source pod = pod(i);
        long now = System.currentTimeMillis();
        producer
            .send(
                new ProducerRecord<>(
                    topics.rawStatsd().name(), null, now, Sources.id(pod), batch(pod, now)))
            .get();
      }
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> anyStoreHasData(stateDir.resolve("fleetstats-restart-it")));
    child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    assertThat(child.exitValue()).as("killed, not exited").isEqualTo(137);

    long t1 = System.nanoTime();
    child = startChild(adminPort, "restart");
    awaitReady(adminPort, "restart");
    double restart = (System.nanoTime() - t1) / 1e9;

    String log = Files.readString(logDir.resolve("restart.log"));
    assertThat(log.lines().filter(l -> l.contains("ERROR"))).isEmpty();
    assertThat(log).doesNotContain("TaskCorruptedException");
    assertThat(log)
        .containsPattern(
            "WARN .* the previous run did not stop cleanly \\(killed\\?\\): \\d+ task\\(s\\) \\[.*"
                + "fleetstats-window-store.*rebuilt from the changelogs");
    // The restarted instance took the dead one's place in the group, as the same static member.
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", cluster.bootstrapServers()))) {
      assertThat(
              admin
                  .describeConsumerGroups(List.of("fleetstats-restart-it"))
                  .all()
                  .get(30, TimeUnit.SECONDS)
                  .get("fleetstats-restart-it")
                  .members())
          .singleElement()
          .satisfies(
              m ->
                  assertThat(m.groupInstanceId())
                      .hasValueSatisfying(id -> assertThat(id).startsWith("stream-processor-0")));
    }
    // That is what spares the restart the dead member's 45-s session; how long the restart takes is
    // measured by bench/local-stack/crash-restart.sh (figures in docs/operations.md), not asserted.
    System.out.printf(
        "processor crash restart: clean start ready in %.1f s, after SIGKILL ready in %.1f s%n",
        cleanStart, restart);
  }

  private static boolean anyStoreHasData(Path appDir) throws Exception {
    if (!Files.isDirectory(appDir)) {
      return false;
    }
    try (var files = Files.walk(appDir)) {
      return files.anyMatch(p -> p.toString().contains("fleetstats-window-store"));
    }
  }

  private void awaitReady(int adminPort, String name) {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest readyz =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/readyz"))
            .timeout(Duration.ofSeconds(2))
            .build();
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsMatching(e -> e instanceof java.io.IOException)
        .until(
            () -> {
              assertThat(child.isAlive())
                  .as("processor exited; log in " + logDir.resolve(name + ".log"))
                  .isTrue();
              return http.send(readyz, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            });
  }

  /** The processor as a separate JVM on the test class path, configured by env only. */
  private Process startChild(int adminPort, String name) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx256m",
            // the standalone jar's logging (Kafka at WARN), not the tests' quieter one
            "-Dlogback.configurationFile=" + Path.of("src/shaded/logback.xml").toAbsolutePath(),
            "-cp",
            System.getProperty("java.class.path"),
            StreamProcessorMain.class.getName());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("FLEETSTATS_"));
    env.put(StreamConfig.BOOTSTRAP.key(), cluster.bootstrapServers());
    env.put(StreamConfig.APPLICATION_ID.key(), "fleetstats-restart-it");
    env.put(StreamConfig.WINDOW.key(), "10s");
    env.put(StreamConfig.GRACE.key(), "2s");
    env.put(StreamConfig.STATE_DIR.key(), stateDir.toString());
    env.put(StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node");
    env.put(StreamConfig.CREATE_TOPICS.key(), "false");
    env.put(StreamConfig.ADMIN_ADDRESS.key(), "127.0.0.1:" + adminPort);
    env.put("FLEETSTATS_SELF_METRICS", "off");
    // as the Helm chart sets it: the StatefulSet's pod name, stable across restarts
    if (!Boolean.getBoolean("fleetstats.restartIt.dynamicMember")) {
      env.put("FLEETSTATS_KAFKA_GROUP_INSTANCE_ID", "stream-processor-0");
    }
    File log = logDir.resolve(name + ".log").toFile();
    pb.redirectErrorStream(true).redirectOutput(log);
    return pb.start();
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Source pod(int i) {
    return Source.newBuilder()
        .setCluster("prod")
        .setNamespace("fitcycle")
        .setNode("node-" + (i % 2))
        .setPod("api-server-" + i)
        .setContainer("app")
        .build();
  }

  private static StatsdBatch batch(Source pod, long at) {
    return StatsdBatch.newBuilder()
        .setSource(pod)
        .setCreatedAt(at)
        .setSeries(
            List.of(
                Series.newBuilder()
                    .setName("hits")
                    .setType(MetricType.COUNTER)
                    .setValues(List.of(1.0, 1.0))
                    .setReceivedAt(List.of(at, at))
                    .build()))
        .build();
  }

  private static KafkaProducer<String, StatsdBatch> producer(Topics topics) {
    return ItKafka.rawProducer(cluster.bootstrapServers(), topics);
  }
}
