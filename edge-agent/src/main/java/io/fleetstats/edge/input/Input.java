package io.fleetstats.edge.input;

import io.fleetstats.edge.publish.BatchPublisher;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;

/**
 * One source of samples in an edge agent: statsd, MySQL, and whatever comes next. An input reads
 * its source and hands serialized records to a {@link BatchPublisher} it does not own; the
 * publisher (buffer, spool, retries, drop accounting and the delivery meters) is the same for every
 * input. The agent creates one publisher per input, starts the inputs in order, and on close stops
 * them in reverse order before it closes their publishers, so what an input flushes while closing
 * is still sent.
 *
 * <p>To add one: a package under {@code io.fleetstats.edge}, a class implementing this, its
 * settings in the agent's table ({@code EdgeConfig.SETTINGS}), and a line in {@code
 * EdgeAgent.inputs}.
 */
public interface Input extends AutoCloseable {
  /** A short lower-case name: the {@code input} tag of the publisher's meters, its spool folder. */
  String name();

  /** The topic its records go to. */
  String topic();

  /**
   * Starts reading; returns once the input runs. Problems with the source that may heal (a server
   * down) are the input's to log and retry, not to throw.
   *
   * @throws IllegalStateException when the input cannot run at all (e.g. its port is taken)
   */
  void start(BatchPublisher publisher);

  /**
   * Prefix of the delivery meters of this input's publisher: {@code fleetstats.edge.<name>} ({@code
   * fleetstats.edge.mysql.batches.produced}); statsd keeps the names it always had.
   */
  default String meterPrefix() {
    return "fleetstats.edge." + name();
  }

  /** Registers the input's own meters (the publisher registers the delivery meters). */
  void bindMeters(MeterRegistry registry, Tags tags);

  /** Empty when the input is ready, else why not: part of the agent's {@code /readyz}. */
  default String notReadyReason() {
    return "";
  }

  /** Stops reading and hands what it holds to the publisher. Idempotent. */
  @Override
  void close();
}
