package io.fleetstats.sink.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleetstats.sink.format.LineValidator.Reason;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LineValidatorTest {
  private static final long TS = 1_764_086_400L;
  private final LineValidator validator = LineValidator.backendDefaults();

  /** Rows: name, point, expected reason (null = valid). */
  static Stream<Arguments> cases() {
    return Stream.of(
        row("plain point", point("api.timer.mean", "node-1", Map.of("k", "v")), null),
        row("every allowed name char", point("aZ09,-./_", "h", Map.of()), null),
        row("delta prefix", point("∆requests", "h", Map.of()), null),
        row("alt delta then tilde", point("Δ~requests", "h", Map.of()), null),
        row("tilde prefix", point("~internal", "h", Map.of()), null),
        row("name of exactly 256", point("n".repeat(256), "h", Map.of()), null),
        row("source of exactly 128", point("m", "s".repeat(128), Map.of()), null),
        row("20 tags", point("m", "h", tags(20)), null),
        row("key of exactly 64", point("m", "h", Map.of("k".repeat(64), "v")), null),
        row("key+value of exactly 254", point("m", "h", Map.of("k", "v".repeat(253))), null),
        row("source chars are not checked by the proxy", point("m", "my host!*", Map.of()), null),
        row("unquoted-style leading underscore key", point("m", "h", Map.of("_key", "v")), null),
        row("empty name", point("", "h", Map.of()), Reason.NAME_EMPTY),
        row("space in name", point("my metric", "h", Map.of()), Reason.NAME_ILLEGAL_CHARS),
        row("hash in name", point("cpu#load", "h", Map.of()), Reason.NAME_ILLEGAL_CHARS),
        row("unicode in name", point("café", "h", Map.of()), Reason.NAME_ILLEGAL_CHARS),
        row("inner tilde", point("a~b", "h", Map.of()), Reason.NAME_ILLEGAL_CHARS),
        row("name of 257", point("n".repeat(257), "h", Map.of()), Reason.NAME_TOO_LONG),
        row("blank source", point("m", "  ", Map.of()), Reason.SOURCE_BLANK),
        row("source of 129", point("m", "s".repeat(129), Map.of()), Reason.SOURCE_TOO_LONG),
        row("source ending in backslash", point("m", "h\\", Map.of()), Reason.UNPARSEABLE_TEXT),
        row("21 tags", point("m", "h", tags(21)), Reason.TOO_MANY_TAGS),
        row("colon in key", point("m", "h", Map.of("bad:key", "v")), Reason.TAG_KEY_ILLEGAL_CHARS),
        row("space in key", point("m", "h", Map.of("bad key", "v")), Reason.TAG_KEY_ILLEGAL_CHARS),
        row("key of 65", point("m", "h", Map.of("k".repeat(65), "v")), Reason.TAG_KEY_TOO_LONG),
        row("blank value", point("m", "h", Map.of("k", " ")), Reason.TAG_VALUE_BLANK),
        row("key+value of 255", point("m", "h", Map.of("k", "v".repeat(254))), Reason.TAG_TOO_LONG),
        row("value of 300", point("m", "h", Map.of("k", "v".repeat(300))), Reason.TAG_TOO_LONG),
        row(
            "value ending in backslash",
            point("m", "h", Map.of("k", "C:\\")),
            Reason.UNPARSEABLE_TEXT),
        row("raw newline in value", point("m", "h", Map.of("k", "a\nb")), Reason.UNPARSEABLE_TEXT),
        row(
            "non-positive delta counter",
            point("∆requests", "h", Map.of(), 0),
            Reason.DELTA_NOT_POSITIVE));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void judgesAsSpecified(String name, WavefrontPoint point, Reason expected) {
    assertThat(validator.check(point).reason()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void agreesWithTheProxysOwnParser(String name, WavefrontPoint point, Reason expected) {
    LineValidator.Verdict verdict = validator.check(point);
    Optional<String> proxy = ProxyParser.rejection(point.toLine());
    assertThat(proxy.isPresent())
        .as("proxy says %s, we say %s", proxy, verdict)
        .isEqualTo(!verdict.ok());
    if (!verdict.ok() && verdict.reason().proxyCode().startsWith("WF-4")) {
      assertThat(proxy.get()).startsWith(verdict.reason().proxyCode());
    }
  }

  @org.junit.jupiter.api.Test
  void rejectsNonFiniteValuesThatTheProxyWouldStore() {
    WavefrontPoint nan = point("m", "h", Map.of(), Double.NaN);
    assertThat(validator.check(nan).reason()).isEqualTo(Reason.NON_FINITE_VALUE);
    assertThat(ProxyParser.rejection(nan.toLine())).isEmpty();
  }

  private static WavefrontPoint point(String name, String source, Map<String, String> tags) {
    return point(name, source, tags, 1.0);
  }

  private static WavefrontPoint point(
      String name, String source, Map<String, String> tags, double value) {
    return WavefrontPoint.of(name, value, TS, source, tags);
  }

  private static Map<String, String> tags(int n) {
    Map<String, String> tags = new LinkedHashMap<>();
    IntStream.range(0, n).forEach(i -> tags.put("k" + i, "v" + i));
    return tags;
  }

  private static Arguments row(String name, WavefrontPoint point, Reason expected) {
    return Arguments.of(name, point, expected);
  }
}
