package io.fleetstats.edge.input.ticks;

import io.fleetstats.edge.input.Input;
import io.fleetstats.edge.publish.BatchPublisher;
import io.fleetstats.edge.publish.PendingBatch;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A test input, not shipped: one record per tick ("tick-1", "tick-2" ...) to its topic. */
public final class TickInput implements Input {
  private final String topic;
  private final AtomicLong ticks = new AtomicLong();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  public TickInput(String topic) {
    this.topic = topic;
  }

  @Override
  public String name() {
    return "ticks";
  }

  @Override
  public String topic() {
    return topic;
  }

  @Override
  public void start(BatchPublisher publisher) {
    timer.scheduleAtFixedRate(
        () -> {
          long n = ticks.incrementAndGet();
          byte[] value = ("tick-" + n).getBytes(StandardCharsets.UTF_8);
          publisher.offer(
              new PendingBatch("ticker".getBytes(StandardCharsets.UTF_8), value, n, 1, n));
        },
        0,
        20,
        TimeUnit.MILLISECONDS);
  }

  @Override
  public void bindMeters(MeterRegistry registry, Tags tags) {
    registry.more().counter("fleetstats.edge.ticks.made", tags, ticks);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
