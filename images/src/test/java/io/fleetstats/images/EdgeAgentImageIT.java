package io.fleetstats.images;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.InternetProtocol;
import com.github.dockerjava.api.model.Ports;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * Builds the images offline ({@code build.sh}: a Debian root filesystem with a JRE, imported into
 * podman, then every Dockerfile on it), then runs the edge agent's image the way a cluster would:
 * non-root, read-only root filesystem with {@code /tmp} a tmpfs, through Testcontainers on podman's
 * Docker-compatible socket. Its statsd port takes UDP from the host; the batches reach a real KRaft
 * broker on the host, which advertises the host's own address so the container can reach it.
 *
 * <p>Without podman, or without its socket, the test is skipped and says why (see README.md).
 */
class EdgeAgentImageIT {
  private static final Logger log = LoggerFactory.getLogger(EdgeAgentImageIT.class);

  /** The project version without -SNAPSHOT, as build.sh tags the images. */
  private static final String VERSION =
      System.getProperty("fleetstats.project.version", "0.1.0").replace("-SNAPSHOT", "");

  private static final String IMAGE = "localhost/fleetstats/edge-agent:" + VERSION;
  private static final String TOPIC = Topics.defaults().rawStatsd().name();
  private static final int DATAGRAMS = 100;
  private static final int LINES_PER_DATAGRAM = 10;

  private static KafkaClusterTestKit kafka;
  private static String bootstrap;

  /** Why podman cannot be used here, or null: each test is then skipped with this reason. */
  private static String noPodman;

  @BeforeAll
  static void buildImagesAndStartKafka() throws Exception {
    noPodman = podmanProblem();
    if (noPodman != null) {
      // an assumption here would abort the class with "Tests run: 0" and no reason in sight
      log.warn("the image smoke test is skipped: {}", noPodman);
      return;
    }
    Path script = Path.of("build.sh").toAbsolutePath();
    // its output is copied through this JVM's System.out: a child writing to the inherited stdout
    // would corrupt the test runner's channel
    Process build = new ProcessBuilder(script.toString()).redirectErrorStream(true).start();
    try (java.io.BufferedReader lines =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(build.getInputStream(), StandardCharsets.UTF_8))) {
      lines.lines().forEach(System.out::println);
    }
    assertThat(build.waitFor(20, TimeUnit.MINUTES)).as("build.sh within 20 min").isTrue();
    assertThat(build.exitValue()).as("build.sh exit code (its output is above)").isZero();

