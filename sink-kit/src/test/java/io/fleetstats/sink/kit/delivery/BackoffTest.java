package io.fleetstats.sink.kit.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BackoffTest {
  private final Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(30));

  static Stream<Arguments> delays() {
    return Stream.of(
        Arguments.of("first retry, lowest draw: half of initial", 0, 0.0, 100),
        Arguments.of("first retry, highest draw: about initial", 0, 0.999_999, 199),
        Arguments.of("third retry doubles twice", 2, 0.0, 400),
        Arguments.of("capped at max", 10, 0.999_999, 29_999),
        Arguments.of("capped at max, lowest draw: half of max", 10, 0.0, 15_000),
        Arguments.of("huge attempt does not overflow", 10_000, 0.5, 22_500));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("delays")
  void growsExponentiallyWithJitterUpToTheCap(
      String name, int attempt, double random, long expectedMs) {
    assertThat(backoff.delay(attempt, random, Optional.empty()))
        .isEqualTo(Duration.ofMillis(expectedMs));
  }

  @Test
  void honoursRetryAfterAsALowerBound() {
    assertThat(backoff.delay(0, 0.0, Optional.of(Duration.ofSeconds(3))))
        .isEqualTo(Duration.ofSeconds(3));
    assertThat(backoff.delay(10, 0.0, Optional.of(Duration.ofSeconds(1))))
        .isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void capsAbsurdRetryAfter() {
    assertThat(backoff.delay(0, 0.0, Optional.of(Duration.ofDays(1))))
        .isEqualTo(Backoff.RETRY_AFTER_CAP);
  }

  @Test
  void smallMaxLowersTheInitialWait() {
    assertThat(Backoff.upTo(Duration.ofMillis(100)).delay(0, 0.999_999, Optional.empty()))
        .isEqualTo(Duration.ofMillis(99));
  }

  @Test
  void rejectsInitialAboveMax() {
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
