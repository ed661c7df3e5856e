package io.fleetstats.edge.statsd;

/** Where accepted samples go (the agent's batcher); called on the listener's event loop. */
@FunctionalInterface
public interface SampleSink {
  void accept(StatsdSample sample, long receivedAtMillis);
}
