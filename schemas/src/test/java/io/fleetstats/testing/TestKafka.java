package io.fleetstats.testing;

import java.nio.file.Path;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A real single-broker KRaft cluster inside the test JVM, for every module's {@code *IT}. One
 * broker means every internal topic needs replication 1, or consumer groups and transactions never
 * get a coordinator.
 */
public final class TestKafka {
  private TestKafka() {}

  /** Starts one combined broker+controller with the single-node settings. */
  public static KafkaClusterTestKit start() throws Exception {
    return start(builder(true, null));
  }

  /**
   * The builder with the single-node settings, for tests that add their own properties.
   *
   * @param combined broker and controller in one node (false: separate, so the broker alone can be
   *     stopped and restarted)
   * @param baseDir where the data goes; null for a temporary directory
   */
  public static KafkaClusterTestKit.Builder builder(boolean combined, Path baseDir) {
    TestKitNodes.Builder nodes =
        new TestKitNodes.Builder()
            .setCombined(combined)
            .setNumBrokerNodes(1)
            .setNumControllerNodes(1);
    if (baseDir != null) {
      nodes.setBaseDirectory(baseDir);
    }
    return new KafkaClusterTestKit.Builder(nodes.build())
        .setConfigProp("offsets.topic.replication.factor", "1")
        .setConfigProp("transaction.state.log.replication.factor", "1")
        .setConfigProp("transaction.state.log.min.isr", "1")
        .setConfigProp("group.initial.rebalance.delay.ms", "0");
  }

  /**
   * The single-node builder (combined) with the client listener on a port chosen in advance: for
   * clients started before the broker, or outside this host's loopback (a container).
   *
   * @param bindHost the address to listen on ({@code 0.0.0.0} for every interface)
   * @param advertisedHost the address clients are told to use
   * @param port the client port
   */
  public static KafkaClusterTestKit.Builder builderOnPort(
      String bindHost, String advertisedHost, int port) {
    // The test kit binds its broker listener (EXTERNAL) to a port of its own before the broker
    // starts, whatever "listeners" says; so clients get a listener of their own, FIXED, the only
    // one advertised (hence also the inter-broker one).
    return builder(true, null)
        .setConfigProp(
            "listeners",
            "EXTERNAL://localhost:0,FIXED://" + bindHost + ":" + port + ",CONTROLLER://localhost:0")
        .setConfigProp("advertised.listeners", "FIXED://" + advertisedHost + ":" + port)
        .setConfigProp(
            "listener.security.protocol.map",
            "EXTERNAL:PLAINTEXT,FIXED:PLAINTEXT,CONTROLLER:PLAINTEXT")
        .setConfigProp("inter.broker.listener.name", "FIXED");
  }

  /** A free TCP port on this host (free now: a client may try it before a server takes it). */
  public static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Builds, formats and starts the cluster, and waits until its broker is ready. */
  public static KafkaClusterTestKit start(KafkaClusterTestKit.Builder builder) throws Exception {
    KafkaClusterTestKit cluster = builder.build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    return cluster;
  }

  /**
   * Raises (or lowers) {@code max.message.bytes} of {@code topics} on the cluster at {@code
   * bootstrap}: the tests that send records over the broker's 1 MiB default limit.
   */
  public static void maxMessageBytes(
      String bootstrap, int bytes, java.util.Collection<String> topics) throws Exception {
    try (org.apache.kafka.clients.admin.Admin admin =
        org.apache.kafka.clients.admin.Admin.create(
            java.util.Map.of("bootstrap.servers", bootstrap))) {
      java.util.Map<
              org.apache.kafka.common.config.ConfigResource,
              java.util.Collection<org.apache.kafka.clients.admin.AlterConfigOp>>
          ops = new java.util.HashMap<>();
      for (String t : topics) {
        ops.put(
            new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, t),
            java.util.List.of(
                new org.apache.kafka.clients.admin.AlterConfigOp(
                    new org.apache.kafka.clients.admin.ConfigEntry(
                        "max.message.bytes", Integer.toString(bytes)),
                    org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET)));
      }
      admin.incrementalAlterConfigs(ops).all().get();
    }
  }

  /** Assigns {@code consumer} every partition of {@code topic}, each from its first record. */
  public static void readFromStart(
      org.apache.kafka.clients.consumer.Consumer<?, ?> consumer, String topic) {
    java.util.List<org.apache.kafka.common.TopicPartition> partitions =
        consumer.partitionsFor(topic).stream()
            .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition()))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
  }
}
