package io.fleetstats.edge.kubelet;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * GETs the kubelet's Summary API. One connection per scrape (one request every few seconds needs no
 * pool); the bearer token is read from its file before every request, because Kubernetes rotates
 * projected service-account tokens. {@code HttpsURLConnection} rather than {@code HttpClient}:
 * skipping host-name verification ({@code insecureSkipVerify}, for self-signed kubelet
 * certificates) is a per-connection setting there, a JVM-wide system property in {@code
 * HttpClient}.
 */
final class KubeletClient {
  /** The kubelet's answer: status and body (the body of an error is kept for the message). */
  record Response(int status, byte[] body) {
    String bodyText(int max) {
      String s = new String(body, StandardCharsets.UTF_8).strip();
      return s.length() <= max ? s : s.substring(0, max) + "...";
    }
  }

  /** Largest summary read: a node with hundreds of pods answers a few MiB. */
  static final int MAX_BODY = 64 << 20;

  private final KubeletConfig config;
  private final SSLSocketFactory sslFactory;

  /**
   * @throws IllegalStateException when the CA file cannot be read (the input cannot run)
   */
  KubeletClient(KubeletConfig config) {
    this.config = config;
    this.sslFactory = "https".equals(config.summaryUri().getScheme()) ? sslFactory(config) : null;
  }

  Response get() throws IOException {
    HttpURLConnection c = (HttpURLConnection) config.summaryUri().toURL().openConnection();
    int timeout = (int) config.timeout().toMillis();
    c.setConnectTimeout(timeout);
    c.setReadTimeout(timeout);
    c.setRequestProperty("Accept", "application/json");
    if (c instanceof HttpsURLConnection https) {
      https.setSSLSocketFactory(sslFactory);
      if (config.insecureSkipVerify()) {
        https.setHostnameVerifier((host, session) -> true);
      }
    }
    String token = token();
    if (token != null) {
      c.setRequestProperty("Authorization", "Bearer " + token);
    }
    try {
      int status = c.getResponseCode();
      InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
      byte[] body = in == null ? new byte[0] : read(in);
      return new Response(status, body);
    } finally {
      c.disconnect();
    }
  }

  private static byte[] read(InputStream in) throws IOException {
    try (in) {
      byte[] body = in.readNBytes(MAX_BODY + 1);
      if (body.length > MAX_BODY) {
        throw new IOException("summary larger than " + (MAX_BODY >> 20) + " MiB");
      }
      return body;
    }
  }

  /** The token file's content, trimmed; null when the file does not exist. */
  String token() throws IOException {
    try {
      String t = Files.readString(config.tokenFile(), StandardCharsets.UTF_8).strip();
      return t.isEmpty() ? null : t;
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private static SSLSocketFactory sslFactory(KubeletConfig config) {
    try {
      TrustManager[] trust;
      if (config.insecureSkipVerify()) {
        trust = new TrustManager[] {new TrustAll()};
      } else if (config.caFile() != null) {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        Collection<? extends Certificate> cas;
        try (InputStream in = Files.newInputStream(config.caFile())) {
          cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (cas.isEmpty()) {
          throw new IllegalStateException(
              KubeletConfig.CA_FILE.key() + "=" + config.caFile() + " holds no PEM certificate");
        }
        int i = 0;
        for (Certificate ca : cas) {
          store.setCertificateEntry("ca-" + i++, ca);
        }
        TrustManagerFactory f =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        f.init(store);
        trust = f.getTrustManagers();
      } else {
        trust = null; // the JVM's trusted CAs
      }
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, trust, null);
      return ssl.getSocketFactory();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(
          "cannot read "
              + KubeletConfig.CA_FILE.key()
              + "="
              + config.caFile()
              + " (a PEM CA certificate): "
              + e.getMessage(),
          e);
    }
  }

  /** Accepts every certificate: {@code FLEETSTATS_KUBELET_INSECURE_SKIP_VERIFY} only. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
