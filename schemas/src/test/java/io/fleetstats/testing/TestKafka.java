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

  /** Builds, formats and starts the cluster, and waits until its broker is ready. */
  public static KafkaClusterTestKit start(KafkaClusterTestKit.Builder builder) throws Exception {
    KafkaClusterTestKit cluster = builder.build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    return cluster;
  }
}
