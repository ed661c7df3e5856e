package io.fleetstats.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * AdmissionReview v1 in, AdmissionReview v1 out: the response always allows the pod (the webhook
 * never blocks an application), with the sidecar's JSON Patch when the pod gets one. Pure.
 */
public final class AdmissionReviews {
  public static final String API_VERSION = "admission.k8s.io/v1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private AdmissionReviews() {}

  /** A request the webhook cannot answer: the HTTP status is 400 and the message says why. */
  public static final class BadReview extends Exception {
    private static final long serialVersionUID = 1L;

    BadReview(String message) {
      super(message);
    }
  }

  /**
   * The response to {@code review}, and the mutation decided (for the log).
   *
   * @param review the response AdmissionReview
   * @param mutation what was done; null when the request is not a pod CREATE
   */
  public record Answer(ObjectNode review, PodMutator.Mutation mutation) {}

  /**
   * @throws BadReview when {@code review} is not an AdmissionReview v1 with a request uid
   */
  public static Answer answer(JsonNode review, PodMutator mutator) throws BadReview {
    if (!API_VERSION.equals(review.path("apiVersion").asText())
        || !"AdmissionReview".equals(review.path("kind").asText())) {
      throw new BadReview(
          "expected an AdmissionReview of apiVersion "
              + API_VERSION
              + " (set admissionReviewVersions: [v1] in the webhook configuration), got kind '"
              + review.path("kind").asText()
              + "', apiVersion '"
              + review.path("apiVersion").asText()
              + "'");
    }
    JsonNode request = review.path("request");
    String uid = request.path("uid").asText("");
    if (uid.isEmpty()) {
      throw new BadReview("the AdmissionReview has no request.uid");
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("apiVersion", API_VERSION);
    out.put("kind", "AdmissionReview");
    ObjectNode response = out.putObject("response");
    response.put("uid", uid);
    response.put("allowed", true);
    boolean podCreate =
        "CREATE".equals(request.path("operation").asText())
            && "pods".equals(request.path("resource").path("resource").asText())
            && request.path("subResource").asText("").isEmpty()
            && request.path("object").isObject();
    if (!podCreate) {
      return new Answer(out, null);
    }
    PodMutator.Mutation mutation = mutator.mutate(request.get("object"));
    if (mutation.changes()) {
      response.put("patchType", "JSONPatch");
      response.put("patch", base64(mutation.patch()));
    }
    if (!mutation.warnings().isEmpty()) {
      ArrayNode warnings = response.putArray("warnings");
      mutation.warnings().forEach(warnings::add);
    }
    return new Answer(out, mutation);
  }

  private static String base64(ArrayNode patch) {
    try {
      return Base64.getEncoder()
          .encodeToString(JSON.writeValueAsString(patch).getBytes(StandardCharsets.UTF_8));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree always serializes", e);
    }
  }
}
