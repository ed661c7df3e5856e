package io.fleetstats.sink.prometheus;

import io.fleetstats.kit.LogThrottle;
import io.fleetstats.kit.Ticker;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.kit.Delivery;
import io.fleetstats.sink.kit.Polled;
import io.fleetstats.sink.kit.Waiter;
import io.fleetstats.sink.kit.delivery.BatchSender;
import io.fleetstats.sink.prometheus.format.Dropped;
import io.fleetstats.sink.prometheus.format.PromFormatter;
import io.fleetstats.sink.prometheus.format.PromSample;
import io.fleetstats.sink.prometheus.format.SeriesOrder;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.AvroRuntimeException;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus part of the sink: each polled record is decoded as an {@code Aggregate} and turned
 * into samples ({@link PromFormatter}); the samples of the poll are put in the order remote write
 * needs (each series' samples by time, one per timestamp) and sent in requests of at most {@code
 * FLEETSTATS_BATCH_SAMPLES} samples. A request's items are samples, so a 400 is bisected down to
 * the very samples the receiver refuses and every other sample is delivered.
 *
 * <p><b>Samples refused for their time.</b> Prometheus keeps one value per series and timestamp and
 * appends in time order: a sample at or before the newest one it holds for that series is refused
 * with 400 ({@code out of order sample}, or {@code duplicate sample for timestamp} when the value
 * differs), and the whole request is rolled back. Such a sample is a window delivered again
 * (at-least-once: after a restart or a rebalance; Prometheus holds it already) or a correction (a
 * window re-emitted with its complete value after late data). Neither can ever be accepted, so it
 * is not retried and not dead-lettered: it is counted ({@link Refused}) and logged, and the rest of
 * the request is delivered. Within one poll, when a window of a series comes twice, the later
 * record wins (it is the correction) and the earlier one is not sent ({@link #superseded()}).
 */
public final class PrometheusDelivery implements Delivery {
  private static final Logger log = LoggerFactory.getLogger(PrometheusDelivery.class);

  /** Dead-letter reason of a record with a series name Prometheus cannot hold. */
  public static final String NAME_INVALID = "name_invalid";

  /** Dead-letter reason of a sample the receiver refused on its own (400 after bisection). */
  public static final String REJECTED = "rejected_by_receiver";

  /** Dead-letter reason of a sample older than the receiver takes (Prometheus' out of bounds). */
  public static final String TOO_OLD = "too_old_for_receiver";

  /** Dead-letter reason of a single sample answered 413. */
  public static final String TOO_LARGE = "too_large_for_receiver";

  /**
   * Why the receiver refused a sample for its timestamp: counted, not retried, not dead-lettered.
   */
  public enum Refused {
    /** Older than the newest sample of its series: a redelivered or corrected older window. */
    OUT_OF_ORDER,
    /** Another value at the series' newest timestamp: a correction Prometheus cannot apply. */
    DUPLICATE_TIMESTAMP;

    /** The {@code reason} tag. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads the receiver's message (Prometheus, Cortex, Mimir, Thanos word them alike), or empty
     * when the refusal is not about time.
     */
    static Optional<Refused> of(String detail) {
      String d = detail.toLowerCase(Locale.ROOT);
      if (d.contains("duplicate sample") || d.contains("duplicate-timestamp")) {
        return Optional.of(DUPLICATE_TIMESTAMP);
      }
      if (d.contains("out of order") || d.contains("out-of-order")) {
        return Optional.of(OUT_OF_ORDER);
      }
      return Optional.empty();
    }
  }

  private final PromFormatter formatter;
  private final BatchSender<PromSample> sender;
  private final int batchSamples;
  private final URI url;
  private final LogThrottle invalidLog;
  private final LogThrottle refusedLog;

  private final AtomicLong samplesNameInvalid = new AtomicLong();
  private final AtomicLong samplesNonFinite = new AtomicLong();
  private final AtomicLong superseded = new AtomicLong();
  private final Map<Refused, AtomicLong> refused = new EnumMap<>(Refused.class);
  private final Map<Dropped, AtomicLong> labelsDropped = new EnumMap<>(Dropped.class);

  /**
   * @param sender sends samples to the receiver ({@code RemoteWriteClient})
   * @param batchSamples most samples per request
   * @param url named on {@code /readyz} while requests fail
   * @param ticker the clock of the throttled warnings
   */
  public PrometheusDelivery(
      PromFormatter formatter,
      BatchSender<PromSample> sender,
      int batchSamples,
      URI url,
      Ticker ticker) {
    this.formatter = formatter;
    this.sender = sender;
    this.batchSamples = batchSamples;
    this.url = url;
    this.invalidLog = new LogThrottle(Duration.ofSeconds(10), ticker::nanoTime);
    this.refusedLog = new LogThrottle(Duration.ofSeconds(10), ticker::nanoTime);
    for (Refused r : Refused.values()) {
      refused.put(r, new AtomicLong());
    }
    for (Dropped d : Dropped.values()) {
      labelsDropped.put(d, new AtomicLong());
    }
  }

  @Override
  public Result deliver(Polled poll, Waiter waiter) throws InterruptedException {
    List<PromSample> samples = new ArrayList<>(poll.size() * 4);
    int[] owner = new int[Math.max(16, poll.size() * 4)];
    for (int i = 0; i < poll.size(); i++) {
      Optional<Aggregate> aggregate = decode(poll, i);
      if (aggregate.isEmpty()) {
        continue;
      }
      PromFormatter.Formatted f = formatter.format(aggregate.get());
      samplesNonFinite.addAndGet(f.nonFinite());
      f.dropped().forEach((d, n) -> labelsDropped.get(d).addAndGet(n));
      for (String bad : f.badNames()) {
        invalidName(poll, i, bad);
      }
      for (PromSample s : f.samples()) {
        if (samples.size() == owner.length) {
          owner = Arrays.copyOf(owner, owner.length * 2);
        }
        owner[samples.size()] = i;
        samples.add(s);
      }
    }
    SeriesOrder.Ordered ordered = SeriesOrder.of(samples, owner);
    superseded.addAndGet(ordered.superseded());
    samples = ordered.samples();
    owner = ordered.owner();

    int from = 0;
    while (from < samples.size()) {
      int to = Math.min(samples.size(), from + batchSamples);
      BatchSender.Result result = sender.send(samples.subList(from, to), waiter);
      if (result.status() != BatchSender.Status.DELIVERED) {
        return result.toDelivery();
      }
      for (BatchSender.Rejected rejected : result.rejected()) {
        int index = from + rejected.index();
        refusedOrDeadLetter(poll, owner[index], samples.get(index), rejected);
      }
      from = to;
    }
    return Result.DELIVERED;
  }

  private void invalidName(Polled poll, int i, String name) {
    samplesNameInvalid.incrementAndGet();
    String detail =
        "metric name "
            + name
            + " does not start with a letter or '_', so Prometheus cannot hold it (Telegraf did"
            + " not send it either); set FLEETSTATS_METRIC_PREFIX (e.g. app.) to give every name"
            + " a valid start";
    long held = invalidLog.tryAcquire();
    if (held >= 0) {
      log.warn(
          "not sending {}: {} [record {}-{}@{} goes to the dead-letter topic; {} more since the"
              + " last message]",
          name,
          detail,
          poll.get(i).topic(),
          poll.get(i).partition(),
          poll.get(i).offset(),
          held);
    }
    poll.deadLetter(i, NAME_INVALID, name, detail);
  }

  private void refusedOrDeadLetter(
      Polled poll, int record, PromSample sample, BatchSender.Rejected rejected) {
    Optional<Refused> why =
        rejected.status() == 400 ? Refused.of(rejected.detail()) : Optional.empty();
    if (why.isPresent()) {
      refused.get(why.get()).incrementAndGet();
      long held = refusedLog.tryAcquire();
      if (held >= 0) {
        log.warn(
            "{} refused {} ({}): a window delivered before, or corrected since; Prometheus"
                + " cannot overwrite a sample, so it is counted"
                + " (fleetstats_sink_samples_refused_total{reason=\"{}\"}), not retried and not"
                + " dead-lettered ({} more since the last message)",
            url,
            sample,
            rejected.detail(),
            why.get().label(),
            held);
      }
      return;
    }
    String reason;
    if (rejected.status() == 413) {
      reason = TOO_LARGE;
    } else {
      String d = rejected.detail().toLowerCase(Locale.ROOT);
      reason = d.contains("out of bounds") || d.contains("too old") ? TOO_OLD : REJECTED;
    }
    poll.deadLetter(record, reason, sample.toString(), rejected.detail());
  }

  private static Optional<Aggregate> decode(Polled poll, int i) {
    byte[] value = poll.get(i).value();
    if (value == null) {
      poll.undecodable(i, "the record has no value");
      return Optional.empty();
    }
    try {
      return Optional.of(Topics.AGGREGATE.decode(value));
    } catch (SerializationException | AvroRuntimeException e) {
      poll.undecodable(i, String.valueOf(e.getMessage()));
      return Optional.empty();
    }
  }

  @Override
  public String problem() {
    if (sender.health() == BatchSender.Health.FAILING) {
      return "the last request to " + url + " failed; retrying (see fleetstats_sink_retries_total)";
    }
    return "";
  }

  /** The sender, for its counters. */
  public BatchSender<PromSample> sender() {
    return sender;
  }

  /** Samples not sent because their metric name cannot start a Prometheus name. */
  public long samplesNameInvalid() {
    return samplesNameInvalid.get();
  }

  /** Fields skipped because their value was NaN or infinite. */
  public long samplesNonFinite() {
    return samplesNonFinite.get();
  }

  /** Samples not sent because a later record of the same poll had the same series and window. */
  public long superseded() {
    return superseded.get();
  }

  /** Samples the receiver refused for their timestamp, of one kind. */
  public long refused(Refused kind) {
    return refused.get(kind).get();
  }

  /** Tags that did not become labels, of one kind (per aggregate). */
  public long labelsDropped(Dropped kind) {
    return labelsDropped.get(kind).get();
  }
}
