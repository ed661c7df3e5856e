package io.fleetstats.injector;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's key and certificate from PEM files, as a Kubernetes TLS Secret mounts them ({@code
 * tls.crt}, {@code tls.key}); {@link #reloadIfChanged()} reads them again and, when their bytes
 * changed and they parse, new TLS handshakes use the new pair. A renewal by cert-manager (or a new
 * Secret from the chart) therefore needs no restart. A pair that does not parse is reported and the
 * old one kept.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
  private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);
  private static final char[] NO_PASSWORD = new char[0];

  /** One key pair; its alias names its generation, so one handshake never mixes two pairs. */
  private record Loaded(
      long generation,
      byte[] cert,
      byte[] key,
      X509Certificate[] chain,
      PrivateKey privateKey,
      X509ExtendedKeyManager manager) {
    String alias() {
      return "g" + generation;
    }
  }

  private final Path certFile;
  private final Path keyFile;
  private final AtomicReference<Loaded> current = new AtomicReference<>();
  private volatile Loaded previous;
  private final AtomicLong reloads = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();

  /**
   * @throws IllegalArgumentException when the files cannot be read or parsed (the message names the
   *     file)
   */
  public ReloadingKeyManager(Path certFile, Path keyFile) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    try {
      current.set(load(Files.readAllBytes(certFile), Files.readAllBytes(keyFile)));
      previous = current.get();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read the TLS certificate or key (" + certFile + ", " + keyFile + "): " + e, e);
    }
  }

  /**
   * Reads the files again; swaps the key pair when they changed and parse.
   *
   * @return whether a new pair is now in use
   */
  public boolean reloadIfChanged() {
    byte[] cert;
    byte[] key;
    try {
      cert = Files.readAllBytes(certFile);
      key = Files.readAllBytes(keyFile);
    } catch (IOException e) {
      failures.incrementAndGet();
      log.warn("cannot read {} or {}; keeping the current certificate: {}", certFile, keyFile, e);
      return false;
    }
    Loaded now = current.get();
    if (Arrays.equals(cert, now.cert()) && Arrays.equals(key, now.key())) {
      return false;
    }
    try {
      previous = now;
      current.set(load(cert, key));
      reloads.incrementAndGet();
      log.info("TLS certificate reloaded from {}", certFile);
      return true;
    } catch (RuntimeException e) {
      // a Secret update writes both files at once (atomic symlink swap), but a hand edit may be
      // half done: try again on the next check
      failures.incrementAndGet();
      log.warn("keeping the current TLS certificate: {}", e.getMessage());
      return false;
    }
  }

  /** Certificates loaded after the first. */
  public long reloads() {
    return reloads.get();
  }

  /** Checks that found files that could not be read or parsed. */
  public long failures() {
    return failures.get();
  }

  /** The certificate now served. */
  public X509Certificate certificate() {
    return current.get().chain()[0];
  }

  private Loaded load(byte[] certPem, byte[] keyPem) {
    try {
      Collection<? extends Certificate> chain =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(certPem));
      if (chain.isEmpty()) {
        throw new IllegalArgumentException(certFile + " holds no PEM certificate");
      }
      PrivateKey key = privateKey(keyPem);
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("server", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
      kmf.init(store, NO_PASSWORD);
      for (KeyManager km : kmf.getKeyManagers()) {
        if (km instanceof X509ExtendedKeyManager x) {
          long generation = current.get() == null ? 0 : current.get().generation() + 1;
          X509Certificate[] certs =
              chain.stream().map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
          return new Loaded(generation, certPem, keyPem, certs, key, x);
        }
      }
      throw new IllegalStateException(
          "the JDK's PKIX key manager is not an X509ExtendedKeyManager");
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalArgumentException(
          "cannot use the TLS pair " + certFile + ", " + keyFile + ": " + e.getMessage(), e);
    }
  }

  private PrivateKey privateKey(byte[] pem) throws IOException {
    try (PEMParser parser =
        new PEMParser(
            new StringReader(new String(pem, java.nio.charset.StandardCharsets.US_ASCII)))) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair pair) { // PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY"
        // the private part only: SEC1 may omit the public key
        return converter.getPrivateKey(pair.getPrivateKeyInfo());
      }
      if (o instanceof PrivateKeyInfo info) { // PKCS#8 "PRIVATE KEY"
        return converter.getPrivateKey(info);
      }
      throw new IllegalArgumentException(
          keyFile
              + " holds no unencrypted PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE"
              + " KEY)");
    }
  }

  @Override
  public String[] getClientAliases(String keyType, Principal[] issuers) {
    return null;
  }

  @Override
  public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
    return null;
  }

  @Override
  public String[] getServerAliases(String keyType, Principal[] issuers) {
    Loaded now = current.get();
    return now.manager().getServerAliases(keyType, issuers) == null
        ? null
        : new String[] {now.alias()};
  }

  @Override
  public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
    Loaded now = current.get();
    return now.manager().chooseServerAlias(keyType, issuers, socket) == null ? null : now.alias();
  }

  @Override
  public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
    Loaded now = current.get();
    return now.manager().chooseEngineServerAlias(keyType, issuers, engine) == null
        ? null
        : now.alias();
  }

  @Override
  public X509Certificate[] getCertificateChain(String alias) {
    Loaded l = byAlias(alias);
    return l == null ? null : l.chain().clone();
  }

  @Override
  public PrivateKey getPrivateKey(String alias) {
    Loaded l = byAlias(alias);
    return l == null ? null : l.privateKey();
  }

  /** The pair a handshake chose, even if a reload has happened since. */
  private Loaded byAlias(String alias) {
    Loaded now = current.get();
    if (now.alias().equals(alias)) {
      return now;
    }
    Loaded before = previous;
    return before != null && before.alias().equals(alias) ? before : null;
  }
}
