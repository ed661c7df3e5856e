package io.fleetstats.edge.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fleetstats.edge.EdgeAgent;
import io.fleetstats.edge.EdgeConfig;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.StatsdBatch;
import io.fleetstats.schemas.Topics;
import io.fleetstats.testing.TestKafka;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node agent ({@code FLEETSTATS_STATSD_ATTRIBUTION=node}) against a real broker and a loopback
 * API server: packets from two "pods" (senders bound to 127.0.0.2 and 127.0.0.3) reach Kafka as
 * those pods' samples, a sender that is no pod of the node is counted and its samples tagged {@code
 * pod_name=unknown}, and a pod replaced by another with the same IP re-maps at the watch event.
 */
class NodeAttributionIT {
  private static KafkaClusterTestKit cluster;

  @BeforeAll
  static void startBroker() throws Exception {
    cluster = TestKafka.start();
  }

  @AfterAll
  static void stopBroker() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void packetsAreAttributedToTheSendersPodsAndRemapWhenAPodIsReplaced() throws Exception {
    String api1 =
        LoopbackApiServer.pod("fitcycle", "api-server-a1", "uid-a1", "127.0.0.2", "node-a");
    String web1 =
        LoopbackApiServer.pod("fitcycle", "web-server-w1", "uid-w1", "127.0.0.3", "node-a");
    try (LoopbackApiServer api = new LoopbackApiServer(List.of(api1, web1))) {
      Map<String, String> env = new HashMap<>();
      env.put("FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers());
      env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
      env.put("FLEETSTATS_FLUSH_INTERVAL", "200ms");
      env.put("FLEETSTATS_TOPIC_PARTITIONS", "2");
      env.put("FLEETSTATS_ADMIN_ADDRESS", "off");
      env.put("FLEETSTATS_HEARTBEAT", "false");
      env.put("CLUSTER_NAME", "east");
      env.put("NAMESPACE", "fleetstats");
      env.put("NODE_HOSTNAME", "node-a");
      env.put("POD_NAME", "fleetstats-node-x");
      env.put("FLEETSTATS_STATSD_ATTRIBUTION", "node");
      env.put("FLEETSTATS_KUBERNETES_API", api.url());
      env.put("FLEETSTATS_KUBERNETES_TOKEN_FILE", "/nonexistent/token");
      try (EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env));
          KafkaConsumer<String, byte[]> consumer = consumer()) {
        PodIndex pods = agent.statsdInput().pods();
        assertThat(pods.awaitListed(Duration.ofSeconds(10))).isTrue();
        assertThat(api.queries).anyMatch(q -> q.contains("fieldSelector=spec.nodeName%3Dnode-a"));
        int port = agent.statsdAddress().getPort();

        send("127.0.0.2", port, "api.requests:1|c\napi.latency:12|ms");
        send("127.0.0.3", port, "web.requests:1|c");
        send("127.0.0.4", port, "stray.requests:1|c");

        Map<String, String> podOf = new ConcurrentHashMap<>();
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> {
                  collect(consumer, podOf);
                  return podOf
                      .keySet()
                      .containsAll(
                          List.of("api.requests", "api.latency", "web.requests", "stray.requests"));
                });
        assertThat(podOf)
            .containsEntry("api.requests", "fitcycle/api-server-a1")
            .containsEntry("api.latency", "fitcycle/api-server-a1")
            .containsEntry("web.requests", "fitcycle/web-server-w1")
            .containsEntry("stray.requests", "/unknown");
        assertThat(agent.statsdInput().unattributedPackets()).isEqualTo(1);

        // web-server-w1 is replaced by web-server-w2, which gets the same IP
        long version = pods.version();
        api.event("DELETED", web1);
        api.event(
            "ADDED",
            LoopbackApiServer.pod("fitcycle", "web-server-w2", "uid-w2", "127.0.0.3", "node-a"));
        await().atMost(Duration.ofSeconds(10)).until(() -> pods.version() >= version + 2);
        send("127.0.0.3", port, "web.requests2:1|c");
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> {
                  collect(consumer, podOf);
                  return podOf.containsKey("web.requests2");
                });
        assertThat(podOf).containsEntry("web.requests2", "fitcycle/web-server-w2");
      }
    }
  }

  @Test
  void aLinesContainerIdOrEntityIdWinsOverThePacketsSenderIp() throws Exception {
    String c1 = "c1".repeat(32);
    String c2 = "c2".repeat(32);
    String c3 = "c3".repeat(32);
    String api1 =
        LoopbackApiServer.podWithContainers(
            "fitcycle", "api-server-a1", "uid-a1", "127.0.0.2", "node-a", c1);
    String web1 =
        LoopbackApiServer.podWithContainers(
            "fitcycle", "web-server-w1", "uid-w1", "127.0.0.3", "node-a", c2);
    String exporter =
        LoopbackApiServer.podWithContainers(
            "monitoring", "node-exporter-n1", "uid-n1", null, "node-a");
    try (LoopbackApiServer api = new LoopbackApiServer(List.of(api1, web1, exporter))) {
      try (EdgeAgent agent = EdgeAgent.start(EdgeConfig.fromEnv(env(api)));
          KafkaConsumer<String, byte[]> consumer = consumer()) {
        PodIndex pods = agent.statsdInput().pods();
        assertThat(pods.awaitListed(Duration.ofSeconds(10))).isTrue();
        int port = agent.statsdAddress().getPort();

        // from api-server-a1's IP: a line naming web-server-w1's container goes to web-server-w1,
        // the packet's next line to the sender again
        send("127.0.0.2", port, "web.by_container:1|c|c:" + c2 + "\napi.by_ip:1|c");
        // Datadog's local data form, from web-server-w1's IP
        send("127.0.0.3", port, "api.by_local_data:1|c|c:ci-" + c1 + ",in-4026532001");
        // a pod on the host's network (no IP of its own) by its entity id; the tag is dropped
        send(
            "127.0.0.2",
            port,
            "exporter.by_entity:1|c|#job:node,dd.internal.entity_id:uid-n1\n"
                + "exporter.by_external:1|c|e:it-false,cn-c0,pu-uid-n1");
        // a container this node does not run
        send("127.0.0.2", port, "ghost.by_container:1|c|c:" + "ff".repeat(32));

        Map<String, String> podOf = new ConcurrentHashMap<>();
        Map<String, Map<String, String>> tagsOf = new ConcurrentHashMap<>();
        List<String> names =
            List.of(
                "web.by_container",
                "api.by_ip",
                "api.by_local_data",
                "exporter.by_entity",
                "exporter.by_external",
                "ghost.by_container");
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> {
                  collect(consumer, podOf, tagsOf);
                  return podOf.keySet().containsAll(names);
                });
        assertThat(podOf)
            .containsEntry("web.by_container", "fitcycle/web-server-w1")
            .containsEntry("api.by_ip", "fitcycle/api-server-a1")
            .containsEntry("api.by_local_data", "fitcycle/api-server-a1")
            .containsEntry("exporter.by_entity", "monitoring/node-exporter-n1")
            .containsEntry("exporter.by_external", "monitoring/node-exporter-n1")
            .containsEntry("ghost.by_container", "/unknown");
        assertThat(tagsOf.get("exporter.by_entity")).isEqualTo(Map.of("job", "node"));
        assertThat(agent.statsdInput().unattributedOrigins()).isEqualTo(1);
        assertThat(agent.statsdInput().unattributedPackets()).isZero();

        // a pod added later is found by its container id once the watch event is in
        long version = pods.version();
        api.event(
            "ADDED",
            LoopbackApiServer.podWithContainers(
                "fitcycle", "worker-k1", "uid-k1", "127.0.0.5", "node-a", c3));
        await().atMost(Duration.ofSeconds(10)).until(() -> pods.version() > version);
        send("127.0.0.2", port, "worker.by_container:1|c|c:" + c3);
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> {
                  collect(consumer, podOf, tagsOf);
                  return podOf.containsKey("worker.by_container");
                });
        assertThat(podOf).containsEntry("worker.by_container", "fitcycle/worker-k1");
      }
    }
  }

  private static Map<String, String> env(LoopbackApiServer api) {
    Map<String, String> env = new HashMap<>();
    env.put("FLEETSTATS_KAFKA_BOOTSTRAP", cluster.bootstrapServers());
    env.put("FLEETSTATS_STATSD_ADDRESS", "127.0.0.1:0");
    env.put("FLEETSTATS_FLUSH_INTERVAL", "200ms");
    env.put("FLEETSTATS_TOPIC_PARTITIONS", "2");
    env.put("FLEETSTATS_ADMIN_ADDRESS", "off");
    env.put("FLEETSTATS_HEARTBEAT", "false");
    env.put("CLUSTER_NAME", "east");
    env.put("NAMESPACE", "fleetstats");
    env.put("NODE_HOSTNAME", "node-a");
    env.put("POD_NAME", "fleetstats-node-x");
    env.put("FLEETSTATS_STATSD_ATTRIBUTION", "node");
    env.put("FLEETSTATS_KUBERNETES_API", api.url());
    env.put("FLEETSTATS_KUBERNETES_TOKEN_FILE", "/nonexistent/token");
    return env;
  }

  private static void send(String from, int port, String payload) throws Exception {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(from, 0))) {
      byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
      s.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
    }
  }

  private static KafkaConsumer<String, byte[]> consumer() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "node-attribution-" + System.nanoTime());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    KafkaConsumer<String, byte[]> c =
        new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
    c.subscribe(List.of(Topics.defaults().rawStatsd().name()));
    return c;
  }

  /** Series name → namespace/pod of the batch it came in. */
  private static void collect(KafkaConsumer<String, byte[]> consumer, Map<String, String> podOf) {
    collect(consumer, podOf, new HashMap<>());
  }

  /** Series name → namespace/pod of the batch it came in, and → the series' tags. */
  private static void collect(
      KafkaConsumer<String, byte[]> consumer,
      Map<String, String> podOf,
      Map<String, Map<String, String>> tagsOf) {
    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
      StatsdBatch batch = Topics.STATSD_BATCH.decode(r.value());
      for (Series s : batch.getSeries()) {
        podOf.put(s.getName(), batch.getSource().getNamespace() + "/" + batch.getSource().getPod());
        tagsOf.put(s.getName(), Map.copyOf(s.getTags()));
      }
    }
  }
}
