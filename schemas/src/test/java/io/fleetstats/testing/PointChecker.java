package io.fleetstats.testing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The end-to-end checker of the fault suite and the benchmarks: it is told what every simulated pod
 * sent (counter increments, timer values, gauge values, each with its event time) and reads the
 * Wavefront lines the receiver got, in arrival order, keeping the last value of every point (as the
 * backend does: a point written again overwrites). It then checks every (pod, metric, window) that
 * was sent to:
 *
 * <ul>
 *   <li>a counter's point equals the sum of its increments;
 *   <li>a timer's {@code .count}, {@code .sum}, {@code .lower}, {@code .upper} and {@code .mean}
 *       equal the values sent (send integers so that sums are exact);
 *   <li>a gauge's point equals the last value sent in the window;
 *   <li>no point exists for a window nothing was sent in (a value counted in the wrong window or
 *       twice shows up there or as a value too high).
 * </ul>
 *
 * <p>A point may be short of what was sent only by samples the pipeline counted as dropped (the
 * edge agent's buffer or spool full, a rejected line): per pod, the samples missing from every
 * window together must equal the drops reported with {@link #dropped}. Losses the system cannot
 * count, because the process that held the samples was killed (an edge agent's unacknowledged batch
 * at SIGKILL), are accepted only inside a time range declared with {@link #uncountedLoss} and are
 * reported apart. A value higher than sent is always wrong.
 *
 * <p>Lines are matched by metric name, timestamp (the window start in seconds) and the tags {@code
 * cluster}, {@code namespace} and {@code pod_name}; lines carrying a {@code rollup} tag, and names
 * the checker was told nothing about, are ignored. Thread-safe for recording from several senders.
 */
public final class PointChecker {
  /** A simulated pod, as its lines are tagged at the receiver. */
  public record Pod(String cluster, String namespace, String pod) {
    String id() {
      return cluster + "/" + namespace + "/" + pod;
    }
  }

  /** How the receiver's lines of a statsd metric are named and what they hold. */
  public enum Kind {
    COUNTER,
    TIMER,
    GAUGE
  }

  /** The outcome: every figure the fault table needs, and what is wrong. */
  public record Result(
      long samplesSent,
      int pointsChecked,
      long samplesShortCounted,
      long samplesDroppedCounted,
      long samplesLostUncounted,
      List<String> errors) {
    public boolean ok() {
      return errors.isEmpty();
    }

    /** One line for logs and the docs' table. */
    public String summary() {
      return "%d samples sent, %d points checked, %d samples short = %d dropped and counted,"
              .formatted(samplesSent, pointsChecked, samplesShortCounted, samplesDroppedCounted)
          + " %d lost uncounted at SIGKILL, %s"
              .formatted(
                  samplesLostUncounted,
                  ok() ? "exact" : errors.size() + " wrong, first: " + errors.get(0));
    }
  }

  private static final class Sent {
    long samples;
    double sum;
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double last;
    long lastAt = Long.MIN_VALUE;
    double increment = Double.NaN; // the one increment of a counter's samples, NaN if they differ
    boolean uniform = true;
  }

  private record Range(long fromMs, long toMs) {}

  private final long windowMs;
  private final Map<String, Kind> kinds = new HashMap<>();
  private final Map<Pod, Map<String, Map<Long, Sent>>> sent = new HashMap<>();
  private final Map<Pod, Long> dropped = new HashMap<>();
  private final Map<Pod, List<Range>> uncounted = new HashMap<>();

  /**
   * @param windowMs the stream processor's window
   */
  public PointChecker(long windowMs) {
    this.windowMs = windowMs;
  }

  /**
   * A counter increment, timer value or gauge value {@code pod} sent with event time {@code at}.
   */
  public synchronized void sent(Pod pod, String metric, Kind kind, long atMs, double value) {
    Kind before = kinds.putIfAbsent(metric, kind);
    if (before != null && before != kind) {
      throw new IllegalArgumentException(metric + " sent as " + before + " and as " + kind);
    }
    long ws = Math.floorDiv(atMs, windowMs) * windowMs;
    Sent s =
        sent.computeIfAbsent(pod, p -> new HashMap<>())
            .computeIfAbsent(metric, m -> new TreeMap<>())
            .computeIfAbsent(ws, w -> new Sent());
    s.samples++;
    s.sum += value;
    s.min = Math.min(s.min, value);
    s.max = Math.max(s.max, value);
    if (atMs >= s.lastAt) {
      s.last = value;
      s.lastAt = atMs;
    }
    if (s.samples == 1) {
      s.increment = value;
    } else if (value != s.increment) {
      s.uniform = false;
    }
  }

  /**
   * Samples of {@code pod} the pipeline reported as dropped (edge buffer or spool full, reject).
   */
  public synchronized void dropped(Pod pod, long samples) {
    dropped.merge(pod, samples, Long::sum);
  }

  /** As {@link #dropped}, but the total so far (a counter read again replaces the last reading). */
  public synchronized void droppedSoFar(Pod pod, long samples) {
    dropped.put(pod, samples);
  }

  /**
   * Samples of {@code pod} with event time in [{@code fromMs}, {@code toMs}] may be missing without
   * being counted: the process that held them was killed.
   */
  public synchronized void uncountedLoss(Pod pod, long fromMs, long toMs) {
    uncounted.computeIfAbsent(pod, p -> new ArrayList<>()).add(new Range(fromMs, toMs));
  }

  /** The samples recorded so far. */
  public synchronized long samplesSent() {
    long n = 0;
    for (Map<String, Map<Long, Sent>> byMetric : sent.values()) {
      for (Map<Long, Sent> byWindow : byMetric.values()) {
        for (Sent s : byWindow.values()) {
          n += s.samples;
        }
      }
    }
    return n;
  }

  /** Checks the receiver's lines, in the order they arrived, against what was sent. */
  public synchronized Result check(Iterable<String> receivedLines) {
    return check(receivedLines, Long.MAX_VALUE);
  }

  /**
   * As {@link #check(Iterable)}, for the windows that end at or before {@code untilMs} only (while
   * traffic goes on, the later ones are still open).
   */
  public synchronized Result check(Iterable<String> receivedLines, long untilMs) {
    // last write wins: (name, pod id, window start s) -> value
    Map<String, Double> points = new HashMap<>();
    Map<String, List<Long>> windowsSeen = new HashMap<>(); // (metric, pod) -> window starts
    for (String line : receivedLines) {
      Optional<WavefrontLine> parsed = WavefrontLine.parse(line);
      if (parsed.isEmpty() || parsed.get().tags.containsKey("rollup")) {
        continue;
      }
      WavefrontLine l = parsed.get();
      String podId =
          l.tags.get("cluster") + "/" + l.tags.get("namespace") + "/" + l.tags.get("pod_name");
      points.put(l.name + "|" + podId + "|" + l.seconds, l.value);
      String base = baseName(l.name);
      if (base != null) {
        windowsSeen.computeIfAbsent(base + "|" + podId, k -> new ArrayList<>()).add(l.seconds);
      }
    }
    List<String> errors = new ArrayList<>();
    long samplesSent = 0;
    int checked = 0;
    long shortCounted = 0;
    long lostUncounted = 0;
    for (Map.Entry<Pod, Map<String, Map<Long, Sent>>> byPod : sent.entrySet()) {
      Pod pod = byPod.getKey();
      long podShort = 0;
      for (Map.Entry<String, Map<Long, Sent>> byMetric : byPod.getValue().entrySet()) {
        String metric = byMetric.getKey();
        Kind kind = kinds.get(metric);
        for (Map.Entry<Long, Sent> w : byMetric.getValue().entrySet()) {
          long ws = w.getKey();
          if (ws > untilMs - windowMs) {
            continue;
          }
          Sent s = w.getValue();
          samplesSent += s.samples;
          checked++;
          String where = "%s %s window %d".formatted(pod.id(), metric, ws / 1000);
          long missing = missing(kind, metric, pod, ws, s, points, where, errors);
          if (missing > 0) {
            if (inUncounted(pod, ws)) {
              lostUncounted += missing;
            } else {
              podShort += missing;
            }
          }
        }
        List<Long> seen = windowsSeen.getOrDefault(metric + "|" + pod.id(), List.of());
        for (long sec : seen) {
          if (sec * 1000 <= untilMs - windowMs && !byMetric.getValue().containsKey(sec * 1000)) {
            errors.add(
                "%s %s window %d: a point, but nothing was sent in that window"
                    .formatted(pod.id(), metric, sec));
          }
        }
      }
      long drops = dropped.getOrDefault(pod, 0L);
      if (podShort != drops) {
        errors.add(
            "%s: %d samples short in the windows, %d dropped and counted"
                .formatted(pod.id(), podShort, drops));
      }
      shortCounted += podShort;
    }
    for (Pod pod : dropped.keySet()) {
      if (!sent.containsKey(pod) && dropped.get(pod) > 0) {
        errors.add(pod.id() + ": drops counted but nothing sent");
      }
    }
    long droppedTotal = dropped.values().stream().mapToLong(Long::longValue).sum();
    return new Result(
        samplesSent, checked, shortCounted, droppedTotal, lostUncounted, List.copyOf(errors));
  }

  /** The samples missing from one window, or 0; anything not explained by a shortfall is wrong. */
  private long missing(
      Kind kind,
      String metric,
      Pod pod,
      long ws,
      Sent s,
      Map<String, Double> points,
      String where,
      List<String> errors) {
    String key = "|" + pod.id() + "|" + ws / 1000;
    switch (kind) {
      case COUNTER -> {
        Double v = points.get(metric + key);
        if (v == null) {
          return s.samples;
        }
        if (v == s.sum) {
          return 0;
        }
        if (v > s.sum || !s.uniform || s.increment <= 0 || v % s.increment != 0) {
          errors.add("%s: %s, sent %s".formatted(where, v, s.sum));
          return 0;
        }
        return s.samples - (long) (v / s.increment);
      }
      case GAUGE -> {
        Double v = points.get(metric + key);
        if (v == null) {
          return s.samples;
        }
        if (v != s.last) {
          errors.add("%s: %s, last sent %s".formatted(where, v, s.last));
        }
        return 0;
      }
      case TIMER -> {
        Double count = points.get(metric + ".count" + key);
        if (count == null) {
          return s.samples;
        }
        Double sum = points.get(metric + ".sum" + key);
        Double lower = points.get(metric + ".lower" + key);
        Double upper = points.get(metric + ".upper" + key);
        Double mean = points.get(metric + ".mean" + key);
        if (sum == null || lower == null || upper == null || mean == null) {
          errors.add(where + ": count without sum, lower, upper or mean");
          return 0;
        }
        if (count > s.samples || count != Math.rint(count)) {
          errors.add("%s: count %s, sent %d".formatted(where, count, s.samples));
          return 0;
        }
        if (count == s.samples) {
          if (sum != s.sum || lower != s.min || upper != s.max || !close(mean, s.sum / s.samples)) {
            errors.add(
                "%s: count %s sum %s lower %s upper %s mean %s, sent sum %s min %s max %s"
                    .formatted(where, count, sum, lower, upper, mean, s.sum, s.min, s.max));
          }
          return 0;
        }
        // fewer samples: what arrived must fit inside what was sent
        if (lower < s.min || upper > s.max || (s.min >= 0 && sum > s.sum)) {
          errors.add(
              "%s: %s samples of %d but lower %s upper %s sum %s outside what was sent"
                  .formatted(where, count, s.samples, lower, upper, sum));
        }
        return s.samples - count.longValue();
      }
      default -> throw new IllegalStateException(kind.name());
    }
  }

  private static boolean close(double a, double b) {
    return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  }

  private boolean inUncounted(Pod pod, long ws) {
    for (Range r : uncounted.getOrDefault(pod, List.of())) {
      if (ws + windowMs > r.fromMs && ws <= r.toMs) {
        return true;
      }
    }
    return false;
  }

  /** The statsd metric a received line belongs to, if the checker knows it. */
  private String baseName(String name) {
    Kind k = kinds.get(name);
    if (k == Kind.COUNTER || k == Kind.GAUGE) {
      return name;
    }
    if (name.endsWith(".count")) {
      String base = name.substring(0, name.length() - ".count".length());
      if (kinds.get(base) == Kind.TIMER) {
        return base;
      }
    }
    return null;
  }

  /** One Wavefront data line: {@code "name" value seconds source="s" "k"="v" ...}. */
  static final class WavefrontLine {
    final String name;
    final double value;
    final long seconds;
    final Map<String, String> tags = new HashMap<>();

    private WavefrontLine(String name, double value, long seconds) {
      this.name = name;
      this.value = value;
      this.seconds = seconds;
    }

    /** The line, or empty if it is not a plain point with a timestamp (e.g. a histogram). */
    static Optional<WavefrontLine> parse(String line) {
      List<String> tokens = tokens(line.strip());
      if (tokens.size() < 3 || line.startsWith("!")) {
        return Optional.empty();
      }
      try {
        WavefrontLine l =
            new WavefrontLine(
                unquote(tokens.get(0)),
                Double.parseDouble(tokens.get(1)),
                Long.parseLong(tokens.get(2)));
        for (String t : tokens.subList(3, tokens.size())) {
          int eq = keyEnd(t);
          if (eq > 0) {
            l.tags.put(unquote(t.substring(0, eq)), unquote(t.substring(eq + 1)));
          }
        }
        return Optional.of(l);
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }

    /** Blank-separated tokens; blanks inside double quotes are kept. */
    private static List<String> tokens(String line) {
      List<String> out = new ArrayList<>();
      StringBuilder cur = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (c == '\\' && quoted && i + 1 < line.length()) {
          cur.append(c).append(line.charAt(++i));
        } else if (c == '"') {
          quoted = !quoted;
          cur.append(c);
        } else if (c == ' ' && !quoted) {
          if (!cur.isEmpty()) {
            out.add(cur.toString());
            cur.setLength(0);
          }
        } else {
          cur.append(c);
        }
      }
      if (!cur.isEmpty()) {
        out.add(cur.toString());
      }
      return out;
    }

    private static int keyEnd(String token) {
      boolean quoted = false;
      for (int i = 0; i < token.length(); i++) {
        char c = token.charAt(i);
        if (c == '"') {
          quoted = !quoted;
        } else if (c == '=' && !quoted) {
          return i;
        }
      }
      return -1;
    }

    private static String unquote(String s) {
      if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
        return s.substring(1, s.length() - 1).replace("\\\"", "\"");
      }
      return s;
    }
  }
}
