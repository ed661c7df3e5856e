package io.fleetstats.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the platform's topics that are missing, with the configured partitions and replication,
 * and says so. Existing topics are left as they are.
 */
public final class TopicSetup {
  private static final Logger log = LoggerFactory.getLogger(TopicSetup.class);

  /** How many partitions new topics get. */
  public static final int DEFAULT_PARTITIONS = 6;

  private TopicSetup() {}

  /**
   * @param adminConfig Kafka admin client properties (bootstrap.servers and security settings)
   * @param partitions partitions for new topics
   * @param replication replication factor for new topics; empty = the broker's default
   * @param rawRetention retention of the raw topics (sized for backfill by replay)
   * @return the names of topics this call created
   * @throws IllegalStateException naming the topic and the fix when creation is not allowed
   */
  public static List<String> ensure(
      Map<String, Object> adminConfig,
      Topics topics,
      int partitions,
      Optional<Short> replication,
      Duration rawRetention,
      Duration timeout) {
    return ensure(adminConfig, topics.names(), partitions, replication, rawRetention, timeout);
  }

  /** As {@link #ensure(Map, Topics, int, Optional, Duration, Duration)}, by name only. */
  public static List<String> ensure(
      Map<String, Object> adminConfig,
      TopicNames topics,
      int partitions,
      Optional<Short> replication,
      Duration rawRetention,
      Duration timeout) {
    List<NewTopic> wanted = new ArrayList<>();
    String rawMs = Long.toString(rawRetention.toMillis());
    String threeDays = Long.toString(Duration.ofDays(3).toMillis());
    wanted.add(topic(topics.rawStatsd(), partitions, replication, rawMs));
    wanted.add(topic(topics.rawMysql(), partitions, replication, rawMs));
    wanted.add(topic(topics.rawKubelet(), partitions, replication, rawMs));
    wanted.add(topic(topics.aggregates(), partitions, replication, threeDays));
    wanted.add(topic(topics.deadletter(), partitions, replication, threeDays));
    // compacted: the latest metadata per cluster is kept for as long as the cluster exists
    wanted.add(
        new NewTopic(topics.clusters(), Optional.of(1), replication)
            .configs(
                Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
    List<String> created = new ArrayList<>();
    try (Admin admin = Admin.create(adminConfig)) {
      Set<String> existing =
          admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = wanted.stream().filter(t -> !existing.contains(t.name())).toList();
      if (missing.isEmpty()) {
        return created;
      }
      var result = admin.createTopics(missing);
      for (NewTopic t : missing) {
        try {
          result.values().get(t.name()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          created.add(t.name());
          log.info(
              "created topic {} with {} partitions, replication {}",
              t.name(),
              t.numPartitions(),
              replication.map(String::valueOf).orElse("(broker default)"));
        } catch (ExecutionException e) {
          if (e.getCause() instanceof TopicExistsException) {
            continue; // another service created it meanwhile
          }
          if (e.getCause() instanceof TopicAuthorizationException) {
            throw new IllegalStateException(
                "not allowed to create topic "
                    + t.name()
                    + ": create it beforehand (see docs/operations.md) or grant CREATE on it",
                e.getCause());
          }
          throw new IllegalStateException(
              "cannot create topic " + t.name() + ": " + e.getCause(), e);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException(
          "cannot reach Kafka at "
              + adminConfig.get("bootstrap.servers")
              + " to check topics within "
              + timeout.toSeconds()
              + " s: "
              + e,
          e);
    }
    return created;
  }

  private static NewTopic topic(
      String name, int partitions, Optional<Short> replication, String retentionMs) {
    return new NewTopic(name, Optional.of(partitions), replication)
        .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, retentionMs));
  }
}
