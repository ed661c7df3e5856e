package io.fleetstats.edge.statsd;

import java.util.Map;
import java.util.Objects;

/**
 * The identity of a series: name, type and tags, as {@link StatsdSample} carries them. Immutable,
 * with its hash computed once, because the batcher looks a series up for every sample; the ingester
 * hands out the same instance for every line of a series it has seen, so that lookup is mostly an
 * identity check.
 */
public final class SeriesId {
  private final String name;
  private final MetricType type;
  private final Map<String, String> tags;
  private final int hash;

  /**
   * @param tags copied (no copy when already immutable)
   */
  public SeriesId(String name, MetricType type, Map<String, String> tags) {
    this.name = Objects.requireNonNull(name, "name");
    this.type = Objects.requireNonNull(type, "type");
    this.tags = Map.copyOf(tags);
    this.hash = (name.hashCode() * 31 + type.hashCode()) * 31 + this.tags.hashCode();
  }

  public String name() {
    return name;
  }

  public MetricType type() {
    return type;
  }

  public Map<String, String> tags() {
    return tags;
  }

  @Override
  public boolean equals(Object o) {
    return o == this
        || (o instanceof SeriesId other
            && hash == other.hash
            && type == other.type
            && name.equals(other.name)
            && tags.equals(other.tags));
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public String toString() {
    return name + "|" + type + tags;
  }
}
