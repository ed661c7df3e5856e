package io.fleetstats.dashboards;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * The three calls of the Wavefront REST API that {@code push} needs: {@code GET
 * /api/v2/dashboard/{url}}, {@code POST /api/v2/dashboard}, {@code PUT /api/v2/dashboard/{url}},
 * each with {@code Authorization: Bearer <token>}. The token is never part of a message.
 */
public final class WavefrontApi {
  /** A refusal or failure of the API, with a message fit for the operator. */
  public static final class ApiException extends RuntimeException {
    private final int status;

    ApiException(int status, String message) {
      super(message);
      this.status = status;
    }

    /** The HTTP status, or 0 when there was no answer. */
    public int status() {
      return status;
    }
  }

  private final URI base;
  private final String token;
  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param base the Wavefront cluster, e.g. {@code https://example.wavefront.com}
   * @param token an API token
   */
  public WavefrontApi(URI base, String token, Duration timeout) {
    this.base = URI.create(base.toString().replaceAll("/+$", "") + "/");
    this.token = token;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** The dashboard the server holds under {@code url} ({@code .response}), or empty on 404. */
  public Optional<JsonNode> get(String url) {
    HttpResponse<String> r = send(request("api/v2/dashboard/" + encode(url)).GET(), "GET", url);
    if (r.statusCode() == 404) {
      return Optional.empty();
    }
    expect2xx(r, "GET", url);
    return Optional.of(parse(r.body(), url).path("response"));
  }

  /** Creates a dashboard. */
  public void create(String url, JsonNode dashboard) {
    HttpResponse<String> r = send(request("api/v2/dashboard").POST(body(dashboard)), "POST", url);
    expect2xx(r, "POST", url);
  }

  /** Replaces the dashboard under {@code url}. */
  public void update(String url, JsonNode dashboard) {
    HttpResponse<String> r =
        send(request("api/v2/dashboard/" + encode(url)).PUT(body(dashboard)), "PUT", url);
    expect2xx(r, "PUT", url);
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(base.resolve(path))
        .timeout(timeout)
        .header("Authorization", "Bearer " + token)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json");
  }

  private static HttpRequest.BodyPublisher body(JsonNode dashboard) {
    return HttpRequest.BodyPublishers.ofString(dashboard.toString(), StandardCharsets.UTF_8);
  }

  private HttpResponse<String> send(HttpRequest.Builder request, String method, String url) {
    try {
      return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new ApiException(
          0, method + " dashboard " + url + ": no answer from " + base + " (" + e + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(0, method + " dashboard " + url + ": interrupted");
    }
  }

  private void expect2xx(HttpResponse<String> r, String method, String url) {
    int status = r.statusCode();
    if (status / 100 == 2) {
      return;
    }
    String hint =
        switch (status) {
          case 401 ->
              "the API refused the token: check --token-file (an API token of a user or service account)";
          case 403 -> "the token may not change dashboards: it needs the Dashboards permission";
          default -> "answer: " + excerpt(r.body());
        };
    throw new ApiException(
        status,
        method + " dashboard " + url + " at " + base + " failed with HTTP " + status + ": " + hint);
  }

  private String excerpt(String body) {
    String text = body == null ? "" : body.replace(token, "***").strip();
    return text.length() > 200 ? text.substring(0, 200) + "..." : text;
  }

  private static JsonNode parse(String body, String url) {
    try {
      return DashboardFiles.JSON.readTree(body);
    } catch (IOException e) {
      throw new ApiException(200, "GET dashboard " + url + ": the answer is not JSON");
    }
  }

  private static String encode(String url) {
    return URLEncoder.encode(url, StandardCharsets.UTF_8);
  }
}
