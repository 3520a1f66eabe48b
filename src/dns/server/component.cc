// The dns component: listeners, forwarding, list refresh, metrics, admin.
#include "dns/server/component.h"

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <stdlib.h>      // arc4random (glibc >= 2.36): a CSPRNG for query IDs
#include <sys/socket.h>  // recvmmsg / sendmmsg

#include "core/accept.h"
#include "core/log.h"
#include "core/net.h"
#include "core/task.h"
#include "core/text.h"

// net.h carries the core of Asio; the composed read/write are added here.
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/dns/tcp_frame.h"
#include "core/dns/writer.h"
#include "dns/server/answer.h"
#include "dns/server/dot_client.h"
#include "dns/server/list_store.h"
#include "dns/server/query_log.h"
#include "dns/stats/top_names.h"

namespace vigie::dns {
namespace {

namespace asio = net::asio;
using net::tcp;
using net::udp;
using asio::experimental::awaitable_operators::operator||;

#define VIGIE_DNS_METRICS(COUNTER, GAUGE, HISTOGRAM)                                            \
  COUNTER(cache_hits_total, "Queries answered from the cache")                                  \
  COUNTER(cache_misses_total, "Queries not in the cache (sent upstream or joined)")             \
  COUNTER(malformed_total, "Queries that did not decode (answered FORMERR or dropped)")         \
  COUNTER(upstream_queries_total, "Queries sent to upstreams")                                  \
  COUNTER(upstream_errors_total, "Upstream queries that timed out, failed or SERVFAILed")       \
  COUNTER(upstream_mismatched_total, "Upstream packets ignored: wrong ID, question or garbage") \
  COUNTER(upstream_tcp_retries_total, "Upstream queries retried over TCP after TC=1")           \
  COUNTER(upstream_tls_handshakes_total, "DNS-over-TLS upstream connections established")       \
  COUNTER(upstream_tls_failures_total, "DNS-over-TLS connects or handshakes that failed")       \
  COUNTER(joined_total, "Queries joined to an identical upstream query in flight")              \
  COUNTER(prefetches_total, "Popular cache entries refreshed before expiry")                    \
  COUNTER(overload_total, "Queries refused an upstream slot (max_inflight reached)")            \
  COUNTER(tcp_connections_total, "TCP connections accepted")                                    \
  COUNTER(tcp_rejected_total, "TCP connections closed at once (max_tcp_connections)")           \
  COUNTER(send_drops_total, "UDP replies dropped because the socket buffer was full")           \
  COUNTER(task_failures_total, "Coroutines that ended with an exception")                       \
  COUNTER(list_refreshes_total, "List refreshes (all lists rebuilt)")                           \
  COUNTER(query_log_lines_total, "Lines written to the query log")                              \
  COUNTER(query_log_dropped_total, "Query log records dropped (queue full or file unwritable)") \
  COUNTER(query_log_rotations_total, "Query log rotations at max_size")                         \
  COUNTER(query_log_errors_total, "Query log open, write and rename failures")                  \
  GAUGE(blocklist_names, "Names in the block set")                                              \
  GAUGE(allowlist_names, "Names in the allow set")                                              \
  GAUGE(policy_bytes, "Memory held by the block and allow sets")                                \
  GAUGE(last_refresh_timestamp_seconds, "Unix time of the last list refresh")                   \
  GAUGE(last_refresh_ok, "1 when every list was read fresh at the last refresh, else 0")        \
  HISTOGRAM(upstream_seconds, "Upstream query latency", metrics::kLatencyBuckets)               \
  HISTOGRAM(list_build_seconds, "Time to read all lists and build the policy",                  \
            metrics::kLatencyBuckets)

VIGIE_DECLARE_METRICS(DnsMetrics, "vigie_dns_", VIGIE_DNS_METRICS);

constexpr size_t kUdpBuffer = 65535;

struct Shared {
  Shared(metrics::Registry& reg, const DnsConfig& config, size_t workers)
      : registry(reg),
        m(reg),
        cache(config.cache),
        limiter(config.rate_limit),
        query_log(workers,
                  QueryLogCounters{&m.query_log_lines_total, &m.query_log_dropped_total,
                                   &m.query_log_rotations_total, &m.query_log_errors_total}) {
    for (size_t i = 0; i < results.size(); ++i) {
      results[i] = &registry.AddCounter(
          "vigie_dns_queries_total", "Queries by how they were answered",
          {{"result", std::string(QueryResultName(static_cast<QueryResult>(i)))}});
    }
  }
  metrics::Registry& registry;
  DnsMetrics m;
  ShardedCache cache;
  ShardedRateLimiter limiter;
  QueryLog query_log;
  std::array<metrics::Counter*, static_cast<size_t>(QueryResult::kCount)> results{};
  std::shared_ptr<spdlog::logger> logger = log::Get("dns");

