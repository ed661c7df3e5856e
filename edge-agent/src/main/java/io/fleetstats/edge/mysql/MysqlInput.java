package io.fleetstats.edge.mysql;

import io.fleetstats.edge.input.Input;
import io.fleetstats.edge.publish.BatchPublisher;
import io.fleetstats.edge.publish.PendingBatch;
import io.fleetstats.schemas.MysqlSeries;
import io.fleetstats.schemas.MysqlSnapshot;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.Topic;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.time.Clock;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serializer;

/**
 * The MySQL input of an edge agent: a {@link MysqlPoller} on its own thread whose snapshots go,
 * serialized, to the agent's publisher for {@code <prefix>.raw.mysql}, keyed by the source id and
 * timestamped with the poll time; so a snapshot gets the same buffer, spool, retries and drop
 * accounting as a statsd batch. On when {@link MysqlConfig#enabled()}.
 */
public final class MysqlInput implements Input {
  private final MysqlConfig config;
  private final Supplier<Source> source;
  private final Topic<String, MysqlSnapshot> topic;
  private final Clock clock;
  private final AtomicLong sequence = new AtomicLong();
  private MysqlPoller poller;
  private BatchPublisher publisher;

  /**
   * @param source a fresh Avro source per call (Avro records are mutable, so never share one)
   */
  public MysqlInput(
      MysqlConfig config,
      Supplier<Source> source,
      Topic<String, MysqlSnapshot> topic,
      Clock clock) {
    this.config = config;
    this.source = source;
    this.topic = topic;
    this.clock = clock;
  }

  @Override
  public String name() {
    return "mysql";
  }

  @Override
  public String topic() {
    return topic.name();
  }

  /**
   * Starts polling; returns at once (connection problems are reported and retried by the poller's
   * thread, never thrown here).
   */
  @Override
  public void start(BatchPublisher publisher) {
    this.publisher = publisher;
    Serializer<String> keys = topic.keySerde().serializer();
    Serializer<MysqlSnapshot> values = topic.valueSerde().serializer();
    this.poller =
        new MysqlPoller(
                config,
                source.get(),
                snapshot ->
                    publisher.offer(
                        new PendingBatch(
                            keys.serialize(topic.name(), Sources.id(snapshot.getSource())),
                            values.serialize(topic.name(), snapshot),
                            snapshot.getTakenAt(),
                            fields(snapshot),
                            sequence.incrementAndGet())),
                clock)
            .start();
  }

  /** The snapshot's values: what "samples" count for a MySQL record. */
  static int fields(MysqlSnapshot s) {
    int n = s.getCounters().size() + s.getGauges().size();
    for (MysqlSeries series : s.getSeries()) {
      n += series.getCounters().size() + series.getGauges().size();
    }
    return n;
  }

  @Override
  public void bindMeters(MeterRegistry registry, Tags tags) {
    FunctionCounter.builder("fleetstats.edge.mysql.polls", this, i -> i.poller.pollsSucceeded())
        .description(
            "MySQL polls by result: ok (a snapshot) or failed (connection lost or refused)")
        .tags(tags.and("result", "ok"))
        .register(registry);
    FunctionCounter.builder("fleetstats.edge.mysql.polls", this, i -> i.poller.pollsFailed())
        .description(
            "MySQL polls by result: ok (a snapshot) or failed (connection lost or refused)")
        .tags(tags.and("result", "failed"))
        .register(registry);
    FunctionCounter.builder(
            "fleetstats.edge.mysql.groups.failed", this, i -> i.poller.groupsFailed())
        .description("group queries that failed inside otherwise good polls (denied, unsupported)")
        .tags(tags)
        .register(registry);
  }

  /** The poller, for its counters and the last problem. */
  public MysqlPoller poller() {
    return poller;
  }

  /** Snapshots acknowledged by Kafka. */
  public long snapshotsPublished() {
    return publisher.batchesSent();
  }

  /** Snapshots given up on or dropped. */
  public long snapshotsFailed() {
    return publisher.batchesFailed() + publisher.batchesDropped();
  }

  @Override
  public void close() {
    if (poller != null) {
      poller.close();
    }
  }
}
