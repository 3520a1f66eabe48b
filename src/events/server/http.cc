// The HTTP port (Riemann's websocket-server, default 5556), Beast kept to
// this file: WebSocket /index?subscribe=true&query=... (the matching indexed
// events, then live updates), SSE GET /index?query=... (the same as
// text/event-stream), WebSocket /events (one JSON event per message) and
// POST/PUT /events (one JSON event per line). A subscriber that cannot keep
// up is dropped when its bounded queue fills; ingest never waits for it.
#include <deque>

#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "core/http/browser_guard.h"
#include "core/http/fields.h"
#include "core/log.h"
#include "core/text.h"
#include "core/units.h"
#include "events/proto/json.h"
#include "events/server/listeners.h"

namespace vigie::events {

namespace asio = net::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using net::kUseTuple;
using net::tcp;
using namespace asio::experimental::awaitable_operators;  // NOLINT(google-build-using-namespace)

namespace {

using Wake = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

struct Target {
  std::string path;
  std::map<std::string, std::string> params;
};

Target ParseTarget(std::string_view target) {
  Target t;
  size_t q = target.find('?');
  t.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) {
    return t;
  }
  for (auto& [key, value] : ParseQueryString(target.substr(q + 1))) {
    t.params[std::move(key)] = std::move(value);  // a repeated key: the last wins
  }
  return t;
}

std::string JsonError(std::string_view msg) {
  return "{\"error\":" + JsonString(msg) + "}";
}

// Registers on the core thread; returns the snapshot, or an error when it
// is over max_reply.
net::Awaitable<Result<std::vector<std::string>>> SubscribeOnCore(EventCore* core,
                                                                 std::shared_ptr<Subscription> sub,
                                                                 bool live) {
  co_return core->Subscribe(std::move(sub), live);
}

// Reads until the peer goes away (its frames are ignored); returning ends
// the subscription it races with.
net::Awaitable<void> WsDrain(websocket::stream<beast::tcp_stream>& ws) {
  beast::flat_buffer b;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(b, kUseTuple);
    (void)n;
    if (ec) {
      co_return;
    }
    b.consume(b.size());
  }
}

net::Awaitable<void> WsFeed(websocket::stream<beast::tcp_stream>& ws,
                            std::shared_ptr<Subscription> sub, std::shared_ptr<Wake> wake,
                            std::vector<std::string> snapshot, bool live) {
  ws.text(true);
  for (const auto& s : snapshot) {
    auto [ec, n] = co_await ws.async_write(asio::buffer(s), kUseTuple);
    (void)n;
    if (ec) {
      co_return;
    }
  }
  std::vector<std::string>().swap(snapshot);  // up to max_reply: not kept for the session
  if (!live) {
    co_await ws.async_close(websocket::close_code::normal, kUseTuple);
    co_return;
  }
  // Bounded: one Take of the subscription (subscriber_queue messages,
  // max_reply bytes).
  std::deque<std::string> out;
  for (;;) {
    if (!sub->Take(out)) {
      if (sub->overflowed()) {
        co_await ws.async_close(
            websocket::close_reason(websocket::close_code::policy_error, "too slow: queue full"),
            kUseTuple);
      } else {
        co_await ws.async_close(websocket::close_code::going_away, kUseTuple);
      }
      co_return;
    }
    if (out.empty()) {
      auto [ec] = co_await wake->async_receive(kUseTuple);
      if (ec) {
        co_return;
      }
      continue;
    }
    while (!out.empty()) {
      auto [ec, n] = co_await ws.async_write(asio::buffer(out.front()), kUseTuple);
      (void)n;
      if (ec) {
        co_return;
      }
      out.pop_front();
    }
  }
}

std::shared_ptr<Subscription> NewSubscription(EventQuery q, const EventsConfig& cfg,
                                              const std::shared_ptr<Wake>& wake) {
  // Bounded: at most subscriber_queue messages and max_reply bytes queued.
  auto sub =
      std::make_shared<Subscription>(std::move(q), cfg.subscriber_queue, cfg.max_reply.bytes);
  sub->wake = [wake] { wake->try_send(boost::system::error_code{}); };
  return sub;
}

