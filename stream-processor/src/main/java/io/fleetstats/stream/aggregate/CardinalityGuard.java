package io.fleetstats.stream.aggregate;

import java.util.HashMap;
import java.util.Map;

/**
 * Limits on live series (series with a window that is open, or emitted and still kept for
 * corrections) per source and per metric name, counted per window. A new series beyond a limit is
 * folded into an overflow series instead of being kept:
 *
 * <ul>
 *   <li>over the per-name limit: the same name with only the tag {@code overflow=true} (its own
 *       tags dropped), so sums and merged sketches of that metric stay right;
 *   <li>over the per-source limit (or when the name's overflow series itself would pass it):
 *       {@value #OVERFLOW_NAME} with tag {@code overflow=true}, one per metric type.
 * </ul>
 *
 * The per-source overflow series are exempt, so a source holds at most its limit plus one series
 * per metric type. Counts are per stream task (partition): a name spread over partitions may reach
 * the name limit in each. Pure: the caller persists nothing, it rebuilds counts with {@link
 * #restore} from its store after a restart.
 */
public final class CardinalityGuard {
  public static final String OVERFLOW_NAME = "fleetstats.overflow";
  public static final String OVERFLOW_TAG = "overflow";

  /** What to do with a new series. */
  public enum Verdict {
    /** Keep it as it is. */
    KEEP,
    /** Fold it into {@code <name>{overflow=true}}. */
    NAME_OVERFLOW,
    /** Fold it into {@value #OVERFLOW_NAME}. */
    SOURCE_OVERFLOW
  }

  private final int maxPerSource;
  private final int maxPerName;
  private final Map<Long, Map<String, Integer>> perSource = new HashMap<>();
  private final Map<Long, Map<String, Integer>> perName = new HashMap<>();

  /** Limits; 0 means unlimited. */
  public CardinalityGuard(int maxPerSource, int maxPerName) {
    this.maxPerSource = maxPerSource;
    this.maxPerName = maxPerName;
  }

  public boolean enabled() {
    return maxPerSource > 0 || maxPerName > 0;
  }

  /** Decides for a series not yet live in {@code window}, and counts it when kept. */
  public Verdict admit(long window, String sourceId, String name) {
    if (maxPerName > 0 && get(perName, window, name) >= maxPerName) {
      return Verdict.NAME_OVERFLOW; // its overflow series is checked by admitNameOverflow
    }
    if (maxPerSource > 0 && get(perSource, window, sourceId) >= maxPerSource) {
      return Verdict.SOURCE_OVERFLOW;
    }
    inc(perSource, window, sourceId);
    inc(perName, window, name);
    return Verdict.KEEP;
  }

  /**
   * A name-overflow series is about to be created in {@code window}: true when the source has room
   * (and counts it), false when it must go to the source overflow series instead.
   */
  public boolean admitNameOverflow(long window, String sourceId) {
    if (maxPerSource > 0 && get(perSource, window, sourceId) >= maxPerSource) {
      return false;
    }
    inc(perSource, window, sourceId);
    return true;
  }

  /** Counts a series found in the store after a restart. */
  public void restore(long window, String sourceId, String name, boolean nameOverflow) {
    if (name.equals(OVERFLOW_NAME)) {
      return;
    }
    inc(perSource, window, sourceId);
    if (!nameOverflow) {
      inc(perName, window, name);
    }
  }

  /** The window is no longer kept: its series are no longer live. */
  public void forget(long window) {
    perSource.remove(window);
    perName.remove(window);
  }

  /** Live series of {@code sourceId} in {@code window}, for tests and metrics. */
  public int liveSeries(long window, String sourceId) {
    return get(perSource, window, sourceId);
  }

  private static int get(Map<Long, Map<String, Integer>> m, long window, String k) {
    Map<String, Integer> w = m.get(window);
    return w == null ? 0 : w.getOrDefault(k, 0);
  }

  private static void inc(Map<Long, Map<String, Integer>> m, long window, String k) {
    m.computeIfAbsent(window, w -> new HashMap<>()).merge(k, 1, Integer::sum);
  }
}
