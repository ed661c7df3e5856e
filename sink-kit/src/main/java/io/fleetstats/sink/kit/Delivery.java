package io.fleetstats.sink.kit;

/**
 * What makes one sink different from another: what the records of a poll become and how they are
 * sent. Everything around it is the {@link SinkLoop}'s and the same for every sink: polling,
 * pausing while a delivery waits, writing dead letters, committing only after a definite outcome. A
 * new sink is this interface and a few lines of wiring.
 *
 * <p>Called on the loop's thread, one poll at a time; a delivery needs no locking of its own.
 */
public interface Delivery {

  /**
   * Delivers every record of {@code poll}: decode, format, validate, chunk, send. A record that
   * cannot be delivered (invalid, refused on its own) is marked with {@link Polled#deadLetter} or
   * {@link Polled#undecodable}; the loop writes its dead letter before it commits.
   *
   * @param waiter the only way to wait between retries (keeps the consumer in its group)
   * @return {@link Result#DELIVERED} once every record was accepted or marked; {@link
   *     Result#STOPPED} when {@code waiter} said stop (nothing is committed); {@link Result#fatal}
   *     when the receiver refuses us and an operator must act
   */
  Result deliver(Polled poll, Waiter waiter) throws InterruptedException;

  /**
   * Why the receiver does not look healthy (e.g. the last request failed retryably), shown on
   * {@code /readyz}; empty when it does.
   */
  default String problem() {
    return "";
  }

  /** How a poll's delivery ended. */
  enum Status {
    /** Every record was accepted or marked for the dead-letter topic: commit. */
    DELIVERED,
    /** Stopped while waiting to retry (the sink is closing): commit nothing. */
    STOPPED,
    /** The receiver refuses us: commit nothing, stop the sink with {@link Result#detail()}. */
    FATAL
  }

  /**
   * A definite outcome of one poll.
   *
   * @param status how it ended
   * @param detail for {@link Status#FATAL}, the cause naming the setting to fix; else empty
   */
  record Result(Status status, String detail) {
    public static final Result DELIVERED = new Result(Status.DELIVERED, "");
    public static final Result STOPPED = new Result(Status.STOPPED, "");

    /** The receiver refuses us; {@code why} ends up in {@code failure()} and the ERROR log. */
    public static Result fatal(String why) {
      return new Result(Status.FATAL, why);
    }
  }
}