net::Awaitable<void> WsIndex(beast::tcp_stream stream, http::request<http::string_body> req,
                             Target target, std::shared_ptr<SessionShared> sh) {
  auto cfg = sh->config.load();
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.read_message_max(64 * 1024);
  auto [aec] = co_await ws.async_accept(req, kUseTuple);
  if (aec) {
    co_return;
  }
  std::string text = target.params.contains("query") ? target.params["query"] : "true";
  auto q = ParseQuery(text);
  if (!q) {
    sh->core->metrics().query_errors_total.Inc();
    ws.text(true);
    std::string err = JsonError("parse error: " + q.error().ToString());
    co_await ws.async_write(asio::buffer(err), kUseTuple);
    co_await ws.async_close(websocket::close_code::protocol_error, kUseTuple);
    co_return;
  }
  bool live = target.params["subscribe"] == "true";
  auto wake = std::make_shared<Wake>(co_await asio::this_coro::executor, 1);
  auto sub = NewSubscription(std::move(*q), *cfg, wake);
  auto [se, snapshot] =
      co_await asio::co_spawn(sh->core->context(), SubscribeOnCore(sh->core, sub, live),
                              asio::as_tuple(asio::use_awaitable));
  if (se) {
    co_return;
  }
  if (!snapshot) {
    ws.text(true);
    std::string err = JsonError(snapshot.error().ToString());
    co_await ws.async_write(asio::buffer(err), kUseTuple);
    co_await ws.async_close(
        websocket::close_reason(websocket::close_code::policy_error, "snapshot over max_reply"),
        kUseTuple);
    co_return;
  }
  co_await (WsFeed(ws, sub, wake, std::move(*snapshot), live) || WsDrain(ws));
  sub->Close();
}

// WebSocket /events: one JSON event per message, each answered {} or {"error"}.
net::Awaitable<void> WsEvents(beast::tcp_stream stream, http::request<http::string_body> req,
                              std::shared_ptr<SessionShared> sh) {
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  beast::get_lowest_layer(ws).expires_never();
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.read_message_max(1u << 20);
  auto [aec] = co_await ws.async_accept(req, kUseTuple);
  if (aec) {
    co_return;
  }
  // Bounded: one message (read_message_max, 1 MiB), shrunk back after a
  // large one.
  beast::flat_buffer b;
  for (;;) {
    auto [ec, n] = co_await ws.async_read(b, kUseTuple);
    (void)n;
    if (ec) {
      co_return;
    }
    std::string body = beast::buffers_to_string(b.data());
    b.consume(b.size());
    if (b.capacity() > (64u << 10)) {
      b.shrink_to_fit();  // a large message's buffer is not kept for the connection's life
    }
    auto e = ParseEventJson(body);
    std::string reply = "{}";
    if (!e) {
      sh->core->metrics().decode_errors_total.Inc();
      reply = JsonError(e.error().ToString());
    } else {
      std::vector<Event> batch;
      batch.push_back(std::move(*e));
      if (!sh->core->Submit(std::move(batch))) {
        reply = JsonError("overloaded: the event queue is full");
      }
    }
    ws.text(true);
    auto [wec, wn] = co_await ws.async_write(asio::buffer(reply), kUseTuple);
    (void)wn;
    if (wec) {
      co_return;
    }
  }
}

net::Awaitable<void> SseDrain(tcp::socket& sock) {
  std::array<char, 512> b{};
  for (;;) {
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(b), kUseTuple);
    (void)n;
    if (ec) {
      co_return;
    }
  }
}

// `origin`: the request's Origin when the browser guard allowed it, echoed
// so that page may read the stream; never "*".
net::Awaitable<void> SseFeed(tcp::socket& sock, std::shared_ptr<Subscription> sub,
                             std::shared_ptr<Wake> wake, std::vector<std::string> snapshot,
                             Duration write_timeout, std::string origin) {
  std::string out =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n";
  if (!origin.empty()) {
    out += "Access-Control-Allow-Origin: " + origin + "\r\nVary: Origin\r\n";
  }
  out += "Connection: close\r\n\r\n";
  for (const auto& s : snapshot) {
    out += "data: " + s + "\n\n";
  }
  std::vector<std::string>().swap(snapshot);
  // Bounded: `out` and `queue` hold one Take of the subscription (or the
  // snapshot): subscriber_queue messages, max_reply bytes; `out` is freed
  // after a write over 1 MiB.
  std::deque<std::string> queue;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    if (!out.empty()) {
      timer.expires_after(write_timeout);
      auto r = co_await (asio::async_write(sock, asio::buffer(out), kUseTuple) ||
                         timer.async_wait(kUseTuple));
      if (r.index() == 1 || std::get<0>(std::get<0>(r))) {
        co_return;
      }
      if (out.capacity() > (1u << 20)) {
        out = {};
      } else {
        out.clear();
      }
    }
    if (!sub->Take(queue)) {
      co_return;
    }
    if (queue.empty()) {
      auto [ec] = co_await wake->async_receive(kUseTuple);
      if (ec) {
        co_return;
      }
      continue;
    }
    for (auto& s : queue) {
      out += "data: " + s + "\n\n";
    }
    queue.clear();
  }
}

