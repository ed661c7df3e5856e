package io.fleetstats.edge.statsd;

import java.util.List;
import java.util.Locale;

/**
 * How statsd lines are read: tag dialects, name handling and per-line limits. Immutable.
 *
 * @param dogstatsdTags {@code FLEETSTATS_STATSD_TAGS_DOGSTATSD}: read {@code |#k:v,flag}; when off
 *     the field is skipped; default true
 * @param influxTags {@code FLEETSTATS_STATSD_TAGS_INFLUX}: read {@code name,k=v}; default true
 * @param libratoTags {@code FLEETSTATS_STATSD_TAGS_LIBRATO}: read {@code name#k=v,k2=v2} (also
 *     Micrometer's sysdig flavor); default true
 * @param signalfxTags {@code FLEETSTATS_STATSD_TAGS_SIGNALFX}: read {@code name[k=v,k2=v2]}, the
 *     brackets anywhere in the bucket; default true
 * @param keepContainerTag {@code FLEETSTATS_STATSD_KEEP_CONTAINER_TAG}: DogStatsD 1.2 {@code
 *     |c:<id>} becomes tag {@code container} (Telegraf's {@code datadog_keep_container_tag});
 *     default false
 * @param sanitizeNames {@code FLEETSTATS_STATSD_SANITIZE_NAME_METHOD}: {@code telegraf} (default),
 *     {@code upstream} or {@code none}; see {@link NameMethod}
 * @param convertNames {@code FLEETSTATS_STATSD_CONVERT_NAMES}: after templates, {@code .} becomes
 *     {@code _} and {@code -} becomes {@code __} (Telegraf's {@code convert_names}); default false
 * @param templates {@code FLEETSTATS_STATSD_TEMPLATES} and {@code
 *     FLEETSTATS_STATSD_METRIC_SEPARATOR}: Telegraf {@code templates} compiled with the separator
 *     as joiner; default none with separator {@code .}
 * @param maxLineLength {@code FLEETSTATS_STATSD_MAX_LINE_LENGTH}: characters; default 8192
 * @param maxNameLength {@code FLEETSTATS_STATSD_MAX_NAME_LENGTH}: characters of the final name;
 *     default 512
 * @param maxTags {@code FLEETSTATS_STATSD_MAX_TAGS}: tags per line after merging; default 32
 * @param maxTagLength {@code FLEETSTATS_STATSD_MAX_TAG_LENGTH}: characters of a tag key or value;
 *     default 256
 */
public record StatsdOptions(
    boolean dogstatsdTags,
    boolean influxTags,
    boolean libratoTags,
    boolean signalfxTags,
    boolean keepContainerTag,
    NameMethod sanitizeNames,
    boolean convertNames,
    NameTemplates templates,
    int maxLineLength,
    int maxNameLength,
    int maxTags,
    int maxTagLength) {

  /** Default limit on a line's length in characters. */
  public static final int DEFAULT_MAX_LINE_LENGTH = 8192;

  public static final int DEFAULT_MAX_NAME_LENGTH = 512;
  public static final int DEFAULT_MAX_TAGS = 32;
  public static final int DEFAULT_MAX_TAG_LENGTH = 256;

  /** What happens to a bucket name before templates, as Telegraf's {@code sanitize_name_method}. */
  public enum NameMethod {
    /**
     * Telegraf's default ({@code sanitize_name_method = ""}): the name ends at its first blank,
     * because Telegraf's template engine reads only the first whitespace-separated word. Keeps the
     * names a Telegraf sidecar produced.
     */
    TELEGRAF,
    /**
     * Etsy statsd's rules ({@code sanitize_name_method = "upstream"}): blanks become {@code _},
     * {@code /} becomes {@code -}, characters outside {@code a-zA-Z0-9_-.;=} are removed.
     */
    UPSTREAM,
    /** The name is kept exactly as sent (blanks too); the sink sanitises for Wavefront. */
    NONE;

    /** The config value: lower-case name. */
    public String configValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public StatsdOptions {
    if (maxLineLength < 1 || maxNameLength < 1 || maxTags < 0 || maxTagLength < 1) {
      throw new IllegalArgumentException("limits must be positive");
    }
  }

  /** Everything on, Telegraf naming, no templates, default limits. */
  public static StatsdOptions defaults() {
    return withMaxLineLength(DEFAULT_MAX_LINE_LENGTH);
  }

  /** {@link #defaults()} with another line length limit. */
  public static StatsdOptions withMaxLineLength(int maxLineLength) {
    return new StatsdOptions(
        true,
        true,
        true,
        true,
        false,
        NameMethod.TELEGRAF,
        false,
        NameTemplates.none(),
        maxLineLength,
        DEFAULT_MAX_NAME_LENGTH,
        DEFAULT_MAX_TAGS,
        DEFAULT_MAX_TAG_LENGTH);
  }

  /** A copy with other templates. */
  public StatsdOptions withTemplates(List<String> specs, String separator) {
    return new StatsdOptions(
        dogstatsdTags,
        influxTags,
        libratoTags,
        signalfxTags,
        keepContainerTag,
        sanitizeNames,
        convertNames,
        NameTemplates.compile(specs, separator),
        maxLineLength,
        maxNameLength,
        maxTags,
        maxTagLength);
  }

  /** A copy with another name method. */
  public StatsdOptions withNameMethod(NameMethod method, boolean convert) {
    return new StatsdOptions(
        dogstatsdTags,
        influxTags,
        libratoTags,
        signalfxTags,
        keepContainerTag,
        method,
        convert,
        templates,
        maxLineLength,
        maxNameLength,
        maxTags,
        maxTagLength);
  }

  /** A copy with these tag dialects on or off. */
  public StatsdOptions withTagStyles(
      boolean dogstatsd, boolean influx, boolean librato, boolean signalfx, boolean keepContainer) {
    return new StatsdOptions(
        dogstatsd,
        influx,
        librato,
        signalfx,
        keepContainer,
        sanitizeNames,
        convertNames,
        templates,
        maxLineLength,
        maxNameLength,
        maxTags,
        maxTagLength);
  }

  /** A copy with other limits. */
  public StatsdOptions withLimits(int maxLine, int maxName, int maxTagCount, int maxTag) {
    return new StatsdOptions(
        dogstatsdTags,
        influxTags,
        libratoTags,
        signalfxTags,
        keepContainerTag,
        sanitizeNames,
        convertNames,
        templates,
        maxLine,
        maxName,
        maxTagCount,
        maxTag);
  }
}
