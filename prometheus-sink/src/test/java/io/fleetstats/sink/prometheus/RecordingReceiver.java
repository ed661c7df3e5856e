package io.fleetstats.sink.prometheus;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fleetstats.sink.prometheus.remote.WriteRequests;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.Label;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.Sample;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.TimeSeries;
import io.fleetstats.sink.prometheus.remote.proto.RemoteWrite.WriteRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * A remote-write receiver on loopback that decodes every request (snappy, then {@code
 * WriteRequest}), keeps the samples of the requests it accepts, and answers as the test scripts it.
 */
final class RecordingReceiver implements AutoCloseable {
  /** What the receiver answers. */
  record Answer(int status, Map<String, String> headers, String body) {
    static Answer accept() {
      return new Answer(204, Map.of(), "");
    }

    static Answer of(int status, String body) {
      return new Answer(status, Map.of(), body);
    }
  }

  /** One request as received. */
  record Request(Map<String, List<String>> headers, WriteRequest body, int answered) {
    String header(String name) {
      return headers.entrySet().stream()
          .filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0))
          .findFirst()
          .orElse(null);
    }
  }

  private final HttpServer server;
  private volatile Function<WriteRequest, Answer> script = r -> Answer.accept();
  private final List<Request> requests = new CopyOnWriteArrayList<>();
  private final List<String> accepted = new CopyOnWriteArrayList<>();

  private RecordingReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/api/v1/write", this::handle);
    server.start();
  }

  static RecordingReceiver start() throws IOException {
    return new RecordingReceiver();
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/api/v1/write");
  }

  void script(Function<WriteRequest, Answer> answers) {
    this.script = answers;
  }

  private void handle(HttpExchange exchange) throws IOException {
    byte[] raw;
    try (InputStream in = exchange.getRequestBody()) {
      raw = in.readAllBytes();
    }
    WriteRequest request;
    Answer answer;
    try {
      request = WriteRequests.decode(raw);
      answer = script.apply(request);
    } catch (IOException e) {
      request = WriteRequest.getDefaultInstance();
      answer = Answer.of(400, "cannot decode: " + e);
    }
    requests.add(new Request(Map.copyOf(exchange.getRequestHeaders()), request, answer.status()));
    if (answer.status() / 100 == 2) {
      accepted.addAll(samples(request));
    }
    answer.headers().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
    byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
    exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  /** Every sample of a request as {@code name{labels} value timestamp}, labels in their order. */
  static List<String> samples(WriteRequest request) {
    List<String> out = new ArrayList<>();
    for (TimeSeries ts : request.getTimeseriesList()) {
      String name =
          ts.getLabelsList().stream()
              .filter(l -> l.getName().equals("__name__"))
              .map(Label::getValue)
              .findFirst()
              .orElse("?");
      String labels =
          ts.getLabelsList().stream()
              .filter(l -> !l.getName().equals("__name__"))
              .map(l -> l.getName() + "=\"" + l.getValue() + "\"")
              .collect(Collectors.joining(",", "{", "}"));
      for (Sample s : ts.getSamplesList()) {
        out.add(name + labels + " " + s.getValue() + " " + s.getTimestamp());
      }
    }
    return out;
  }

  /** Whether a request holds a series of this metric name. */
  static boolean holds(WriteRequest request, String metricName) {
    return request.getTimeseriesList().stream()
        .flatMap(ts -> ts.getLabelsList().stream())
        .anyMatch(l -> l.getName().equals("__name__") && l.getValue().equals(metricName));
  }

  List<Request> requests() {
    return requests;
  }

  /** Samples of accepted requests, in arrival order. */
  List<String> accepted() {
    return accepted;
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