// An SSE request refused before the stream starts: 400 with the reason.
net::Awaitable<void> SseBadRequest(tcp::socket& sock, std::string error) {
  std::string body = JsonError(error) + "\n";
  std::string resp =
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  co_await asio::async_write(sock, asio::buffer(resp), kUseTuple);
}

net::Awaitable<void> Sse(beast::tcp_stream stream, Target target, std::shared_ptr<SessionShared> sh,
                         std::string origin) {
  auto cfg = sh->config.load();
  tcp::socket sock = stream.release_socket();
  std::string text = target.params.contains("query") ? target.params["query"] : "true";
  auto q = ParseQuery(text);
  if (!q) {
    sh->core->metrics().query_errors_total.Inc();
    co_await SseBadRequest(sock, "parse error: " + q.error().ToString());
    co_return;
  }
  auto wake = std::make_shared<Wake>(co_await asio::this_coro::executor, 1);
  auto sub = NewSubscription(std::move(*q), *cfg, wake);
  auto [se, snapshot] =
      co_await asio::co_spawn(sh->core->context(), SubscribeOnCore(sh->core, sub, true),
                              asio::as_tuple(asio::use_awaitable));
  if (se) {
    co_return;
  }
  if (!snapshot) {
    co_await SseBadRequest(sock, snapshot.error().ToString());
    co_return;
  }
  co_await (SseFeed(sock, sub, wake, std::move(*snapshot), cfg->write_timeout, std::move(origin)) ||
            SseDrain(sock));
  sub->Close();
}

http::response<http::string_body> Simple(const http::request<http::string_body>& req,
                                         http::status status, std::string body,
                                         std::string type = "application/json") {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::server, "vigie");
  res.set(http::field::content_type, type);
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// POST/PUT /events: one JSON object per line, one reply line each. The
// body must say it is JSON: a form or a text/plain fetch() from a web page
// (sent without a CORS preflight) is refused with 415. Bounded: the body
// is at most max_frame; the reply, whose error lines can be 80 times
// longer than the lines they answer, at most max_reply (else 413 and
// nothing is taken).
http::response<http::string_body> PostEvents(const http::request<http::string_body>& req,
                                             SessionShared& sh, const EventsConfig& cfg) {
  auto type_field = req.find(http::field::content_type);
  std::string_view type = type_field == req.end() ? "" : std::string_view(type_field->value());
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') {
    type.remove_suffix(1);
  }
  if (!vigie::http::EqualsIgnoreCase(type, "application/json") &&
      !vigie::http::EqualsIgnoreCase(type, "application/x-ndjson")) {
    return Simple(req, http::status::unsupported_media_type,
                  JsonError("POST /events takes Content-Type: application/json (one event per "
                            "line)") +
                      "\n");
  }
  std::string_view body = req.body();
  std::string reply;
  std::vector<Event> batch;
  size_t start = 0;
  while (start < body.size()) {
    size_t nl = body.find('\n', start);
    std::string_view line =
        body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? body.size() : nl + 1;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
      continue;
    }
    auto e = ParseEventJson(line);
    if (!e) {
      sh.core->metrics().decode_errors_total.Inc();
      reply += JsonError(e.error().ToString()) + "\n";
    } else {
      batch.push_back(std::move(*e));
      reply += "{}\n";
    }
    if (reply.size() > cfg.max_reply.bytes) {
      sh.core->metrics().replies_refused_total.Inc();
      return Simple(req, http::status::payload_too_large,
                    JsonError("the reply (a line per line sent) is over the reply limit of " +
                              FormatByteSize(cfg.max_reply) +
                              " (events.max_reply): send fewer lines per request") +
                        "\n");
    }
  }
  if (!sh.core->Submit(std::move(batch))) {
    return Simple(req, http::status::service_unavailable,
                  JsonError("overloaded: the event queue is full") + "\n");
  }
  return Simple(req, http::status::ok, std::move(reply));
}

}  // namespace

