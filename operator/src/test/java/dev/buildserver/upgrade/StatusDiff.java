package dev.buildserver.upgrade;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What happened to the status of resources that had nothing left to do while one release handed
 * over to the other: fields gone (pruned by the API server under the other CRD, or dropped by the
 * other operator), fields added, and fields rewritten with another value. Counted per field path,
 * list positions folded ({@code status.checks[*].name}; conditions by type). Pure.
 */
final class StatusDiff {

  /** Field paths volatile by design, left out: every write moves them. */
  private static final List<String> VOLATILE =
      List.of("].lastTransitionTime", ".lastSyncTime", ".observedGeneration");

  private final Map<String, Integer> gone = new TreeMap<>();
  private final Map<String, Integer> added = new TreeMap<>();
  private final Map<String, Integer> rewritten = new TreeMap<>();
  private final Map<String, String> examples = new TreeMap<>();
  private int resourcesChanged;

  /** Adds one resource's status before and after. */
  void add(String id, Map<String, Object> before, Map<String, Object> after) {
    Map<String, Object> a = new TreeMap<>();
    Map<String, Object> b = new TreeMap<>();
    flatten("status", before, a);
    flatten("status", after, b);
    boolean changed = false;
    for (var e : a.entrySet()) {
      String path = fold(e.getKey());
      if (VOLATILE.stream().anyMatch(path::endsWith)) {
        continue;
      }
      if (!b.containsKey(e.getKey())) {
        gone.merge(path, 1, Integer::sum);
        examples.putIfAbsent("gone " + path, id);
        changed = true;
      } else if (!Objects.equals(e.getValue(), b.get(e.getKey()))) {
        rewritten.merge(path, 1, Integer::sum);
        examples.putIfAbsent(
            "rewritten " + path, id + ": " + cut(e.getValue()) + " -> " + cut(b.get(e.getKey())));
        changed = true;
      }
    }
    for (String key : b.keySet()) {
      String path = fold(key);
      if (!a.containsKey(key) && VOLATILE.stream().noneMatch(path::endsWith)) {
        added.merge(path, 1, Integer::sum);
        examples.putIfAbsent("added " + path, id + ": " + cut(b.get(key)));
        changed = true;
      }
    }
    if (changed) {
      resourcesChanged++;
    }
  }

  Map<String, Integer> gone() {
    return gone;
  }

  Map<String, Integer> added() {
    return added;
  }

  Map<String, Integer> rewritten() {
    return rewritten;
  }

  /** One example per change: "gone|added|rewritten path" → the resource (and the values). */
  Map<String, String> examples() {
    return examples;
  }

  int resourcesChanged() {
    return resourcesChanged;
  }

  @SuppressWarnings("unchecked")
  private static void flatten(String path, Object value, Map<String, Object> out) {
    if (value instanceof Map<?, ?> map) {
      map.forEach((k, v) -> flatten(path + "." + k, v, out));
    } else if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        Object item = list.get(i);
        String index =
            path.endsWith(".conditions") && item instanceof Map<?, ?> m && m.get("type") != null
                ? String.valueOf(((Map<String, Object>) m).get("type"))
                : Integer.toString(i);
        flatten(path + "[" + index + "]", item, out);
      }
    } else if (value != null) {
      out.put(path, value);
    }
  }

  /** status.checks[3].name → status.checks[*].name; condition types stay. */
  private static String fold(String path) {
    return path.replaceAll("\\[\\d+]", "[*]");
  }

  private static String cut(Object value) {
    String text = String.valueOf(value);
    return text.length() > 80 ? text.substring(0, 77) + "..." : text;
  }
}
