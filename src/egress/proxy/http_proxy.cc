// The egress forward proxy's data plane: accept loops, the per-connection
// request loop (head → target → ACL → resolve → ACL → connect → forward or
// tunnel), and a watchdog timer per connection that bounds every wait.
#include "egress/proxy/http_proxy.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <list>
#include <map>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <variant>

#include <boost/asio/write.hpp>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <sys/socket.h>

#include "core/accept.h"
#include "core/http/framing.h"
#include "core/http/http_error.h"
#include "core/http/message.h"
#include "core/http/request_head.h"
#include "core/log.h"
#include "core/net.h"
#include "core/relay.h"
#include "core/resolver.h"
#include "core/task.h"
#include "egress/acl/acl.h"
#include "egress/http/access_log.h"
#include "egress/http/forward.h"
#include "egress/http/proxy_target.h"
#include "egress/http/response.h"
#include "egress/proxy/client_response.h"

namespace vigie::egress::proxy {

namespace asio = net::asio;
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
using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)

#define VIGIE_EGRESS_PROXY_METRICS(COUNTER, GAUGE, HISTOGRAM)                                  \
  COUNTER(connections_total, "Client connections accepted")                                    \
  COUNTER(connections_refused_total, "Client connections closed at once (max_connections)")    \
  GAUGE(connections_active, "Client connections open")                                         \
  COUNTER(requests_total, "Requests received")                                                 \
  COUNTER(denied_total, "Requests denied by the destination ACL or allow_clients")             \
  COUNTER(tunnels_total, "CONNECT tunnels established")                                        \
  COUNTER(bad_requests_total, "Requests answered with an error for a bad or unsupported head") \
  COUNTER(client_timeouts_total, "Client connections closed by request_timeout")               \
  COUNTER(resolve_errors_total, "Allowed names that did not resolve")                          \
  COUNTER(upstream_connect_errors_total, "Failed connection attempts to destinations")         \
  HISTOGRAM(upstream_connect_seconds, "Time to connect to a destination",                      \
            metrics::kLatencyBuckets)                                                          \
  COUNTER(upstream_errors_total, "Destinations that timed out or sent a bad response")         \
  COUNTER(client_received_bytes_total, "Bytes received from clients")                          \
  COUNTER(client_sent_bytes_total, "Bytes sent to clients")                                    \
  COUNTER(task_failures_total, "Coroutines that ended with an exception")

VIGIE_DECLARE_METRICS(ProxyMetrics, "vigie_egress_http_", VIGIE_EGRESS_PROXY_METRICS);

namespace {

constexpr size_t kMaxResponseHead = 64 * 1024;
constexpr auto kErrorWriteGrace = std::chrono::seconds(10);

// `::ffff:a.b.c.d` is a.b.c.d to the ACL and to connect (docs/egress.md).
std::vector<IpAddress> UniqueUnmapped(const std::vector<IpAddress>& addresses) {
  std::vector<IpAddress> out;
  for (const IpAddress& a : addresses) {
    IpAddress ip = a.Unmapped();
    if (std::find(out.begin(), out.end(), ip) == out.end())
      out.push_back(ip);
  }
  return out;
}

// What one request sees: settings, ACL, per-rule counters, access log.
struct Snapshot {
  std::shared_ptr<const HttpProxyConfig> config;
  std::shared_ptr<const DestinationAcl> acl;
  std::unordered_map<int, metrics::Counter*> hits_by_line;  // rule or wildcard line
  metrics::Counter* default_deny_hits = nullptr;
  std::shared_ptr<spdlog::logger> access_log;  // null: no access log
  // Made for these settings; a reload makes a new one.
  std::shared_ptr<Resolver> resolver;
};

}  // namespace

