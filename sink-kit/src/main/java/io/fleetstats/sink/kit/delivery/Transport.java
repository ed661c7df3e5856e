package io.fleetstats.sink.kit.delivery;

import java.util.List;

/**
 * One request to a sink's receiver, classified: the only part of an HTTP sink that knows its
 * protocol (body encoding, headers, URL, what a status means). {@link BatchSender} owns everything
 * around it (retry, backoff, split, bisect, meters), so a transport stays small and every sink
 * retries the same way.
 *
 * @param <T> one item of a request body (a Wavefront line, a time series, ...)
 */
public interface Transport<T> {
  /**
   * An answer and the size of the request body that got it.
   *
   * @param outcome what the receiver made of the request
   * @param bodyBytes body size as sent (compressed, if it was)
   */
  record Sent(Outcome outcome, int bodyBytes) {}

  /**
   * Sends {@code items} in one request and waits for the answer. Must not throw for a failed
   * request: no answer is an {@link Outcome#noAnswer} outcome.
   *
   * @param format what kind of items the request carries (the Wavefront {@code f=}), or null; it
   *     also tags {@code <prefix>.points.sent}
   * @throws InterruptedException if the calling thread is interrupted while waiting
   */
  Sent send(List<T> items, String format) throws InterruptedException;

  /** Who answers, as log messages name it: {@code proxy http://wavefront-proxy:2878/report}. */
  String peer();

  /** What one item is called in log messages (singular; an {@code s} makes the plural). */
  default String itemName() {
    return "item";
  }
}
