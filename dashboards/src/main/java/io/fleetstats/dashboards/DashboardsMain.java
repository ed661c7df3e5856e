package io.fleetstats.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fleetstats-dashboards}: checks the dashboards and pushes the Wavefront ones. */
@Command(
    name = "fleetstats-dashboards",
    mixinStandardHelpOptions = true,
    version = "fleetstats-dashboards 0.1.0",
    description = "The Fleetstats dashboards: Wavefront (pushed with 'push') and Grafana.",
    subcommands = {DashboardsMain.Push.class, DashboardsMain.Lint.class})
public final class DashboardsMain implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new DashboardsMain());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof WavefrontApi.ApiException) {
            err.println("fleetstats-dashboards: " + e.getMessage());
            return 1;
          }
          if (e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException) {
            err.println("fleetstats-dashboards: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cli.execute(args);
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 2;
  }

  /** Where the dashboards come from: a folder, or those in this jar. */
  static List<DashboardFiles.Dashboard> dashboards(Path dir) {
    return dir == null ? DashboardFiles.bundledWavefront() : DashboardFiles.folder(dir);
  }

  @Command(
      name = "push",
      mixinStandardHelpOptions = true,
      description =
          "Creates or updates the Wavefront dashboards through the Wavefront API, idempotent by"
              + " dashboard url: GET /api/v2/dashboard/{url}; POST to create when absent, PUT when"
              + " it differs, nothing when equal (fields the server adds are not compared).")
  static final class Push implements Callable<Integer> {
    @Option(
        names = "--url",
        required = true,
        paramLabel = "URL",
        description = "the Wavefront cluster, e.g. https://example.wavefront.com")
    URI url;

    @Option(
        names = "--token-file",
        required = true,
        paramLabel = "FILE",
        description = "file holding an API token (sent as Authorization: Bearer)")
    Path tokenFile;

    @Option(
        names = "--dir",
        paramLabel = "DIR",
        description = "push the *.json of this folder (default: the dashboards in this jar)")
    Path dir;

    @Option(names = "--dry-run", description = "print what would change, change nothing")
    boolean dryRun;

    @Option(
        names = "--timeout",
        paramLabel = "SECONDS",
        description = "per request (default: ${DEFAULT-VALUE})")
    int timeoutSeconds = 30;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
        throw new IllegalArgumentException("--url must be http(s)://host, got '" + url + "'");
      }
      String token = token(tokenFile);
      List<DashboardFiles.Dashboard> all = dashboards(dir);
      List<String> problems = new ArrayList<>();
      all.forEach(
          d -> WavefrontLint.check(d.json()).forEach(p -> problems.add(d.file() + ": " + p)));
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "not pushing, the dashboards fail their checks:\n  " + String.join("\n  ", problems));
      }
      WavefrontApi api = new WavefrontApi(url, token, Duration.ofSeconds(timeoutSeconds));
      int created = 0;
      int updated = 0;
      int unchanged = 0;
      for (DashboardFiles.Dashboard d : all) {
        String id = d.json().path("url").asText();
        Optional<JsonNode> remote = api.get(id);
        if (remote.isEmpty()) {
          out.printf("%s %s (%s)%n", dryRun ? "would create" : "created", id, d.file());
          if (!dryRun) {
            api.create(id, d.json());
          }
          created++;
          continue;
        }
        List<String> diff = JsonDiff.diff(d.json(), remote.get());
        if (diff.isEmpty()) {
          out.printf("unchanged %s%n", id);
          unchanged++;
          continue;
        }
        out.printf(
            "%s %s (%d differences)%n", dryRun ? "would update" : "updated", id, diff.size());
        if (dryRun) {
          diff.forEach(line -> out.println("  " + line));
        } else {
          api.update(id, d.json());
        }
        updated++;
      }
      out.printf(
          "%d dashboards: %d %s, %d %s, %d unchanged%n",
          all.size(),
          created,
          dryRun ? "to create" : "created",
          updated,
          dryRun ? "to update" : "updated",
          unchanged);
      return 0;
    }

    private static String token(Path file) {
      String token;
      try {
        token = Files.readString(file, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read --token-file " + file + ": " + e.getMessage(), e);
      }
      if (token.isEmpty() || token.contains("\n")) {
        throw new IllegalArgumentException(
            "--token-file " + file + " must hold one API token on one line");
      }
      return token;
    }
  }

  @Command(
      name = "lint",
      mixinStandardHelpOptions = true,
      description =
          "Checks Wavefront dashboards with the vendor linter's rules (exit 1 on problems).")
  static final class Lint implements Callable<Integer> {
    @Option(
        names = "--dir",
        paramLabel = "DIR",
        description = "check the *.json of this folder (default: the dashboards in this jar)")
    Path dir;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      int problems = 0;
      List<DashboardFiles.Dashboard> all = dashboards(dir);
      for (DashboardFiles.Dashboard d : all) {
        for (String p : WavefrontLint.check(d.json())) {
          out.println(d.file() + ": " + p);
          problems++;
        }
      }
      out.printf("%d dashboards, %d problems%n", all.size(), problems);
      return problems == 0 ? 0 : 1;
    }
  }
}
