package io.fleetstats.edge;

import io.fleetstats.kit.ProcessIdentity;
import io.fleetstats.edge.publish.BatchPublisher;
import io.fleetstats.edge.statsd.RejectReason;
import io.fleetstats.edge.statsd.StatsdStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.Locale;

/**
 * The agent's self-metrics: constant names, tagged with the source's cluster, namespace and pod
 * like the data. Every meter reads a counter the data path already keeps, so scraping costs the
 * data path nothing. Prometheus names (as {@code /metrics} shows them) are in the README.
 */
final class EdgeMetrics {
  private EdgeMetrics() {}

  static void bind(MeterRegistry registry, ProcessIdentity id, StatsdStats stats, BatchPublisher publisher) {
    Tags tags = Tags.of("cluster", id.cluster(), "namespace", id.namespace(), "pod", id.pod());
    counter(registry, "fleetstats.edge.statsd.packets", "UDP datagrams received", tags, stats, StatsdStats::packets);
    counter(registry, "fleetstats.edge.statsd.packets.cut", "UDP datagrams larger than FLEETSTATS_STATSD_MAX_PACKET_SIZE", tags, stats, StatsdStats::truncatedPackets);
    counter(registry, "fleetstats.edge.statsd.bytes", "statsd payload bytes received (UDP and TCP)", tags, stats, StatsdStats::bytes);
    counter(registry, "fleetstats.edge.statsd.lines", "non-empty statsd lines received (UDP and TCP), accepted or not", tags, stats, StatsdStats::lines);
    counter(registry, "fleetstats.edge.statsd.tcp.lines", "statsd lines received over TCP", tags, stats, StatsdStats::tcpLines);
    counter(registry, "fleetstats.edge.statsd.samples", "samples from accepted lines", tags, stats, StatsdStats::samples);
    for (RejectReason reason : RejectReason.values()) {
      counter(
          registry, "fleetstats.edge.statsd.rejected", "lines rejected, by reason",
          tags.and("reason", reason.name().toLowerCase(Locale.ROOT)), stats, s -> s.rejected(reason));
    }
    counter(registry, "fleetstats.edge.statsd.tcp.connections.opened", "TCP connections accepted", tags, stats, StatsdStats::tcpConnectionsOpened);
    counter(registry, "fleetstats.edge.statsd.tcp.connections.refused", "TCP connections refused at FLEETSTATS_STATSD_MAX_TCP_CONNECTIONS", tags, stats, StatsdStats::tcpConnectionsRefused);
    Gauge.builder("fleetstats.edge.statsd.tcp.connections", stats, StatsdStats::tcpConnections)
        .description("TCP connections open").tags(tags).register(registry);

    counter(registry, "fleetstats.edge.batches.produced", "batches acknowledged by Kafka (heartbeats included)", tags, publisher, BatchPublisher::batchesSent);
    counter(registry, "fleetstats.edge.samples.produced", "samples in batches acknowledged by Kafka", tags, publisher, BatchPublisher::samplesSent);
    counter(registry, "fleetstats.edge.batches.dropped", "batches dropped, oldest first, because the buffer or spool was full", tags, publisher, BatchPublisher::batchesDropped);
    counter(registry, "fleetstats.edge.samples.dropped", "samples in dropped batches", tags, publisher, BatchPublisher::samplesDropped);
    counter(registry, "fleetstats.edge.batches.failed", "batches given up on (non-retriable error, or unsent at close without a spool)", tags, publisher, BatchPublisher::batchesFailed);
    counter(registry, "fleetstats.edge.samples.failed", "samples in failed batches", tags, publisher, BatchPublisher::samplesFailed);
    counter(registry, "fleetstats.edge.producer.errors", "failed producer attempts, retried ones included", tags, publisher, BatchPublisher::producerErrors);
    counter(registry, "fleetstats.edge.batches.spooled", "batches moved to the disk spool", tags, publisher, BatchPublisher::batchesSpooled);
    Gauge.builder("fleetstats.edge.buffer.batches", publisher, BatchPublisher::pendingBatches)
        .description("batches waiting for Kafka or in flight, memory and spool").tags(tags).register(registry);
    Gauge.builder("fleetstats.edge.buffer.bytes", publisher, BatchPublisher::bufferedBytes)
        .description("bytes of batches held in memory (waiting and in flight)").baseUnit("bytes").tags(tags).register(registry);
    Gauge.builder("fleetstats.edge.spool.bytes", publisher, BatchPublisher::spooledBytes)
        .description("bytes of batches in the disk spool").baseUnit("bytes").tags(tags).register(registry);
  }

  private static <T> void counter(
      MeterRegistry registry, String name, String help, Tags tags, T obj, java.util.function.ToDoubleFunction<T> f) {
    FunctionCounter.builder(name, obj, f).description(help).tags(tags).register(registry);
  }
}
