package io.fleetstats.sink.prometheus.format;

import java.util.Arrays;
import java.util.Map;
import java.util.SortedMap;

/**
 * The labels every sample of one aggregate shares (all but {@code __name__}), sorted by name, as
 * remote write wants them. Built once per aggregate and shared by its samples; equal label sets are
 * equal, so samples of one series can be found in a poll.
 */
public final class LabelSet {
  /** The label that holds the metric name in remote write. */
  public static final String NAME_LABEL = "__name__";

  private final String[] names;
  private final String[] values;
  private final int nameIndex;
  private final int hash;

  /**
   * @param labels label name → value, sorted by name; none may be {@value #NAME_LABEL}
   */
  public LabelSet(SortedMap<String, String> labels) {
    this.names = new String[labels.size()];
    this.values = new String[labels.size()];
    int i = 0;
    int at = labels.size();
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (at == labels.size() && e.getKey().compareTo(NAME_LABEL) > 0) {
        at = i;
      }
      names[i] = e.getKey();
      values[i] = e.getValue();
      i++;
    }
    this.nameIndex = at;
    this.hash = 31 * Arrays.hashCode(names) + Arrays.hashCode(values);
  }

  public int size() {
    return names.length;
  }

  public String name(int i) {
    return names[i];
  }

  public String value(int i) {
    return values[i];
  }

  /**
   * Where {@value #NAME_LABEL} goes among these labels to keep the whole list sorted: labels {@code
   * 0 .. nameIndex-1} sort before it (e.g. {@code Zone}: capitals sort before {@code _}).
   */
  public int nameIndex() {
    return nameIndex;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelSet other
        && hash == other.hash
        && Arrays.equals(names, other.names)
        && Arrays.equals(values, other.values);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** {@code {a="1",b="2"}} with {@code __name__} left out, as PromQL writes a selector. */
  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    for (int i = 0; i < names.length; i++) {
      if (i > 0) {
        b.append(',');
      }
      b.append(names[i]).append("=\"");
      String v = values[i];
      for (int k = 0; k < v.length(); k++) {
        char c = v.charAt(k);
        switch (c) {
          case '\\' -> b.append("\\\\");
          case '"' -> b.append("\\\"");
          case '\n' -> b.append("\\n");
          default -> b.append(c);
        }
      }
      b.append('"');
    }
    return b.append('}').toString();
  }
}
