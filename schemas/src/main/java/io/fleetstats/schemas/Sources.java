package io.fleetstats.schemas;

/** Identity of a {@link Source}: the Kafka key of its raw records. */
public final class Sources {
  private Sources() {}

  /**
   * {@code cluster/namespace/pod/container}: stable for the pod's lifetime, so one pod's data stays
   * in one partition and per-source windows need no repartition.
   */
  public static String id(Source source) {
    return source.getCluster()
        + '/'
        + source.getNamespace()
        + '/'
        + source.getPod()
        + '/'
        + source.getContainer();
  }
}
