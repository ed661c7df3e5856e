package io.fleetstats.stream;

import io.fleetstats.schemas.MetricType;
import io.fleetstats.schemas.Series;
import io.fleetstats.schemas.Source;
import io.fleetstats.schemas.StatsdBatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** Builders for raw records as the edge agent writes them. */
public final class Fixtures {
  private Fixtures() {}

  public static Source source(String pod) {
    return Source.newBuilder()
        .setCluster("local")
        .setNamespace("default")
        .setNode("node-1")
        .setPod(pod)
        .setContainer("app")
        .build();
  }

  /** Values all received at {@code at}, sample rate 1, absolute. */
  public static Series series(String name, MetricType type, long at, double... values) {
    List<Double> v = new ArrayList<>();
    for (double d : values) {
      v.add(d);
    }
    return Series.newBuilder()
        .setName(name)
        .setType(type)
        .setValues(v)
        .setReceivedAt(new ArrayList<>(Collections.nCopies(values.length, at)))
        .build();
  }

  public static Series withRates(Series s, double... rates) {
    List<Double> r = new ArrayList<>();
    for (double d : rates) {
      r.add(d);
    }
    s.setSampleRates(r);
    return s;
  }

  public static Series withRelative(Series s, boolean... relative) {
    List<Boolean> r = new ArrayList<>();
    for (boolean b : relative) {
      r.add(b);
    }
    s.setRelative(r);
    return s;
  }

  public static Series withTags(Series s, Map<String, String> tags) {
    s.setTags(tags);
    return s;
  }

  public static Series set(String name, long at, String... members) {
    return Series.newBuilder()
        .setName(name)
        .setType(MetricType.SET)
        .setMembers(List.of(members))
        .setReceivedAt(new ArrayList<>(Collections.nCopies(members.length, at)))
        .build();
  }

  public static StatsdBatch batch(Source source, long createdAt, Series... series) {
    return StatsdBatch.newBuilder()
        .setSource(source)
        .setAgentId("agent-1")
        .setCreatedAt(createdAt)
        .setSeries(List.of(series))
        .build();
  }
}
