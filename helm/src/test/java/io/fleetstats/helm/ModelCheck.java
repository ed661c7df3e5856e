package io.fleetstats.helm;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Fields the Kubernetes model does not know: fabric8 keeps them in {@code additionalProperties}
 * instead of failing, so a misspelled field ({@code readOnlyRootFileSystem}) would reach the
 * api-server, which drops it silently. Walks every model object reachable by getters.
 */
final class ModelCheck {
  private ModelCheck() {}

  /** {@code path: unknownField} for every unknown field under {@code root}. */
  static List<String> unknownFields(Object root, String where) {
    List<String> out = new ArrayList<>();
    walk(root, where, out, 0);
    return out;
  }

  private static void walk(Object o, String path, List<String> out, int depth) {
    if (o == null || depth > 40) {
      return;
    }
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) {
        walk(e, path + "[" + i++ + "]", out, depth + 1);
      }
      return;
    }
    if (o instanceof Map<?, ?> m) {
      m.forEach((k, v) -> walk(v, path + "." + k, out, depth + 1));
      return;
    }
    Class<?> type = o.getClass();
    if (!type.getName().startsWith("io.fabric8.kubernetes.api.model")
        || o instanceof GenericKubernetesResource) {
      return; // plain values; custom resources have no schema here
    }
    for (Method m : type.getMethods()) {
      if (m.getParameterCount() != 0
          || Modifier.isStatic(m.getModifiers())
          || !m.getName().startsWith("get")
          || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value;
      try {
        value = m.invoke(o);
      } catch (IllegalAccessException | InvocationTargetException e) {
        continue;
      }
      if (m.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
          extra.keySet().forEach(k -> out.add(path + ": " + k));
        }
        continue;
      }
      walk(value, path + "." + decap(m.getName().substring(3)), out, depth + 1);
    }
  }

  private static String decap(String s) {
    return s.isEmpty() ? s : Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
