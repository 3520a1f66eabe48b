// The webhook output: batches of events as a JSON array, POSTed over a
// keep-alive HTTP/1.1 connection. 2xx: delivered. 4xx: the receiver refuses
// this batch, resending will not help: dropped and counted. 5xx, timeouts
// and connection errors: the batch is kept and sent again after a backoff.
//
// Thread rules: the event core's thread (the io_context it was made on).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/metrics.h"
#include "core/net.h"
#include "core/resolver.h"
#include "events/output/output.h"
#include "events/proto/event.h"
#include "events/server/config.h"

namespace vigie::events {

// Bounds on what is read of a receiver's response.
inline constexpr size_t kMaxWebhookResponseHead = 16 * 1024;
inline constexpr size_t kMaxWebhookResponseBody = 1 << 20;

// The request body: the events as a JSON array (proto/json.h's objects).
// Pure.
std::string WebhookBody(std::span<const Event> events);

// The whole POST request for `body`: to cfg.path, Host cfg.host:cfg.port,
// JSON content type, vigie's user agent, cfg.headers in order, and the
// body's Content-Length. Pure.
std::string WebhookRequest(const WebhookOutputConfig& cfg, std::string_view body);

// What the head of a receiver's response says, read with core's response
// parser and body framing (core/http). Pure.
struct HttpResponseHead {
  int status = 0;  // 0: not a well-formed HTTP/1.x response head
  // The body length when a Content-Length is there, readable and <=
  // kMaxWebhookResponseBody (0 for a 1xx, 204 or 304, which have no body).
  std::optional<size_t> content_length;
  // A Content-Length header is there but unreadable, differing or over the
  // bound.
  bool bad_length = false;
  bool chunked = false;  // any Transfer-Encoding
  bool close = false;    // Connection lists "close"
};
// `head` is the response head, with or without the blank line that ends it.
// Header names match without regard to case.
HttpResponseHead ParseHttpResponseHead(std::string_view head);

class WebhookOutput final : public QueuedEventOutput {
 public:
  struct Counters {
    metrics::Counter& events;    // events delivered (2xx)
    metrics::Counter& failures;  // requests that failed (connect, timeout, non-2xx)
    metrics::Counter& dropped;   // queue full, or batch refused (4xx)
  };
  // `resolver` (the event core's) finds the target's addresses; null: one
  // of its own with the default options.
  WebhookOutput(net::asio::io_context& ctx, WebhookOutputConfig cfg, Counters counters,
                std::shared_ptr<Resolver> resolver = nullptr);

  // The sender: one request per batch (each flush_interval, or as soon as
  // one is queued), over a connection kept while the receiver allows it;
  // returns after Stop.
  static net::Awaitable<void> Run(std::shared_ptr<WebhookOutput> o);

 private:
  WebhookOutputConfig cfg_;
  Counters m_;
  std::shared_ptr<Resolver> resolver_;
};

}  // namespace vigie::events
