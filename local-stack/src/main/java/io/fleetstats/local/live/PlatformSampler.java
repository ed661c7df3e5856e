package io.fleetstats.local.live;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

/**
 * The platform panel's figures, read once a second: per-second rates of samples received and
 * dropped by the agents and lines sent by the sink, and the Kafka lag of the processor and the
 * sink. Keeps the last {@link #CAPACITY} samples (five minutes).
 */
public final class PlatformSampler {
  /** Samples kept: five minutes at one a second. */
  public static final int CAPACITY = 300;

  /**
   * The counters and gauges sampled.
   *
   * @param received samples received by every agent (cumulative)
   * @param dropped samples dropped by every agent (cumulative)
   * @param linesSent lines the proxy accepted (cumulative)
   * @param sinkLag records the sink has not delivered (gauge)
   * @param processorLag largest consumer lag of the processor (gauge)
   */
  public record Sources(
      LongSupplier received,
      LongSupplier dropped,
      LongSupplier linesSent,
      LongSupplier sinkLag,
      LongSupplier processorLag) {}

  private record Sample(
      long epochSeconds,
      long received,
      long dropped,
      long linesSent,
      long sinkLag,
      long processorLag) {}

  private final Sources sources;
  private final Deque<Sample> samples = new ArrayDeque<>();

  public PlatformSampler(Sources sources) {
    this.sources = sources;
  }

  /** Takes one sample; never throws (a source that fails reads as the last value). */
  public void sample() {
    try {
      Sample s =
          new Sample(
              System.currentTimeMillis() / 1000,
              sources.received().getAsLong(),
              sources.dropped().getAsLong(),
              sources.linesSent().getAsLong(),
              sources.sinkLag().getAsLong(),
              sources.processorLag().getAsLong());
      synchronized (samples) {
        samples.addLast(s);
        while (samples.size() > CAPACITY) {
          samples.pollFirst();
        }
      }
    } catch (RuntimeException e) {
      // a service closing under us: the next sample will tell
    }
  }

  /** {@code {"t":[..], "received":[per s], "dropped":[per s], "linesSent":[per s], ...}}. */
  ObjectNode toJson(ObjectMapper json) {
    ObjectNode root = json.createObjectNode();
    ArrayNode t = root.putArray("t");
    ArrayNode received = root.putArray("received");
    ArrayNode dropped = root.putArray("dropped");
    ArrayNode sent = root.putArray("linesSent");
    ArrayNode sinkLag = root.putArray("sinkLag");
    ArrayNode processorLag = root.putArray("processorLag");
    Sample[] all;
    synchronized (samples) {
      all = samples.toArray(new Sample[0]);
    }
    for (int i = 1; i < all.length; i++) {
      Sample a = all[i - 1];
      Sample b = all[i];
      long dt = Math.max(1, b.epochSeconds() - a.epochSeconds());
      t.add(b.epochSeconds());
      received.add((b.received() - a.received()) / (double) dt);
      dropped.add((b.dropped() - a.dropped()) / (double) dt);
      sent.add((b.linesSent() - a.linesSent()) / (double) dt);
      sinkLag.add(b.sinkLag());
      processorLag.add(b.processorLag());
    }
    if (all.length > 0) {
      Sample last = all[all.length - 1];
      ObjectNode totals = root.putObject("totals");
      totals.put("received", last.received());
      totals.put("dropped", last.dropped());
      totals.put("linesSent", last.linesSent());
    }
    return root;
  }
}
