package io.fleetstats.sink.kit.delivery;

import java.time.Duration;
import java.util.Optional;

/**
 * What the receiving server made of one request, classified once so that the retry policy of {@link
 * BatchSender} never looks at a status code: a sink's {@link Transport} maps its protocol onto
 * these kinds, and the same policy then holds for every sink.
 *
 * @param kind the class of the answer
 * @param status HTTP status, or -1 when there was no answer (refused, timeout, I/O error)
 * @param retryAfter the server's {@code Retry-After}, when it sent one in seconds
 * @param detail human-readable cause for logs
 * @param cause short label of the cause for metrics: {@code 2xx}, {@code 5xx}, {@code 429}, {@code
 *     408}, {@code 413}, {@code 400}, {@code 4xx}, {@code timeout}, {@code refused}, {@code io}
 */
public record Outcome(
    Kind kind, int status, Optional<Duration> retryAfter, String detail, String cause) {

  /** Classes of answers, each with its own handling. */
  public enum Kind {
    /** 2xx: every item was handed to the server's pipeline; offsets may be committed. */
    ACCEPTED,
    /** 5xx, 429, timeouts, refused connections, I/O errors: send the same items again later. */
    RETRYABLE,
    /** 400: the server could not handle the body; retrying the same body cannot help. */
    BAD_REQUEST,
    /** 413: the body is larger than the server takes (e.g. the proxy's buffer); split it. */
    TOO_LARGE,
    /** 401/403 and other 4xx: configuration (URL, token) is wrong; stop rather than drop. */
    FATAL
  }

  public static Outcome accepted(int status) {
    return new Outcome(Kind.ACCEPTED, status, Optional.empty(), "HTTP " + status, "2xx");
  }

  /** A retryable HTTP answer. */
  public static Outcome retryable(int status, Optional<Duration> retryAfter, String detail) {
    return new Outcome(Kind.RETRYABLE, status, retryAfter, detail, statusCause(status));
  }

  /** No HTTP answer at all; {@code cause} is {@code timeout}, {@code refused} or {@code io}. */
  public static Outcome noAnswer(String cause, String detail) {
    return new Outcome(Kind.RETRYABLE, -1, Optional.empty(), detail, cause);
  }

  public static Outcome of(Kind kind, int status, String detail) {
    return new Outcome(kind, status, Optional.empty(), detail, statusCause(status));
  }

  /**
   * The usual reading of an HTTP status: 2xx accepted; 5xx, 429 and 408 retryable (honouring {@code
   * Retry-After}); 413 too large; 400 bad request; anything else (401, 403, 404, 3xx) fatal. A
   * transport refines {@code detail} where it can name the setting to fix.
   *
   * @param retryAfterHeader the {@code Retry-After} header, if the server sent one
   */
  public static Outcome ofHttpStatus(int status, Optional<String> retryAfterHeader, String detail) {
    if (status >= 200 && status < 300) {
      return accepted(status);
    }
    if (status >= 500 || status == 429 || status == 408) {
      return retryable(status, retryAfter(retryAfterHeader), detail);
    }
    if (status == 413) {
      return of(Kind.TOO_LARGE, status, detail);
    }
    if (status == 400) {
      return of(Kind.BAD_REQUEST, status, detail);
    }
    return of(Kind.FATAL, status, detail);
  }

  /** {@code Retry-After} in delta-seconds; the HTTP-date form is rare from proxies and ignored. */
  public static Optional<Duration> retryAfter(Optional<String> header) {
    return header.flatMap(
        h -> {
          try {
            long seconds = Long.parseLong(h.trim());
            return seconds >= 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
          } catch (NumberFormatException e) {
            return Optional.empty();
          }
        });
  }

  private static String statusCause(int status) {
    if (status >= 500) {
      return "5xx";
    }
    if (status == 429 || status == 408 || status == 413 || status == 400) {
      return Integer.toString(status);
    }
    return status >= 200 && status < 300 ? "2xx" : "4xx";
  }
}
