// The HTTP proxy's origin side: connect, CONNECT tunnels, and forwarding
// (origin connections reused and pooled, the request body sent on, the
// response head read and the response relayed to the client).
#include "egress/proxy/upstream.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>

#include <boost/asio/write.hpp>
#include <sys/socket.h>

#include "core/http/http_error.h"
#include "core/http/message.h"
#include "core/relay.h"
#include "egress/http/forward.h"
#include "egress/http/response.h"
#include "egress/proxy/client_response.h"
#include "egress/proxy/request.h"

namespace vigie::egress::proxy {

using net::Awaitable;
using net::kUseTuple;
using net::tcp;
using SteadyClock = std::chrono::steady_clock;
using ::vigie::http::ChunkedScanner;
using ::vigie::http::DetermineResponseFraming;
using ::vigie::http::FindHeadEnd;
using ::vigie::http::ParseResponseHead;
using ::vigie::http::ResponseFraming;
using ::vigie::http::ResponseHead;
using ::vigie::http::ResponseKeepsAlive;

namespace {

constexpr size_t kMaxResponseHead = 64 * 1024;
constexpr size_t kMaxPooledPerWorker = 128;
constexpr auto kMaxPooledIdle = std::chrono::seconds(30);

Awaitable<bool> ReadUpstream(ConnPtr c, Duration timeout) {
  c->SetDeadline(timeout, Conn::OnTimeout::kCloseUpstream);
  auto [ec, n] = co_await c->upstream.async_read_some(asio::buffer(c->read_buf), kUseTuple);
  c->upstream_buf.append(c->read_buf.data(), n);
  co_return !ec && n > 0;
}

// Connects c->upstream to the first of `addresses` that answers.
Awaitable<bool> ConnectAny(ConnPtr c, Shared& shared, std::vector<IpAddress> addresses,
                           uint16_t port, Duration timeout) {
  for (const IpAddress& address : addresses) {
    c->CloseUpstream();
    c->upstream = tcp::socket(c->client.get_executor());
    c->upstream_timed_out = false;
    auto start = SteadyClock::now();
    c->SetDeadline(timeout, Conn::OnTimeout::kCloseUpstream);
    auto [ec] =
        co_await c->upstream.async_connect(tcp::endpoint(net::ToAsio(address), port), kUseTuple);
    if (!ec && c->upstream.is_open()) {
      shared.m.upstream_connect_seconds.Observe(
          std::chrono::duration<double>(SteadyClock::now() - start).count());
      boost::system::error_code ignored;
      c->upstream.set_option(tcp::no_delay(true), ignored);
      c->upstream_address = address;
      co_return true;
    }
    shared.m.upstream_connect_errors_total.Inc();
    shared.log->debug("egress http proxy: connect to {}:{} failed: {}", address.ToString(), port,
                      c->upstream_timed_out ? "timed out" : ec.message());
    if (c->client_timed_out)
      break;
  }
  c->CloseUpstream();
  co_return false;
}

// Sends the request body from the client (starting with what `buf` holds)
// to the origin, leaving in `buf` what follows it.
Awaitable<bool> SendRequestBody(ConnPtr c, Shared& shared, std::string& buf,
                                vigie::http::BodyFraming framing, Duration timeout) {
  if (framing.kind == vigie::http::BodyFraming::Kind::kNone)
    co_return true;
  uint64_t remaining = framing.length;
  ChunkedScanner chunked;
  for (;;) {
    size_t take = 0;
    if (framing.kind == vigie::http::BodyFraming::Kind::kContentLength) {
      take = static_cast<size_t>(std::min<uint64_t>(remaining, buf.size()));
      remaining -= take;
    } else {
      auto n = chunked.Feed(buf);
      if (!n)
        co_return false;
      take = *n;
    }
    if (take > 0) {
      c->SetDeadline(timeout, Conn::OnTimeout::kCloseUpstream);
      auto [ec, n] =
          co_await asio::async_write(c->upstream, asio::buffer(buf.data(), take), kUseTuple);
      if (ec)
        co_return false;
      buf.erase(0, take);
    }
    bool done = framing.kind == vigie::http::BodyFraming::Kind::kContentLength ? remaining == 0
                                                                               : chunked.done();
    if (done)
      co_return true;
    c->SetDeadline(timeout, Conn::OnTimeout::kCloseClient);
    if (!co_await ReadClient(c, shared, buf))
      co_return false;
  }
}

// Relays the response body from the origin to the client. False when either
// side failed (the connection must then close).
Awaitable<bool> RelayResponseBody(ConnPtr c, Shared& shared, ResponseFraming framing,
                                  Duration timeout, uint64_t& sent, std::string head) {
  if (framing.kind == ResponseFraming::Kind::kNone) {
    sent += head.size();
    co_return co_await WriteClient(c, shared, head, timeout);
  }
  uint64_t remaining = framing.length;
  ChunkedScanner chunked;
  for (;;) {
    size_t take = 0;
    auto& ub = c->upstream_buf;
    switch (framing.kind) {
      case ResponseFraming::Kind::kContentLength:
        take = static_cast<size_t>(std::min<uint64_t>(remaining, ub.size()));
        remaining -= take;
        break;
      case ResponseFraming::Kind::kChunked: {
        auto n = chunked.Feed(ub);
        if (!n)
          co_return false;
        take = *n;
        break;
      }
      default:
        take = ub.size();
        break;
    }
    if (take > 0 || !head.empty()) {
      // The response head goes out with the first body bytes: one write.
      std::array<asio::const_buffer, 2> buffers = {asio::buffer(head),
                                                   asio::buffer(ub.data(), take)};
      c->SetDeadline(timeout, Conn::OnTimeout::kCloseClient);
      auto [ec, n] = co_await asio::async_write(c->client, buffers, kUseTuple);
      shared.m.client_sent_bytes_total.Inc(n);
      if (ec)
        co_return false;
      sent += n;
      head.clear();
      ub.erase(0, take);
    }
    if ((framing.kind == ResponseFraming::Kind::kContentLength && remaining == 0) ||
        (framing.kind == ResponseFraming::Kind::kChunked && chunked.done()))
      co_return true;
    if (!co_await ReadUpstream(c, timeout))
      co_return framing.kind == ResponseFraming::Kind::kUntilClose && !c->upstream_timed_out;
  }
}

// Reads the origin's response head (skipping interim 100 responses,
// forwarding other 1xx ones) and relays the response. Sets `retry` when a
// reused origin connection closed before answering.
Awaitable<Next> RelayResponse(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t,
                              const vigie::http::RequestHead& head, bool client_keep_alive,
                              bool reused, bool& retry) {
  const HttpProxyConfig& cfg = *snap.config;
  retry = false;
  for (;;) {
    std::optional<size_t> end;
    while (!(end = FindHeadEnd(c->upstream_buf))) {
      if (c->upstream_buf.size() > kMaxResponseHead) {
        shared.m.upstream_errors_total.Inc();
        co_return co_await Fail(c, shared, snap, t, 502, "response head too large", "TCP_MISS");
      }
      if (!co_await ReadUpstream(c, cfg.response_timeout)) {
        if (c->client_timed_out)
          co_return Next::kClose;
        if (c->upstream_timed_out) {
          shared.m.upstream_errors_total.Inc();
          c->CloseUpstream();
          co_return co_await Fail(c, shared, snap, t, 504, "the destination did not answer in time",
                                  "TCP_MISS");
        }
        if (reused && c->upstream_buf.empty()) {
          retry = true;
          co_return Next::kContinue;
        }
        shared.m.upstream_errors_total.Inc();
        c->CloseUpstream();
        co_return co_await Fail(c, shared, snap, t, 502,
                                "the destination closed the connection without a response",
                                "TCP_MISS");
      }
    }
    auto parsed = ParseResponseHead(std::string_view(c->upstream_buf).substr(0, *end));
    if (!parsed) {
      shared.m.upstream_errors_total.Inc();
      c->CloseUpstream();
      co_return co_await Fail(c, shared, snap, t, 502, parsed.error().ToString(), "TCP_MISS");
    }
    // The parsed head owns its fields: the raw bytes are copied only for
    // the interim responses forwarded as they are.
    std::string raw_head;
    if (parsed->status < 200 && parsed->status != 100 && parsed->status != 101)
      raw_head = c->upstream_buf.substr(0, *end);
    c->upstream_buf.erase(0, *end);
    ResponseHead response = std::move(*parsed);
    if (response.status == 101) {
      c->CloseUpstream();
      co_return co_await Fail(c, shared, snap, t, 502, "protocol upgrades are not relayed",
                              "TCP_MISS");
    }
    if (response.status < 200) {
      if (response.status != 100) {
        if (!co_await WriteClient(c, shared, raw_head, cfg.response_timeout))
          co_return Next::kClose;
      }
      continue;
    }
    auto framing = DetermineResponseFraming(response, head.method);
    if (!framing) {
      shared.m.upstream_errors_total.Inc();
      c->CloseUpstream();
      co_return co_await Fail(c, shared, snap, t, 502, framing.error().ToString(), "TCP_MISS");
    }
    bool origin_keeps = ResponseKeepsAlive(response, *framing);
    bool keep_alive = client_keep_alive && framing->kind != ResponseFraming::Kind::kUntilClose &&
                      !shared.stopping.load(std::memory_order_relaxed);
    std::string out =
        BuildClientResponseHead(response, *framing, {.via = cfg.via, .keep_alive = keep_alive});
    t.status = response.status;
    t.squid_status = "TCP_MISS";
    t.hierarchy = "HIER_DIRECT";
    if (snap.access_log)
      t.content_type = std::string(response.Find("Content-Type").value_or(""));
    uint64_t sent = 0;
    bool ok =
        co_await RelayResponseBody(c, shared, *framing, cfg.response_timeout, sent, std::move(out));
    t.reply_bytes = sent;
    WriteAccessLog(snap, *c, t);
    if (!ok || !origin_keeps)
      c->CloseUpstream();
    if (!ok && c->upstream_timed_out)
      shared.m.upstream_errors_total.Inc();
    co_return ok&& keep_alive ? Next::kContinue : Next::kClose;
  }
}

// Moves an idle pooled origin connection for `key`, to one of `addresses`,
// into c->upstream. Stale entries met on the way are closed.
bool TakePooledOrigin(const ConnPtr& c, Shared& shared, const std::string& key,
                      const std::vector<IpAddress>& addresses) {
  auto& pool = shared.pools[c->worker];
  auto now = SteadyClock::now();
  auto [begin, end] = pool.equal_range(key);
  for (auto it = begin; it != end;) {
    char probe;
    bool stale = now - it->second.since > kMaxPooledIdle ||
                 ::recv(it->second.socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT) !=
                     -1;  // closed by the origin (0) or unexpected bytes
    if (stale) {
      it = pool.erase(it);
      continue;
    }
    if (std::find(addresses.begin(), addresses.end(), it->second.address) == addresses.end()) {
      ++it;
      continue;
    }
    c->CloseUpstream();
    c->upstream = std::move(it->second.socket);
    c->upstream_address = it->second.address;
    c->upstream_key = key;
    pool.erase(it);
    return true;
  }
  return false;
}

}  // namespace

Awaitable<Next> Tunnel(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t,
                       const http::ProxyTarget& target, const std::vector<IpAddress>& addresses,
                       std::string& buf) {
  const HttpProxyConfig& cfg = *snap.config;
  c->CloseUpstream();
  if (!co_await ConnectAny(c, shared, addresses, target.port, cfg.connect_timeout)) {
    if (c->client_timed_out)
      co_return Next::kClose;
    co_return co_await Fail(c, shared, snap, t, 503,
                            "cannot connect to " + target.host + ":" + std::to_string(target.port),
                            "TCP_TUNNEL");
  }
  t.server_address = c->upstream_address;
  t.hierarchy = "HIER_DIRECT";
  std::string_view established = http::ConnectEstablishedResponse();
  if (!co_await WriteClient(c, shared, established, kErrorWriteGrace))
    co_return Next::kClose;
  shared.m.tunnels_total.Inc();
  c->ClearDeadline();
  net::RelayOptions options;
  options.idle_timeout = cfg.tunnel_idle_timeout;
  options.splice_a_to_b = options.splice_b_to_a = cfg.tunnel_splice;
  // With splice this is the pipe a bulk transfer grows to: at 1 MiB a
  // download costs vigie about a third less CPU than with the kernel's
  // 64 KiB pipe (docs/egress.md); the copy loop's buffer grows to 64 KiB.
  options.buffer_size = cfg.tunnel_splice ? 1024 * 1024 : 64 * 1024;
  options.on_progress =
      [&received = shared.m.client_received_bytes_total, &sent = shared.m.client_sent_bytes_total](
          bool from_client, std::uint64_t n) { (from_client ? received : sent).Inc(n); };
  auto result = co_await net::Relay(c->client, c->upstream, options, std::move(buf));
  buf.clear();
  t.squid_status = "TCP_TUNNEL";
  t.status = 200;
  t.reply_bytes = established.size() + result.b_to_a;
  WriteAccessLog(snap, *c, t);
  co_return Next::kClose;
}

Awaitable<Next> Forward(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t,
                        const vigie::http::RequestHead& head, const http::ProxyTarget& target,
                        vigie::http::BodyFraming framing, bool keep_alive,
                        const std::vector<IpAddress>& addresses, std::string& buf) {
  const HttpProxyConfig& cfg = *snap.config;
  // A request with a body is never sent on a pooled connection nor retried:
  // its body is relayed as it arrives and cannot be sent twice.
  bool has_body = framing.kind != vigie::http::BodyFraming::Kind::kNone;
  // Reuse the origin connection when it goes to the same place and its
  // address is one the ACL just allowed.
  std::string key = OriginKey(target);
  http::ForwardOptions options;
  options.via = cfg.via;
  options.forwarded_for = cfg.forwarded_for;
  auto request = http::BuildOriginRequest(head, target, framing, options, c->client_ip);
  if (!request) {
    shared.m.bad_requests_total.Inc();
    co_return co_await Fail(c, shared, snap, t, vigie::http::StatusForError(request.error()),
                            request.error().ToString(), "NONE_NONE");
  }
  bool expect_continue = false;
  if (auto expect = head.Find("Expect"))
    expect_continue = vigie::http::EqualsIgnoreCase(*expect, "100-continue") && has_body;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused =
        c->upstream.is_open() && c->upstream_key == key &&
        std::find(addresses.begin(), addresses.end(), c->upstream_address) != addresses.end();
    if (!reused && attempt == 0 && !has_body)
      reused = TakePooledOrigin(c, shared, key, addresses);
    if (!reused) {
      c->CloseUpstream();
      if (!co_await ConnectAny(c, shared, addresses, target.port, cfg.connect_timeout)) {
        if (c->client_timed_out)
          co_return Next::kClose;
        co_return co_await Fail(c, shared, snap, t, 503, "cannot connect to " + key, "TCP_MISS");
      }
      c->upstream_key = key;
    }
    t.server_address = c->upstream_address;
    c->SetDeadline(cfg.response_timeout, Conn::OnTimeout::kCloseUpstream);
    auto [ec, n] = co_await asio::async_write(c->upstream, asio::buffer(*request), kUseTuple);
    if (ec) {
      c->CloseUpstream();
      if (reused && !has_body)
        continue;
      shared.m.upstream_errors_total.Inc();
      co_return co_await Fail(c, shared, snap, t, 502, "cannot send to " + key, "TCP_MISS");
    }
    if (expect_continue) {
      // We answer the client's Expect ourselves; the origin's 100 is dropped.
      if (!co_await WriteClient(c, shared, "HTTP/1.1 100 Continue\r\n\r\n", kErrorWriteGrace))
        co_return Next::kClose;
      expect_continue = false;
    }
    if (!co_await SendRequestBody(c, shared, buf, framing, cfg.request_timeout)) {
      c->CloseUpstream();
      if (c->upstream_timed_out)
        co_return co_await Fail(c, shared, snap, t, 504, "sending the body timed out", "TCP_MISS");
      co_return Next::kClose;
    }
    bool retry = false;
    Next next =
        co_await RelayResponse(c, shared, snap, t, head, keep_alive, reused && !has_body, retry);
    if (!retry)
      co_return next;
    c->CloseUpstream();
  }
  co_return co_await Fail(c, shared, snap, t, 502, "the destination closed the connection",
                          "TCP_MISS");
}

// Keeps the client's idle origin connection for another client.
void PoolOrigin(const ConnPtr& c, Shared& shared) {
  if (!c->upstream.is_open() || c->upstream_key.empty() || !c->upstream_buf.empty() ||
      c->upstream_timed_out || shared.stopping.load())
    return;
  auto& pool = shared.pools[c->worker];
  if (pool.size() >= kMaxPooledPerWorker)
    pool.erase(pool.begin());
  pool.emplace(c->upstream_key, Shared::PooledOrigin{std::move(c->upstream), c->upstream_address,
                                                     SteadyClock::now()});
  c->upstream = tcp::socket(c->client.get_executor());
  c->upstream_key.clear();
}

}  // namespace vigie::egress::proxy
