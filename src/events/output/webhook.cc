// The webhook output's sender, and the HTTP/1.1 it speaks: the request it
// builds and the part of the response it reads (status, body length,
// whether the connection can be kept).
#include "events/output/webhook.h"

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

#include "core/http/fields.h"
#include "core/http/framing.h"
#include "core/http/message.h"
#include "core/log.h"
#include "events/output/connection.h"
#include "events/proto/json.h"

namespace vigie::events {

namespace asio = net::asio;
using net::kUseTuple;
using net::tcp;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)

namespace {

auto Log() {
  return log::Get("events");
}

}  // namespace

std::string WebhookBody(std::span<const Event> events) {
  std::string body = "[";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) {
      body += ',';
    }
    AppendEventJson(events[i], body);
  }
  body += "]";
  return body;
}

std::string WebhookRequest(const WebhookOutputConfig& cfg, std::string_view body) {
  std::string request = "POST " + cfg.path + " HTTP/1.1\r\nHost: " + cfg.host + ":" +
                        std::to_string(cfg.port) +
                        "\r\nContent-Type: application/json\r\nUser-Agent: vigie-events\r\n";
  for (const auto& [name, value] : cfg.headers) {
    request += name + ": " + value + "\r\n";
  }
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  request += body;
  return request;
}

HttpResponseHead ParseHttpResponseHead(std::string_view raw) {
  HttpResponseHead h;
  auto head = vigie::http::ParseResponseHead(raw);
  if (!head) {
    return h;
  }
  h.status = head->status;
  h.chunked = head->Find("Transfer-Encoding").has_value();
  h.close = vigie::http::ListHas(head->Combined("Connection"), "close");
  if (!head->Find("Content-Length")) {
    return h;  // the end of a body is unknown: the connection is not kept
  }
  auto framing = vigie::http::DetermineResponseFraming(*head, "POST");
  if (!framing) {
    h.bad_length = true;  // malformed or differing values
    return h;
  }
  switch (framing->kind) {
    case vigie::http::ResponseFraming::Kind::kNone:
      h.content_length = 0;  // 1xx, 204, 304: no body, whatever the length says
      break;
    case vigie::http::ResponseFraming::Kind::kContentLength:
      if (framing->length <= kMaxWebhookResponseBody) {
        h.content_length = static_cast<size_t>(framing->length);
      } else {
        h.bad_length = true;
      }
      break;
    case vigie::http::ResponseFraming::Kind::kChunked:
      break;  // Transfer-Encoding wins over Content-Length; `chunked` is set
    case vigie::http::ResponseFraming::Kind::kUntilClose:
      h.bad_length = !h.chunked;  // an empty Content-Length
      break;
  }
  return h;
}

namespace {

// Reads one HTTP response head and its Content-Length body (bounded);
// returns the status code, or 0 when the response is unusable. `keep` is
// false when the connection cannot be reused.
net::Awaitable<int> ReadHttpResponse(tcp::socket& sock, Duration timeout, bool& keep) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(timeout);
  std::string buf;
  std::optional<size_t> head_end;
  keep = false;
  while (!head_end) {
    if (buf.size() > kMaxWebhookResponseHead) {
      co_return 0;
    }
    std::array<char, 4096> chunk{};
    auto r = co_await (sock.async_read_some(asio::buffer(chunk), kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      co_return 0;
    }
    auto [ec, n] = std::get<0>(r);
    if (ec) {
      co_return 0;
    }
    buf.append(chunk.data(), n);
    head_end = vigie::http::FindHeadEnd(buf);
  }
  HttpResponseHead head = ParseHttpResponseHead(std::string_view(buf).substr(0, *head_end));
  if (head.status == 0) {
    co_return 0;
  }
  if (head.bad_length) {
    co_return head.status;  // too large or unreadable: use the status, drop the connection
  }
  size_t have = buf.size() - *head_end;
  if (head.content_length) {
    while (have < *head.content_length) {
      std::array<char, 4096> chunk{};
      auto r = co_await (sock.async_read_some(asio::buffer(chunk), kUseTuple) ||
                         timer.async_wait(kUseTuple));
      if (r.index() == 1 || std::get<0>(std::get<0>(r))) {
        co_return head.status;
      }
      have += std::get<1>(std::get<0>(r));
    }
  }
  // Without a length (or chunked) the end of the body is unknown here:
  // close rather than misread the next response.
  keep = head.content_length && !head.chunked && !head.close && have == *head.content_length;
  co_return head.status;
}

}  // namespace

