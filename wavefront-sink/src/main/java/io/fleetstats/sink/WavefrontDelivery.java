package io.fleetstats.sink;

import io.fleetstats.kit.LogThrottle;
import io.fleetstats.kit.Ticker;
import io.fleetstats.schemas.Aggregate;
import io.fleetstats.schemas.Topics;
import io.fleetstats.sink.format.AggregateLines;
import io.fleetstats.sink.format.Fit;
import io.fleetstats.sink.format.LineValidator.Reason;
import io.fleetstats.sink.format.WavefrontDistribution;
import io.fleetstats.sink.format.WavefrontPoint;
import io.fleetstats.sink.kit.Delivery;
import io.fleetstats.sink.kit.Polled;
import io.fleetstats.sink.kit.Waiter;
import io.fleetstats.sink.kit.delivery.BatchSender;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.AvroRuntimeException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Wavefront part of the sink: each polled record is decoded as an {@code Aggregate}, turned
 * into lines (fitted to the backend's limits, validated with the proxy's rules), and the valid
 * lines are sent in requests of at most {@code FLEETSTATS_BATCH_LINES} lines and {@code
 * FLEETSTATS_BATCH_BYTES} characters, one kind of line per request ({@code f=wavefront}, then
 * {@code f=histogram}). A record with a line that is invalid, or refused by the proxy on its own,
 * is dead-lettered; its other lines are still delivered.
 *
 * <p>Everything about Kafka (pausing while a batch is retried, dead-letter writes, commits) is the
 * {@link io.fleetstats.sink.kit.SinkLoop}'s.
 */
public final class WavefrontDelivery implements Delivery {
  private static final Logger log = LoggerFactory.getLogger(WavefrontDelivery.class);

  private final AggregateLines aggregateLines;
  private final BatchSender<String> sender;
  private final int batchLines;
  private final long batchBytes;
  private final URI proxyUrl;
  private final LogThrottle invalidLog;
  private final Freshness freshness;

  private final AtomicLong linesInvalid = new AtomicLong();
  private final AtomicLong linesNonFinite = new AtomicLong();
  private final AtomicLong deltaZeroSkipped = new AtomicLong();
  private final Map<Reason, AtomicLong> invalidByReason = new EnumMap<>(Reason.class);
  private final Map<Fit, AtomicLong> fitted = new EnumMap<>(Fit.class);

  /**
   * @param sender sends the lines to the proxy ({@code ProxyClient})
   * @param batchLines most lines per request
   * @param batchBytes most characters per request (uncompressed)
   * @param proxyUrl named on {@code /readyz} while requests fail
   * @param ticker the clock of the throttled WARN about invalid lines
   * @param freshness told the newest window end per cluster of every delivered poll
   */
  public WavefrontDelivery(
      AggregateLines aggregateLines,
      BatchSender<String> sender,
      int batchLines,
      long batchBytes,
      URI proxyUrl,
      Ticker ticker,
      Freshness freshness) {
    this.aggregateLines = aggregateLines;
    this.sender = sender;
    this.batchLines = batchLines;
    this.batchBytes = batchBytes;
    this.proxyUrl = proxyUrl;
    this.freshness = freshness;
    this.invalidLog = new LogThrottle(Duration.ofSeconds(10), ticker::nanoTime);
    for (Reason r : Reason.values()) {
      invalidByReason.put(r, new AtomicLong());
    }
    for (Fit f : Fit.values()) {
      fitted.put(f, new AtomicLong());
    }
  }

  /** Lines of one kind with, for each, the index of the record it came from. */
  private static final class Lines {
    final String format;
    final List<String> text = new ArrayList<>();
    int[] owner = new int[64];

    Lines(String format) {
      this.format = format;
    }

    void add(String line, int record) {
      if (text.size() == owner.length) {
        owner = Arrays.copyOf(owner, owner.length * 2);
      }
      owner[text.size()] = record;
      text.add(line);
    }
  }

