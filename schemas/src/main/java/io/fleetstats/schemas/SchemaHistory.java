package io.fleetstats.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Released writer schemas that are no longer current, kept as resources under {@code
 * io/fleetstats/schemas/history/}, so that readers still decode records written with them.
 */
public final class SchemaHistory {
  private SchemaHistory() {}

  /**
   * Parses a released schema; named types it references (e.g. {@link Source}) are the current ones.
   */
  public static Schema load(String resource) {
    try (InputStream in = SchemaHistory.class.getResourceAsStream("history/" + resource)) {
      if (in == null) {
        throw new IllegalStateException("schema history resource missing: " + resource);
      }
      return new Schema.Parser().addTypes(List.of(Source.getClassSchema())).parse(in);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read schema history " + resource, e);
    }
  }
}
