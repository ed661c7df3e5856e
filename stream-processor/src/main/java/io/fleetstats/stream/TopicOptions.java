package io.fleetstats.stream;

import io.fleetstats.kit.settings.Setting;
import io.fleetstats.kit.settings.SettingsReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How {@code --create-topics-and-exit} creates the platform's topics (the chart's topic Job):
 * partitions, replication and raw retention from one place.
 *
 * @param replication empty: the broker's default
 */
record TopicOptions(
    int partitions, Optional<Short> replication, Duration rawRetention, Duration timeout) {

  static final Setting<Integer> PARTITIONS =
      Setting.integer("FLEETSTATS_TOPIC_PARTITIONS", 6, 1, 10_000)
          .doc("partitions of the topics --create-topics-and-exit creates");
  static final Setting<Integer> REPLICATION =
      Setting.integer("FLEETSTATS_TOPIC_REPLICATION", 0, 0, Short.MAX_VALUE)
          .shownDefault("0 (the broker's default)")
          .doc("replication factor of the topics --create-topics-and-exit creates");
  static final Setting<Duration> RAW_RETENTION =
      Setting.duration("FLEETSTATS_RAW_RETENTION", Duration.ofDays(7), Duration.ofHours(1))
          .doc("retention of the raw topics --create-topics-and-exit creates (backfill by replay)");
  static final Setting<Duration> TIMEOUT =
      Setting.duration(
              "FLEETSTATS_TOPIC_SETUP_TIMEOUT", Duration.ofSeconds(60), Duration.ofSeconds(1))
          .doc("how long --create-topics-and-exit waits for Kafka before it fails");

  static final List<Setting<?>> SETTINGS = List.of(PARTITIONS, REPLICATION, RAW_RETENTION, TIMEOUT);

  /** Reads the four settings; {@link StreamConfig#fromEnv} validates every other. */
  static TopicOptions read(Map<String, String> env) {
    SettingsReader r = SettingsReader.forService(StreamConfig.SETTINGS, env);
    int partitions = r.get(PARTITIONS);
    int replication = r.get(REPLICATION);
    Duration retention = r.get(RAW_RETENTION);
    Duration timeout = r.get(TIMEOUT);
    r.check();
    return new TopicOptions(
        partitions,
        replication == 0 ? Optional.empty() : Optional.of((short) replication),
        retention,
        timeout);
  }
}
