package io.fleetstats.edge.k8s;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The pods part of a Kubernetes API server on loopback: {@code GET /api/v1/pods} answers a {@code
 * PodList} (JSON in the API's shape) and, with {@code watch=true}, a stream of watch events, one
 * JSON object per line, that the test pushes with {@link #event}.
 */
final class LoopbackApiServer implements AutoCloseable {
  private final HttpServer server;
  private volatile List<String> pods;
  private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
  final CopyOnWriteArrayList<String> queries = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  LoopbackApiServer(List<String> pods) throws IOException {
    this.pods = pods;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    server.createContext("/api/v1/pods", this::handle);
    server.start();
  }

  /** A pod object as the API server writes it (the fields the index reads, and a few more). */
  static String pod(String namespace, String name, String uid, String ip, String node) {
    return """
        {"kind":"Pod","apiVersion":"v1","metadata":{"name":"%s","namespace":"%s","uid":"%s",\
        "resourceVersion":"%d","labels":{"app":"%s"}},"spec":{"nodeName":"%s",\
        "containers":[{"name":"app","image":"fitcycle/app:1"}]},"status":{"phase":"Running",\
        "hostIP":"10.0.0.5","podIP":"%s","podIPs":[{"ip":"%s"}]}}"""
        .formatted(
            name,
            namespace,
            uid,
            Math.abs(uid.hashCode()),
            name.replaceAll("-[^-]+$", ""),
            node,
            ip,
            ip);
  }

  /**
   * A running pod whose containers have started: {@code status.containerStatuses[].containerID} as
   * {@code containerd://<id>}; {@code ip} null for a pod on the host's network.
   */
  static String podWithContainers(
      String namespace, String name, String uid, String ip, String node, String... containerIds) {
    StringBuilder statuses = new StringBuilder();
    for (int i = 0; i < containerIds.length; i++) {
      if (i > 0) {
        statuses.append(',');
      }
      statuses.append(
          """
          {"name":"c%d","state":{"running":{"startedAt":"2026-12-06T08:00:00Z"}},"ready":true,\
          "restartCount":0,"image":"fitcycle/app:1","containerID":"containerd://%s","started":true}\
          """
              .formatted(i, containerIds[i]));
    }
    String network =
        ip == null
            ? "\"hostIP\":\"10.0.0.5\",\"podIP\":\"10.0.0.5\",\"podIPs\":[{\"ip\":\"10.0.0.5\"}]"
            : "\"hostIP\":\"10.0.0.5\",\"podIP\":\"%s\",\"podIPs\":[{\"ip\":\"%s\"}]"
                .formatted(ip, ip);
    return """
        {"kind":"Pod","apiVersion":"v1","metadata":{"name":"%s","namespace":"%s","uid":"%s",\
        "resourceVersion":"%d","labels":{"app":"%s"}},"spec":{"nodeName":"%s","hostNetwork":%s,\
        "containers":[{"name":"c0","image":"fitcycle/app:1"}]},"status":{"phase":"Running",\
        %s,"containerStatuses":[%s]}}"""
        .formatted(
            name,
            namespace,
            uid,
            Math.abs(uid.hashCode()),
            name.replaceAll("-[^-]+$", ""),
            node,
            ip == null,
            network,
            statuses);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  void event(String type, String object) {
    events.add("{\"type\":\"" + type + "\",\"object\":" + object + "}");
  }

  private void handle(HttpExchange ex) throws IOException {
    String query = ex.getRequestURI().getRawQuery();
    queries.add(query == null ? "" : query);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    if (query != null && query.contains("watch=true")) {
      ex.sendResponseHeaders(200, 0); // chunked, open until closed
      try (OutputStream out = ex.getResponseBody()) {
        while (!closed) {
          String e = events.poll(100, TimeUnit.MILLISECONDS);
          if (e != null) {
            out.write((e + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IOException clientGone) {
        // the agent closed the watch
      }
      return;
    }
    byte[] body =
        ("{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"100\"},"
                + "\"items\":["
                + String.join(",", pods)
                + "]}")
            .getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(200, body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    closed = true;
    server.stop(0);
  }
}
