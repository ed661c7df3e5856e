package io.fleetstats.stream;

import static io.fleetstats.stream.Fixtures.batch;
import static io.fleetstats.stream.Fixtures.series;
import static io.fleetstats.stream.Fixtures.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.TopicSetup;
import io.fleetstats.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code FLEETSTATS_COMMIT_ON_CLOSE} on a real broker: with a commit interval of ten minutes, the
 * per-pod windows and their roll-up (which crosses the repartition topic, so needs two commits) are
 * readable {@code read_committed} long before the first interval ends, because the processor asks
 * for a commit when it emits live windows. Without the request nothing would be readable for ten
 * minutes; the test waits at most three.
 */
class LiveCommitIT {
  @TempDir Path brokerDir;
  @TempDir Path stateDir;

  @Test
  void liveWindowsAndTheirRollUpAreCommittedWithoutWaitingForTheCommitInterval() throws Exception {
    try (KafkaClusterTestKit cluster = ItKafka.start(brokerDir)) {
      String bootstrap = cluster.bootstrapServers();
      Map<String, String> env = new HashMap<>();
      env.put(StreamConfig.BOOTSTRAP.key(), bootstrap);
      env.put(StreamConfig.APPLICATION_ID.key(), "fleetstats-it-live-commit");
      env.put(StreamConfig.WINDOW.key(), "2s");
      env.put(StreamConfig.GRACE.key(), "1s");
      env.put(StreamConfig.COMMIT_INTERVAL.key(), "10m");
      env.put(StreamConfig.ROLLUPS.key(), "app:drop=pod_name,node");
      env.put(StreamConfig.STATE_DIR.key(), stateDir.toString());
      env.put(StreamConfig.ADMIN_ADDRESS.key(), "127.0.0.1:0");
      env.put("CLUSTER_NAME", "it-cluster");
      env.put("POD_NAME", "processor-0");
      StreamConfig config = StreamConfig.fromEnv(env);
      assertThat(config.commitOnClose()).isTrue();
      Topics topics = config.topics();
      TopicSetup.ensure(
          Map.of("bootstrap.servers", bootstrap),
          topics,
          2,
          Optional.empty(),
          Duration.ofHours(1),
          Duration.ofSeconds(30));

      String name = "fitcycle-api-server.ProspectPull";
      List<Aggregate> read = new ArrayList<>();
      try (StreamProcessor processor = StreamProcessor.start(config);
          KafkaProducer<String, StatsdBatch> producer = ItKafka.rawProducer(bootstrap, topics);
          KafkaConsumer<String, Aggregate> consumer =
              ItKafka.aggregateReader(bootstrap, topics, "it-live-reader")) {
        assertThat(processor.state()).isEqualTo(KafkaStreams.State.RUNNING);
        long now = System.currentTimeMillis();
        int[] hits = {3, 4};
        for (int p = 0; p < hits.length; p++) {
          Source pod = source("api-server-" + p);
          double[] ones = new double[hits[p]];
          java.util.Arrays.fill(ones, 1.0);
          StatsdBatch b = batch(pod, now, series(name, MetricType.COUNTER, now, ones));
          producer.send(
              new ProducerRecord<>(topics.rawStatsd().name(), null, now, Sources.id(pod), b));
        }
        producer.flush();
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> {
                  for (ConsumerRecord<String, Aggregate> r :
                      consumer.poll(Duration.ofMillis(200))) {
                    read.add(r.value());
                  }
                  return read.stream().filter(a -> a.getName().equals(name)).count() >= 3;
                });
      }
      List<Aggregate> perPod =
          read.stream().filter(a -> a.getTags().containsKey("pod_name")).toList();
      List<Aggregate> rollup =
          read.stream().filter(a -> "app".equals(a.getTags().get("rollup"))).toList();
      assertThat(perPod)
          .extracting(a -> a.getTags().get("pod_name") + "=" + a.getFields().get("value"))
          .containsExactlyInAnyOrder("api-server-0=3.0", "api-server-1=4.0");
      assertThat(rollup).extracting(a -> a.getFields().get("value")).containsExactly(7.0);
    }
  }
}
