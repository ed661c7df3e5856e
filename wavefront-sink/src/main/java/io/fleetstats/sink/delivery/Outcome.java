package io.fleetstats.sink.delivery;

import java.time.Duration;
import java.util.Optional;

/**
 * What the proxy made of one HTTP request.
 *
 * @param kind the class of the answer
 * @param status HTTP status, or -1 when there was no answer (refused, timeout, I/O error)
 * @param retryAfter the server's {@code Retry-After}, when it sent one in seconds
 * @param detail human-readable cause for logs
 */
public record Outcome(Kind kind, int status, Optional<Duration> retryAfter, String detail) {

  /** Classes of answers, each with its own handling. */
  public enum Kind {
    /** 2xx: every line was handed to the proxy's pipeline; offsets may be committed. */
    ACCEPTED,
    /** 5xx, 429, timeouts, refused connections, I/O errors: send the same lines again later. */
    RETRYABLE,
    /** 400: the proxy could not handle the body; retrying the same body cannot help. */
    BAD_REQUEST,
    /** 413: the body is larger than the proxy's {@code pushListenerHttpBufferSize}; split it. */
    TOO_LARGE,
    /** 401/403 and other 4xx: configuration (URL, token) is wrong; stop rather than drop. */
    FATAL
  }

  public static Outcome accepted(int status) {
    return new Outcome(Kind.ACCEPTED, status, Optional.empty(), "HTTP " + status);
  }

  public static Outcome retryable(int status, Optional<Duration> retryAfter, String detail) {
    return new Outcome(Kind.RETRYABLE, status, retryAfter, detail);
  }

  public static Outcome of(Kind kind, int status, String detail) {
    return new Outcome(kind, status, Optional.empty(), detail);
  }
}
