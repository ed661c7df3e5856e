package io.fleetstats.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The queries of a dashboard and the metric names in them; pure. */
public final class Queries {
  /** {@code ts("name"}: a quoted metric name (the only form the lint allows). */
  private static final Pattern WQL_METRIC = Pattern.compile("\\bts\\(\\s*\"([^\"]+)\"");

  /** A PromQL selector with braces: {@code name{...}} (our dashboards always filter). */
  private static final Pattern PROM_METRIC = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)\\{");

  private Queries() {}

  /** One query: where it is (dashboard, panel) and its text. */
  public record Query(String where, String text) {}

  /** Every chart source query of a Wavefront dashboard, and every dynamic parameter's. */
  public static List<Query> wavefront(JsonNode dashboard) {
    List<Query> out = new ArrayList<>();
    String name = dashboard.path("name").asText();
    for (JsonNode section : dashboard.path("sections")) {
      for (JsonNode row : section.path("rows")) {
        for (JsonNode chart : row.path("charts")) {
          for (JsonNode source : chart.path("sources")) {
            out.add(
                new Query(
                    name
                        + " / "
                        + chart.path("name").asText()
                        + " / "
                        + source.path("name").asText(),
                    source.path("query").asText()));
          }
        }
      }
    }
    dashboard
        .path("parameterDetails")
        .fields()
        .forEachRemaining(
            p -> {
              if (p.getValue().has("queryValue")) {
                out.add(
                    new Query(
                        name + " / parameter " + p.getKey(),
                        p.getValue().path("queryValue").asText()));
              }
            });
    return out;
  }

  /** Every panel target of a Grafana dashboard: {@code expr} (Prometheus) or {@code query}. */
  public static List<Query> grafana(JsonNode dashboard) {
    List<Query> out = new ArrayList<>();
    String title = dashboard.path("title").asText();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String text =
            target.has("expr") ? target.path("expr").asText() : target.path("query").asText();
        out.add(new Query(title + " / " + panel.path("title").asText(), text));
      }
    }
    return out;
  }

  /** The metric names of a WQL query, in order, each once (variables left as written). */
  public static Set<String> wqlMetrics(String query) {
    Set<String> names = new LinkedHashSet<>();
    Matcher m = WQL_METRIC.matcher(query);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** The metric names of a PromQL query. */
  public static Set<String> promMetrics(String query) {
    Set<String> names = new LinkedHashSet<>();
    Matcher m = PROM_METRIC.matcher(query);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }
}
