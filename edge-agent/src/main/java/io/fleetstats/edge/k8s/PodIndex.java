package io.fleetstats.edge.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pods of this node by IP, by uid and by container id, kept current by a list and a watch on
 * the API server ({@code GET /api/v1/pods?fieldSelector=spec.nodeName=<node>}, then {@code
 * watch=true} from the list's resource version), so a node agent can tell which pod sent a statsd
 * packet. Pods on the host's network share the node's IP and are left out (their packets cannot be
 * told apart). A pod replaced by another with the same IP re-maps at the watch event; {@link
 * #version()} changes with every change so callers can drop what they cached.
 *
 * <p>Why not the fabric8 client: it brings an HTTP stack and the whole API model (tens of MiB of
 * classes) into an agent that needs two GETs and one JSON stream; the JDK's {@code HttpClient} and
 * Jackson (already here) do it.
 */
public final class PodIndex implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PodIndex.class);

  /** A pod as statsd sources need it. */
  public record Pod(String namespace, String name, String uid, String app) {}

  /**
   * @param apiServer e.g. {@code https://10.96.0.1:443} ({@code KUBERNETES_SERVICE_HOST/PORT})
   * @param node this node's name ({@code spec.nodeName})
   * @param tokenFile bearer token, read before every request; none when absent
   * @param caFile PEM CA of the API server's certificate, or null for the JVM's CAs
   */
  public record Options(URI apiServer, String node, Path tokenFile, Path caFile) {}

  private final Options options;
  private final HttpClient http;
  private final ObjectMapper json = new ObjectMapper();
  private final Map<InetAddress, Pod> byIp = new ConcurrentHashMap<>();
  private final Map<String, InetAddress[]> ipsByUid = new HashMap<>();
  private final Map<String, Pod> byUid = new ConcurrentHashMap<>();
  private final Map<String, Pod> byContainer = new ConcurrentHashMap<>();
  private final Map<String, String[]> containersByUid = new HashMap<>();
  private final AtomicLong version = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong relists = new AtomicLong();
  private final CountDownLatch stop = new CountDownLatch(1);
  private final CountDownLatch listed = new CountDownLatch(1);
  private Thread thread;
  private volatile InputStream watchBody;

  public PodIndex(Options options) {
    this.options = options;
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if ("https".equals(options.apiServer().getScheme()) && options.caFile() != null) {
      b.sslContext(ssl(options.caFile()));
    }
    this.http = b.build();
  }

  /** Starts listing and watching on a thread of its own; returns at once. */
  public PodIndex start() {
    thread = new Thread(this::run, "fleetstats-pods");
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  /** Waits until the first list has been read; false on timeout. */
  public boolean awaitListed(Duration timeout) throws InterruptedException {
    return listed.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The pod with this IP on this node, or null. */
  public Pod pod(InetAddress ip) {
    return byIp.get(ip);
  }

  /**
   * The pod of this node with this uid (the value of DogStatsD's {@code dd.internal.entity_id}), or
   * null; pods on the host's network included.
   */
  public Pod podOfUid(String uid) {
    return byUid.get(uid);
  }

  /**
   * The pod of this node one of whose containers has this id ({@code
   * status.containerStatuses[].containerID} without its {@code containerd://}, {@code docker://} or
   * {@code cri-o://}), or null; pods on the host's network included.
   */
  public Pod podOfContainer(String containerId) {
    return byContainer.get(containerId);
  }

  /** Changes with every change of the index. */
  public long version() {
    return version.get();
  }

  /** Pods known now. */
  public int size() {
    return byIp.size();
  }

  /** Watch events applied. */
  public long events() {
    return events.get();
  }

  /** Full lists read (the first, and after a watch could not resume). */
  public long relists() {
    return relists.get();
  }

  private void run() {
    long backoffMs = 1000;
    String resourceVersion = null;
    while (stop.getCount() > 0) {
      try {
        if (resourceVersion == null) {
          resourceVersion = list();
          relists.incrementAndGet();
          listed.countDown();
          backoffMs = 1000;
        }
        resourceVersion = watch(resourceVersion);
      } catch (IOException e) {
        if (stop.getCount() == 0) {
          return;
        }
        log.warn(
            "pods of node {} from {}: {}; retrying in {} s",
            options.node(),
            options.apiServer(),
            e.getMessage(),
            backoffMs / 1000);
        resourceVersion = null; // list again: events may have been missed
        if (sleep(backoffMs)) {
          return;
        }
        backoffMs = Math.min(backoffMs * 2, 30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private boolean sleep(long ms) {
    try {
      return stop.await(ms, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private URI uri(String extra) {
    String selector = URLEncoder.encode("spec.nodeName=" + options.node(), StandardCharsets.UTF_8);
    String base = options.apiServer().toString();
    if (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return URI.create(base + "/api/v1/pods?fieldSelector=" + selector + extra);
  }

  private HttpRequest.Builder request(URI uri) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).header("Accept", "application/json");
    String token = token();
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  private String token() throws IOException {
    if (options.tokenFile() == null) {
      return null;
    }
    try {
      String t = Files.readString(options.tokenFile(), StandardCharsets.UTF_8).strip();
      return t.isEmpty() ? null : t;
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** Lists the node's pods, replaces the index; returns the list's resource version. */
  private String list() throws IOException, InterruptedException {
    HttpResponse<byte[]> r =
        http.send(
            request(uri("")).timeout(Duration.ofSeconds(30)).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IOException(refusal(r.statusCode(), new String(r.body(), StandardCharsets.UTF_8)));
    }
    JsonNode root = json.readTree(r.body());
    Map<InetAddress, Pod> fresh = new HashMap<>();
    Map<String, InetAddress[]> freshUids = new HashMap<>();
    Map<String, Pod> freshByUid = new HashMap<>();
    Map<String, Pod> freshByContainer = new HashMap<>();
    Map<String, String[]> freshContainers = new HashMap<>();
    for (JsonNode item : root.path("items")) {
      InetAddress[] ips = ips(item);
      Pod pod = pod(item);
      if (pod != null) {
        freshByUid.put(pod.uid(), pod);
        String[] ids = containerIds(item);
        freshContainers.put(pod.uid(), ids);
        for (String id : ids) {
          freshByContainer.put(id, pod);
        }
      }
      if (ips.length > 0 && pod != null) {
        freshUids.put(pod.uid(), ips);
        for (InetAddress ip : ips) {
          fresh.put(ip, pod);
        }
      }
    }
    synchronized (ipsByUid) {
      byIp.keySet().retainAll(fresh.keySet());
      byIp.putAll(fresh);
      ipsByUid.clear();
      ipsByUid.putAll(freshUids);
      byUid.keySet().retainAll(freshByUid.keySet());
      byUid.putAll(freshByUid);
      byContainer.keySet().retainAll(freshByContainer.keySet());
      byContainer.putAll(freshByContainer);
      containersByUid.clear();
      containersByUid.putAll(freshContainers);
    }
    version.incrementAndGet();
    log.info("{} pods of node {} known by IP", fresh.size(), options.node());
    return root.path("metadata").path("resourceVersion").asText(null);
  }

  /**
   * Follows the watch until the server ends it; returns the resource version to resume from, or
   * null to list again (410 Gone: too old).
   */
  private String watch(String resourceVersion) throws IOException, InterruptedException {
    String extra =
        "&watch=true&allowWatchBookmarks=true&timeoutSeconds=300"
            + (resourceVersion == null ? "" : "&resourceVersion=" + resourceVersion);
    HttpResponse<Stream<String>> r =
        http.send(request(uri(extra)).GET().build(), HttpResponse.BodyHandlers.ofLines());
    if (r.statusCode() == 410) {
      r.body().close();
      return null;
    }
    if (r.statusCode() != 200) {
      String body = r.body().limit(5).reduce("", String::concat);
      throw new IOException(refusal(r.statusCode(), body));
    }
    String last = resourceVersion;
    try (Stream<String> lines = r.body()) {
      Iterator<String> it = lines.iterator();
      while (it.hasNext() && stop.getCount() > 0) {
        String line = it.next();
        if (line.isBlank()) {
          continue;
        }
        JsonNode event = json.readTree(line);
        String type = event.path("type").asText();
        JsonNode object = event.path("object");
        if ("ERROR".equals(type)) {
          // e.g. {"type":"ERROR","object":{"kind":"Status","code":410,...}}: resume by listing
          return object.path("code").asInt() == 410 ? null : last;
        }
        String rv = object.path("metadata").path("resourceVersion").asText(null);
        if (rv != null) {
          last = rv;
        }
        if (!"BOOKMARK".equals(type)) {
          apply(type, object);
        }
      }
    }
    return last;
  }

  private void apply(String type, JsonNode object) {
    Pod pod = pod(object);
    if (pod == null) {
      return;
    }
    boolean deleted = "DELETED".equals(type);
    InetAddress[] ips = deleted ? new InetAddress[0] : ips(object);
    String[] ids = deleted ? new String[0] : containerIds(object);
    synchronized (ipsByUid) {
      String[] idsBefore = containersByUid.remove(pod.uid());
      if (idsBefore != null) {
        for (String id : idsBefore) {
          Pod holder = byContainer.get(id);
          if (holder != null && holder.uid().equals(pod.uid())) {
            byContainer.remove(id);
          }
        }
      }
      if (deleted) {
        byUid.remove(pod.uid());
      } else {
        byUid.put(pod.uid(), pod);
        containersByUid.put(pod.uid(), ids);
        for (String id : ids) {
          byContainer.put(id, pod);
        }
      }
      InetAddress[] before = ipsByUid.remove(pod.uid());
      if (before != null) {
        for (InetAddress ip : before) {
          Pod holder = byIp.get(ip);
          if (holder != null && holder.uid().equals(pod.uid())) {
            byIp.remove(ip);
          }
        }
      }
      if (ips.length > 0) {
        ipsByUid.put(pod.uid(), ips);
        for (InetAddress ip : ips) {
          byIp.put(ip, pod);
        }
      }
    }
    events.incrementAndGet();
    version.incrementAndGet();
  }

  private static Pod pod(JsonNode item) {
    JsonNode meta = item.path("metadata");
    String uid = meta.path("uid").asText("");
    if (uid.isEmpty()) {
      return null;
    }
    JsonNode labels = meta.path("labels");
    String app = labels.path("app").asText(labels.path("app.kubernetes.io/name").asText(""));
    return new Pod(meta.path("namespace").asText(""), meta.path("name").asText(""), uid, app);
  }

  /**
   * The ids of the pod's containers (init and ephemeral ones too) that have started: {@code
   * containerID} without its runtime scheme ({@code containerd://<id>} → {@code <id>}).
   */
  private static String[] containerIds(JsonNode item) {
    java.util.List<String> out = new java.util.ArrayList<>();
    JsonNode status = item.path("status");
    for (String list :
        new String[] {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
      for (JsonNode c : status.path(list)) {
        String id = c.path("containerID").asText("");
        int scheme = id.indexOf("://");
        if (scheme >= 0) {
          id = id.substring(scheme + 3);
        }
        if (!id.isEmpty()) {
          out.add(id);
        }
      }
    }
    return out.toArray(new String[0]);
  }

  /** The pod's IPs; none for a pod on the host's network, or one not running yet. */
  private static InetAddress[] ips(JsonNode item) {
    if (item.path("spec").path("hostNetwork").asBoolean(false)) {
      return new InetAddress[0];
    }
    String phase = item.path("status").path("phase").asText("");
    if (phase.equals("Succeeded") || phase.equals("Failed")) {
      return new InetAddress[0]; // its IP may already belong to a new pod
    }
    java.util.LinkedHashSet<String> texts = new java.util.LinkedHashSet<>();
    String podIp = item.path("status").path("podIP").asText("");
    if (!podIp.isEmpty()) {
      texts.add(podIp);
    }
    for (JsonNode p : item.path("status").path("podIPs")) {
      String ip = p.path("ip").asText("");
      if (!ip.isEmpty()) {
        texts.add(ip);
      }
    }
    java.util.List<InetAddress> out = new java.util.ArrayList<>();
    for (String t : texts) {
      try {
        out.add(InetAddress.getByName(t)); // a literal: no lookup
      } catch (UnknownHostException e) {
        // not an IP literal: ignore
      }
    }
    return out.toArray(new InetAddress[0]);
  }

  private String refusal(int status, String body) {
    String hint =
        switch (status) {
          case 401 -> "the API server did not accept the service account token";
          case 403 ->
              "the agent's service account needs RBAC list and watch on pods"
                  + " (apiGroups [\"\"], resources [\"pods\"], verbs [\"list\", \"watch\"])";
          default -> "unexpected answer";
        };
    String b = body.strip();
    return "the API server answered "
        + status
        + ": "
        + hint
        + (b.isEmpty() ? "" : " (" + (b.length() > 300 ? b.substring(0, 300) + "..." : b) + ")");
  }

  private static SSLContext ssl(Path caFile) {
    try {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      try (InputStream in = Files.newInputStream(caFile)) {
        for (Certificate ca : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          store.setCertificateEntry("ca-" + i++, ca);
        }
      }
      TrustManagerFactory f =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      f.init(store);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, f.getTrustManagers(), null);
      return ssl;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot read the API server's CA " + caFile + ": " + e, e);
    }
  }

  @Override
  public void close() {
    stop.countDown();
    if (thread != null) {
      thread.interrupt();
    }
  }
}
