package io.fleetstats.kit.settings;

import java.lang.reflect.RecordComponent;
import java.util.Map;
import java.util.TreeSet;

/**
 * {@code toString} for a service's config record that never shows a secret: as the record's own,
 * except that a map of Kafka client properties (a component whose name contains {@code kafka})
 * shows its keys only, since {@code sasl.jaas.config}, {@code ssl.key.password} and the like carry
 * passwords. Components that are secrets themselves (a token, a password) must not be record
 * components printed here: their configs hide them in their own {@code toString}.
 */
public final class ConfigStrings {
  private ConfigStrings() {}

  /** {@code Name[a=1, kafka=[sasl.jaas.config, security.protocol], ...]}. */
  public static String of(Record config) {
    StringBuilder b = new StringBuilder(config.getClass().getSimpleName()).append('[');
    RecordComponent[] components = config.getClass().getRecordComponents();
    for (int i = 0; i < components.length; i++) {
      RecordComponent c = components[i];
      Object value;
      try {
        c.getAccessor().setAccessible(true);
        value = c.getAccessor().invoke(config);
      } catch (ReflectiveOperationException | RuntimeException e) {
        value = "?";
      }
      if (value instanceof Map<?, ?> m && c.getName().toLowerCase().contains("kafka")) {
        TreeSet<String> keys = new TreeSet<>();
        m.keySet().forEach(k -> keys.add(String.valueOf(k)));
        value = keys;
      }
      b.append(i == 0 ? "" : ", ").append(c.getName()).append('=').append(value);
    }
    return b.append(']').toString();
  }
}
