package io.fleetstats.edge.statsd;

import static io.fleetstats.edge.statsd.MetricType.COUNTER;
import static io.fleetstats.edge.statsd.MetricType.DISTRIBUTION;
import static io.fleetstats.edge.statsd.MetricType.GAUGE;
import static io.fleetstats.edge.statsd.MetricType.HISTOGRAM;
import static io.fleetstats.edge.statsd.MetricType.SET;
import static io.fleetstats.edge.statsd.MetricType.TIMER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.argumentSet;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StatsdParserTest {
  private final StatsdParser parser = new StatsdParser();

  /** Wire lines captured from real clients (research/tooling.md) and Telegraf's protocol notes. */
  static Stream<Arguments> acceptedLines() {
    return Stream.of(
        // python statsd 4.0.1, prefix webapp
        argumentSet(
            "python counter",
            "webapp.request.count:1|c",
            List.of(s("webapp.request.count", COUNTER, 1))),
        argumentSet("python gauge", "webapp.inflight:1|g", List.of(s("webapp.inflight", GAUGE, 1))),
        argumentSet("python set", "webapp.users:alice|s", List.of(set("webapp.users", "alice"))),
        argumentSet(
            "python timer",
            "webapp.request.hello:0.319847|ms",
            List.of(s("webapp.request.hello", TIMER, 0.319847))),
        argumentSet(
            "python timer fixed point",
            "webapp.explicit.ms:12.500000|ms",
            List.of(s("webapp.explicit.ms", TIMER, 12.5))),
        argumentSet(
            "python sampled counter",
            "webapp.sampled:1|c|@0.999999",
            List.of(rated(s("webapp.sampled", COUNTER, 1), 0.999999))),
        // Micrometer 1.17.2 flavors
        argumentSet(
            "micrometer etsy timer",
            "httpServerRequests.status.200.uri./api:42|ms",
            List.of(s("httpServerRequests.status.200.uri./api", TIMER, 42))),
        argumentSet(
            "micrometer etsy counter",
            "jobsDone.queue.q1.statistic.count:3|c",
            List.of(s("jobsDone.queue.q1.statistic.count", COUNTER, 3))),
        argumentSet(
            "micrometer etsy gauge",
            "queueSize.queue.q1.statistic.value:7|g",
            List.of(s("queueSize.queue.q1.statistic.value", GAUGE, 7))),
        argumentSet(
            "micrometer datadog timer",
            "http.server.requests:42|ms|#status:200,uri:/api",
            List.of(s("http.server.requests", TIMER, 42, "status", "200", "uri", "/api"))),
        argumentSet(
            "micrometer datadog counter",
            "jobs.done:3|c|#statistic:count,queue:q1",
            List.of(s("jobs.done", COUNTER, 3, "statistic", "count", "queue", "q1"))),
        argumentSet(
            "micrometer datadog gauge",
            "queue.size:7|g|#statistic:value,queue:q1",
            List.of(s("queue.size", GAUGE, 7, "statistic", "value", "queue", "q1"))),
        argumentSet(
            "micrometer telegraf timer",
            "http_server_requests,status=200,uri=/api:42|ms",
            List.of(s("http_server_requests", TIMER, 42, "status", "200", "uri", "/api"))),
        argumentSet(
            "micrometer telegraf counter",
            "jobs_done,statistic=count,queue=q1:3|c",
            List.of(s("jobs_done", COUNTER, 3, "statistic", "count", "queue", "q1"))),
        argumentSet(
            "micrometer telegraf gauge",
            "queue_size,statistic=value,queue=q1:7|g",
            List.of(s("queue_size", GAUGE, 7, "statistic", "value", "queue", "q1"))),
        argumentSet(
            "micrometer sysdig timer",
            "http.server.requests#status=200,uri=_api:42|ms",
            List.of(s("http.server.requests", TIMER, 42, "status", "200", "uri", "_api"))),
        argumentSet(
            "micrometer sysdig counter",
            "jobs.done#statistic=count,queue=q1:3|c",
            List.of(s("jobs.done", COUNTER, 3, "statistic", "count", "queue", "q1"))),
        argumentSet(
            "micrometer sysdig gauge",
            "queue.size#statistic=value,queue=q1:7|g",
            List.of(s("queue.size", GAUGE, 7, "statistic", "value", "queue", "q1"))),
        // java-dogstatsd-client 4.4.5, prefix app, constant tag env:test
        argumentSet(
            "dogstatsd timer",
            "app.req.latency:42|ms|#env:test,status:200,uri:/api",
            List.of(
                s("app.req.latency", TIMER, 42, "env", "test", "status", "200", "uri", "/api"))),
        argumentSet(
            "dogstatsd counter",
            "app.jobs.done:3|c|#env:test,queue:q1",
            List.of(s("app.jobs.done", COUNTER, 3, "env", "test", "queue", "q1"))),
        argumentSet(
            "dogstatsd gauge",
            "app.queue.size:7|g|#env:test",
            List.of(s("app.queue.size", GAUGE, 7, "env", "test"))),
        argumentSet(
            "dogstatsd histogram",
            "app.h:1.5|h|#env:test",
            List.of(s("app.h", HISTOGRAM, 1.5, "env", "test"))),
        argumentSet(
            "dogstatsd distribution",
            "app.dist:9|d|#env:test",
            List.of(s("app.dist", DISTRIBUTION, 9, "env", "test"))),
        // hot-shots 17.1.1, DogStatsD mode and telegraf:true
        argumentSet(
            "hot-shots dogstatsd timer",
            "node.req.latency:42|ms|#env:test,uri:/api",
            List.of(s("node.req.latency", TIMER, 42, "env", "test", "uri", "/api"))),
        argumentSet(
            "hot-shots telegraf timer",
            "node.req.latency,env=test,uri=/api:42|ms",
            List.of(s("node.req.latency", TIMER, 42, "env", "test", "uri", "/api"))),
        argumentSet(
            "hot-shots telegraf counter",
            "node.jobs.done,env=test,queue=q1:3|c",
            List.of(s("node.jobs.done", COUNTER, 3, "env", "test", "queue", "q1"))),
        argumentSet(
            "hot-shots telegraf histogram",
            "node.h,env=test:1.5|h",
            List.of(s("node.h", HISTOGRAM, 1.5, "env", "test"))),
        // protocol corners (Telegraf README and DogStatsD datagram format)
        argumentSet(
            "influx tags in the bucket",
            "users.current,service=payroll:32|g",
            List.of(s("users.current", GAUGE, 32, "service", "payroll"))),
        argumentSet("gauge increment is relative", "g:+5|g", List.of(relative(s("g", GAUGE, 5)))),
        argumentSet(
            "gauge decrement is relative", "g:-3.5|g", List.of(relative(s("g", GAUGE, -3.5)))),
        argumentSet("negative counter is not relative", "c:-2|c", List.of(s("c", COUNTER, -2))),
        argumentSet(
            "two values in one line", "a:1|c:2|c", List.of(s("a", COUNTER, 1), s("a", COUNTER, 2))),
        argumentSet(
            "values of two types in one line",
            "a:1|c|@0.5:2|ms",
            List.of(rated(s("a", COUNTER, 1), 0.5), s("a", TIMER, 2))),
        argumentSet(
            "rate then tags", "a:1|c|@0.1|#k:v", List.of(rated(s("a", COUNTER, 1, "k", "v"), 0.1))),
        argumentSet(
            "tags then rate", "a:1|c|#k:v|@0.5", List.of(rated(s("a", COUNTER, 1, "k", "v"), 0.5))),
        argumentSet(
            "flag tags become true",
            "a:1|c|#flag,k:",
            List.of(s("a", COUNTER, 1, "flag", "true", "k", "true"))),
        argumentSet(
            "tag value keeps later colons",
            "a:1|c|#url:http://x:80",
            List.of(s("a", COUNTER, 1, "url", "http://x:80"))),
        argumentSet(
            "container field is skipped",
            "a:1|c|#k:v|c:83a0f4b1",
            List.of(s("a", COUNTER, 1, "k", "v"))),
        argumentSet(
            "timestamp with too many digits is skipped",
            "a:1|c|T17000000000000000",
            List.of(s("a", COUNTER, 1))),
        argumentSet(
            "unknown field is skipped", "a:1|ms|e:it-false,cn-x|x", List.of(s("a", TIMER, 1))),
        argumentSet(
            "dogstatsd tag wins over bucket tag",
            "a,k=influx:1|c|#k:dog",
            List.of(s("a", COUNTER, 1, "k", "dog"))),
        argumentSet(
            "bucket piece without = is ignored",
            "a,flag,k=v:1|c",
            List.of(s("a", COUNTER, 1, "k", "v"))),
        argumentSet(
            "bucket tag value keeps later =",
            "a,uri=/x?p=1:1|c",
            List.of(s("a", COUNTER, 1, "uri", "/x?p=1"))),
        argumentSet("set member may contain colons", "a:x:y|s", List.of(set("a", "x:y"))),
        argumentSet("exponent", "a:1e3|ms", List.of(s("a", TIMER, 1000))),
        argumentSet("leading dot", "a:.5|g", List.of(s("a", GAUGE, 0.5))),
        argumentSet("trailing carriage return", "a:1|c\r", List.of(s("a", COUNTER, 1))),
        argumentSet(
            "a blank ends the name, as in Telegraf",
            "My App/req time:1|ms",
            List.of(s("My", TIMER, 1))));
  }

  @ParameterizedTest
  @MethodSource("clientTimestamps")
  void takesTheDogStatsdTimestampAsTheEventTimeOfEveryValueOfTheLine(
      String line, long expectedMillis, int samples) {
    ParseResult.Ok ok = (ParseResult.Ok) parser.parse(line);
    assertThat(ok.clientTimeMillis()).isEqualTo(expectedMillis);
    assertThat(ok.eventTime(5L)).isEqualTo(expectedMillis);
    assertThat(ok.samples()).hasSize(samples);
  }

  static Stream<Arguments> clientTimestamps() {
    return Stream.of(
        argumentSet(
            "after tags and container", "a:1|c|#k:v|c:83a0f4b1|T1700000000", 1_700_000_000_000L, 1),
        argumentSet("before tags", "a:1|ms|T1700000001|#k:v", 1_700_000_001_000L, 1),
        argumentSet("packed values share it", "a:1:2:3|d|T1700000002", 1_700_000_002_000L, 3),
        argumentSet("with a rate", "a:2|c|@0.5|T1700000003", 1_700_000_003_000L, 1));
  }

  @Test
  void aLineWithoutTimestampTakesTheReceiveTime() {
    ParseResult.Ok ok = (ParseResult.Ok) parser.parse("a:1|c|#k:v");
    assertThat(ok.clientTimeMillis()).isEqualTo(ParseResult.NO_TIME);
    assertThat(ok.eventTime(5L)).isEqualTo(5L);
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("acceptedLines")
  void acceptsLine(String line, List<StatsdSample> expected) {
    assertThat(parser.parse(line)).isEqualTo(ParseResult.ok(expected));
  }

  static Stream<Arguments> rejectedLines() {
    return Stream.of(
        argumentSet("no value", "users.online", RejectReason.MISSING_VALUE),
        argumentSet("no value before type", "users.online|c", RejectReason.MISSING_VALUE),
        argumentSet("empty value", "a:|c", RejectReason.MISSING_VALUE),
        argumentSet("no type", "a:1", RejectReason.MISSING_TYPE),
        argumentSet("second value without type", "a:1|c:2", RejectReason.MISSING_TYPE),
        argumentSet("empty type", "a:1|", RejectReason.BAD_TYPE),
        argumentSet("unknown type", "a:1|x", RejectReason.BAD_TYPE),
        argumentSet("timer in seconds is not a type", "a:1|s2", RejectReason.BAD_TYPE),
        argumentSet("word value", "a:abc|c", RejectReason.BAD_VALUE),
        argumentSet("NaN", "a:NaN|g", RejectReason.BAD_VALUE),
        argumentSet("Infinity", "a:Infinity|ms", RejectReason.BAD_VALUE),
        argumentSet("overflow to infinity", "a:1e999|ms", RejectReason.BAD_VALUE),
        argumentSet("java double suffix", "a:1d|ms", RejectReason.BAD_VALUE),
        argumentSet("hex float", "a:0x1p3|c", RejectReason.BAD_VALUE),
        argumentSet("leading blank", "a: 1|c", RejectReason.BAD_VALUE),
        argumentSet("exponent without digits", "a:1e|ms", RejectReason.BAD_VALUE),
        argumentSet("sign only", "a:-|g", RejectReason.BAD_VALUE),
        argumentSet("packed counter values", "a:1:2:3|c", RejectReason.BAD_VALUE),
        argumentSet("one bad value rejects the line", "a:1|c:oops|c", RejectReason.BAD_VALUE),
        argumentSet("rate zero", "a:1|c|@0", RejectReason.BAD_SAMPLE_RATE),
        argumentSet("rate above one", "a:1|c|@1.5", RejectReason.BAD_SAMPLE_RATE),
        argumentSet("negative rate", "a:1|c|@-0.5", RejectReason.BAD_SAMPLE_RATE),
        argumentSet("word rate", "a:1|c|@x", RejectReason.BAD_SAMPLE_RATE),
        argumentSet("empty rate", "a:1|c|@", RejectReason.BAD_SAMPLE_RATE),
        argumentSet("empty name", ":1|c", RejectReason.EMPTY_NAME),
        argumentSet("only influx tags", ",k=v:1|c", RejectReason.EMPTY_NAME),
        argumentSet("only sysdig tags", "#k=v:1|c", RejectReason.EMPTY_NAME),
        argumentSet("empty line", "", RejectReason.EMPTY_NAME));
  }

  @ParameterizedTest(name = "{argumentSetName}")
  @MethodSource("rejectedLines")
  void rejectsLine(String line, RejectReason reason) {
    assertThat(parser.parse(line)).isEqualTo(ParseResult.rejected(reason, line));
  }

  @Test
  void rejectsLineLongerThanLimit() {
    StatsdParser strict = new StatsdParser(10);
    assertThat(strict.parse("abcdefgh:1|c"))
        .isEqualTo(ParseResult.rejected(RejectReason.LINE_TOO_LONG, "abcdefgh:1|c"));
    assertThat(strict.parse("abcdef:1|c")).isInstanceOf(ParseResult.Ok.class);
  }

  @Test
  void neverThrowsNorReturnsNullOnGarbage() {
    Random random = new Random(42);
    String alphabet = "ab1.:|@#,=+-ecTs\r \u00e9";
    for (int n = 0; n < 20_000; n++) {
      StringBuilder line = new StringBuilder();
      int length = random.nextInt(16);
      for (int i = 0; i < length; i++) {
        line.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      assertThat(parser.parse(line)).as(line.toString()).isNotNull();
    }
  }

  private static StatsdSample s(String name, MetricType type, double value, String... tagPairs) {
    Map<String, String> tags = new HashMap<>();
    for (int i = 0; i < tagPairs.length; i += 2) {
      tags.put(tagPairs[i], tagPairs[i + 1]);
    }
    return new StatsdSample(name, type, tags, value, "", 1.0, false);
  }

  private static StatsdSample set(String name, String member) {
    return new StatsdSample(name, SET, Map.of(), 0.0, member, 1.0, false);
  }

  private static StatsdSample rated(StatsdSample s, double rate) {
    return new StatsdSample(
        s.name(), s.type(), s.tags(), s.value(), s.member(), rate, s.relative());
  }

  private static StatsdSample relative(StatsdSample s) {
    return new StatsdSample(
        s.name(), s.type(), s.tags(), s.value(), s.member(), s.sampleRate(), true);
  }
}
