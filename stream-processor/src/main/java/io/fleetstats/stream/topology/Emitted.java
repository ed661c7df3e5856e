package io.fleetstats.stream.topology;

import io.fleetstats.schemas.Aggregate;

/** What the window processors forward: routed by type to the output topics. */
public sealed interface Emitted {
  /** A closed window's aggregate, for {@code fleetstats.aggregates}. */
  record Final(Aggregate aggregate) implements Emitted {}

  /** A per-source window's contribution to a roll-up, for the roll-up repartition topic. */
  record Partial(byte[] rollupWindow) implements Emitted {}

  /** Data that could not be aggregated, for {@code fleetstats.deadletter}; reason in headers. */
  record DeadLetter(byte[] value) implements Emitted {}
}
