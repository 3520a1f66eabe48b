// The dns listeners: the UDP batch loop and the TCP sessions.
#include "dns/server/listeners.h"

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include <sys/socket.h>  // recvmmsg / sendmmsg

// net.h carries the core of Asio; the composed write is added here.
#include <boost/asio/write.hpp>

#include "core/accept.h"
#include "core/dns/tcp_frame.h"
#include "dns/server/answer.h"
#include "dns/server/upstream.h"
#include "dns/stats/query_record.h"

namespace vigie::dns {
namespace {

namespace asio = net::asio;
using net::tcp;
using net::udp;
using asio::experimental::awaitable_operators::operator||;

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

// `record`: the query log record begun on arrival (log on), else nullopt.
net::Awaitable<void> ForwardUdp(std::shared_ptr<Worker> w, size_t index, udp::endpoint client,
                                Message query, std::string key, bool allowed,
                                std::optional<QueryRecord> record,
                                std::chrono::steady_clock::time_point start) {
  Snapshot snap = w->snap;
  Shared* shared = w->shared;
  // Counted from the spawn (UdpLoop) to here: a drain waits for the answer.
  struct Done {
    Worker* w;
    ~Done() {
      if (--w->udp_forwards == 0 && w->stopping) {
        ReleaseUdp(*w);
      }
    }
  } done{w.get()};
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
  // Answered during a drain too: the socket stays open for it.
  if (h.action != Handled::Action::kReply || !w->udp_sockets[index].is_open()) {
    co_return;
  }
  boost::system::error_code ec;
  w->udp_sockets[index].send_to(asio::buffer(h.reply.data(), h.reply.size()), client, 0, ec);
  if (ec) {
    shared->m.send_drops_total.Inc();
  }
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
          ++w->udp_forwards;
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
  // References into an unordered_map stay valid while others come and go.
  bool& waiting_for_client = w->sessions[&sock];
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
  // Bounded: `in` holds at most one DNS message (65,535 octets and its
  // 2-octet prefix; past that the session closes below) plus one 4 KiB read;
  // an answer is at most 65,535 octets.
  std::vector<std::byte> in;
  std::array<std::byte, 4096> chunk{};
  Handled h;
  while (!w->stopping) {
    waiting_for_client = false;
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
    waiting_for_client = true;
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

}  // namespace

void ReleaseUdp(Worker& w) {
  boost::system::error_code ignored;
  for (auto& s : w.udp_sockets) {
    s.close(ignored);
  }
}

void StopListeners(Worker& w) {
  w.stopping = true;
  boost::system::error_code ignored;
  for (auto& a : w.acceptors) {
    a.close(ignored);
  }
  for (auto& [s, waiting_for_client] : w.sessions) {
    if (waiting_for_client) {
      s->close(ignored);
    }
  }
  if (w.udp_forwards == 0) {
    ReleaseUdp(w);
  } else {
    for (auto& s : w.udp_sockets) {
      s.cancel(ignored);  // UdpLoop's wait ends; the socket stays for the answers
    }
  }
}

Result<Address> OpenListener(const std::vector<asio::io_context*>& contexts, const Address& listen,
                             const std::vector<std::shared_ptr<Worker>>& workers) {
  const Address& a = listen;
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
  for (size_t i = 0; i < workers.size(); ++i) {
    workers[i]->udp_sockets.push_back(std::move(udps[i]));
    workers[i]->acceptors.push_back(std::move(tcps[i]));
  }
  return bound;
}

void ServeListeners(const std::shared_ptr<Worker>& w) {
  for (size_t i = 0; i < w->udp_sockets.size(); ++i) {
    asio::co_spawn(*w->ctx, UdpLoop(w, i), SpawnDone("dns udp loop", w->shared));
    asio::co_spawn(*w->ctx, AcceptLoop(w, i), SpawnDone("dns tcp accept", w->shared));
  }
}

}  // namespace vigie::dns
