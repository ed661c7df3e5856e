package io.fleetstats.sink.kit;

import io.fleetstats.kit.Ticker;
import io.fleetstats.sink.kit.delivery.Backoff;
import io.fleetstats.sink.kit.delivery.BatchSender;
import io.fleetstats.sink.kit.delivery.HttpPost;
import io.fleetstats.sink.kit.delivery.Transport;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A whole sink in one class: each record's value is a line of text, POSTed to a server. */
final class PostDelivery implements Delivery, Transport<String> {
  private final HttpPost http = new HttpPost(Duration.ofSeconds(2));
  private final URI url;
  private final BatchSender<String> sender;

  PostDelivery(URI url, Ticker ticker, MeterRegistry registry) {
    this.url = url;
    Backoff backoff = Backoff.upTo(Duration.ofMillis(400));
    this.sender = new BatchSender<>(this, backoff, Math::random, ticker, registry, "test.sink");
  }

  @Override
  public Result deliver(Polled poll, Waiter waiter) throws InterruptedException {
    List<String> lines = new ArrayList<>();
    List<Integer> owners = new ArrayList<>();
    for (int i = 0; i < poll.size(); i++) {
      byte[] value = poll.get(i).value();
      if (value == null) {
        poll.undecodable(i, "the record has no value");
      } else {
        lines.add(new String(value, StandardCharsets.UTF_8));
        owners.add(i);
      }
    }
    BatchSender.Result sent = sender.send(lines, waiter);
    for (BatchSender.Rejected r : sent.rejected()) {
      poll.deadLetter(owners.get(r.index()), "refused", lines.get(r.index()), r.detail());
    }
    return sent.toDelivery();
  }

  @Override
  public Sent send(List<String> lines, String format) throws InterruptedException {
    byte[] body = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
    return http.send(HttpRequest.newBuilder(url), body, HttpPost::standard);
  }

  @Override
  public String peer() {
    return "server " + url;
  }
}
