package io.fleetstats.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Our checks of a Grafana dashboard against the fields of Grafana's documented dashboard JSON model
 * (schemaVersion 39): the top-level keys it knows and their types, the required ones ({@code
 * title}, {@code schemaVersion}, {@code templating}, {@code annotations}, {@code panels}), a {@code
 * uid} of 8 to 40 characters, {@code time.from}/{@code to}; panels with a unique {@code id}, a
 * known {@code type}, a {@code gridPos} inside the 24-column grid, a {@code datasource} of type and
 * uid and targets with unique {@code refId}s; variables of a known type with a name, {@code
 * refresh} 0, 1 or 2, and every {@code $var} a query uses declared. Pure.
 */
public final class GrafanaModel {
  static final Set<String> TOP_LEVEL =
      Set.of(
          "id",
          "uid",
          "title",
          "description",
          "tags",
          "timezone",
          "editable",
          "graphTooltip",
          "schemaVersion",
          "version",
          "time",
          "timepicker",
          "refresh",
          "fiscalYearStartMonth",
          "liveNow",
          "weekStart",
          "links",
          "templating",
          "annotations",
          "panels",
          "style",
          "gnetId");
  static final Set<String> PANEL_TYPES =
      Set.of("row", "timeseries", "stat", "gauge", "table", "text", "bargauge", "heatmap");
  static final Set<String> VARIABLE_TYPES =
      Set.of("query", "custom", "datasource", "constant", "interval", "textbox", "adhoc");
  static final Set<String> UNITS =
      Set.of(
          "short",
          "none",
          "percent",
          "percentunit",
          "bytes",
          "decbytes",
          "ms",
          "s",
          "reqps",
          "qps",
          "ops",
          "Bps",
          "bps");
  static final Set<String> BUILT_IN = Set.of("__interval", "__rate_interval", "__range", "__all");

  private GrafanaModel() {}

  /** The problems of {@code dashboard}; empty when it passes. */
  public static List<String> check(JsonNode d) {
    List<String> problems = new ArrayList<>();
    String title = d.path("title").asText("");
    for (Iterator<String> keys = d.fieldNames(); keys.hasNext(); ) {
      String key = keys.next();
      if (!TOP_LEVEL.contains(key)) {
        problems.add(title + ": unknown top-level field '" + key + "'");
      }
    }
    if (title.isBlank()) {
      problems.add("dashboard has no title");
    }
    if (!d.path("schemaVersion").isInt()) {
      problems.add(title + ": schemaVersion must be an integer");
    }
    String uid = d.path("uid").asText("");
    if (uid.length() < 8 || uid.length() > 40 || !uid.matches("[a-zA-Z0-9_-]+")) {
      problems.add(title + ": uid '" + uid + "' must be 8-40 letters, digits, '-' or '_'");
    }
    if (!d.path("time").path("from").isTextual() || !d.path("time").path("to").isTextual()) {
      problems.add(title + ": time needs from and to");
    }
    if (!d.path("templating").path("list").isArray()) {
      problems.add(title + ": templating.list must be an array");
    }
    if (!d.path("annotations").path("list").isArray()) {
      problems.add(title + ": annotations.list must be an array");
    }
    if (!d.path("panels").isArray() || d.path("panels").isEmpty()) {
      problems.add(title + ": no panels");
    }
    if (d.has("tags") && !d.path("tags").isArray()) {
      problems.add(title + ": tags must be an array");
    }
    Set<String> variables = new java.util.HashSet<>(BUILT_IN);
    for (JsonNode v : d.path("templating").path("list")) {
      String name = v.path("name").asText("");
      variables.add(name);
      if (name.isBlank()) {
        problems.add(title + ": a variable has no name");
      }
      if (!VARIABLE_TYPES.contains(v.path("type").asText())) {
        problems.add(title + ": variable " + name + " has type '" + v.path("type").asText() + "'");
      }
      if (v.has("refresh") && !Set.of(0, 1, 2).contains(v.path("refresh").asInt(-1))) {
        problems.add(title + ": variable " + name + " refresh must be 0, 1 or 2");
      }
    }
    Set<Integer> ids = new java.util.HashSet<>();
    for (JsonNode p : d.path("panels")) {
      panel(title, p, ids, variables, problems);
    }
    return problems;
  }

  private static void panel(
      String title, JsonNode p, Set<Integer> ids, Set<String> variables, List<String> problems) {
    String where = title + ": panel '" + p.path("title").asText() + "'";
    if (!p.path("id").isInt() || !ids.add(p.path("id").asInt())) {
      problems.add(where + ": id missing or not unique");
    }
    String type = p.path("type").asText("");
    if (!PANEL_TYPES.contains(type)) {
      problems.add(where + ": unknown panel type '" + type + "'");
    }
    JsonNode grid = p.path("gridPos");
    int x = grid.path("x").asInt(-1);
    int w = grid.path("w").asInt(-1);
    if (x < 0
        || w < 1
        || x + w > 24
        || grid.path("y").asInt(-1) < 0
        || grid.path("h").asInt(0) < 1) {
      problems.add(where + ": gridPos outside the 24-column grid");
    }
    if (type.equals("row")) {
      return;
    }
    if (p.path("title").asText("").isBlank()) {
      problems.add(where + ": no title");
    }
    JsonNode ds = p.path("datasource");
    if (!ds.path("type").isTextual() || !ds.path("uid").isTextual()) {
      problems.add(where + ": datasource needs type and uid");
    }
    String unit = p.path("fieldConfig").path("defaults").path("unit").asText("");
    if (!unit.isEmpty() && !UNITS.contains(unit)) {
      problems.add(where + ": unit '" + unit + "' is not one of Grafana's unit ids we use");
    }
    if (!p.path("targets").isArray() || p.path("targets").isEmpty()) {
      problems.add(where + ": no targets");
    }
    Set<String> refIds = new java.util.HashSet<>();
    for (JsonNode t : p.path("targets")) {
      if (!refIds.add(t.path("refId").asText(""))) {
        problems.add(where + ": refId missing or repeated");
      }
      String text = t.has("expr") ? t.path("expr").asText() : t.path("query").asText();
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("\\$\\{?([a-zA-Z_][a-zA-Z0-9_]*)").matcher(text);
      while (m.find()) {
        if (!variables.contains(m.group(1))) {
          problems.add(where + ": query uses undeclared variable $" + m.group(1));
        }
      }
    }
  }
}
