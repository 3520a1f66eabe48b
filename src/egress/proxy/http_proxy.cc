// The egress forward proxy's data plane and its component API: accept loops,
// the per-connection request loop (head → target → ACL → resolve → ACL →
// tunnel or forward, in upstream.cc) and Start / Reload / Stop. The client
// side of a connection is connection.cc; what a request sees, snapshot.cc.
#include "egress/proxy/http_proxy.h"

#include <optional>

#include "core/handover.h"
#include "core/http/framing.h"
#include "core/http/http_error.h"
#include "core/http/request_head.h"
#include "core/resolver.h"
#include "egress/acl/acl.h"
#include "egress/http/forward.h"
#include "egress/http/proxy_target.h"
#include "egress/proxy/connection.h"
#include "egress/proxy/request.h"
#include "egress/proxy/upstream.h"

namespace vigie::egress::proxy {

using net::Awaitable;
using net::tcp;

namespace {

// The addresses `host` resolves to with the snapshot's resolver: IPv4
// first, IPv4-mapped ones unmapped, no duplicates. Empty when it does not
// resolve (in time).
Awaitable<std::vector<IpAddress>> Resolve(std::string host, std::shared_ptr<Resolver> resolver) {
  auto answer = co_await resolver->Lookup(std::move(host), LookupFamily::kAny);
  co_return answer ? UniqueUnmapped(answer->addresses) : std::vector<IpAddress>();
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

  if (!ClientAllowed(cfg.allow_clients, c->client_ip))
    co_return co_await Deny(c, shared, *snap, t,
                            "client " + c->client_ip + " is not in allow_clients", false);

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
  CountRuleHit(*snap, *decision);
  if (!decision->allowed())
    co_return co_await Deny(c, shared, *snap, t, DenialRule(*decision), keep_alive && !has_body);
  // vigie's own listeners (lb's frontends, dns over TCP...) are the inside
  // too: a request looping back into vigie needs a rule naming the address.
  for (const IpAddress& a : addresses) {
    if (!net::IsOwnListener(boost::asio::ip::tcp::endpoint(net::ToAsio(a), target->port)))
      continue;
    if (auto own = snap->acl->DecideOwnListener(a)) {
      CountRuleHit(*snap, *own);
      co_return co_await Deny(c, shared, *snap, t, DenialRule(*own), keep_alive && !has_body);
    }
  }
  if (addresses.empty()) {
    shared.m.resolve_errors_total.Inc();
    co_return co_await Fail(c, shared, *snap, t, 503, "cannot resolve " + target->host, "TCP_MISS");
  }

  if (is_connect)
    co_return co_await Tunnel(c, shared, *snap, t, *target, addresses, buf);
  co_return co_await Forward(c, shared, *snap, t, head, *target, framing, keep_alive, addresses,
                             buf);
}

// The request loop of one client connection.
Awaitable<void> ServeClient(ConnPtr c, SharedPtr shared) {
  // Client bytes read but not yet used. Bounded: one read (read_buf, 16 KiB)
  // plus what the head parser left, which keeps the head itself within
  // max_header_bytes (64 KiB default, at most 1 MiB); a body is relayed one
  // read at a time, chunked size lines at most 4 KiB (core/http/message.h).
  std::string buf;
  vigie::http::RequestHeadParser parser;
  for (;;) {
    auto snap = shared->snapshot.load();
    const HttpProxyConfig& cfg = *snap->config;
    parser = vigie::http::RequestHeadParser(RequestHeadLimits(cfg.max_header_bytes.bytes));
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
  VIGIE_ASSIGN_OR_RETURN(auto snap, BuildSnapshot(registry_, config, nullptr));
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

Result<std::unique_ptr<PreparedReload>> HttpProxy::PrepareReload(
    std::shared_ptr<const HttpProxyConfig> config) {
  auto old = shared_->snapshot.load();
  if (old && !(old->config->listen == config->listen))
    return Error(Errc::kUnsupported, "egress.http_proxy.listen changed (" +
                                         old->config->listen.ToString() + " -> " +
                                         config->listen.ToString() + "): restart to apply");
  VIGIE_ASSIGN_OR_RETURN(auto snap, BuildSnapshot(registry_, config, old));
  return std::make_unique<PreparedFunctions>([shared = shared_, snap, config] {
    shared->snapshot.store(snap);
    shared->limit->set_limit(static_cast<uint64_t>(config->max_connections));
    shared->log->info("egress http proxy: reloaded, {} destination rules",
                      config->spec.rules.size() + (config->spec.wildcard ? 1 : 0));
  });
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
