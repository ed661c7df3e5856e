package io.fleetstats.sink.format;

import com.wavefront.api.agent.ValidationConfiguration;
import com.wavefront.data.Validation;
import com.wavefront.ingester.HistogramDecoder;
import com.wavefront.ingester.ReportPointDecoder;
import com.wavefront.ingester.ReportPointDecoderWrapper;
import com.wavefront.ingester.ReportableEntityDecoder;
import java.util.ArrayList;
import java.util.List;
import wavefront.report.ReportPoint;

/**
 * Parses and validates Wavefront lines exactly as the Wavefront proxy 13.x does, with its own code
 * ({@code com.wavefront:java-lib:2023-08.2}: the decoders {@code PushAgent} builds, then {@code
 * Validation.validatePoint}) under the backend's default limits (research/wavefront.md §5).
 * Published in this module's test-jar so other modules' tests can check the lines they see:
 *
 * <pre>{@code
 * <dependency>
 *   <groupId>io.fleetstats</groupId><artifactId>fleetstats-wavefront-sink</artifactId>
 *   <type>test-jar</type><scope>test</scope>
 * </dependency>
 * <dependency><groupId>com.wavefront</groupId><artifactId>java-lib</artifactId><scope>test</scope></dependency>
 *
 * ReportPoint p = ProxyParser.parseAndValidate(line);   // throws IllegalArgumentException if the proxy would block it
 * ProxyParser.rejection(line);                          // Optional message, empty if accepted
 * }</pre>
 *
 * Needs the JVM property {@code org.apache.avro.SERIALIZABLE_PACKAGES} to include {@code
 * wavefront.report} (the parent pom sets it for Surefire and Failsafe).
 *
 * <p>Like the proxy's HTTP listener, a line break inside {@code line} makes it two lines, so such
 * input is rejected. Not reproduced (proxy features outside java-lib): appending {@code
 * source=<client host>} to lines without a source, the timestamp range filter (WF-402) and user
 * preprocessor rules.
 */
@SuppressWarnings("deprecation") // the deprecated decoders are exactly what PushAgent instantiates
public final class ProxyParser {
  private static final ReportableEntityDecoder<String, ReportPoint> POINTS =
      new ReportPointDecoder(() -> "unknown", List.of("fqdn"));
  private static final ReportableEntityDecoder<String, ReportPoint> HISTOGRAMS =
      new ReportPointDecoderWrapper(new HistogramDecoder("unknown"));

  /** The backend's "Default Customer-Specific Limits", which the proxy adopts at check-in. */
  public static final ValidationConfiguration BACKEND_LIMITS =
      new ValidationConfiguration()
          .setMetricLengthLimit(256)
          .setHistogramLengthLimit(256)
          .setHostLengthLimit(128)
          .setAnnotationsCountLimit(20)
          .setAnnotationsKeyLengthLimit(64)
          .setAnnotationsValueLengthLimit(255);

  private ProxyParser() {}

  /**
   * Parses one line (metric or {@code !M/!H/!D} distribution, detected as the proxy's port 2878
   * does without {@code f=}) and validates it.
   *
   * @throws IllegalArgumentException ({@code ParseException} or {@code DataValidationException})
   *     with the proxy's message if the proxy would block the line
   */
  public static synchronized ReportPoint parseAndValidate(String line) {
    // The listener splits an HTTP body on '\n' before any line reaches the decoder.
    if (line.indexOf('\n') >= 0) {
      throw new IllegalArgumentException(
          "contains a line break: the proxy splits the body there and sees two broken lines");
    }
    boolean histogram = line.startsWith("!M ") || line.startsWith("!H ") || line.startsWith("!D ");
    List<ReportPoint> out = new ArrayList<>(1);
    (histogram ? HISTOGRAMS : POINTS).decode(line, out, "dummy");
    if (out.isEmpty()) {
      throw new IllegalArgumentException("the proxy's decoder produced no point for: " + line);
    }
    Validation.validatePoint(out.get(0), BACKEND_LIMITS);
    return out.get(0);
  }

  /** The proxy's reason to block {@code line}, or empty if it would accept it. */
  public static java.util.Optional<String> rejection(String line) {
    try {
      parseAndValidate(line);
      return java.util.Optional.empty();
    } catch (IllegalArgumentException e) {
      return java.util.Optional.of(String.valueOf(e.getMessage()));
    }
  }
}
