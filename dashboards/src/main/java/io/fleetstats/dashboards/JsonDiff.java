package io.fleetstats.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What differs between a dashboard as we define it and as the server holds it. The server adds keys
 * of its own (ids, owners, times: {@link #SERVER_OWNED}) and fills in defaults we did not set, so
 * the comparison is one way: every field of ours must be equal on the server, arrays element by
 * element with the same length; fields only the server has are ignored. Equal means "nothing to
 * push", which makes {@code push} idempotent. Pure.
 */
public final class JsonDiff {
  /** Keys the Wavefront API owns, never compared (the vendor's own key filter lists them). */
  public static final Set<String> SERVER_OWNED =
      Set.of(
          "acl",
          "createdEpochMillis",
          "creatorId",
          "customer",
          "dashboardAttributes",
          "deleted",
          "favorite",
          "hidden",
          "id",
          "modifyAclAccess",
          "numFavorites",
          "numFavorite",
          "orphan",
          "parameters",
          "systemOwned",
          "updatedEpochMillis",
          "updaterId",
          "viewsLastDay",
          "viewsLastWeek",
          "viewsLastMonth",
          "numCharts",
          "tags",
          "canUserModify");

  private JsonDiff() {}

  /** {@code ours} without the server-owned keys at the top and in sections. */
  public static JsonNode strip(JsonNode ours) {
    JsonNode copy = ours.deepCopy();
    if (copy instanceof ObjectNode o) {
      o.remove(SERVER_OWNED);
      for (JsonNode section : o.path("sections")) {
        if (section instanceof ObjectNode s) {
          s.remove("id");
        }
      }
    }
    return copy;
  }

  /** The differences, one line each ({@code path: server → ours}); empty when equal. */
  public static List<String> diff(JsonNode ours, JsonNode theirs) {
    List<String> out = new ArrayList<>();
    walk("", strip(ours), theirs == null ? null : strip(theirs), out);
    return out;
  }

  private static void walk(String path, JsonNode ours, JsonNode theirs, List<String> out) {
    if (theirs == null || theirs.isMissingNode()) {
      out.add((path.isEmpty() ? "(dashboard)" : path) + ": (absent) → " + brief(ours));
      return;
    }
    if (ours.isObject() && theirs.isObject()) {
      for (Iterator<Map.Entry<String, JsonNode>> it = ours.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        walk(
            path.isEmpty() ? e.getKey() : path + "." + e.getKey(),
            e.getValue(),
            theirs.get(e.getKey()),
            out);
      }
      return;
    }
    if (ours.isArray() && theirs.isArray()) {
      if (ours.size() != theirs.size()) {
        out.add(path + ": " + theirs.size() + " elements → " + ours.size());
      }
      for (int i = 0; i < Math.min(ours.size(), theirs.size()); i++) {
        walk(path + "[" + i + "]", ours.get(i), theirs.get(i), out);
      }
      for (int i = theirs.size(); i < ours.size(); i++) {
        out.add(path + "[" + i + "]: (absent) → " + brief(ours.get(i)));
      }
      return;
    }
    if (!ours.equals(theirs)
        && !(ours.isNumber()
            && theirs.isNumber()
            && ours.decimalValue().compareTo(theirs.decimalValue()) == 0)) {
      out.add(path + ": " + brief(theirs) + " → " + brief(ours));
    }
  }

  private static String brief(JsonNode node) {
    String text = node.toString();
    return text.length() > 120 ? text.substring(0, 117) + "..." : text;
  }
}