    String host = hostAddress();
    int port = TestKafka.freePort();
    kafka = TestKafka.start(TestKafka.builderOnPort("0.0.0.0", host, port));
    bootstrap = host + ":" + port;
  }

  @AfterAll
  static void stopKafka() throws Exception {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void edgeAgentContainerDeliversStatsdFromTheHostToKafkaOnTheHost() throws Exception {
    Assumptions.assumeTrue(noPodman == null, noPodman);
    int udpPort = freeUdpPort();
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", bootstrap);
    env.put("FLEETSTATS_STATSD_ADDRESS", ":8125");
    env.put("FLEETSTATS_SPOOL_DIR", "/var/lib/fleetstats/spool");
    env.put("FLEETSTATS_FLUSH_INTERVAL", "200ms");
    env.put("FLEETSTATS_HEARTBEAT", "false");
    env.put("FLEETSTATS_TOPIC_PARTITIONS", "1");
    env.put("CLUSTER_NAME", "smoke");
    env.put("NAMESPACE", "images");
    env.put("POD_NAME", "edge-smoke-0");
    try (GenericContainer<?> agent =
        new GenericContainer<>(DockerImageName.parse(IMAGE))
            .withEnv(env)
            .withExposedPorts(9125)
            .withCreateContainerCmdModifier(
                cmd -> {
                  ExposedPort statsd = new ExposedPort(8125, InternetProtocol.UDP);
                  List<ExposedPort> exposed = new ArrayList<>(List.of(cmd.getExposedPorts()));
                  exposed.add(statsd);
                  cmd.withExposedPorts(exposed);
                  Ports bindings =
                      cmd.getHostConfig().getPortBindings() == null
                          ? new Ports()
                          : cmd.getHostConfig().getPortBindings();
                  bindings.bind(statsd, Ports.Binding.bindPort(udpPort));
                  cmd.getHostConfig()
                      .withPortBindings(bindings)
                      .withReadonlyRootfs(true)
                      .withTmpFs(Map.of("/tmp", "rw,size=64m"));
                })
            .waitingFor(Wait.forHttp("/healthz").forPort(9125).forStatusCode(200))
            .withStartupTimeout(Duration.ofMinutes(2))) {
      agent.start();
      assertThat(agent.getContainerInfo().getConfig().getUser()).isEqualTo("10001:10001");
      assertThat(agent.getContainerInfo().getHostConfig().getReadonlyRootfs()).isTrue();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> agent.getLogs().contains("edge agent listening for statsd"));

      long sent = send(new InetSocketAddress("127.0.0.1", udpPort));
      long delivered = delivered("smoke/images/edge-smoke-0/", sent);
      log.info(
          "{}: {} samples sent over UDP to the container, {} read back from Kafka at {}",
          IMAGE,
          sent,
          delivered,
          bootstrap);
      assertThat(delivered).as(agent.getLogs()).isEqualTo(sent);
      assertThat(agent.getLogs()).doesNotContain("ERROR").doesNotContain("Exception");
    }
  }

  /** Why podman cannot be used here, or null. */
  private static String podmanProblem() throws InterruptedException {
    try {
      Process p = new ProcessBuilder("podman", "--version").redirectErrorStream(true).start();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return "podman --version failed: podman is not usable on this machine (images/README.md)";
      }
    } catch (IOException e) {
      return "podman is not installed (apt-get install -y podman runc mmdebstrap; images/README.md)";
    }
    String socket = System.getenv("DOCKER_HOST");
    if (socket != null && socket.startsWith("unix://")) {
      Path path = Path.of(socket.substring("unix://".length()));
      if (!Files.exists(path)) {
        return "no podman API socket at "
            + path
            + ": start it with 'podman system service --time=0 "
            + socket
            + " &' (images/README.md)";
      }
    }
    if (!DockerClientFactory.instance().isDockerAvailable()) {
      return "Testcontainers finds no Docker-compatible engine at DOCKER_HOST=" + socket;
    }
    return null;
  }

  /**
   * The host's first IPv4 address outside loopback and the container bridges: the container reaches
   * it through its bridge, and so does every client on the host.
   */
  private static String hostAddress() throws SocketException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      String name = nic.getName();
      if (!nic.isUp()
          || nic.isLoopback()
          || nic.isVirtual()
          || name.startsWith("cni")
          || name.startsWith("podman")
          || name.startsWith("veth")
          || name.startsWith("docker")) {
        continue;
      }
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (a instanceof Inet4Address && !a.isLinkLocalAddress()) {
          return a.getHostAddress();
        }
      }
    }
    throw new IllegalStateException("no non-loopback IPv4 address on this host for the container");
  }

  private static int freeUdpPort() throws IOException {
    try (DatagramChannel ch = DatagramChannel.open()) {
      ch.bind(new InetSocketAddress("127.0.0.1", 0));
      return ((InetSocketAddress) ch.getLocalAddress()).getPort();
    }
  }

  private static long send(InetSocketAddress to) throws IOException {
    long sent = 0;
    try (DatagramChannel udp = DatagramChannel.open()) {
      for (int d = 0; d < DATAGRAMS; d++) {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < LINES_PER_DATAGRAM; i++) {
          lines.append("smoke.requests:1|c|#route:r").append(i).append('\n');
        }
        udp.send(ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.US_ASCII)), to);
        sent += LINES_PER_DATAGRAM;
      }
    }
    return sent;
  }

  /** Samples read back from the raw topic under {@code key}, waiting until {@code expected}. */
  private static long delivered(String key, long expected) {
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
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(() -> !consumer.partitionsFor(TOPIC, Duration.ofSeconds(5)).isEmpty());
      TopicPartition p0 = new TopicPartition(TOPIC, 0);
      consumer.assign(List.of(p0));
      consumer.seekToBeginning(List.of(p0));
      // what came within a minute: the caller's assertion shows the container's log if short
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                for (ConsumerRecord<String, StatsdBatch> r :
                    consumer.poll(Duration.ofMillis(200))) {
                  if (key.equals(r.key())) {
                    for (Series s : r.value().getSeries()) {
                      samples.addAndGet(s.getReceivedAt().size());
                    }
                  }
                }
                return samples.get() >= expected;
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      log.warn("only {} of {} samples arrived within a minute", samples.get(), expected);
    } finally {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
    }
    return samples.get();
  }
}