WebhookOutput::WebhookOutput(asio::io_context& ctx, WebhookOutputConfig cfg, Counters counters,
                             std::shared_ptr<Resolver> resolver)
    : QueuedEventOutput(ctx, cfg.batch, cfg.queue, counters.dropped),
      cfg_(std::move(cfg)),
      m_(counters),
      resolver_(resolver ? std::move(resolver) : std::make_shared<Resolver>(ResolverOptions{})) {}

net::Awaitable<void> WebhookOutput::Run(std::shared_ptr<WebhookOutput> o) {
  Duration backoff = o->cfg_.backoff_min;
  const Address target{Address::Kind::kInet, o->cfg_.host, o->cfg_.port, {}};
  std::vector<Event> batch;
  std::string body;
  size_t batch_events = 0;
  bool connected = false;
  while (!o->stopping_) {
    if (batch_events == 0) {
      if (!o->queue_.BatchReady()) {
        o->wake_.expires_after(o->cfg_.flush_interval);
        co_await o->wake_.async_wait(kUseTuple);
      }
      batch.clear();
      size_t n = o->queue_.TakeBatch(batch);
      if (n == 0) {
        continue;
      }
      body = WebhookBody(batch);
      batch_events = n;
    }
    if (!connected) {
      auto ec = co_await ConnectWithin(o->sock_, *o->resolver_, target, o->cfg_.timeout);
      if (o->stopping_) {
        break;
      }
      if (ec) {
        o->m_.failures.Inc();
        Log()->warn("webhook {}: {}; retrying in {}", o->cfg_.url, ec.message(),
                    FormatDuration(backoff));
        o->wake_.expires_after(backoff);
        co_await o->wake_.async_wait(kUseTuple);
        backoff = std::min(backoff * 2, o->cfg_.backoff_max);
        continue;
      }
      connected = true;
    }
    std::string request = WebhookRequest(o->cfg_, body);
    auto wec = co_await WriteWithin(o->sock_, request, o->cfg_.timeout);
    bool keep = false;
    int status = 0;
    if (!wec) {
      status = co_await ReadHttpResponse(o->sock_, o->cfg_.timeout, keep);
    }
    if (!keep) {
      boost::system::error_code ignored;
      o->sock_.close(ignored);
      connected = false;
    }
    if (status >= 200 && status < 300) {
      o->m_.events.Inc(batch_events);
      batch_events = 0;
      backoff = o->cfg_.backoff_min;
      continue;
    }
    o->m_.failures.Inc();
    if (status >= 400 && status < 500) {
      Log()->warn("webhook {}: HTTP {}; {} events dropped (a refused batch is not resent)",
                  o->cfg_.url, status, batch_events);
      o->m_.dropped.Inc(batch_events);
      batch_events = 0;
      continue;
    }
    Log()->warn("webhook {}: {}; retrying in {}", o->cfg_.url,
                status == 0 ? std::string("no usable response") : "HTTP " + std::to_string(status),
                FormatDuration(backoff));
    if (o->stopping_) {
      break;
    }
    o->wake_.expires_after(backoff);
    co_await o->wake_.async_wait(kUseTuple);
    backoff = std::min(backoff * 2, o->cfg_.backoff_max);
  }
}

}  // namespace vigie::events