struct HttpProxy::Shared {
  Shared(metrics::Registry& metrics_registry, size_t workers)
      : registry(metrics_registry), m(metrics_registry), conns(workers), pools(workers) {}
  metrics::Registry& registry;
  ProxyMetrics m;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot;
  std::atomic<bool> stopping{false};
  // max_connections of the current snapshot, shared by the accept loops.
  std::shared_ptr<net::ConnectionLimit> limit = std::make_shared<net::ConnectionLimit>();
  // TCP_NODELAY is set on the listeners, which accepted sockets inherit on
  // Linux; false when that failed and each client socket needs it.
  bool listener_no_delay = false;
  std::shared_ptr<spdlog::logger> log = log::Get("egress");
  struct Conn;
  // Per worker, touched only on that worker's thread: the open connections,
  // so Stop can close the idle ones.
  std::vector<std::unordered_set<Conn*>> conns;
  std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
  // Per worker, touched only on that worker's thread: idle origin
  // connections left by closed clients, keyed "host:port", for the next
  // client going to the same place (Squid's server-side pconn pool).
  struct PooledOrigin {
    tcp::socket socket;
    IpAddress address;
    std::chrono::steady_clock::time_point since;
  };
  std::vector<std::multimap<std::string, PooledOrigin>> pools;
};

// One client connection and, while it has one, its origin connection.
struct HttpProxy::Shared::Conn {
  enum class OnTimeout { kCloseClient, kCloseUpstream };
  Conn(tcp::socket socket, size_t worker_index)
      : client(std::move(socket)),
        upstream(client.get_executor()),
        timer(client.get_executor()),
        worker(worker_index) {}

  void SetDeadline(Duration d, OnTimeout what) {
    deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(d);
    on_timeout = what;
    if (timer.expiry() > deadline)
      timer.cancel();
  }
  void ClearDeadline() { deadline = SteadyClock::time_point::max(); }
  void CloseUpstream() {
    boost::system::error_code ignored;
    upstream.close(ignored);
    upstream_key.clear();
    upstream_buf.clear();
  }
  void CloseClient() {
    boost::system::error_code ignored;
    client.close(ignored);
  }

  tcp::socket client;
  tcp::socket upstream;
  asio::steady_timer timer;
  size_t worker;
  SteadyClock::time_point deadline = SteadyClock::time_point::max();
  OnTimeout on_timeout = OnTimeout::kCloseClient;
  bool client_timed_out = false;
  bool upstream_timed_out = false;
  bool idle = false;  // between requests
  bool finished = false;
  std::string client_ip;
  std::string upstream_key;  // "host:port" of the open origin connection
  IpAddress upstream_address;
  std::string upstream_buf;              // origin bytes read but not yet used
  std::array<char, 16 * 1024> read_buf;  // scratch for one read (no zero-filled resizes)
};

namespace {

constexpr size_t kMaxPooledPerWorker = 128;
constexpr auto kMaxPooledIdle = std::chrono::seconds(30);

using Shared = HttpProxy::Shared;
using Conn = HttpProxy::Shared::Conn;
using ConnPtr = std::shared_ptr<Conn>;
using SharedPtr = std::shared_ptr<Shared>;

net::TaskDone Task(Shared& shared, std::string what) {
  return net::TaskDone{"egress http proxy: " + std::move(what), shared.log.get(),
                       &shared.m.task_failures_total};
}

// Fires at the connection's deadline and closes what the deadline guards.
Awaitable<void> Watchdog(ConnPtr c) {
  while (!c->finished) {
    c->timer.expires_at(c->deadline);
    co_await c->timer.async_wait(kUseTuple);
    if (c->finished)
      break;
    if (SteadyClock::now() < c->deadline)
      continue;
    if (c->on_timeout == Conn::OnTimeout::kCloseUpstream) {
      c->upstream_timed_out = true;
      c->CloseUpstream();
      // The client still gets an answer, within a bound.
      c->SetDeadline(kErrorWriteGrace, Conn::OnTimeout::kCloseClient);
    } else {
      c->client_timed_out = true;
      c->CloseClient();
      c->CloseUpstream();
      c->ClearDeadline();
    }
  }
}

// What the access log line says about one request. Only what every request
// needs is computed eagerly; the URL and the server address are formatted
// when a line is written (most deployments have no access log). The views
// and the target point into the request's coroutine frame, which outlives
// the transaction.
struct Transaction {
  SteadyClock::time_point start = SteadyClock::now();
  std::string_view method;
  std::string_view raw_url;                   // the request target as received
  const http::ProxyTarget* target = nullptr;  // once parsed: its LogUrl()
  std::string_view squid_status = "NONE_NONE";
  int status = 0;
  uint64_t reply_bytes = 0;
  std::string_view hierarchy = "HIER_NONE";
  std::optional<IpAddress> server_address;
  std::string content_type;  // filled only when there is an access log