net::Awaitable<void> HttpSession(tcp::socket sock, std::shared_ptr<SessionShared> sh) {
  auto cfg = sh->config.load();
  beast::tcp_stream stream(std::move(sock));
  // Bounded: `buffer` holds a head (16 KiB) and what one read brings
  // (Beast reads 64 KiB at a time, the body moving into the request, at
  // most max_frame, freed after each); shrunk back if it ever grows.
  beast::flat_buffer buffer;
  for (;;) {
    if (buffer.size() == 0 && buffer.capacity() > (64u << 10)) {
      buffer.shrink_to_fit();
    }
    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(cfg->max_frame.bytes);
    stream.expires_after(sh->stopping.load()
                             ? std::chrono::seconds(1)
                             : std::chrono::duration_cast<std::chrono::seconds>(cfg->idle_timeout));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    (void)n;
    if (ec) {
      if (ec == http::error::body_limit) {
        http::request<http::string_body> dummy;
        auto res =
            Simple(dummy, http::status::payload_too_large, JsonError("body over the limit") + "\n");
        res.keep_alive(false);
        co_await http::async_write(stream, res, kUseTuple);
      }
      co_return;
    }
    http::request<http::string_body> req = parser.release();
    Target target = ParseTarget(std::string_view(req.target().data(), req.target().size()));
    auto header = [&req](std::string_view name) -> std::optional<std::string_view> {
      auto it = req.find(name);
      if (it == req.end()) {
        return std::nullopt;
      }
      return std::string_view(it->value());
    };
    // WebSocket and SSE subscriptions count as state-changing: a page must
    // not read the index through the operator's browser either.
    const bool subscribes =
        websocket::is_upgrade(req) || (target.path == "/index" && req.method() == http::verb::get);
    const bool state_changing =
        subscribes || (req.method() != http::verb::get && req.method() != http::verb::head &&
                       req.method() != http::verb::options);
    if (auto refused = vigie::http::RefuseFromBrowser(header("Host"), header("Origin"),
                                                      header("Sec-Fetch-Site"), state_changing,
                                                      cfg->http_policy)) {
      static log::RateLimit limit;
      if (auto suppressed = limit.Allow()) {
        boost::system::error_code peer_ec;
        auto peer = stream.socket().remote_endpoint(peer_ec);
        log::Get("events")->warn("http: refused {} {} from {}: {}{}",
                                 std::string_view(req.method_string()), target.path.substr(0, 200),
                                 peer_ec ? "?" : net::FromEndpoint(peer).ToString(), *refused,
                                 log::Suppressed(*suppressed));
      }
      auto res = Simple(req, http::status::forbidden, JsonError(*refused) + "\n");
      res.keep_alive(false);
      stream.expires_after(std::chrono::duration_cast<std::chrono::seconds>(cfg->write_timeout));
      co_await http::async_write(stream, res, kUseTuple);
      co_return;
    }
    if (websocket::is_upgrade(req)) {
      if (target.path == "/index" || target.path == "/pubsub/index") {
        if (target.path == "/pubsub/index") {
          target.params["subscribe"] = "true";
        }
        co_await WsIndex(std::move(stream), std::move(req), std::move(target), sh);
        co_return;
      }
      if (target.path == "/events") {
        co_await WsEvents(std::move(stream), std::move(req), sh);
        co_return;
      }
    } else if (target.path == "/index" && req.method() == http::verb::get) {
      co_await Sse(std::move(stream), std::move(target), sh,
                   std::string(header("Origin").value_or("")));
      co_return;
    }
    http::response<http::string_body> res;
    if (target.path == "/events" &&
        (req.method() == http::verb::post || req.method() == http::verb::put)) {
      res = PostEvents(req, *sh, *cfg);
    } else if (target.path == "/metrics" && req.method() == http::verb::get) {
      std::string text = target.params.contains("query") ? target.params["query"] : "true";
      auto [pe, view] =
          co_await asio::co_spawn(sh->core->context(), PrometheusOnCore(sh->core, text),
                                  asio::as_tuple(asio::use_awaitable));
      if (pe || !view) {
        std::string why = pe ? std::string("query failed")
                          : view.error().code() == Errc::kLimitExceeded
                              ? view.error().ToString()
                              : "parse error: " + view.error().ToString();
        res = Simple(req, http::status::bad_request, JsonError(why) + "\n");
      } else {
        res = Simple(req, http::status::ok, std::move(*view), "text/plain; version=0.0.4");
      }
    } else {
      res = Simple(req, http::status::not_found,
                   JsonError("not found: use /index?query=... (WebSocket or SSE), /events or "
                             "/metrics") +
                       "\n");
    }
    stream.expires_after(std::chrono::duration_cast<std::chrono::seconds>(cfg->write_timeout));
    auto [wec, wn] = co_await http::async_write(stream, res, kUseTuple);
    (void)wn;
    if (wec || !res.keep_alive() || sh->stopping.load()) {
      co_return;
    }
  }
}

}  // namespace vigie::events
