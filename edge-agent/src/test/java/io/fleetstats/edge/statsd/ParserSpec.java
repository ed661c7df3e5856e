package io.fleetstats.edge.statsd;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * Test helper: builds {@link StatsdOptions} from a compact spec and renders parse results as one
 * line of text, so that table rows and golden files stay readable.
 *
 * <p>Spec: {@code ;}-separated items, e.g. {@code sep=_;template=cpu.*
 * measurement.measurement.host}: {@code default}, {@code telegraf} (Telegraf's defaults: separator
 * {@code _}), {@code sep=X}, {@code template=SPEC} (repeatable), {@code
 * sanitize=upstream|none|telegraf}, {@code convert}, {@code keepContainer}, {@code
 * no=dogstatsd|influx|librato|signalfx}, {@code maxLine=N}, {@code maxName=N}, {@code maxTags=N},
 * {@code maxTag=N}.
 *
 * <p>Rendering: {@code REJECT <REASON>}, or the samples joined by {@code " ; "}, each {@code <name>
 * <type> <value or member>[ @<rate>][ relative][ {k=v,...}]}.
 */
final class ParserSpec {
  private ParserSpec() {}

  static StatsdOptions options(String spec) {
    StatsdOptions o = StatsdOptions.defaults();
    String separator = ".";
    List<String> templates = new ArrayList<>();
    boolean dog = true, influx = true, librato = true, signalfx = true, keep = false;
    StatsdOptions.NameMethod method = StatsdOptions.NameMethod.TELEGRAF;
    boolean convert = false;
    int maxLine = o.maxLineLength(),
        maxName = o.maxNameLength(),
        maxTags = o.maxTags(),
        maxTag = o.maxTagLength();
    for (String item : spec.split(";")) {
      item = item.strip();
      if (item.isEmpty() || item.equals("default")) {
        continue;
      }
      int eq = item.indexOf('=');
      String key = eq < 0 ? item : item.substring(0, eq);
      String value = eq < 0 ? "" : item.substring(eq + 1);
      switch (key) {
        case "telegraf" -> separator = "_";
        case "sep" -> separator = value;
        case "template" -> templates.add(value);
        case "sanitize" ->
            method = StatsdOptions.NameMethod.valueOf(value.toUpperCase(Locale.ROOT));
        case "convert" -> convert = true;
        case "keepContainer" -> keep = true;
        case "no" -> {
          switch (value) {
            case "dogstatsd" -> dog = false;
            case "influx" -> influx = false;
            case "librato" -> librato = false;
            case "signalfx" -> signalfx = false;
            default -> throw new IllegalArgumentException(value);
          }
        }
        case "maxLine" -> maxLine = Integer.parseInt(value);
        case "maxName" -> maxName = Integer.parseInt(value);
        case "maxTags" -> maxTags = Integer.parseInt(value);
        case "maxTag" -> maxTag = Integer.parseInt(value);
        default -> throw new IllegalArgumentException("unknown spec item " + item);
      }
    }
    return o.withTagStyles(dog, influx, librato, signalfx, keep)
        .withNameMethod(method, convert)
        .withTemplates(templates, separator)
        .withLimits(maxLine, maxName, maxTags, maxTag);
  }

  static String render(ParseResult result) {
    if (result instanceof ParseResult.Rejected r) {
      return "REJECT " + r.reason();
    }
    StringJoiner out = new StringJoiner(" ; ");
    for (StatsdSample s : ((ParseResult.Ok) result).samples()) {
      out.add(render(s));
    }
    return out.toString();
  }

  static String render(StatsdSample s) {
    StringBuilder b = new StringBuilder();
    b.append(s.name()).append(' ').append(s.type()).append(' ');
    b.append(s.type() == MetricType.SET ? s.member() : Double.toString(s.value()));
    if (s.sampleRate() != 1.0) {
      b.append(" @").append(s.sampleRate());
    }
    if (s.relative()) {
      b.append(" relative");
    }
    if (!s.tags().isEmpty()) {
      StringJoiner tags = new StringJoiner(",", " {", "}");
      new TreeMap<>(s.tags()).forEach((k, v) -> tags.add(k + "=" + v));
      b.append(tags);
    }
    return b.toString();
  }
}
