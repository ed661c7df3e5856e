package io.fleetstats.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sidecar started while Kafka is down, as Kubernetes starts it: the start script (the runnable
 * jar with the sidecar's JVM flags) as a child process, its bootstrap a port where no broker
 * listens yet. It must keep running, listening and buffering, with {@code /healthz} 200 all along,
 * and deliver every sample once a broker comes up on that port.
 *
 * <p>The wait is 20 s here; {@code -Dfleetstats.it.kafkaAbsentFor=2m} runs the full two minutes.
 */
class StartWithoutKafkaIT {
  private static final Logger log = LoggerFactory.getLogger(StartWithoutKafkaIT.class);
  private static final String TOPIC = Topics.defaults().rawStatsd().name();
  private static final Pattern LISTENING =
      Pattern.compile("listening for statsd on udp://127\\.0\\.0\\.1:(\\d+)");
  private static final int LINES_PER_DATAGRAM = 20;

  @Test
  void keepsRunningAndBufferingWhileKafkaIsDownThenDeliversEverySample() throws Exception {
    Duration absent =
        Duration.parse(
            "PT" + System.getProperty("fleetstats.it.kafkaAbsentFor", "20s").toUpperCase());
    int kafkaPort = TestKafka.freePort();
    int adminPort = TestKafka.freePort();
    String bootstrap = "127.0.0.1:" + kafkaPort;

    ProcessBuilder builder =
        new ProcessBuilder(Path.of("bin/fleetstats-edge-agent").toAbsolutePath().toString())
            .redirectErrorStream(true);
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("FLEETSTATS_") || k.equals("CLUSTER_NAME"));
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", bootstrap);
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_ADMIN_ADDRESS", "127.0.0.1:" + adminPort);
    env.put("FLEETSTATS_FLUSH_INTERVAL", "500ms");
    env.put("FLEETSTATS_HEARTBEAT", "false");
    env.put("FLEETSTATS_TOPIC_PARTITIONS", "1");
    env.put("POD_NAME", "late-0");
    Process agent = builder.start();
    StringBuffer output = new StringBuffer();
    Thread reader = new Thread(() -> copy(agent, output), "agent-output");
    reader.setDaemon(true);
    reader.start();
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> LISTENING.matcher(output).find() || !agent.isAlive());
      Matcher m = LISTENING.matcher(output);
      assertThat(m.find()).as(output.toString()).isTrue();
      InetSocketAddress statsd = new InetSocketAddress("127.0.0.1", Integer.parseInt(m.group(1)));

      // Samples all through the outage, /healthz asked every second.
      long started = System.nanoTime();
      AtomicLong sent = new AtomicLong();
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest healthz =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/healthz"))
              .timeout(Duration.ofSeconds(5))
              .build();
      int healthChecks = 0;
      try (DatagramChannel udp = DatagramChannel.open()) {
        while (System.nanoTime() - started < absent.toNanos()) {
          send(udp, statsd, sent);
          assertThat(agent.isAlive()).as(output.toString()).isTrue();
          HttpResponse<String> h = http.send(healthz, HttpResponse.BodyHandlers.ofString());
          assertThat(h.statusCode()).as("/healthz while Kafka is down").isEqualTo(200);
          healthChecks++;
          LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
        }
      }
      assertThat(agent.isAlive()).as(output.toString()).isTrue();
      String log1 = output.toString();
      assertThat(log1)
          .contains("Kafka at " + bootstrap + " is not usable yet")
          .contains("buffers its batches")
          .contains("CLUSTER_NAME is set")
          .doesNotContain("cannot start");
      log.info(
          "agent alive {} s after start without Kafka: {} samples sent, {} /healthz answers all 200",
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
          sent.get(),
          healthChecks);

      KafkaClusterTestKit kafka =
          TestKafka.start(TestKafka.builderOnPort("127.0.0.1", "127.0.0.1", kafkaPort));
      try {
        long kafkaUp = System.nanoTime();
        long delivered = awaitDelivered(bootstrap, sent.get());
        log.info(
            "broker up on {}: all {} samples in Kafka {} ms later",
            bootstrap,
            delivered,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - kafkaUp));
        assertThat(delivered).isEqualTo(sent.get());
        assertThat(agent.isAlive()).isTrue();
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> output.toString().contains("answers after"));

        agent.destroy();
        assertThat(agent.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(agent.exitValue()).as(output.toString()).isIn(0, 143);
      } finally {
        kafka.close();
      }
    } finally {
      agent.destroyForcibly();
      agent.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static void send(DatagramChannel udp, InetSocketAddress to, AtomicLong sent)
      throws IOException {
    long n = sent.get();
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < LINES_PER_DATAGRAM; i++) {
      lines.append("late.g").append((n + i) % 7).append(':').append(n + i).append("|g\n");
    }
    udp.send(ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.US_ASCII)), to);
    sent.addAndGet(LINES_PER_DATAGRAM);
  }

  private static void copy(Process p, StringBuffer out) {
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        out.append(line).append('\n');
        System.out.println("[agent] " + line);
      }
    } catch (IOException e) {
      out.append("(output closed: ").append(e).append(")\n");
    }
  }

  /** Reads the raw topic until {@code expected} samples came or a minute passed. */
  private static long awaitDelivered(String bootstrap, long expected) {
    AtomicLong samples = new AtomicLong();
    KafkaConsumer<String, StatsdBatch> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest"),
            new StringDeserializer(),
            Topics.STATSD_BATCH.deserializer());
    try {
      TopicPartition p0 = new TopicPartition(TOPIC, 0);
      // the agent creates the topic at its next check, at most 15 s after the broker is up
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(() -> !consumer.partitionsFor(TOPIC, Duration.ofSeconds(5)).isEmpty());
      consumer.assign(List.of(p0));
      consumer.seekToBeginning(List.of(p0));
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                for (ConsumerRecord<String, StatsdBatch> r :
                    consumer.poll(Duration.ofMillis(200))) {
                  for (Series s : r.value().getSeries()) {
                    samples.addAndGet(s.getReceivedAt().size());
                  }
                }
                return samples.get() >= expected;
              });
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
    }
    return samples.get();
  }
}
