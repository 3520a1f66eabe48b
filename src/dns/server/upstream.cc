// The upstream client: UDP and TCP queries, failover, joined queries, prefetch.
#include "dns/server/upstream.h"

#include <array>
#include <chrono>
#include <optional>
#include <utility>

#include <stdlib.h>  // arc4random (glibc >= 2.36): a CSPRNG for query IDs

// net.h carries the core of Asio; the composed read/write are added here.
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "core/dns/tcp_frame.h"
#include "core/dns/writer.h"
#include "dns/server/dot_client.h"

namespace vigie::dns {

namespace asio = net::asio;
using net::tcp;
using net::udp;
using asio::experimental::awaitable_operators::operator||;

namespace {

constexpr size_t kUdpBuffer = 65535;

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
  Upstreamed last;
  for (const UpstreamConfig* u : FailoverOrder(config.upstreams, w->upstream_failures)) {
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
      r = co_await QueryUdp(*ep, q, config.upstream_timeout, shared, config.use_caps_for_id);
      if (!r && r.error().code() == make_error_code(vigie::Errc::kCancelled)) {
        // This upstream does not keep the case (some forwarders lowercase):
        // ask it again without, as unbound's caps fallback does.
        shared->m.upstream_caps_fallbacks_total.Inc();
        shared->m.upstream_queries_total.Inc();
        r = co_await QueryUdp(*ep, q, config.upstream_timeout, shared, false);
      }
      if (r && r->header.tc) {
        shared->m.upstream_tcp_retries_total.Inc();
        r = co_await QueryTcp(tcp::endpoint(ep->address(), ep->port()), q, config.upstream_timeout,
                              shared);
      }
    }
    shared->m.upstream_seconds.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    const bool good = UsableAnswer(r);
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

}  // namespace

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
bool MatchesQuery(const Message& reply, const Message& query) {
  return reply.header.qr && reply.header.id == query.header.id && reply.questions.size() == 1 &&
         reply.questions[0] == query.questions[0];
}

std::vector<const UpstreamConfig*> FailoverOrder(const std::vector<UpstreamConfig>& upstreams,
                                                 std::unordered_map<std::string, int>& failures) {
  std::vector<const UpstreamConfig*> order;
  for (const auto& u : upstreams) {
    if (failures[u.ToString()] < kUpstreamFailuresToDemote) {
      order.push_back(&u);
    }
  }
  for (const auto& u : upstreams) {
    if (failures[u.ToString()] >= kUpstreamFailuresToDemote) {
      order.push_back(&u);
    }
  }
  return order;
}

bool UsableAnswer(const Result<Message>& r) {
  return r && r->FullRcode() != rcode::kServFail && r->FullRcode() != rcode::kRefused;
}

Name ScrambleCase(const Name& name, std::span<const std::byte> random) {
  std::string wire(name.wire());
  size_t bit = 0;
  for (size_t i = 0; i < wire.size() && wire[i] != '\0'; i += 1 + static_cast<uint8_t>(wire[i])) {
    const size_t end = i + 1 + static_cast<uint8_t>(wire[i]);
    for (size_t j = i + 1; j < end && bit < random.size() * 8; ++j) {
      const auto c = static_cast<uint8_t>(wire[j]);
      if (AsciiLower(c) < 'a' || AsciiLower(c) > 'z') {
        continue;
      }
      const bool upper = (std::to_integer<unsigned>(random[bit / 8]) >> (bit % 8)) & 1U;
      ++bit;
      wire[j] = static_cast<char>(upper ? AsciiLower(c) - ('a' - 'A') : AsciiLower(c));
    }
  }
  auto bytes = std::as_bytes(std::span(wire.data(), wire.size()));
  return Name::FromWire(bytes).value();  // same labels, same lengths: still valid
}

void RestoreCase(Message& reply, const Name& asked) {
  for (Question& q : reply.questions) {
    if (q.name == asked) {
      q.name = asked;
    }
  }
  for (auto s : {Section::kAnswer, Section::kAuthority, Section::kAdditional}) {
    for (ResourceRecord& rr : reply.SectionRecords(s)) {
      if (rr.name == asked) {
        rr.name = asked;
      }
    }
  }
}

net::Awaitable<Result<Message>> QueryUdp(udp::endpoint upstream, Question q, Duration timeout,
                                         Shared* shared, bool caps) {
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
  Question sent = q;
  if (caps) {
    std::array<std::byte, 32> random{};  // 256 letters: more than a name holds
    arc4random_buf(random.data(), random.size());
    sent.name = ScrambleCase(q.name, random);
  }
  const Message query = UpstreamQuery(sent);
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
    if (!reply || !MatchesQuery(*reply, query)) {
      // Keep waiting for the real answer until the deadline.
      shared->m.upstream_mismatched_total.Inc();
      continue;
    }
    if (caps) {
      if (reply->questions[0].name.wire() != sent.name.wire()) {
        co_return Error(vigie::Errc::kCancelled, "reply did not keep the 0x20 case");
      }
      RestoreCase(*reply, q.name);
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
    if (!reply || !MatchesQuery(*reply, query)) {
      shared->m.upstream_mismatched_total.Inc();
      continue;
    }
    co_return std::move(*reply);
  }
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

void StartPrefetch(const std::shared_ptr<Worker>& w, Handled& h) {
  asio::co_spawn(*w->ctx, Prefetch(w, std::move(h.query), h.cache_key, h.allowed),
                 SpawnDone("dns prefetch", w->shared));
}

}  // namespace vigie::dns
