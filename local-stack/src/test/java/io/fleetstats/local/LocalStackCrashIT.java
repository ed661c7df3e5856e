package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import java.io.File;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local stack ({@code fleetstats-local}, a child JVM as a user runs it) is killed with SIGKILL
 * while a window holds samples that reached Kafka, then started again on the same data directory.
 * The restart must deliver that window exactly once with every sample and report the rebuild of its
 * local state as a recovery, not as Kafka Streams' TaskCorruptedException ERROR. Both starts' times
 * are printed; bench/local-stack/crash-restart.sh measures them.
 */
class LocalStackCrashIT {
  private static final int SAMPLES = 50;
  private static final long WINDOW_MS = 20_000;
  private static final Pattern READY =
      Pattern.compile(
          "ready in ([0-9.]+) s: statsd udp://127\\.0\\.0\\.1:\\d+, kafka bootstrap (\\S+),");

  @TempDir Path dir;
  private Process child;

  @AfterEach
  void killChild() {
    if (child != null) {
      child.destroyForcibly();
    }
  }

  @Test
  void aRestartAfterSigkillIsReadyAsSoonAsACleanStartAndGivesTheOpenWindowExactly()
      throws Exception {
    int statsdPort;
    try (DatagramSocket probe = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      statsdPort = probe.getLocalPort();
    }
    Path capture = dir.resolve("lines.txt");

    child = start(statsdPort, capture, "first");
    Matcher first = awaitReady(dir.resolve("first.out"));
    double cleanStart = Double.parseDouble(first.group(1));
    String bootstrap = first.group(2);

    // early in a window, so that it is still open when the samples are in Kafka and the stack dies
    await()
        .atMost(Duration.ofMillis(WINDOW_MS + 1_000))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> System.currentTimeMillis() % WINDOW_MS < WINDOW_MS / 10);
    long windowEnd = System.currentTimeMillis() / WINDOW_MS * WINDOW_MS + WINDOW_MS;
    try (DatagramSocket socket = new DatagramSocket()) {
      byte[] sample = "crash.hits:1|c".getBytes(StandardCharsets.US_ASCII);
      for (int i = 0; i < SAMPLES; i++) {
        socket.send(
            new DatagramPacket(
                sample, sample.length, InetAddress.getLoopbackAddress(), statsdPort));
      }
    }
    awaitInKafka(bootstrap, SAMPLES);
    child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
    assertThat(child.exitValue()).as("killed, not exited").isEqualTo(137);
    assertThat(System.currentTimeMillis())
        .as("killed while the window was still open")
        .isLessThan(windowEnd);
    assertThat(Files.readString(capture)).doesNotContain("\"crash.hits\"");

    child = start(statsdPort, capture, "restart");
    double restart = Double.parseDouble(awaitReady(dir.resolve("restart.out")).group(1));
    await().atMost(Duration.ofSeconds(90)).until(() -> perPodLines(capture).size() >= 1);
    // anything emitted twice would arrive right after the first
    await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> true);
    List<String> lines = perPodLines(capture);
    assertThat(lines).singleElement().asString().startsWith("\"crash.hits\" " + SAMPLES + " ");

    String log = Files.readString(dir.resolve("restart.err"));
    assertThat(log.lines().filter(l -> l.contains("ERROR"))).isEmpty();
    assertThat(log).doesNotContain("TaskCorruptedException");
    assertThat(log)
        .containsPattern(
            "WARN .* the previous run did not stop cleanly \\(killed\\?\\): \\d+ task\\(s\\) \\[.*"
                + "fleetstats-window-store.*rebuilt from the changelogs");
    // How quick the restart is, is measured by bench/local-stack/crash-restart.sh, not asserted
    // here: a timed test on a shared box measures the box.
    System.out.printf(
        "local stack crash restart: clean start ready in %.1f s, after SIGKILL ready in %.1f s;"
            + " window of %d samples delivered once%n",
        cleanStart, restart, SAMPLES);
  }

  /** The stack's own per-pod {@code crash.hits} lines (not the roll-up). */
  private static List<String> perPodLines(Path capture) throws Exception {
    if (!Files.exists(capture)) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String l : Files.readAllLines(capture)) {
      if (l.startsWith("\"crash.hits\" ") && !l.contains("\"rollup\"")) {
        out.add(l);
      }
    }
    return out;
  }

  /** Waits until the edge agent has published {@code expected} samples of crash.hits. */
  private static void awaitInKafka(String bootstrap, int expected) {
    Topics topics = Topics.defaults();
    AtomicLong seen = new AtomicLong();
    try (KafkaConsumer<String, StatsdBatch> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.GROUP_ID_CONFIG, "crash-it-raw-reader"),
            topics.rawStatsd().keySerde().deserializer(),
            topics.rawStatsd().valueSerde().deserializer())) {
      consumer.subscribe(List.of(topics.rawStatsd().name()));
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                for (ConsumerRecord<String, StatsdBatch> r :
                    consumer.poll(Duration.ofMillis(100))) {
                  for (Series s : r.value().getSeries()) {
                    if (s.getName().equals("crash.hits")) {
                      seen.addAndGet(s.getValues().size());
                    }
                  }
                }
                return seen.get() >= expected;
              });
    }
  }

  private Matcher awaitReady(Path out) {
    Matcher[] m = new Matcher[1];
    await()
        .atMost(Duration.ofSeconds(180))
        .until(
            () -> {
              if (!child.isAlive()) {
                throw new AssertionError(
                    "the stack exited: " + Files.readString(out.resolveSibling(errName(out))));
              }
              m[0] = READY.matcher(Files.exists(out) ? Files.readString(out) : "");
              return m[0].find();
            });
    return m[0];
  }

  private static String errName(Path out) {
    String name = out.getFileName().toString();
    return name.substring(0, name.length() - ".out".length()) + ".err";
  }

  /** {@code fleetstats-local} as a separate JVM on the test class path. */
  private Process start(int statsdPort, Path capture, String name) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb =
        new ProcessBuilder(
            java,
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            LocalStackMain.class.getName(),
            "--data-dir",
            dir.resolve("data").toString(),
            "--statsd-port",
            Integer.toString(statsdPort),
            "--window",
            WINDOW_MS / 1000 + "s",
            "--grace",
            "2s",
            "--capture",
            capture.toString(),
            "--quiet",
            "--ui-port",
            "off");
    pb.environment().keySet().removeIf(k -> k.startsWith("FLEETSTATS_"));
    // the services' own meters would be lines of their own; only the test's samples matter here
    pb.environment().put("FLEETSTATS_SELF_METRICS", "off");
    File out = dir.resolve(name + ".out").toFile();
    File err = dir.resolve(name + ".err").toFile();
    pb.redirectOutput(out).redirectError(err);
    return pb.start();
  }
}
