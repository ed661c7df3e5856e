package io.fleetstats.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live view in a real browser: {@code fleetstats-local --demo --ui-port N} runs, headless
 * Chromium (Debian's {@code chromium}) loads the page while the demo plays, and the page must show
 * the demo's timer with one line per pod and the roll-up, drawn (the chart reports how many points
 * it drew), plus the platform panel. The screenshot stays in {@code target/live-view.png}.
 */
class LiveViewIT {
  static final String METRIC = "fitcycle-api-server.prospectPullTime";

  @TempDir Path tmp;

  static Path chromium() {
    for (String candidate : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
      if (Files.isExecutable(Path.of(candidate))) {
        return Path.of(candidate);
      }
    }
    return null;
  }

  @Test
  void chromiumShowsTheDemoTimerPerPodAndRolledUpWithThePlatformPanel() throws Exception {
    Path chromium = chromium();
    Assumptions.assumeTrue(
        chromium != null, "chromium is not installed (apt-get install chromium): skipped");
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CompletableFuture<Integer> run =
        CompletableFuture.supplyAsync(
            () ->
                LocalStackMain.run(
                    new String[] {
                      "--demo",
                      "--duration",
                      "100s",
                      "--statsd-port",
                      "0",
                      "--window",
                      "2s",
                      "--grace",
                      "1s",
                      "--quiet",
                      "--ui-port",
                      String.valueOf(port)
                    },
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
    try {
      await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> out.toString(StandardCharsets.UTF_8).contains("ready in"));
      Matcher ready =
          Pattern.compile("live view (http://127\\.0\\.0\\.1:(\\d+)/)")
              .matcher(out.toString(StandardCharsets.UTF_8));
      assertThat(ready.find()).as(out.toString(StandardCharsets.UTF_8)).isTrue();
      String url = ready.group(1);
      assertThat(Integer.parseInt(ready.group(2))).isEqualTo(port);

      // a few windows for every pod and the roll-up before the browser looks
      HttpClient http = HttpClient.newHttpClient();
      ObjectMapper json = new ObjectMapper();
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofSeconds(1))
          .until(
              () -> {
                JsonNode s =
                    json.readTree(
                        http.send(
                                HttpRequest.newBuilder(
                                        URI.create(
                                            url + "api/series?metric=" + METRIC + "&field=median"))
                                    .build(),
                                HttpResponse.BodyHandlers.ofString())
                            .body());
                int full = 0;
                for (JsonNode series : s.path("series")) {
                  int points = 0;
                  for (JsonNode v : series.path("values")) {
                    points += v.isNull() ? 0 : 1;
                  }
                  full += points >= 3 ? 1 : 0;
                }
                return full >= 4;
              });
      String page = url + "?metric=" + METRIC + "&field=median";
      String dom = chromium(chromium, "--dump-dom", page);
      assertThat(dom).contains("data-metric=\"" + METRIC + "\"");
      Matcher series =
          Pattern.compile("id=\"chart\"[^>]*data-series=\"(\\d+)\"[^>]*data-points=\"(\\d+)\"")
              .matcher(dom);
      assertThat(series.find()).as(dom).isTrue();
      // api-server-0..2 and the roll-up (rollup=app) of the cluster
      assertThat(Integer.parseInt(series.group(1))).isGreaterThanOrEqualTo(4);
      assertThat(Integer.parseInt(series.group(2))).isGreaterThanOrEqualTo(12);
      assertThat(dom)
          .contains("api-server-0", "api-server-1", "api-server-2", "roll-up app (local)");
      assertThat(dom).contains("<canvas");
      assertThat(dom).contains("samples received /s", "lines sent /s", "sink Kafka lag");
      Matcher rates = Pattern.compile("id=\"rates\" data-points=\"(\\d+)\"").matcher(dom);
      assertThat(rates.find()).isTrue();
      assertThat(Integer.parseInt(rates.group(1))).isPositive();

      Path shot = Path.of("target", "live-view.png").toAbsolutePath();
      Files.deleteIfExists(shot);
      chromium(chromium, "--screenshot=" + shot, "--window-size=1400,1100", page);
      assertThat(shot).exists();
      BufferedImage image = ImageIO.read(shot.toFile());
      Set<Integer> colours = new HashSet<>();
      for (int y = 0; y < image.getHeight(); y += 3) {
        for (int x = 0; x < image.getWidth(); x += 3) {
          colours.add(image.getRGB(x, y));
        }
      }
      // lines in several colours, text, axes: far from a blank page
      assertThat(colours.size()).isGreaterThan(50);
    } finally {
      // the command stops itself after --duration
      assertThat(run.get(150, TimeUnit.SECONDS)).isZero();
    }
  }

  private String chromium(Path chromium, String... args) throws Exception {
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                chromium.toString(),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                // let the page's fetches and timers run before the DOM or the picture is taken
                "--virtual-time-budget=8000",
                "--user-data-dir=" + Files.createTempDirectory(tmp, "chromium")));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command).redirectError(tmp.resolve("chromium.err").toFile()).start();
    byte[] stdout = p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(tmp.resolve("chromium.err"))).isZero();
    return new String(stdout, StandardCharsets.UTF_8);
  }
}