  void Count(QueryResult r) {
    results[static_cast<size_t>(r)]->Inc();
    if (r == QueryResult::kCached) {
      m.cache_hits_total.Inc();
    }
  }
};

// The result of forwarding: the answer (or the failure) and who gave it.
struct Upstreamed {
  Result<Message> result = Error(vigie::Errc::kUnavailable, "no upstream");
  std::string upstream;  // "IP:port" of the upstream that answered last
};

// An upstream query in flight, joined by identical queries on this worker.
struct Inflight {
  explicit Inflight(const asio::any_io_executor& ex)
      : done(ex, std::chrono::steady_clock::time_point::max()) {}
  asio::steady_timer done;
  std::optional<Upstreamed> result;
};

struct Worker {
  asio::io_context* ctx = nullptr;
  size_t index = 0;
  // Keeps the counters and the cache alive while coroutines of this worker
  // run, even past the component's destruction.
  std::shared_ptr<Shared> shared_owner;
  Shared* shared = nullptr;
  Snapshot snap;  // touched on this worker's thread only
  std::vector<udp::socket> udp_sockets;
  std::vector<tcp::acceptor> acceptors;
  std::unordered_map<std::string, std::shared_ptr<Inflight>> inflight;
  std::unordered_set<tcp::socket*> sessions;
  // This worker's TCP sessions, at most max_tcp_connections (set with snap).
  std::shared_ptr<net::ConnectionLimit> tcp_limit = std::make_shared<net::ConnectionLimit>();
  std::unordered_map<std::string, int> upstream_failures;  // consecutive, by address
  // DNS-over-TLS connections of this worker, by upstream (with TLS settings).
  std::unordered_map<std::string, std::shared_ptr<DotConnection>> dot;
  bool stopping = false;
  // Blocked names seen on this worker; read by /dns/top on the control
  // thread, hence the lock (uncontended otherwise).
  std::mutex top_mu;
  std::unique_ptr<TopNames> top;
};

int64_t SteadyNanos(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Whether this client is over its rate limit. With action truncate, TCP is
// exempt: the handshake has proved the source, which is what TC=1 asks for.
bool OverLimit(Shared* shared, const DnsConfig& config, const IpAddress& client, bool over_tcp,
               std::chrono::steady_clock::time_point now) {
  if (!config.rate_limit.enabled() ||
      (over_tcp && config.rate_limit_action == RateLimitAction::kTruncate)) {
    return false;
  }
  return !shared->limiter.Allow(client, SteadyNanos(now));
}

void NoteBlocked(Worker* w, const Name& name) {
  // Reused per thread: counting a name already in the summary allocates
  // nothing.
  thread_local std::string key;
  key.clear();
  name.AppendKey(&key);
  std::lock_guard lock(w->top_mu);
  w->top->Add(key);
}

// The `n` most blocked names over the workers' summaries, largest first;
// *total (when given) gets the number of blocked queries counted.
std::vector<TopEntry> MergedTop(const std::vector<std::shared_ptr<Worker>>& workers, size_t n,
                                uint64_t* total) {
  if (n == 0) {
    return {};
  }
  std::vector<std::vector<TopEntry>> parts;
  for (const auto& w : workers) {
    std::lock_guard lock(w->top_mu);
    parts.push_back(w->top->entries());
    if (total != nullptr) {
      *total += w->top->total();
    }
  }
  return MergeTop(parts, n);
}

// The part of a query log record known when the query arrives.
QueryRecord StartRecord(const Handled& h, const IpAddress& client, bool over_tcp) {
  QueryRecord r;
  r.time = std::chrono::system_clock::now();
  r.client = client;
  r.tcp = over_tcp;
  if (h.has_question) {
    r.name = h.qname.ToKey();
    r.type = h.qtype;
  }
  if (h.rule_list != nullptr) {
    r.rule_list = h.rule_list->id;
    r.rule_line = h.rule_line;
    r.rule_allows = h.rule_allows;
  }
  return r;
}

// Completes the record with the outcome and queues it for the writer.
void FinishRecord(Worker* w, QueryRecord r, const Handled& h,
                  std::chrono::steady_clock::time_point start, std::string upstream) {
  r.result = QueryResultName(h.result);
  if (h.result == QueryResult::kBlockedCname && h.rule_list != nullptr) {
    r.rule_list = h.rule_list->id;
    r.rule_line = h.rule_line;
    r.rule_allows = false;
  }
  r.rcode = -1;
  if (h.action == Handled::Action::kReply && h.reply.size() >= 4) {
    r.rcode = std::to_integer<int>(h.reply[3]) & 0x0F;
  }
  r.latency_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  r.upstream = std::move(upstream);
  w->shared->query_log.Push(w->index, std::move(r));
}

// The completion handler of the component's coroutines.
net::TaskDone SpawnDone(const char* what, Shared* shared) {
  return net::TaskDone{what, shared->logger.get(), &shared->m.task_failures_total};
}

Message UpstreamQuery(const Question& q) {
  Message m;
  m.header.id = static_cast<uint16_t>(arc4random() & 0xFFFF);
  m.header.rd = true;
  m.questions.push_back(q);
  Edns e;
  e.udp_size = kDefaultEdnsUdpSize;
  m.edns = e;
  return m;
}

// A reply is ours only if it is a response with our ID and our question
// (RFC 5452 §9.1); the connected socket already checked address and port.
bool Matches(const Message& reply, const Message& query) {
  return reply.header.qr && reply.header.id == query.header.id && reply.questions.size() == 1 &&
         reply.questions[0] == query.questions[0];
}

net::Awaitable<Result<Message>> QueryUdp(udp::endpoint upstream, Question q, Duration timeout,
                                         Shared* shared) {
  auto ex = co_await asio::this_coro::executor;
  udp::socket sock(ex);
  boost::system::error_code ec;
  sock.open(upstream.protocol(), ec);
  if (!ec) {
    // connect() binds a fresh, kernel-randomized source port and makes the
    // kernel drop datagrams from any other address or port.
    sock.connect(upstream, ec);
  }
  if (ec) {
    co_return Error(vigie::Errc::kUnavailable, ec.message());
  }
  const Message query = UpstreamQuery(q);
  std::vector<std::byte> out;
  Encode(query, &out);
  auto [sec, sn] = co_await sock.async_send(asio::buffer(out.data(), out.size()), net::kUseTuple);
  if (sec) {
    co_return Error(vigie::Errc::kUnavailable, sec.message());
  }
  asio::steady_timer timer(ex);
  timer.expires_after(timeout);
  std::vector<std::byte> in(kUdpBuffer);
  for (;;) {
    auto r = co_await (sock.async_receive(asio::buffer(in.data(), in.size()), net::kUseTuple) ||
                       timer.async_wait(net::kUseTuple));
    if (r.index() == 1) {
      co_return Error(vigie::Errc::kTimeout, "timed out");
    }
    auto [rec, n] = std::get<0>(r);
    if (rec) {
      co_return Error(vigie::Errc::kUnavailable, rec.message());
    }
    auto reply = DecodeMessage(std::span(in.data(), n));
    if (!reply || !Matches(*reply, query)) {
      // Keep waiting for the real answer until the deadline.
      shared->m.upstream_mismatched_total.Inc();
      continue;
    }
    co_return std::move(*reply);
  }
}

net::Awaitable<Result<Message>> QueryTcp(tcp::endpoint upstream, Question q, Duration timeout,
                                         Shared* shared) {
  auto ex = co_await asio::this_coro::executor;
  tcp::socket sock(ex);
  asio::steady_timer timer(ex);
  timer.expires_after(timeout);
  auto c =
      co_await (sock.async_connect(upstream, net::kUseTuple) || timer.async_wait(net::kUseTuple));
  if (c.index() == 1) {
    co_return Error(vigie::Errc::kTimeout, "TCP connect timed out");
  }
  if (auto [cec] = std::get<0>(c); cec) {
    co_return Error(vigie::Errc::kUnavailable, cec.message());
  }
  const Message query = UpstreamQuery(q);
  std::vector<std::byte> out;
  Encode(query, &out);
  PrefixTcpLength(&out, 0);
  auto w =
      co_await (asio::async_write(sock, asio::buffer(out.data(), out.size()), net::kUseTuple) ||
                timer.async_wait(net::kUseTuple));
  if (w.index() == 1) {
    co_return Error(vigie::Errc::kTimeout, "TCP write timed out");
  }
  if (auto [wec, wn] = std::get<0>(w); wec) {
    co_return Error(vigie::Errc::kUnavailable, wec.message());
  }
  for (;;) {
    std::array<std::byte, 2> len{};
    auto r = co_await (asio::async_read(sock, asio::buffer(len), net::kUseTuple) ||
                       timer.async_wait(net::kUseTuple));
    if (r.index() == 1) {
      co_return Error(vigie::Errc::kTimeout, "TCP read timed out");
    }
    if (auto [rec, n] = std::get<0>(r); rec) {
      co_return Error(vigie::Errc::kUnavailable, rec.message());
    }
    const size_t size = (std::to_integer<size_t>(len[0]) << 8) | std::to_integer<size_t>(len[1]);
    std::vector<std::byte> in(size);
    auto b = co_await (asio::async_read(sock, asio::buffer(in.data(), in.size()), net::kUseTuple) ||
                       timer.async_wait(net::kUseTuple));
    if (b.index() == 1) {
      co_return Error(vigie::Errc::kTimeout, "TCP read timed out");
    }
    if (auto [bec, n] = std::get<0>(b); bec) {
      co_return Error(vigie::Errc::kUnavailable, bec.message());
    }
    auto reply = DecodeMessage(in);
    if (!reply || !Matches(*reply, query)) {
      shared->m.upstream_mismatched_total.Inc();
      continue;
    }
    co_return std::move(*reply);
  }
}

// This worker's DoT connection to `u`, made on first use (and again when the
// TLS settings of that upstream change on reload).
Result<std::shared_ptr<DotConnection>> DotFor(Worker* w, const UpstreamConfig& u,
                                              const DnsConfig& config) {
  const std::string key = u.ToString() + "|" + u.ca_file + "|" + (u.verify ? "v" : "n") + "|" +
                          std::to_string(config.tls_idle_timeout.count());
  if (auto it = w->dot.find(key); it != w->dot.end()) {
    return it->second;
  }
  VIGIE_ASSIGN_OR_RETURN(auto conn,
                         MakeDotConnection(w->ctx->get_executor(), u, config.tls_idle_timeout,
                                           DotCounters{&w->shared->m.upstream_tls_handshakes_total,
                                                       &w->shared->m.upstream_tls_failures_total}));
  if (w->dot.size() >= 64) {
    // Old settings from earlier reloads: close them, bounded.
    for (auto& [k, c] : w->dot) {
      CloseDot(*c);
    }
    w->dot.clear();
  }
  w->dot.emplace(key, conn);
  return conn;
}

// Tries the upstreams in order, those that failed recently last.
net::Awaitable<Upstreamed> Forward(std::shared_ptr<Worker> w, Question q, Snapshot snap) {
  const DnsConfig& config = *snap.config;
  Shared* shared = w->shared;
  std::vector<const UpstreamConfig*> order;
  for (const auto& u : config.upstreams) {
    if (w->upstream_failures[u.ToString()] < 3) {
      order.push_back(&u);
    }
  }
  for (const auto& u : config.upstreams) {
    if (w->upstream_failures[u.ToString()] >= 3) {
      order.push_back(&u);
    }
  }
  Upstreamed last;
  for (const UpstreamConfig* u : order) {
    const auto start = std::chrono::steady_clock::now();
    Result<Message> r = Error(vigie::Errc::kUnavailable, "no upstream");
    if (u->tls) {
      auto conn = DotFor(w.get(), *u, config);
      if (!conn) {
        r = conn.error();
      } else {
        shared->m.upstream_queries_total.Inc();
        r = co_await QueryDot(*conn, UpstreamQuery(q), config.upstream_timeout);
      }
    } else {
      auto ep = net::ToUdpEndpoint(u->address);
      if (!ep) {
        continue;
      }
      shared->m.upstream_queries_total.Inc();
      r = co_await QueryUdp(*ep, q, config.upstream_timeout, shared);
      if (r && r->header.tc) {
        shared->m.upstream_tcp_retries_total.Inc();
        r = co_await QueryTcp(tcp::endpoint(ep->address(), ep->port()), q, config.upstream_timeout,
                              shared);
      }
    }
    shared->m.upstream_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    const bool good = r && r->FullRcode() != rcode::kServFail && r->FullRcode() != rcode::kRefused;
    int& failures = w->upstream_failures[u->ToString()];
    if (good) {
      failures = 0;
      co_return Upstreamed{std::move(r), u->ToString()};
    }
    ++failures;
    shared->m.upstream_errors_total.Inc();
    if (!r) {
      // The first failure in a row is worth a warning (a bad certificate, a
      // dead server); the following ones would flood the log.
      if (failures == 1) {
        shared->logger->warn("upstream {}: {} (for {})", u->ToString(), r.error().ToString(),
                             q.name.ToText());
      } else {
        shared->logger->debug("upstream {}: {} for {}", u->ToString(), r.error().ToString(),
                              q.name.ToText());
      }
    }
    last = Upstreamed{std::move(r), u->ToString()};
  }
  co_return last;
}

// One upstream query per (name, type, class) on this worker; later askers
// wait for its result.
net::Awaitable<Upstreamed> Resolve(std::shared_ptr<Worker> w, Question q, std::string key,
                                   Snapshot snap) {
  if (auto it = w->inflight.find(key); it != w->inflight.end()) {
    w->shared->m.joined_total.Inc();
    std::shared_ptr<Inflight> inf = it->second;
    if (!inf->result) {
      co_await inf->done.async_wait(net::kUseTuple);
    }
    if (inf->result) {
      co_return *inf->result;
    }
    co_return Upstreamed{Error(vigie::Errc::kCancelled, "joined query abandoned"), {}};
  }
  if (w->inflight.size() >= snap.config->max_inflight) {
    w->shared->m.overload_total.Inc();
    co_return Upstreamed{Error(vigie::Errc::kLimitExceeded, "too many upstream queries in flight"),
                         {}};
  }
  auto inf = std::make_shared<Inflight>(co_await asio::this_coro::executor);
  w->inflight.emplace(key, inf);
  Upstreamed r = co_await Forward(w, q, snap);
  inf->result = r;
  w->inflight.erase(key);
  inf->done.cancel();
  co_return r;
}

// `record`: the query log record begun on arrival (log on), else nullopt.
net::Awaitable<void> ForwardUdp(std::shared_ptr<Worker> w, size_t index, udp::endpoint client,
                                Message query, std::string key, bool allowed,
                                std::optional<QueryRecord> record,
                                std::chrono::steady_clock::time_point start) {
  Snapshot snap = w->snap;
  Shared* shared = w->shared;
  shared->m.cache_misses_total.Inc();
  Upstreamed r = co_await Resolve(w, query.questions[0], key, snap);
  Handled h;
  AnswerFromUpstream(query, false, allowed, r.result, snap, &shared->cache,
                     std::chrono::steady_clock::now(), &h);
  shared->Count(h.result);
  if (h.result == QueryResult::kBlockedCname) {
    NoteBlocked(w.get(), query.questions[0].name);
  }
  if (record) {
    FinishRecord(w.get(), std::move(*record), h, start, std::move(r.upstream));
  }
  if (h.action != Handled::Action::kReply || w->stopping || !w->udp_sockets[index].is_open()) {
    co_return;
  }
  boost::system::error_code ec;
  w->udp_sockets[index].send_to(asio::buffer(h.reply.data(), h.reply.size()), client, 0, ec);
  if (ec) {
    shared->m.send_drops_total.Inc();
  }
}

net::Awaitable<void> Prefetch(std::shared_ptr<Worker> w, Message query, std::string key,
                              bool allowed) {
  Snapshot snap = w->snap;
  Shared* shared = w->shared;
  shared->m.prefetches_total.Inc();
  Upstreamed r = co_await Resolve(w, query.questions[0], key, snap);
  Handled h;
  if (r.result) {
    AnswerFromUpstream(query, false, allowed, r.result, snap, &shared->cache,
                       std::chrono::steady_clock::now(), &h);
  }
  shared->cache.PrefetchDone(key);
}

void StartPrefetch(const std::shared_ptr<Worker>& w, Handled& h) {
  asio::co_spawn(*w->ctx, Prefetch(w, std::move(h.query), h.cache_key, h.allowed),
                 SpawnDone("dns prefetch", w->shared));
}

// Up to kBatch datagrams per recvmmsg(2) and their replies in one
// sendmmsg(2): under load the system calls, not the answering, dominate.
constexpr unsigned kBatch = 32;
constexpr size_t kQueryBuffer = 4096;  // larger queries arrive truncated: FORMERR

struct UdpBatch {
  std::array<std::array<std::byte, kQueryBuffer>, kBatch> in{};
  std::array<sockaddr_storage, kBatch> from{};
  std::array<iovec, kBatch> in_iov{};
  std::array<mmsghdr, kBatch> in_msgs{};
  std::array<Handled, kBatch> handled;
  std::array<iovec, kBatch> out_iov{};
  std::array<mmsghdr, kBatch> out_msgs{};
};

net::Awaitable<void> UdpLoop(std::shared_ptr<Worker> w, size_t index) {
  udp::socket& sock = w->udp_sockets[index];
  Shared* shared = w->shared;
  boost::system::error_code ec;
  sock.non_blocking(true, ec);
  auto batch = std::make_unique<UdpBatch>();
  UdpBatch& b = *batch;
  while (!w->stopping && sock.is_open()) {
    for (unsigned i = 0; i < kBatch; ++i) {
      b.in_iov[i] = iovec{b.in[i].data(), b.in[i].size()};
      b.in_msgs[i] = mmsghdr{};
      b.in_msgs[i].msg_hdr.msg_name = &b.from[i];
      b.in_msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      b.in_msgs[i].msg_hdr.msg_iov = &b.in_iov[i];
      b.in_msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(sock.native_handle(), b.in_msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        auto [wec] = co_await sock.async_wait(udp::socket::wait_read, net::kUseTuple);
        if (wec) {
          break;
        }
        continue;
      }
      if (errno == EBADF || errno == ENOTSOCK) {
        break;
      }
      continue;  // EINTR, ICMP errors reported on the socket...
    }
    const auto now = std::chrono::steady_clock::now();
    const Snapshot& snap = w->snap;
    ShardedCache* cache = snap.config->cache_enabled ? &shared->cache : nullptr;
    const bool logging = snap.config->query_log.enabled() && shared->query_log.enabled();
    unsigned replies = 0;
    for (int i = 0; i < n; ++i) {
      udp::endpoint from;
      const socklen_t len = b.in_msgs[i].msg_hdr.msg_namelen;
      if (len > from.capacity()) {
        continue;
      }
      std::memcpy(from.data(), &b.from[i], len);
      from.resize(len);
      Handled& h = b.handled[i];
      size_t size = b.in_msgs[i].msg_len;
      if ((b.in_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        size = 5;  // over kQueryBuffer: not a query we take (answered like garbage)
      }
      const IpAddress client = net::FromAsio(from.address());
      HandleQuery(std::span<const std::byte>(b.in[i].data(), size), client, false, snap, cache, now,
                  &h, OverLimit(shared, *snap.config, client, false, now));
      if (h.result == QueryResult::kBlocked && h.has_question) {
        NoteBlocked(w.get(), h.qname);
      }
      if (logging && h.action != Handled::Action::kForward) {
        FinishRecord(w.get(), StartRecord(h, client, false), h, now, {});
      }
      if (h.result == QueryResult::kFormErr ||
          (h.result == QueryResult::kDropped && h.action == Handled::Action::kDrop)) {
        shared->m.malformed_total.Inc();
      }
      switch (h.action) {
        case Handled::Action::kDrop:
          shared->Count(h.result);
          break;
        case Handled::Action::kReply:
          shared->Count(h.result);
          b.out_iov[replies] = iovec{h.reply.data(), h.reply.size()};
          b.out_msgs[replies] = mmsghdr{};
          b.out_msgs[replies].msg_hdr.msg_name = &b.from[i];
          b.out_msgs[replies].msg_hdr.msg_namelen = len;
          b.out_msgs[replies].msg_hdr.msg_iov = &b.out_iov[replies];
          b.out_msgs[replies].msg_hdr.msg_iovlen = 1;
          ++replies;
          if (h.prefetch) {
            StartPrefetch(w, h);
          }
          break;
        case Handled::Action::kForward:
          std::optional<QueryRecord> record;
          if (logging) {
            record = StartRecord(h, client, false);
          }
          asio::co_spawn(*w->ctx,
                         ForwardUdp(w, index, from, std::move(h.query), h.cache_key, h.allowed,
                                    std::move(record), now),
                         SpawnDone("dns forward", shared));
          break;
      }
    }
    unsigned sent = 0;
    while (sent < replies) {
      const int m =
          ::sendmmsg(sock.native_handle(), b.out_msgs.data() + sent, replies - sent, MSG_DONTWAIT);
      if (m <= 0) {
        // Socket buffer full (or an error for one destination): drop the rest
        // of this batch, as a full buffer would for single sends.
        shared->m.send_drops_total.Inc(replies - sent);
        break;
      }
      sent += static_cast<unsigned>(m);
    }
  }
}

struct SessionGuard {
  Worker* w;
  tcp::socket* s;
  ~SessionGuard() { w->sessions.erase(s); }
};

// `slot` is the session's place under max_tcp_connections, held until it ends.
net::Awaitable<void> TcpSession(std::shared_ptr<Worker> w, tcp::socket sock,
                                [[maybe_unused]] net::ConnectionLimit::Slot slot) {
  Shared* shared = w->shared;
  w->sessions.insert(&sock);
  SessionGuard guard{w.get(), &sock};
  boost::system::error_code ec;
  const auto peer = sock.remote_endpoint(ec);
  if (ec) {
    co_return;
  }
  const IpAddress client = net::FromAsio(peer.address());
  // Answers are small and written one by one: without NODELAY, Nagle and
  // the client's delayed ACK stall every second pipelined answer.
  sock.set_option(tcp::no_delay(true), ec);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::vector<std::byte> in;
  std::array<std::byte, 4096> chunk{};
  Handled h;
  while (!w->stopping) {
    // Answer every complete frame already read (pipelining, in order).
    for (;;) {
      auto frame = NextTcpFrame(in);
      if (!frame) {
        shared->m.malformed_total.Inc();
        co_return;  // an impossible length: close
      }
      if (!*frame) {
        break;
      }
      const size_t consumed = (*frame)->consumed;
      Snapshot snap = w->snap;
      const auto start = std::chrono::steady_clock::now();
      HandleQuery((*frame)->message, client, true, snap,
                  snap.config->cache_enabled ? &shared->cache : nullptr, start, &h,
                  OverLimit(shared, *snap.config, client, true, start));
      const bool logging = snap.config->query_log.enabled() && shared->query_log.enabled();
      std::optional<QueryRecord> record;
      if (logging) {
        record = StartRecord(h, client, true);
      }
      std::string upstream;
      if (h.result == QueryResult::kFormErr ||
          (h.result == QueryResult::kDropped && h.action == Handled::Action::kDrop)) {
        shared->m.malformed_total.Inc();
      }
      in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(consumed));
      if (h.action == Handled::Action::kForward) {
        shared->m.cache_misses_total.Inc();
        Message query = std::move(h.query);
        Upstreamed r = co_await Resolve(w, query.questions[0], h.cache_key, snap);
        AnswerFromUpstream(query, true, h.allowed, r.result, snap,
                           snap.config->cache_enabled ? &shared->cache : nullptr,
                           std::chrono::steady_clock::now(), &h);
        upstream = std::move(r.upstream);
        if (h.result == QueryResult::kBlockedCname) {
          NoteBlocked(w.get(), query.questions[0].name);
        }
      } else if (h.result == QueryResult::kBlocked && h.has_question) {
        NoteBlocked(w.get(), h.qname);
      }
      shared->Count(h.result);
      if (record) {
        FinishRecord(w.get(), std::move(*record), h, start, std::move(upstream));
      }
      if (h.action != Handled::Action::kReply) {
        continue;
      }
      if (h.prefetch) {
        StartPrefetch(w, h);
      }
      PrefixTcpLength(&h.reply, 0);
      timer.expires_after(snap.config->tcp_idle_timeout);
      auto wr = co_await (
          asio::async_write(sock, asio::buffer(h.reply.data(), h.reply.size()), net::kUseTuple) ||
          timer.async_wait(net::kUseTuple));
      if (wr.index() == 1 || std::get<0>(std::get<0>(wr))) {
        co_return;
      }
    }
    if (in.size() > 65537) {
      co_return;
    }
    timer.expires_after(w->snap.config->tcp_idle_timeout);
    auto rd = co_await (sock.async_read_some(asio::buffer(chunk), net::kUseTuple) ||
                        timer.async_wait(net::kUseTuple));
    if (rd.index() == 1) {
      co_return;  // idle timeout (RFC 7766 §6.2.3)
    }
    auto [rec, n] = std::get<0>(rd);
    if (rec) {
      co_return;
    }
    in.insert(in.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

net::Awaitable<void> AcceptLoop(std::shared_ptr<Worker> w, size_t index) {
  tcp::acceptor& acceptor = w->acceptors[index];
  Shared* shared = w->shared;
  net::AcceptOptions options{
      .name = "dns tcp " + net::FromEndpoint(acceptor.local_endpoint()).ToString(),
      .logger = shared->logger.get(),
      .limit = w->tcp_limit,
      .accepted = &shared->m.tcp_connections_total,
      .refused = &shared->m.tcp_rejected_total,
      .stopping = [w] { return w->stopping; }};
  auto serve = [w](tcp::socket sock, net::ConnectionLimit::Slot slot) {
    asio::co_spawn(*w->ctx, TcpSession(w, std::move(sock), std::move(slot)),
                   SpawnDone("dns tcp session", w->shared));
  };
  co_await net::AcceptLoop(acceptor, std::move(options), serve);
}

class DnsComponent final : public Component {
 public:
  explicit DnsComponent(ServeContext& ctx) : ctx_(ctx) {}
  ~DnsComponent() override { StopRefresher(); }

  Result<void> Start(std::shared_ptr<const ComponentConfig> base) override {
    auto config = std::static_pointer_cast<const DnsConfig>(base);
    auto contexts = ctx_.runtime.workers();
    shared_ = std::make_shared<Shared>(ctx_.metrics, *config, contexts.size());
    shared_->query_log.Configure(config->query_log);
    shared_->query_log.Start();
    ctx_.metrics.AddGaugeFunction("vigie_dns_ratelimit_clients",
                                  "Client prefixes tracked by the rate limiter", {},
                                  [s = shared_] { return static_cast<double>(s->limiter.size()); });
    ctx_.metrics.AddGaugeFunction(
        "vigie_dns_cache_entries", "Entries in the answer cache", {},
        [s = shared_] { return static_cast<double>(s->cache.stats().entries); });
    ctx_.metrics.AddGaugeFunction(
        "vigie_dns_cache_bytes", "Octets held by the answer cache", {},
        [s = shared_] { return static_cast<double>(s->cache.stats().bytes); });
    config_ = config;
    top_metrics_->store(config->top_blocked_metrics, std::memory_order_relaxed);
    BuiltPolicy built = store_.Build(*config);
    Snapshot snap{config, built.policy};
    Record(built);
    for (auto* c : contexts) {
      auto w = std::make_shared<Worker>();
      w->ctx = c;
      w->index = workers_.size();
      w->top = std::make_unique<TopNames>(config->top_names);
      w->shared_owner = shared_;
      w->shared = shared_.get();
      w->snap = snap;
      w->tcp_limit->set_limit(config->max_tcp_connections);
      workers_.push_back(std::move(w));
    }
    for (size_t li = 0; li < config->listen.size(); ++li) {
      const Address& a = config->listen[li];
      // Port 0: the kernel picks a free UDP port, which may be taken for
      // TCP; pick again a few times before giving up.
      std::vector<udp::socket> udps;
      std::vector<tcp::acceptor> tcps;
      Address bound = a;
      for (int attempt = 0;; ++attempt) {
        VIGIE_ASSIGN_OR_RETURN(udps, net::BindUdpOn(contexts, a));
        bound.port = udps.empty() ? a.port : udps.front().local_endpoint().port();
        auto listening = net::ListenTcpOn(contexts, bound);
        if (listening) {
          tcps = std::move(*listening);
          break;
        }
        if (a.port != 0 || attempt >= 8) {
          return listening.error();
        }
        udps.clear();
      }
      for (size_t i = 0; i < workers_.size(); ++i) {
        workers_[i]->udp_sockets.push_back(std::move(udps[i]));
        workers_[i]->acceptors.push_back(std::move(tcps[i]));
      }
      const std::string suffix = li == 0 ? "" : "-" + std::to_string(li);
      listeners_.push_back("dns-udp" + suffix + " " + bound.ToString());
      listeners_.push_back("dns-tcp" + suffix + " " + bound.ToString());
    }
    {
      std::lock_guard lock(mu_);
      current_ = snap;
    }
    for (auto& w : workers_) {
      for (size_t i = 0; i < w->udp_sockets.size(); ++i) {
        asio::co_spawn(*w->ctx, UdpLoop(w, i), SpawnDone("dns udp loop", shared_.get()));
        asio::co_spawn(*w->ctx, AcceptLoop(w, i), SpawnDone("dns tcp accept", shared_.get()));
      }
    }
    ctx_.admin.AddRoute("/dns/why", [this](const AdminRequest& req) { return Why(req); });
    ctx_.admin.AddRoute("/dns/lists", [this](const AdminRequest&) { return Lists(); });
    ctx_.admin.AddRoute("/dns/top", [this](const AdminRequest& req) { return Top(req); });
    // Computed at each scrape from the workers' summaries; the workers are
    // held by value so the function stays valid whatever the component does.
    ctx_.metrics.AddGaugeFamilyFunction(
        "vigie_dns_top_blocked_queries",
        "Blocked queries of the most blocked names since start (upper bounds)",
        [workers = workers_, n = top_metrics_] {
          std::vector<std::pair<metrics::Labels, double>> out;
          for (const TopEntry& e :
               MergedTop(workers, n->load(std::memory_order_relaxed), nullptr)) {
            out.push_back({{{"name", e.name}}, static_cast<double>(e.count)});
          }
          return out;
        });
    refresher_ = std::thread([this] { RefreshLoop(); });
    return {};
  }

  Result<void> Reload(std::shared_ptr<const ComponentConfig> base) override {
    auto config = std::static_pointer_cast<const DnsConfig>(base);
    if (config->listen != config_->listen) {
      shared_->logger->warn("dns.listen changes take effect at the next restart");
    }
    Snapshot snap;
    {
      std::lock_guard lock(mu_);
      snap = Snapshot{config, current_.policy};
    }
    shared_->limiter.Reconfigure(config->rate_limit);
    top_metrics_->store(config->top_blocked_metrics, std::memory_order_relaxed);
    // Reopens the file too: SIGHUP after logrotate moved it.
    shared_->query_log.Configure(config->query_log);
    Publish(snap);
    {
      std::lock_guard lock(refresh_mu_);
      config_ = config;
      refresh_now_ = true;
    }
    refresh_cv_.notify_all();
    return {};
  }

  void Stop() override {
    ctx_.admin.RemoveRoute("/dns/why");
    ctx_.admin.RemoveRoute("/dns/lists");
    ctx_.admin.RemoveRoute("/dns/top");
    StopRefresher();
    shared_->query_log.Stop();
    for (auto& w : workers_) {
      asio::post(*w->ctx, [w] {
        w->stopping = true;
        boost::system::error_code ignored;
        for (auto& s : w->udp_sockets) {
          s.close(ignored);
        }
        for (auto& a : w->acceptors) {
          a.close(ignored);
        }
        for (tcp::socket* s : w->sessions) {
          s->close(ignored);
        }
        for (auto& [key, c] : w->dot) {
          CloseDot(*c);
        }
      });
    }
  }

  std::string State() const override {
    std::lock_guard lock(mu_);
    for (const auto& l : lists_) {
      if (!l.ok) {
        return "degraded: list " + l.id + ": " + l.message;
      }
    }
    return "running";
  }

  std::vector<std::string> Listeners() const override { return listeners_; }

 private:
  void Publish(const Snapshot& snap) {
    {
      std::lock_guard lock(mu_);
      current_ = snap;
    }
    for (auto& w : workers_) {
      asio::post(*w->ctx, [w, snap] {
        w->tcp_limit->set_limit(snap.config->max_tcp_connections);
        w->snap = snap;
      });
    }
  }

  void Record(const BuiltPolicy& built) {
    DnsMetrics& m = shared_->m;
    m.list_refreshes_total.Inc();
    m.blocklist_names.Set(static_cast<int64_t>(built.policy->blocked().size()));
    m.allowlist_names.Set(static_cast<int64_t>(built.policy->allowed().size()));
    m.policy_bytes.Set(static_cast<int64_t>(built.policy->MemoryBytes()));
    m.list_build_seconds.Observe(static_cast<double>(built.build_time.count()) / 1000.0);
    bool all_ok = true;
    for (const auto& l : built.lists) {
      all_ok = all_ok && l.ok;
      ctx_.metrics.AddGauge("vigie_dns_list_rules", "Rules loaded from each list", {{"list", l.id}})
          .Set(l.rules);
      ctx_.metrics.AddGauge("vigie_dns_list_errors", "Bad lines in each list", {{"list", l.id}})
          .Set(l.errors);
      ctx_.metrics
          .AddGauge("vigie_dns_list_ok", "1 when the list was read fresh at the last refresh",
                    {{"list", l.id}})
          .Set(l.ok ? 1 : 0);
      if (l.ok) {
        shared_->logger->info("list {} ({}): {}, {} rules, {} bad lines", l.id, l.source, l.message,
                              l.rules, l.errors);
      } else {
        shared_->logger->warn("list {} ({}): {}", l.id, l.source, l.message);
      }
    }
    m.last_refresh_ok.Set(all_ok ? 1 : 0);
    m.last_refresh_timestamp_seconds.Set(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    std::lock_guard lock(mu_);
    lists_ = built.lists;
  }

  void RefreshLoop() {
    std::unique_lock lock(refresh_mu_);
    while (!stop_) {
      const auto interval = config_->refresh;
      refresh_cv_.wait_for(lock, interval, [this] { return stop_ || refresh_now_; });
      if (stop_) {
        break;
      }
      refresh_now_ = false;
      auto config = config_;
      lock.unlock();
      BuiltPolicy built = store_.Build(*config);
      Record(built);
      lock.lock();
      // A reload may have come in meanwhile: pair the lists with the newest
      // config (its own rebuild follows at once, refresh_now_ being set).
      Publish(Snapshot{config_, built.policy});
    }
  }

  void StopRefresher() {
    {
      std::lock_guard lock(refresh_mu_);
      stop_ = true;
    }
    refresh_cv_.notify_all();
    if (refresher_.joinable()) {
      refresher_.join();
    }
  }

  AdminResponse Why(const AdminRequest& req) {
    const std::string name = req.Param("name");
    AdminResponse res;
    if (name.empty()) {
      res.status = 400;
      res.body = "usage: /dns/why?name=NAME\n";
      return res;
    }
    Snapshot snap;
    {
      std::lock_guard lock(mu_);
      snap = current_;
    }
    const Decision d = snap.policy->Decide(name);
    res.body = snap.policy->Explain(name, d) + "\n";
    return res;
  }

  // The most blocked names since start, merged over the workers, as JSON:
  // {"total":N,"names":[{"name":…,"count":…,"error":…},…]}.
  AdminResponse Top(const AdminRequest& req) {
    AdminResponse res;
    size_t n = 20;
    if (const std::string p = req.Param("n"); !p.empty()) {
      char* end = nullptr;
      const unsigned long v = std::strtoul(p.c_str(), &end, 10);
      if (end == nullptr || *end != '\0' || v == 0 || v > 10000) {
        res.status = 400;
        res.body = "usage: /dns/top?n=N (1..10000)\n";
        return res;
      }
      n = v;
    }
    uint64_t total = 0;
    const std::vector<TopEntry> top = MergedTop(workers_, n, &total);
    res.content_type = "application/json";
    res.body = "{\"total\":" + std::to_string(total) + ",\"names\":[";
    for (size_t i = 0; i < top.size(); ++i) {
      std::string name_json;
      AppendJsonString(top[i].name, name_json, JsonBytes::kOctets);
      res.body += (i == 0 ? "" : ",") + std::string("{\"name\":") + name_json +
                  ",\"count\":" + std::to_string(top[i].count) +
                  ",\"error\":" + std::to_string(top[i].error) + "}";
    }
    res.body += "]}\n";
    return res;
  }

  AdminResponse Lists() {
    AdminResponse res;
    std::lock_guard lock(mu_);
    for (const auto& l : lists_) {
      res.body += l.kind + " " + l.id + " " + l.source + ": " + l.message + ", " +
                  std::to_string(l.rules) + " rules, " + std::to_string(l.errors) + " bad lines\n";
      for (const auto& issue : l.issues) {
        res.body += "  line " + std::to_string(issue.line) + ": " + issue.reason + ": " +
                    issue.excerpt + "\n";
      }
    }
    return res;
  }

  ServeContext& ctx_;
  std::shared_ptr<Shared> shared_;
  std::vector<std::shared_ptr<Worker>> workers_;
  std::vector<std::string> listeners_;
  ListStore store_;
  // dns.top_blocked_metrics, shared with the /metrics family function.
  std::shared_ptr<std::atomic<uint32_t>> top_metrics_ = std::make_shared<std::atomic<uint32_t>>(0);

  mutable std::mutex mu_;  // current_, lists_
  Snapshot current_;
  std::vector<ListStatus> lists_;

  std::mutex refresh_mu_;  // config_, stop_, refresh_now_
  std::condition_variable refresh_cv_;
  std::shared_ptr<const DnsConfig> config_;
  bool stop_ = false;
  bool refresh_now_ = false;
  std::thread refresher_;
};

}  // namespace

ComponentSpec DnsComponentSpec() {
  ComponentSpec spec;
  spec.name = "dns";
  spec.parse = [](const config::Field& f) -> std::shared_ptr<const ComponentConfig> {
    auto c = std::make_shared<DnsConfig>();
    if (!ParseValue(f, *c)) {
      return nullptr;
    }
    return c;
  };
  spec.create = [](ServeContext& ctx) -> std::unique_ptr<Component> {
    return std::make_unique<DnsComponent>(ctx);
  };
  return spec;
}

WhyAnswer ExplainOffline(const DnsConfig& config, std::string_view name) {
  ListStore store;
  BuiltPolicy built = store.Build(config);
  WhyAnswer out;
  for (const auto& l : built.lists) {
    if (!l.ok) {
      out.text += "warning: list " + l.id + ": " + l.message + "\n";
    }
  }
  const Decision d = built.policy->Decide(name);
  out.blocked = d.verdict == Verdict::kBlocked;
  out.text += built.policy->Explain(name, d) + "\n";
  return out;
}

}  // namespace vigie::dns
