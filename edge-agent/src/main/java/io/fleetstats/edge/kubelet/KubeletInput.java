package io.fleetstats.edge.kubelet;

import io.fleetstats.edge.input.Input;
import io.fleetstats.edge.publish.BatchPublisher;
import io.fleetstats.edge.publish.PendingBatch;
import io.fleetstats.schemas.KubeletSummary;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.Sources;
import io.fleetstats.schemas.Topic;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet input of an edge agent (the node agent's cluster stats, what heapster gave the seed):
 * every interval, GET the kubelet's {@code /stats/summary}, read it with {@link SummaryParser} and
 * hand the {@link KubeletSummary}, serialized, to the publisher for {@code <prefix>.raw.kubelet}.
 * The stream processor names the values and turns the cumulative ones into rates.
 *
 * <p>A kubelet that refuses (401, 403), fails or cannot be reached is logged once per change of
 * cause, with what to fix, counted by {@link Result}, and scraped again at the next interval: the
 * input never stops and never takes the agent down.
 */
public final class KubeletInput implements Input {
  private static final Logger log = LoggerFactory.getLogger(KubeletInput.class);

  /** How a scrape ended: the {@code result} tag of {@code fleetstats.edge.kubelet.scrapes}. */
  public enum Result {
    OK,
    /** 401: the token was not accepted. */
    UNAUTHORIZED,
    /** 403: the service account lacks RBAC {@code nodes/stats}. */
    FORBIDDEN,
    /** Another HTTP status. */
    HTTP_ERROR,
    /** Not reachable, timed out, or TLS failed. */
    UNREACHABLE,
    /** The body was not a summary. */
    BAD_SUMMARY;

    String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final KubeletConfig config;
  private final Supplier<Source> source;
  private final Topic<String, KubeletSummary> topic;
  private final Clock clock;
  private final SummaryParser parser = new SummaryParser();
  private final Map<Result, AtomicLong> scrapes = new EnumMap<>(Result.class);
  private final AtomicLong sequence = new AtomicLong();
  private final CountDownLatch stop = new CountDownLatch(1);
  private KubeletClient client;
  private Thread thread;
  private BatchPublisher publisher;
  private volatile String lastProblem = "";

  /**
   * @param source a fresh Avro source per call (Avro records are mutable, so never share one)
   */
  public KubeletInput(
      KubeletConfig config,
      Supplier<Source> source,
      Topic<String, KubeletSummary> topic,
      Clock clock) {
    this.config = config;
    this.source = source;
    this.topic = topic;
    this.clock = clock;
    for (Result r : Result.values()) {
      scrapes.put(r, new AtomicLong());
    }
  }

  @Override
  public String name() {
    return "kubelet";
  }

  @Override
  public String topic() {
    return topic.name();
  }

  /**
   * Starts scraping on a thread of its own; returns at once.
   *
   * @throws IllegalStateException when the CA file cannot be read
   */
  @Override
  public void start(BatchPublisher publisher) {
    this.publisher = publisher;
    this.client = new KubeletClient(config);
    if ("http".equals(config.summaryUri().getScheme())) {
      log.warn(
          "{}={} is plain http: the token and the node's stats travel unencrypted; use https outside tests",
          KubeletConfig.URL.key(),
          config.summaryUri());
    }
    log.info("{}", config.summary());
    thread = new Thread(this::run, "fleetstats-kubelet");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long intervalMs = config.interval().toMillis();
    long next = clock.millis();
    while (true) {
      scrapeOnce();
      next += intervalMs;
      long now = clock.millis();
      if (next < now) {
        next = now + intervalMs; // a slow scrape skips ticks rather than bursting
      }
      try {
        if (stop.await(next - now, TimeUnit.MILLISECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** One scrape; package-private for tests. */
  Result scrapeOnce() {
    long takenAt = clock.millis();
    Result result;
    String problem;
    try {
      KubeletClient.Response r = client.get();
      if (r.status() == 200) {
        KubeletSummary summary = parser.parse(r.body(), source.get(), takenAt);
        publish(summary);
        result = Result.OK;
        problem = "";
      } else if (r.status() == 401) {
        result = Result.UNAUTHORIZED;
        problem =
            "the kubelet at "
                + config.summaryUri()
                + " answered 401 Unauthorized: it did not accept the bearer token of "
                + KubeletConfig.TOKEN_FILE.key()
                + "="
                + config.tokenFile()
                + " (missing, expired, or the kubelet runs without --authentication-token-webhook)";
      } else if (r.status() == 403) {
        result = Result.FORBIDDEN;
        problem =
            "the kubelet at "
                + config.summaryUri()
                + " answered 403 Forbidden: the agent's service account needs RBAC get on nodes/stats"
                + " (a ClusterRole rule: apiGroups [\"\"], resources [\"nodes/stats\"], verbs [\"get\"]);"
                + " the kubelet said: "
                + r.bodyText(300);
      } else {
        result = Result.HTTP_ERROR;
        problem =
            "the kubelet at "
                + config.summaryUri()
                + " answered "
                + r.status()
                + ": "
                + r.bodyText(300);
      }
    } catch (SummaryParser.BadSummaryException e) {
      result = Result.BAD_SUMMARY;
      problem = "the kubelet at " + config.summaryUri() + " sent a bad summary: " + e.getMessage();
    } catch (SSLException e) {
      result = Result.UNREACHABLE;
      problem =
          "TLS with the kubelet at "
              + config.summaryUri()
              + " failed ("
              + e.getMessage()
              + "): set "
              + KubeletConfig.CA_FILE.key()
              + " to the CA of its serving certificate, or "
              + KubeletConfig.INSECURE_SKIP_VERIFY.key()
              + "=true for self-signed kubelet certificates";
    } catch (ConnectException | SocketTimeoutException | UnknownHostException e) {
      result = Result.UNREACHABLE;
      problem = "cannot reach the kubelet at " + config.summaryUri() + ": " + e;
    } catch (IOException e) {
      result = Result.UNREACHABLE;
      problem = "scraping the kubelet at " + config.summaryUri() + " failed: " + e;
    } catch (RuntimeException e) {
      // a bug must not end the input: count, log, keep the schedule
      result = Result.BAD_SUMMARY;
      problem = "scraping the kubelet at " + config.summaryUri() + " failed unexpectedly: " + e;
      log.error("kubelet scrape failed unexpectedly", e);
    }
    report(result, problem);
    scrapes.get(result).incrementAndGet();
    return result;
  }

  private void publish(KubeletSummary summary) {
    Serializer<String> keys = topic.keySerde().serializer();
    Serializer<KubeletSummary> values = topic.valueSerde().serializer();
    publisher.offer(
        new PendingBatch(
            keys.serialize(topic.name(), Sources.id(summary.getSource())),
            values.serialize(topic.name(), summary),
            summary.getTakenAt(),
            SummaryParser.values(summary),
            sequence.incrementAndGet()));
  }

  /** One log line per change of cause: an outage of hours is one ERROR, not thousands. */
  private void report(Result result, String problem) {
    String before = lastProblem;
    if (result == Result.OK) {
      if (!before.isEmpty()) {
        log.info("kubelet {}: scraping again", config.summaryUri());
      }
      lastProblem = "";
      return;
    }
    if (!problem.equals(before)) {
      log.error("{}; retrying every {} s", problem, config.interval().toSeconds());
    }
    lastProblem = problem;
  }

  /** Scrapes that ended with {@code result}. */
  public long scrapes(Result result) {
    return scrapes.get(result).get();
  }

  /** The last scrape's problem, empty after a good one. */
  public String lastProblem() {
    return lastProblem;
  }

  @Override
  public void bindMeters(MeterRegistry registry, Tags tags) {
    for (Result r : Result.values()) {
      FunctionCounter.builder("fleetstats.edge.kubelet.scrapes", scrapes.get(r), AtomicLong::get)
          .description(
              "kubelet Summary API scrapes by result: ok, unauthorized (401), forbidden (403),"
                  + " http_error, unreachable, bad_summary")
          .tags(tags.and("result", r.tag()))
          .register(registry);
    }
  }

  @Override
  public void close() {
    stop.countDown();
    if (thread != null) {
      try {
        thread.join(config.timeout().toMillis() + 1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
