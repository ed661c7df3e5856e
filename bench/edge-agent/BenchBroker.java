import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

/**
 * A single-node in-JVM KRaft broker for the benchmark (the same recipe as the module's ITs). Usage:
 * java -cp <edge-agent test classpath> BenchBroker BOOTSTRAP_FILE; runs until killed.
 */
public class BenchBroker {
  public static void main(String[] a) throws Exception {
    KafkaClusterTestKit cluster =
        new KafkaClusterTestKit.Builder(
                new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .build())
            .setConfigProp("offsets.topic.replication.factor", "1")
            .setConfigProp("transaction.state.log.replication.factor", "1")
            .setConfigProp("transaction.state.log.min.isr", "1")
            .build();
    cluster.format();
    cluster.startup();
    cluster.waitForReadyBrokers();
    Files.writeString(Path.of(a[0]), cluster.bootstrapServers());
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    cluster.close();
                  } catch (Exception e) {
                  }
                }));
    Thread.currentThread().join();
  }
}