  @Override
  public Result deliver(Polled poll, Waiter waiter) throws InterruptedException {
    Lines points = new Lines(WavefrontPoint.FORMAT);
    Lines distributions = new Lines(WavefrontDistribution.FORMAT);
    Map<String, Long> newestEnd = new HashMap<>();
    for (int i = 0; i < poll.size(); i++) {
      Optional<Aggregate> aggregate = decode(poll, i);
      if (aggregate.isPresent()) {
        format(poll, i, aggregate.get(), points, distributions);
        String cluster = aggregate.get().getTags().get("cluster");
        if (cluster != null) {
          newestEnd.merge(cluster, aggregate.get().getWindowEnd(), Math::max);
        }
      }
    }
    for (Lines lines : List.of(points, distributions)) {
      BatchSender.Result result = send(lines, poll, waiter);
      if (result.status() != BatchSender.Status.DELIVERED) {
        return result.toDelivery();
      }
    }
    freshness.delivered(newestEnd);
    return Result.DELIVERED;
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

  private void format(Polled poll, int i, Aggregate aggregate, Lines points, Lines distributions) {
    AggregateLines.Result r = aggregateLines.apply(aggregate);
    for (int k = 0; k < r.lines().size(); k++) {
      Lines kind = r.lines().get(k) instanceof WavefrontDistribution ? distributions : points;
      kind.add(r.text().get(k), i);
    }
    linesNonFinite.addAndGet(r.nonFinite());
    deltaZeroSkipped.addAndGet(r.deltaZeroSkipped());
    r.fits().forEach((kind, n) -> fitted.get(kind).addAndGet(n));
    for (AggregateLines.Invalid invalid : r.invalid()) {
      linesInvalid.incrementAndGet();
      invalidByReason.get(invalid.verdict().reason()).incrementAndGet();
      long held = invalidLog.tryAcquire();
      if (held >= 0) {
        ConsumerRecord<byte[], byte[]> record = poll.get(i);
        log.warn(
            "not sending invalid line ({} {}: {}): {} [record {}-{}@{} goes to the dead-letter"
                + " topic; {} more invalid lines since the last message]",
            invalid.verdict().reason().proxyCode(),
            invalid.verdict().reason(),
            invalid.verdict().detail(),
            invalid.text(),
            record.topic(),
            record.partition(),
            record.offset(),
            held);
      }
      poll.deadLetter(
          i,
          invalid.verdict().reason().label(),
          invalid.line() == null ? "" : invalid.text(),
          invalid.verdict().detail());
    }
  }

  // Requests end at FLEETSTATS_BATCH_LINES lines or FLEETSTATS_BATCH_BYTES characters
  // (uncompressed, ≈ UTF-8 bytes for ASCII lines), whichever comes first.
  private BatchSender.Result send(Lines lines, Polled poll, Waiter waiter)
      throws InterruptedException {
    int from = 0;
    int n = lines.text.size();
    while (from < n) {
      int to = from;
      long chars = 0;
      while (to < n && to - from < batchLines) {
        long len = lines.text.get(to).length() + 1L;
        if (to > from && chars + len > batchBytes) {
          break;
        }
        chars += len;
        to++;
      }
      BatchSender.Result result = sender.send(lines.text.subList(from, to), lines.format, waiter);
      if (result.status() != BatchSender.Status.DELIVERED) {
        return result;
      }
      for (BatchSender.Rejected rejected : result.rejected()) {
        int index = from + rejected.index();
        Reason reason =
            rejected.status() == 413 ? Reason.TOO_LARGE_FOR_PROXY : Reason.REJECTED_BY_PROXY;
        poll.deadLetter(
            lines.owner[index], reason.label(), lines.text.get(index), rejected.detail());
      }
      from = to;
    }
    return new BatchSender.Result(BatchSender.Status.DELIVERED, "");
  }

  @Override
  public String problem() {
    if (sender.health() == BatchSender.Health.FAILING) {
      return "the last request to "
          + proxyUrl
          + " failed; retrying (see fleetstats_sink_retries_total)";
    }
    return "";
  }

  /** The sender, for its counters. */
  public BatchSender<String> sender() {
    return sender;
  }

  /** Lines not sent because they failed local validation. */
  public long linesInvalid() {
    return linesInvalid.get();
  }

  /** {@link #linesInvalid()} of one reason. */
  public long linesInvalid(Reason reason) {
    return invalidByReason.get(reason).get();
  }

  /** {@link #linesInvalid()} by reason. */
  public Map<Reason, Long> linesInvalidByReason() {
    Map<Reason, Long> out = new EnumMap<>(Reason.class);
    invalidByReason.forEach((r, n) -> out.put(r, n.get()));
    return out;
  }

  /** Changes of one kind made to fit the backend's limits. */
  public long fitted(Fit kind) {
    return fitted.get(kind).get();
  }

  /** Changes made to fit the backend's limits, by kind. */
  public Map<Fit, Long> fitted() {
    Map<Fit, Long> out = new EnumMap<>(Fit.class);
    fitted.forEach((f, n) -> out.put(f, n.get()));
    return out;
  }

  /** Fields skipped because their value was NaN or infinite. */
  public long linesNonFinite() {
    return linesNonFinite.get();
  }

  /** Delta counters not sent because the window counted 0. */
  public long deltaZeroSkipped() {
    return deltaZeroSkipped.get();
  }
}
