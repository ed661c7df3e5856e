package io.fleetstats.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The dashboards this module ships, or those of a folder. */
public final class DashboardFiles {
  /** The Wavefront dashboards in the jar ({@code dashboards/wavefront/<name>.json}). */
  public static final List<String> WAVEFRONT =
      List.of("applications", "mysql", "kubernetes", "platform");

  /** The Grafana dashboards in the jar ({@code dashboards/grafana/<name>.json}). */
  public static final List<String> GRAFANA = WAVEFRONT;

  static final ObjectMapper JSON = new ObjectMapper();

  private DashboardFiles() {}

  /** A dashboard file and its parsed JSON. */
  public record Dashboard(String file, JsonNode json) {}

  /** The Wavefront dashboards bundled in the jar. */
  public static List<Dashboard> bundledWavefront() {
    List<Dashboard> out = new ArrayList<>();
    for (String name : WAVEFRONT) {
      String resource = "/dashboards/wavefront/" + name + ".json";
      try (InputStream in = DashboardFiles.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing resource " + resource);
        }
        out.add(new Dashboard(resource, JSON.readTree(in)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + resource + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** Every {@code *.json} of {@code dir}, by file name. */
  public static List<Dashboard> folder(Path dir) {
    List<Dashboard> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        out.add(new Dashboard(file.toString(), read(file)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    return out;
  }

  /** Parses one file; a syntax error names the file, line and column. */
  public static JsonNode read(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          file + " is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
  }
}
