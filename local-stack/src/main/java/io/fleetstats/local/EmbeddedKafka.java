package io.fleetstats.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) running inside this JVM,
 * built from the Kafka server classes as {@code kafka-storage format --standalone} and {@code
 * kafka.Kafka} do. Data lives in {@code dataDir}; restarting on the same directory keeps topics and
 * records.
 */
public final class EmbeddedKafka implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

  private final Path dataDir;
  private final int brokerPort;
  private final int controllerPort;
  private KafkaRaftServer server;

  private EmbeddedKafka(Path dataDir, int brokerPort, int controllerPort) {
    this.dataDir = dataDir;
    this.brokerPort = brokerPort;
    this.controllerPort = controllerPort;
  }

  /**
   * Formats {@code dataDir} if needed and starts the broker.
   *
   * @param brokerPort the client port, 0 for a free one
   */
  public static EmbeddedKafka start(Path dataDir, int brokerPort) {
    int bp = brokerPort == 0 ? freePort() : brokerPort;
    int cp = freePort();
    EmbeddedKafka kafka = new EmbeddedKafka(dataDir, bp, cp);
    kafka.startServer();
    return kafka;
  }

  /** {@code 127.0.0.1:port}, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return "127.0.0.1:" + brokerPort;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** Stops the broker cleanly; {@link #restart()} brings it back on the same ports and data. */
  public synchronized void stop() {
    if (server != null) {
      server.shutdown();
      server.awaitShutdown();
      server = null;
    }
  }

  public synchronized void restart() {
    stop();
    startServer();
  }

  @Override
  public void close() {
    stop();
  }

  private synchronized void startServer() {
    Instant t0 = Instant.now();
    KafkaConfig config = new KafkaConfig(properties());
    format(config);
    server = new KafkaRaftServer(config, Time.SYSTEM);
    server.startup();
    awaitServing(Duration.ofSeconds(60));
    log.info(
        "Kafka broker serving on {} after {} ms (data in {})",
        bootstrapServers(),
        Duration.between(t0, Instant.now()).toMillis(),
        dataDir);
  }

  private Properties properties() {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put(
        "listeners",
        "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
    p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", "PLAINTEXT");
    p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    // a dynamic quorum formatted --standalone; controller.quorum.voters must stay unset
    p.put("controller.quorum.bootstrap.servers", "127.0.0.1:" + controllerPort);
    p.put("log.dirs", dataDir.resolve("kafka").toString());
    // one node: every internal topic with one replica and one partition
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "1");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "1");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    // After a SIGKILL the controller (this same node) still holds the dead broker's registration
    // and refuses the new one until that registration's session expires: 9 s by default, 3 s here
    // (heartbeats every 0.5 s within one JVM: six missed before the live broker would be fenced,
    // which a loaded laptop's scheduling does not reach).
    p.put("broker.heartbeat.interval.ms", "500");
    p.put("broker.session.timeout.ms", "3000");
    // the default 128 MiB dedupe buffer is allocated at start; 2 MiB is plenty for one laptop
    p.put("log.cleaner.dedupe.buffer.size", "2097152");
    return p;
  }

  private void format(KafkaConfig config) {
    Path logDir = dataDir.resolve("kafka");
    if (Files.exists(logDir.resolve("meta.properties"))) {
      return; // formatted before: a new cluster id would be refused
    }
    try {
      Files.createDirectories(logDir);
      Formatter formatter =
          new Formatter()
              .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
              .setNodeId(config.nodeId())
              .setClusterId(Uuid.randomUuid().toString())
              .setWriteBootstrapSnapshot(true)
              .setControllerListenerName(config.controllerListenerNames().get(0))
              .setMetadataLogDirectory(config.metadataLogDir())
              .setHasDynamicQuorum(true)
              .setInitialControllers(StorageTool.createStandaloneDynamicVoters(config));
      StorageTool.configToLogDirectories(config).foreach(formatter::addDirectory);
      formatter.run();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + logDir, e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot format Kafka storage in " + logDir + ": " + e, e);
    }
  }

  private void awaitServing(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    try (Admin admin =
        Admin.create(
            Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000))) {
      while (System.nanoTime() < deadline) {
        try {
          admin.describeCluster().clusterId().get(5, TimeUnit.SECONDS);
          return;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the broker", e);
        } catch (Exception e) {
          last = e;
        }
      }
    }
    throw new IllegalStateException(
        "embedded Kafka broker did not serve "
            + bootstrapServers()
            + " within "
            + timeout.toSeconds()
            + " s",
        last);
  }

  static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on loopback", e);
    }
  }
}
