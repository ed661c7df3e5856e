import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * LatencyTap: reads the processor's output topic beside the sink and writes, per record whose key
 * contains PREFIX, {@code <arrival ms> <record timestamp ms> <key>}. With {@code read_uncommitted}
 * a record arrives about when the processor produced it (its window closed); with {@code
 * read_committed} when its transaction committed, i.e. when the sink can first read it. The record
 * timestamp of an aggregate is its window start.
 *
 * <p>Usage: java -cp fleetstats-local.jar:. LatencyTap BOOTSTRAP TOPIC ISOLATION OUT_FILE PREFIX.
 * Assigns every partition (waiting for the topic), starts at the end, runs until killed.
 */
public class LatencyTap {
  public static void main(String[] a) throws Exception {
    if (a.length != 5) {
      System.err.println("usage: LatencyTap BOOTSTRAP TOPIC ISOLATION OUT_FILE PREFIX");
      System.exit(2);
    }
    String topic = a[1];
    String prefix = a[4];
    Map<String, Object> props =
        Map.of(
            "bootstrap.servers",
            a[0],
            "isolation.level",
            a[2],
            "enable.auto.commit",
            false,
            "key.deserializer",
            StringDeserializer.class,
            "value.deserializer",
            ByteArrayDeserializer.class,
            "fetch.max.wait.ms",
            100);
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props);
        BufferedWriter out = Files.newBufferedWriter(Path.of(a[3]), StandardCharsets.UTF_8)) {
      List<PartitionInfo> infos = null;
      while (infos == null || infos.isEmpty()) {
        infos = consumer.partitionsFor(topic, Duration.ofSeconds(5));
        if (infos == null || infos.isEmpty()) {
          Thread.sleep(500);
        }
      }
      List<TopicPartition> parts = new ArrayList<>();
      infos.forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
      consumer.assign(parts);
      consumer.seekToEnd(parts);
      while (true) {
        var records = consumer.poll(Duration.ofMillis(200));
        long now = System.currentTimeMillis();
        for (ConsumerRecord<String, byte[]> r : records) {
          if (r.key() != null && r.key().contains(prefix)) {
            out.write(now + " " + r.timestamp() + " " + r.key());
            out.newLine();
          }
        }
        out.flush();
      }
    }
  }
}
