package io.fleetstats.stream.topology;

import java.io.File;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.Punctuator;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * What a window processor sees of Kafka Streams when the replay runs it in-process: its stores, its
 * task id, a clock the replay moves (the event-time position of its read), punctuators the replay
 * fires, and a downstream that is a plain callback. Nothing here talks to Kafka.
 */
final class ReplayContext implements ProcessorContext<String, Emitted> {
  private final TaskId taskId;
  private final Map<String, StateStore> stores;
  private final LongSupplier clock;
  private final Consumer<Record<String, Emitted>> downstream;
  private final StreamsMetrics metrics;
  final List<Punctuator> punctuators = new ArrayList<>(1);

  ReplayContext(
      TaskId taskId,
      Map<String, StateStore> stores,
      LongSupplier clock,
      Metrics metrics,
      Consumer<Record<String, Emitted>> downstream) {
    this.taskId = taskId;
    this.stores = stores;
    this.clock = clock;
    this.downstream = downstream;
    this.metrics = new Sensors(metrics);
  }

  @Override
  public <K extends String, V extends Emitted> void forward(Record<K, V> record) {
    downstream.accept(
        new Record<>(record.key(), record.value(), record.timestamp(), record.headers()));
  }

  @Override
  public <K extends String, V extends Emitted> void forward(Record<K, V> record, String child) {
    forward(record);
  }

  @Override
  public String applicationId() {
    return "fleetstats-replay";
  }

  @Override
  public TaskId taskId() {
    return taskId;
  }

  @Override
  public Optional<RecordMetadata> recordMetadata() {
    return Optional.empty();
  }

  @Override
  public Serde<?> keySerde() {
    throw new UnsupportedOperationException("the replay's processors have no default serdes");
  }

  @Override
  public Serde<?> valueSerde() {
    throw new UnsupportedOperationException("the replay's processors have no default serdes");
  }

  @Override
  public File stateDir() {
    throw new UnsupportedOperationException("the replay keeps its state in memory");
  }

  @Override
  public StreamsMetrics metrics() {
    return metrics;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <S extends StateStore> S getStateStore(String name) {
    return (S) stores.get(name);
  }

  @Override
  public Cancellable schedule(Duration interval, PunctuationType type, Punctuator callback) {
    punctuators.add(callback);
    return () -> punctuators.remove(callback);
  }

  @Override
  public Cancellable schedule(
      Instant startTime, Duration interval, PunctuationType type, Punctuator callback) {
    return schedule(interval, type, callback);
  }

  @Override
  public void commit() {}

  @Override
  public Map<String, Object> appConfigs() {
    return Map.of();
  }

  @Override
  public Map<String, Object> appConfigsWithPrefix(String prefix) {
    return Map.of();
  }

  @Override
  public long currentSystemTimeMs() {
    return clock.getAsLong();
  }

  @Override
  public long currentStreamTimeMs() {
    return -1; // no committed stream time: the replay always starts from its own state
  }

  /** The processors' sensors, registered in one plain {@link Metrics} registry. */
  private record Sensors(Metrics registry) implements StreamsMetrics {
    @Override
    public Map<MetricName, ? extends Metric> metrics() {
      return registry.metrics();
    }

    @Override
    public Sensor addLatencyRateTotalSensor(
        String scope,
        String entity,
        String operation,
        Sensor.RecordingLevel level,
        String... tags) {
      return registry.sensor(scope + '.' + entity + '.' + operation, level);
    }

    @Override
    public Sensor addRateTotalSensor(
        String scope,
        String entity,
        String operation,
        Sensor.RecordingLevel level,
        String... tags) {
      return registry.sensor(scope + '.' + entity + '.' + operation, level);
    }

    @Override
    public Sensor addSensor(String name, Sensor.RecordingLevel level) {
      return registry.sensor(name, level);
    }

    @Override
    public Sensor addSensor(String name, Sensor.RecordingLevel level, Sensor... parents) {
      return registry.sensor(name, level, parents);
    }

    @Override
    public void removeSensor(Sensor sensor) {
      registry.removeSensor(sensor.name());
    }
  }
}