  std::string Url() const { return target ? target->LogUrl() : std::string(raw_url); }
};

void WriteAccessLog(const Snapshot& snap, const Conn& c, const Transaction& t) {
  if (!snap.access_log)
    return;
  std::string url = t.Url();
  std::string server = t.server_address ? t.server_address->ToString() : std::string();
  http::AccessLogEntry e;
  e.time = std::chrono::system_clock::now();
  e.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t.start);
  e.client_address = c.client_ip;
  e.squid_status = t.squid_status;
  e.http_status = t.status;
  e.reply_bytes = t.reply_bytes;
  e.method = t.method;
  e.url = url;
  e.hierarchy = t.hierarchy;
  e.server_address = server;
  e.content_type = t.content_type;
  snap.access_log->info(http::FormatSquidAccessLog(e));
}

Awaitable<bool> WriteClient(ConnPtr c, Shared& shared, std::string_view data, Duration timeout) {
  c->SetDeadline(timeout, Conn::OnTimeout::kCloseClient);
  auto [ec, n] = co_await asio::async_write(c->client, asio::buffer(data), kUseTuple);
  shared.m.client_sent_bytes_total.Inc(n);
  co_return !ec;
}

// Reads more client bytes into `buf`. False on EOF, error or timeout.
Awaitable<bool> ReadClient(ConnPtr c, Shared& shared, std::string& buf) {
  auto [ec, n] = co_await c->client.async_read_some(asio::buffer(c->read_buf), kUseTuple);
  buf.append(c->read_buf.data(), n);
  shared.m.client_received_bytes_total.Inc(n);
  co_return !ec && n > 0;
}

Awaitable<bool> ReadUpstream(ConnPtr c, Duration timeout) {
  c->SetDeadline(timeout, Conn::OnTimeout::kCloseUpstream);
  auto [ec, n] = co_await c->upstream.async_read_some(asio::buffer(c->read_buf), kUseTuple);
  c->upstream_buf.append(c->read_buf.data(), n);
  co_return !ec && n > 0;
}

