package io.fleetstats.sink.prometheus.remote;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * How requests authenticate: HTTP basic auth, a bearer token, or nothing (Prometheus' own {@code
 * remote_write} offers the same two). Never shown: {@link #toString()} names the kind only.
 */
public sealed interface Credentials {
  /** The {@code Authorization} header value, if any. */
  Optional<String> header();

  /** No {@code Authorization} header. */
  record None() implements Credentials {
    @Override
    public Optional<String> header() {
      return Optional.empty();
    }

    @Override
    public String toString() {
      return "none";
    }
  }

  /** {@code Authorization: Basic base64(user:password)}. */
  record Basic(String username, String password) implements Credentials {
    @Override
    public Optional<String> header() {
      String pair = username + ":" + password;
      return Optional.of(
          "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public String toString() {
      return "basic auth as " + username;
    }
  }

  /** {@code Authorization: Bearer <token>}. */
  record Bearer(String token) implements Credentials {
    @Override
    public Optional<String> header() {
      return Optional.of("Bearer " + token);
    }

    @Override
    public String toString() {
      return "bearer token";
    }
  }

  static Credentials none() {
    return new None();
  }
}
