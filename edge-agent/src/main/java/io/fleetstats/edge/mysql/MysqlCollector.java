package io.fleetstats.edge.mysql;

import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Topic;
import java.time.Clock;
import java.util.Map;

/**
 * The MySQL side of an edge agent: a {@link MysqlPoller} feeding a {@link SnapshotPublisher}.
 * The agent starts one when {@link MysqlConfig#enabled()} and closes it with itself.
 */
public final class MysqlCollector implements AutoCloseable {
  private final SnapshotPublisher publisher;
  private final MysqlPoller poller;

  private MysqlCollector(SnapshotPublisher publisher, MysqlPoller poller) {
    this.publisher = publisher;
    this.poller = poller;
  }

  /**
   * Starts polling; returns at once (connection problems are reported and retried by the
   * poller's thread, never thrown here).
   */
  public static MysqlCollector start(
      MysqlConfig config,
      Source source,
      String kafkaBootstrap,
      Map<String, String> kafkaProperties,
      Topic<String, MysqlSnapshot> topic,
      Clock clock) {
    SnapshotPublisher publisher = SnapshotPublisher.create(kafkaBootstrap, kafkaProperties, topic);
    MysqlPoller poller = new MysqlPoller(config, source, publisher, clock);
    return new MysqlCollector(publisher, poller.start());
  }

  public MysqlPoller poller() {
    return poller;
  }

  /** Snapshots acknowledged by Kafka. */
  public long snapshotsPublished() {
    return publisher.sent();
  }

  /** Snapshots the producer gave up on. */
  public long snapshotsFailed() {
    return publisher.failed();
  }

  @Override
  public void close() {
    poller.close();
    publisher.close();
  }
}
