package io.fleetstats.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Our checks of a Wavefront dashboard, after the rules of the vendor's integration linter: chart
 * titles in Title Case; every chart (markdown excepted) has a description that starts with a
 * capital and ends with a period; units from an allow-list (none on markdown charts); sparkline
 * font size 150; colours only from the palette; metric names quoted in {@code ts("…")} and
 * variables quoted in filters ({@code tag="${var}"}), in chart sources and dynamic parameters. Plus
 * what the API needs of a file we push: {@code url} and {@code name}, sections with rows with
 * charts, each source a query. Pure: a parsed dashboard in, the problems out.
 */
public final class WavefrontLint {
  /** Units the vendor's charts use (its linter's list). */
  static final Set<String> UNITS =
      Set.of(
          "Messages",
          "%",
          "#",
          "1 = Enabled, 0 = Disabled",
          "1 = Healthy, 0 = Unhealthy",
          "1 = Success, 0 = Failure",
          "Chunks",
          "Crashes",
          "Bytes",
          "Hits",
          "Misses",
          "ms",
          "Errors",
          "Metrics",
          "Requests",
          "Clients",
          "Queries per Second",
          "Cache Hits",
          "Threads",
          "Tables",
          "Envelopes",
          "Connections per Second",
          "Connections",
          "Commands per Second",
          "Queries",
          "GiB",
          "MiB",
          "ns",
          "B",
          "s",
          "Seconds",
          "Failures per Second",
          "millicores",
          "bps",
          "pps",
          "items");

  /** Sparkline and gauge charts take fewer units. */
  static final Set<String> SPARKLINE_UNITS = Set.of("%", "", "B", "ms", "bps");

  /** Words that stay lower case in a title. */
  static final Set<String> SMALL_WORDS =
      Set.of(
          "of", "the", "vs", "to", "by", "per", "in", "with", "no", "for", "over", "a", "but",
          "from", "and", "v1", "v2", "on");

  static final Set<String> PALETTE =
      Set.of("#f54f47", "#f57600", "#85c81a", "#49afd9", "#000000", "#ffffff");

  private static final Pattern UNQUOTED_METRIC = Pattern.compile("(?<=ts\\()[\\w.\\-~*]+");
  private static final Pattern UNQUOTED_VARIABLE = Pattern.compile("(?<==)\\$\\{[a-z_]*}");
  private static final Pattern HEX = Pattern.compile("#[0-9a-fA-F]{6}");
  private static final Pattern URL = Pattern.compile("[a-z0-9][a-z0-9_-]*");

  private WavefrontLint() {}

  /** The problems of {@code dashboard}, each naming the chart; empty when it passes. */
  public static List<String> check(JsonNode dashboard) {
    List<String> problems = new ArrayList<>();
    String name = dashboard.path("name").asText("");
    if (name.isBlank()) {
      problems.add("dashboard has no name");
    }
    String url = dashboard.path("url").asText("");
    if (!URL.matcher(url).matches()) {
      problems.add(name + ": url '" + url + "' must be lower-case letters, digits, '-' or '_'");
    }
    if (!dashboard.path("sections").isArray() || dashboard.path("sections").isEmpty()) {
      problems.add(name + ": no sections");
    }
    for (JsonNode section : dashboard.path("sections")) {
      if (!section.path("rows").isArray() || section.path("rows").isEmpty()) {
        problems.add(name + ": section '" + section.path("name").asText() + "' has no rows");
      }
      for (JsonNode row : section.path("rows")) {
        for (JsonNode chart : row.path("charts")) {
          chart(name, chart, problems);
        }
      }
    }
    dashboard
        .path("parameterDetails")
        .fields()
        .forEachRemaining(
            p -> {
              JsonNode param = p.getValue();
              String type = param.path("parameterType").asText();
              if (!Set.of("SIMPLE", "LIST", "DYNAMIC").contains(type)) {
                problems.add(name + ": parameter " + p.getKey() + " has type '" + type + "'");
              }
              if (type.equals("DYNAMIC")) {
                query(
                    name + ": parameter " + p.getKey(),
                    param.path("queryValue").asText(),
                    problems);
                if (param.path("queryValue").asText().isBlank()) {
                  problems.add(name + ": dynamic parameter " + p.getKey() + " has no queryValue");
                }
              }
            });
    Matcher colours = HEX.matcher(dashboard.toString());
    while (colours.find()) {
      if (!PALETTE.contains(colours.group().toLowerCase(java.util.Locale.ROOT))) {
        problems.add(name + ": colour " + colours.group() + " is not in the palette");
      }
    }
    return problems;
  }

  private static void chart(String dashboard, JsonNode chart, List<String> problems) {
    String title = chart.path("name").asText("");
    String where = dashboard + ": chart '" + title + "'";
    String type = chart.path("chartSettings").path("type").asText("");
    boolean markdown = type.equals("markdown-widget");
    if (!titleCase(title)) {
      problems.add(where + ": title not in Title Case");
    }
    String description = chart.path("description").asText("");
    if (!markdown) {
      if (description.isBlank()) {
        problems.add(where + ": description is empty");
      } else if (!Character.isUpperCase(description.charAt(0))
          || !(description.endsWith(".") || description.contains(","))) {
        problems.add(where + ": description must start with a capital and end with a period");
      }
    }
    if (chart.has("units")) {
      String unit = chart.path("units").asText();
      if (markdown) {
        if (!unit.isEmpty()) {
          problems.add(where + ": a markdown chart has no unit");
        }
      } else if (type.equals("sparkline") || type.equals("gauge")) {
        if (!SPARKLINE_UNITS.contains(unit)) {
          problems.add(where + ": unit '" + unit + "' not allowed on a " + type);
        }
      } else if (!UNITS.contains(unit)) {
        problems.add(where + ": unit '" + unit + "' is not in the allowed list");
      }
    }
    JsonNode font = chart.path("chartSettings").path("sparklineDisplayFontSize");
    if (!font.isMissingNode() && !font.asText().equals("150")) {
      problems.add(where + ": sparklineDisplayFontSize must be 150");
    }
    if (!markdown && (!chart.path("sources").isArray() || chart.path("sources").isEmpty())) {
      problems.add(where + ": no sources");
    }
    for (JsonNode source : chart.path("sources")) {
      String query = source.path("query").asText("");
      if (query.isBlank()) {
        problems.add(where + ": source '" + source.path("name").asText() + "' has no query");
      }
      query(where, query, problems);
    }
  }

  private static void query(String where, String query, List<String> problems) {
    Matcher m = UNQUOTED_METRIC.matcher(query);
    while (m.find()) {
      problems.add(where + ": unquoted metric name " + m.group() + " in " + query);
    }
    Matcher v = UNQUOTED_VARIABLE.matcher(query);
    while (v.find()) {
      problems.add(where + ": unquoted variable " + v.group() + " in " + query);
    }
  }

  /** Every word capitalised, or a small word, or no letter to capitalise. */
  static boolean titleCase(String title) {
    for (String word : title.trim().split("\\s+")) {
      if (word.isEmpty()) {
        continue;
      }
      char first = word.charAt(0);
      boolean capitalised = Character.toUpperCase(first) == first;
      if (!capitalised && !SMALL_WORDS.contains(word.replaceAll("[.()]", ""))) {
        return false;
      }
    }
    return true;
  }
}
