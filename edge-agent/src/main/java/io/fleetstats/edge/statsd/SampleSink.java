package io.fleetstats.edge.statsd;

/** Where accepted samples go (the agent's batcher); called on the listener's event loop. */
@FunctionalInterface
public interface SampleSink {
  void accept(StatsdSample sample, long receivedAtMillis);

  /**
   * The sender of the samples that follow, until the next call: a node agent attributes them to the
   * sender's pod. The default ignores it (a sidecar's samples are all its pod's).
   */
  default void sender(java.net.InetSocketAddress address) {}

  /**
   * The sender that the next line names itself ({@code |c:} container id, entity id): a node agent
   * attributes that line's samples to it instead of to the packet's sender; null when the lines
   * that follow are the packet sender's again. Only a parser made to read origins gives them. The
   * default ignores it.
   */
  default void origin(ParseResult.Origin origin) {}

  /**
   * One numeric sample of a known series, from the ingester's fast path: the same sample as {@link
   * #accept(StatsdSample, long)} would get, without building it. A set member never comes this way.
   * The default builds the sample; the agent's batcher takes the values as they are.
   */
  default void accept(
      SeriesId series, double value, double sampleRate, boolean relative, long receivedAtMillis) {
    accept(
        new StatsdSample(
            series.name(), series.type(), series.tags(), value, "", sampleRate, relative),
        receivedAtMillis);
  }
}