// The addresses `host` resolves to with the snapshot's resolver: IPv4
// first, IPv4-mapped ones unmapped, no duplicates. Empty when it does not
// resolve (in time).
Awaitable<std::vector<IpAddress>> Resolve(std::string host, std::shared_ptr<Resolver> resolver) {
  auto answer = co_await resolver->Lookup(std::move(host), LookupFamily::kAny);
  co_return answer ? UniqueUnmapped(answer->addresses) : std::vector<IpAddress>();
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

enum class Next { kContinue, kClose };

Awaitable<Next> Deny(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t,
                     std::string rule, bool keep_alive) {
  shared.m.denied_total.Inc();
  std::string response =
      http::BuildDenialResponse({.url = t.Url(), .rule = rule, .keep_alive = keep_alive});
  t.squid_status = "TCP_DENIED";
  t.status = 403;
  t.reply_bytes = response.size();
  t.content_type = "text/plain";
  bool ok = co_await WriteClient(c, shared, response, kErrorWriteGrace);
  WriteAccessLog(snap, *c, t);
  co_return ok&& keep_alive ? Next::kContinue : Next::kClose;
}

Awaitable<Next> Fail(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t, int status,
                     std::string detail, std::string_view squid_status) {
  std::string response = http::BuildErrorResponse(status, detail);
  t.squid_status = squid_status;
  t.status = status;
  t.reply_bytes = response.size();
  t.content_type = "text/plain";
  co_await WriteClient(c, shared, response, kErrorWriteGrace);
  WriteAccessLog(snap, *c, t);
  co_return Next::kClose;
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

// One request whose head is parsed. `buf` holds the bytes after the head.
Awaitable<Next> HandleRequest(ConnPtr c, Shared& shared, std::shared_ptr<const Snapshot> snap,
                              vigie::http::RequestHead head, std::string& buf) {
  const HttpProxyConfig& cfg = *snap->config;
  Transaction t;
  t.method = head.method;
  t.raw_url = head.target;
  shared.m.requests_total.Inc();
  bool keep_alive = http::ClientKeepsAlive(head) && !shared.stopping.load();

  auto target = http::ParseProxyTarget(head.method, head.target);
  if (!target) {
    shared.m.bad_requests_total.Inc();
    co_return co_await Fail(c, shared, *snap, t, vigie::http::StatusForError(target.error()),
                            target.error().ToString(), "NONE_NONE");
  }
  t.target = &*target;
  bool is_connect = target->kind == http::ProxyTarget::Kind::kConnect;
  vigie::http::BodyFraming framing;
  if (!is_connect) {
    auto f = vigie::http::DetermineRequestBodyFraming(head);
    if (!f) {
      shared.m.bad_requests_total.Inc();
      co_return co_await Fail(c, shared, *snap, t, vigie::http::StatusForError(f.error()),
                              f.error().ToString(), "NONE_NONE");
    }
    framing = *f;
  }
  // A body we do not forward cannot be skipped reliably: close after answering.
  bool has_body = framing.kind != vigie::http::BodyFraming::Kind::kNone;

  if (!cfg.allow_clients.empty()) {
    auto client = vigie::IpAddress::Parse(c->client_ip);
    bool allowed = client && std::any_of(cfg.allow_clients.begin(), cfg.allow_clients.end(),
                                         [&](const Cidr& cidr) { return cidr.Contains(*client); });
    if (!allowed)
      co_return co_await Deny(c, shared, *snap, t,
                              "client " + c->client_ip + " is not in allow_clients", false);
  }

  // Decide by name first: a denied name is never sent to the resolver.
  std::vector<IpAddress> addresses;
  std::optional<AclDecision> decision;
  if (target->address) {
    addresses.push_back(target->address->Unmapped());
  } else {
    decision = snap->acl->DecideByName(target->host);
    if (!decision || decision->allowed())
      addresses = co_await Resolve(target->host, snap->resolver);
  }
  if (!decision)
    decision = snap->acl->Decide(target->host, addresses);
  if (decision->source == AclDecision::Source::kDefaultDeny) {
    snap->default_deny_hits->Inc();
  } else if (auto it = snap->hits_by_line.find(decision->line); it != snap->hits_by_line.end()) {
    it->second->Inc();
  }
  if (!decision->allowed()) {
    std::string rule = decision->RuleDescription();
    if (decision->address)
      rule += ", address " + decision->address->ToString();
    co_return co_await Deny(c, shared, *snap, t, rule, keep_alive && !has_body);
  }
  if (addresses.empty()) {
    shared.m.resolve_errors_total.Inc();
    co_return co_await Fail(c, shared, *snap, t, 503, "cannot resolve " + target->host, "TCP_MISS");
  }

  if (is_connect) {
    c->CloseUpstream();
    if (!co_await ConnectAny(c, shared, addresses, target->port, cfg.connect_timeout)) {
      if (c->client_timed_out)
        co_return Next::kClose;
      co_return co_await Fail(
          c, shared, *snap, t, 503,
          "cannot connect to " + target->host + ":" + std::to_string(target->port), "TCP_TUNNEL");
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
    options.on_progress = [&received = shared.m.client_received_bytes_total,
                           &sent = shared.m.client_sent_bytes_total](bool from_client,
                                                                     std::uint64_t n) {
      (from_client ? received : sent).Inc(n);
    };
    auto result = co_await net::Relay(c->client, c->upstream, options, std::move(buf));
    buf.clear();
    t.squid_status = "TCP_TUNNEL";
    t.status = 200;
    t.reply_bytes = established.size() + result.b_to_a;
    WriteAccessLog(*snap, *c, t);
    co_return Next::kClose;
  }

  // Forward. Reuse the origin connection when it goes to the same place and
  // its address is one the ACL just allowed.
  std::string key = target->host + ":" + std::to_string(target->port);
  http::ForwardOptions options;
  options.via = cfg.via;
  options.forwarded_for = cfg.forwarded_for;
  auto request = http::BuildOriginRequest(head, *target, framing, options, c->client_ip);
  if (!request) {
    shared.m.bad_requests_total.Inc();
    co_return co_await Fail(c, shared, *snap, t, vigie::http::StatusForError(request.error()),
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
      if (!co_await ConnectAny(c, shared, addresses, target->port, cfg.connect_timeout)) {
        if (c->client_timed_out)
          co_return Next::kClose;
        co_return co_await Fail(c, shared, *snap, t, 503, "cannot connect to " + key, "TCP_MISS");
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
      co_return co_await Fail(c, shared, *snap, t, 502, "cannot send to " + key, "TCP_MISS");
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
        co_return co_await Fail(c, shared, *snap, t, 504, "sending the body timed out", "TCP_MISS");
      co_return Next::kClose;
    }
    bool retry = false;
    Next next =
        co_await RelayResponse(c, shared, *snap, t, head, keep_alive, reused && !has_body, retry);
    if (!retry)
      co_return next;
    c->CloseUpstream();
  }
  co_return co_await Fail(c, shared, *snap, t, 502, "the destination closed the connection",
                          "TCP_MISS");
}

// The request loop of one client connection.
Awaitable<void> ServeClient(ConnPtr c, SharedPtr shared) {
  std::string buf;
  vigie::http::RequestHeadParser parser;
  for (;;) {
    auto snap = shared->snapshot.load();
    const HttpProxyConfig& cfg = *snap->config;
    vigie::http::HeadLimits limits;
    limits.max_head_bytes = cfg.max_header_bytes.bytes;
    limits.max_field_line_bytes = std::min(limits.max_field_line_bytes, limits.max_head_bytes);
    limits.max_request_line_bytes = std::min(limits.max_request_line_bytes, limits.max_head_bytes);
    parser = vigie::http::RequestHeadParser(limits);
    if (shared->stopping.load())
      co_return;
    c->idle = buf.empty();
    if (buf.empty())
      c->SetDeadline(cfg.idle_timeout, Conn::OnTimeout::kCloseClient);
    else
      c->SetDeadline(cfg.request_timeout, Conn::OnTimeout::kCloseClient);
    bool started = !buf.empty();
    bool head_deadline_set = started;
    for (;;) {
      if (!buf.empty()) {
        auto consumed = parser.Feed(buf);
        if (!consumed) {
          shared->m.bad_requests_total.Inc();
          Transaction t;
          t.method = "NONE";
          t.raw_url = "error:invalid-request";
          co_await Fail(c, *shared, *snap, t, vigie::http::StatusForError(consumed.error()),
                        consumed.error().ToString(), "NONE_NONE");
          co_return;
        }
        buf.erase(0, *consumed);
        if (parser.done())
          break;
        // The head did not come in one read: from now on it has
        // request_timeout to complete (set only here, so the common case of
        // a head in one segment does not move the watchdog's timer).
        if (!head_deadline_set) {
          head_deadline_set = true;
          c->SetDeadline(cfg.request_timeout, Conn::OnTimeout::kCloseClient);
        }
      }
      if (!co_await ReadClient(c, *shared, buf)) {
        if (c->client_timed_out && started)
          shared->m.client_timeouts_total.Inc();
        co_return;
      }
      if (!started) {
        started = true;
        c->idle = false;
      }
    }
    c->idle = false;
    Next next = co_await HandleRequest(c, *shared, snap, parser.TakeHead(), buf);
    if (next == Next::kClose)
      co_return;
  }
}

// `slot` holds the connection's place under max_connections for its life.
Awaitable<void> RunConnection(ConnPtr c, SharedPtr shared,
                              [[maybe_unused]] net::ConnectionLimit::Slot slot) {
  boost::system::error_code peer_ec;
  tcp::endpoint peer = c->client.remote_endpoint(peer_ec);
  if (peer_ec)
    co_return;  // the client left between accept and here
  shared->conns[c->worker].insert(c.get());
  c->client_ip = net::FromAsio(peer.address()).Unmapped().ToString();
  if (!shared->listener_no_delay) {
    boost::system::error_code ec;
    c->client.set_option(tcp::no_delay(true), ec);
  }
  asio::co_spawn(c->client.get_executor(), Watchdog(c), Task(*shared, "watchdog"));
  co_await ServeClient(c, shared);
  PoolOrigin(c, *shared);
  c->finished = true;
  c->timer.cancel();
  // The FIN goes out before close(): a client still sending (a refused
  // oversized head) then reads our answer and EOF before close's RST
  // (tests/integration/test_egress.py::test_bad_requests).
  boost::system::error_code ignored;
  c->client.shutdown(tcp::socket::shutdown_send, ignored);
  c->CloseClient();
  c->CloseUpstream();
  shared->conns[c->worker].erase(c.get());
}

// core's accept loop on one worker's listener; the limit is the snapshot's
// max_connections (set with each snapshot).
Awaitable<void> AcceptLoop(std::shared_ptr<tcp::acceptor> acceptor, size_t worker,
                           SharedPtr shared) {
  net::AcceptOptions options{
      .name = "egress http proxy " + net::FromEndpoint(acceptor->local_endpoint()).ToString(),
      .logger = shared->log.get(),
      .limit = shared->limit,
      .accepted = &shared->m.connections_total,
      .refused = &shared->m.connections_refused_total,
      .stopping = [shared] { return shared->stopping.load(); },
  };
  auto ex = acceptor->get_executor();
  // A named std::function, not a lambda temporary inside the co_await:
  // g++ 12 destroys such a temporary's captures twice (ASan caught it).
  net::ServeFn<tcp> serve = [shared, worker, ex](tcp::socket socket,
                                                 net::ConnectionLimit::Slot slot) {
    shared->m.connections_active.Add(1);
    auto conn = std::make_shared<Conn>(std::move(socket), worker);
    asio::co_spawn(ex, RunConnection(conn, shared, std::move(slot)),
                   [shared](const std::exception_ptr& e) {
                     shared->m.connections_active.Sub(1);
                     net::ReportTaskFailure(e, "egress http proxy: connection", *shared->log,
                                            &shared->m.task_failures_total);
                   });
  };
  co_await net::AcceptLoop(*acceptor, std::move(options), std::move(serve));
}

Result<std::shared_ptr<const Snapshot>> BuildSnapshot(
    Shared& shared, std::shared_ptr<const HttpProxyConfig> config,
    const std::shared_ptr<const Snapshot>& previous) {
  auto snap = std::make_shared<Snapshot>();
  snap->config = config;
  snap->resolver = std::make_shared<Resolver>(ProxyResolverOptions(*config));
  snap->acl = std::make_shared<const DestinationAcl>(config->spec);
  const std::string name = "vigie_egress_http_rule_hits_total";
  const std::string help = "Requests decided by each destination rule";
  for (const ProxyRule& rule : config->spec.rules) {
    snap->hits_by_line[rule.line] =
        &shared.registry.AddCounter(name, help,
                                    {{"line", std::to_string(rule.line)},
                                     {"rule", rule.text},
                                     {"action", std::string(AclActionName(rule.action))}});
  }
  if (config->spec.wildcard) {
    snap->hits_by_line[config->spec.wildcard->line] =
        &shared.registry.AddCounter(name, help,
                                    {{"line", std::to_string(config->spec.wildcard->line)},
                                     {"rule", "*"},
                                     {"action", "allow"}});
  }
  snap->default_deny_hits = &shared.registry.AddCounter(
      name, help, {{"line", "0"}, {"rule", "default deny"}, {"action", "deny"}});
  if (!config->access_log.empty()) {
    if (previous && previous->access_log && previous->config->access_log == config->access_log) {
      snap->access_log = previous->access_log;
    } else {
      try {
        spdlog::sink_ptr sink;
        if (config->access_log == "-")
          sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
        else
          sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(config->access_log);
        auto logger = std::make_shared<spdlog::logger>("egress-access", std::move(sink));
        logger->set_pattern("%v");
        logger->set_level(spdlog::level::info);
        logger->flush_on(spdlog::level::info);
        snap->access_log = std::move(logger);
      } catch (const std::exception& e) {
        return Error(Errc::kIo, "access_log " + config->access_log + ": " + e.what());
      }
    }
  }
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

}  // namespace

std::vector<IpAddress> ResolveBlocking(const std::string& host,
                                       std::shared_ptr<const HttpProxyConfig> config) {
  Resolver resolver(ProxyResolverOptions(*config));
  auto answer = resolver.LookupBlocking(host, LookupFamily::kAny);
  return answer ? UniqueUnmapped(answer->addresses) : std::vector<IpAddress>();
}

HttpProxy::HttpProxy(Runtime& runtime, metrics::Registry& registry)
    : runtime_(runtime),
      registry_(registry),
      shared_(std::make_shared<Shared>(registry, runtime.worker_count())) {}

HttpProxy::~HttpProxy() = default;

Result<void> HttpProxy::Start(std::shared_ptr<const HttpProxyConfig> config) {
  VIGIE_ASSIGN_OR_RETURN(auto snap, BuildSnapshot(*shared_, config, nullptr));
  shared_->snapshot.store(snap);
  shared_->limit->set_limit(static_cast<uint64_t>(config->max_connections));
  VIGIE_ASSIGN_OR_RETURN(auto acceptors, net::ListenTcpOn(runtime_.workers(), config->listen));
  if (acceptors.empty())
    return Error(Errc::kUnavailable, "no worker to listen on");
  bound_ = net::FromEndpoint(acceptors.front().local_endpoint());
  bool no_delay = true;
  for (auto& acceptor : acceptors) {
    boost::system::error_code ec;
    acceptor.set_option(tcp::no_delay(true), ec);
    no_delay = no_delay && !ec;
  }
  shared_->listener_no_delay = no_delay;
  for (size_t i = 0; i < acceptors.size(); ++i) {
    auto acceptor = std::make_shared<tcp::acceptor>(std::move(acceptors[i]));
    shared_->acceptors.push_back(acceptor);
    asio::co_spawn(runtime_.worker(i), AcceptLoop(acceptor, i, shared_),
                   Task(*shared_, "accept loop"));
  }
  shared_->log->info("egress http proxy on {} with {} destination rules", bound_.ToString(),
                     config->spec.rules.size() + (config->spec.wildcard ? 1 : 0));
  return {};
}

Result<void> HttpProxy::Reload(std::shared_ptr<const HttpProxyConfig> config) {
  auto old = shared_->snapshot.load();
  if (old && !(old->config->listen == config->listen))
    return Error(Errc::kUnsupported, "egress.http_proxy.listen changed (" +
                                         old->config->listen.ToString() + " -> " +
                                         config->listen.ToString() + "): restart to apply");
  VIGIE_ASSIGN_OR_RETURN(auto snap, BuildSnapshot(*shared_, config, old));
  shared_->snapshot.store(snap);
  shared_->limit->set_limit(static_cast<uint64_t>(config->max_connections));
  shared_->log->info("egress http proxy: reloaded, {} destination rules",
                     config->spec.rules.size() + (config->spec.wildcard ? 1 : 0));
  return {};
}

void HttpProxy::Stop() {
  shared_->stopping.store(true);
  for (size_t i = 0; i < shared_->acceptors.size(); ++i) {
    asio::post(runtime_.worker(i), [shared = shared_, i] {
      boost::system::error_code ignored;
      shared->acceptors[i]->close(ignored);
      for (Conn* c : shared->conns[i]) {
        if (c->idle) {
          c->CloseClient();
        }
      }
      shared->pools[i].clear();
    });
  }
}

}  // namespace vigie::egress::proxy
