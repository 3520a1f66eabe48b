// Binding, accept loops and placement. The accept loop admits against the
// global and frontend maxconn before accepting, so a full gate leaves the
// rest in the kernel's backlog, as haproxy stops accepting.
#include "lb/server/listeners.h"

#include <array>

#include "core/accept.h"
#include "core/log.h"
#include "core/task.h"
#include "lb/server/proxy.h"

// GCC 12 at -O2 reports a false -Wmismatched-new-delete on Asio's coroutine
// frame (its operator new/delete pair is matched; GCC bug 105551 family).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace vigie::lb {
namespace {

using net::kUseTuple;
using net::tcp;

constexpr std::chrono::milliseconds kGateRecheck = std::chrono::seconds(1);
// Placement reads every worker's count on each accept; past this many
// workers a connection simply stays where it was accepted.
constexpr std::size_t kMaxPlacedWorkers = 64;

}  // namespace

std::size_t PlaceConnection(std::span<const std::int64_t> active, std::size_t self) {
  std::size_t least = self;
  for (std::size_t i = 0; i < active.size(); ++i) {
    if (active[i] < active[least]) {
      least = i;
    }
  }
  return active[self] - active[least] >= kPlacementSlack ? least : self;
}

Result<ListenerSet> BindListeners(const Snapshot& snap,
                                  const std::map<std::string, std::shared_ptr<Listener>>& running,
                                  const std::vector<asio::io_context*>& workers) {
  ListenerSet out;
  auto fail = [&out](Error e) -> Result<ListenerSet> {
    for (auto& f : out.fresh) {
      CloseListener(f);
    }
    return e;
  };
  for (const auto& fe : snap.frontends) {
    int n = 0;
    for (const auto& b : fe->cfg.binds) {
      for (int port = b.port_first; port <= b.port_last; ++port) {
        Address a{Address::Kind::kInet,
                  b.host.empty() ? (b.ipv6 ? "::" : "0.0.0.0") : b.host,
                  static_cast<std::uint16_t>(port),
                  {}};
        std::string id = a.ToString();
        std::string key = "lb." + fe->cfg.name + "." + std::to_string(n++);
        if (out.by_address.contains(id)) {
          return fail(Error(Errc::kAlreadyExists, "bind " + id + " appears twice"));
        }
        std::shared_ptr<Listener> l;
        if (auto it = running.find(id); it != running.end()) {
          l = it->second;
        } else {
          // One accept queue for all workers, as haproxy's threads share
          // a listener: see ListenOptions::shared_queue.
          auto acceptors = net::ListenTcpOn(workers, a, {.shared_queue = true});
          if (!acceptors) {
            return fail(std::move(acceptors).error().WithContext("frontend '" + fe->cfg.name +
                                                                 "' bind " + id));
          }
          l = std::make_shared<Listener>();
          l->configured = id;
          l->acceptors = std::move(*acceptors);
          boost::system::error_code ec;
          // Accepted sockets inherit TCP_NODELAY from their listener: one
          // setsockopt per listener instead of one per connection.
          for (auto& acceptor : l->acceptors) {
            acceptor.set_option(net::tcp::no_delay(true), ec);
          }
          l->address = net::FromEndpoint(l->acceptors.front().local_endpoint(ec));
          out.fresh.push_back(l);
        }
        l->key = key;
        l->frontend.store(fe);
        l->accept_proxy.store(b.accept_proxy);
        out.by_address[id] = l;
        out.order.push_back(id);
      }
    }
  }
  return out;
}

void StartAcceptLoops(const std::shared_ptr<Listener>& l, const std::shared_ptr<Shared>& shared) {
  for (std::size_t i = 0; i < l->acceptors.size(); ++i) {
    // acceptors[i] lives on its own worker (sockets taken over from a
    // previous process with more workers may outnumber ours).
    asio::co_spawn(l->acceptors[i].get_executor(), AcceptLoop(l, i, shared),
                   net::TaskDone{l->key + " accept loop", shared->logger.get()});
  }
}

void CloseListener(const std::shared_ptr<Listener>& l) {
  l->closed = true;
  for (std::size_t i = 0; i < l->acceptors.size(); ++i) {
    asio::post(l->acceptors[i].get_executor(), [l, i] {
      boost::system::error_code ec;
      l->acceptors[i].close(ec);
    });
  }
}

net::Awaitable<void> AcceptLoop(std::shared_ptr<Listener> listener, std::size_t worker,
                                std::shared_ptr<Shared> shared) {
  auto& acceptor = listener->acceptors[worker];
  auto& ctx = static_cast<asio::io_context&>(acceptor.get_executor().context());
  // This loop's worker index (acceptors may outnumber workers after a
  // handover from a process with more of them).
  const std::size_t n = shared->workers.size();
  std::size_t self = n;
  for (std::size_t i = 0; i < n; ++i) {
    if (shared->workers[i] == &ctx) {
      self = i;
    }
  }
  int accepted_in_a_row = 0;
  net::AcceptBackoff backoff;
  while (!listener->closed.load()) {
    auto fe = listener->frontend.load();
    auto admission = std::make_shared<Admission>();
    // maxconn: stop accepting while full, as haproxy does (the kernel
    // backlog holds the rest).
    std::shared_ptr<ConnGate> gates[2] = {shared->global_gate.load(), fe->gate};
    for (int g = 0; g < 2; ++g) {
      while (!gates[g]->TryAcquire()) {
        auto timer = std::make_shared<asio::steady_timer>(ctx);
        timer->expires_after(kGateRecheck);
        gates[g]->AddWaiter(timer);
        co_await timer->async_wait(kUseTuple);
        if (listener->closed.load()) {
          co_return;
        }
      }
      (g == 0 ? admission->global : admission->frontend) = gates[g];
    }
    tcp::endpoint peer;
    // tune.maxaccept: after that many accepts in a row, let the worker's
    // other ready work run first. Each accept now connects and forwards the
    // request in place, so an unbounded burst held every reply on this
    // worker behind it (connection-per-request p99: 1.16x better at 4).
    const int max_accept = shared->max_accept.load(std::memory_order_relaxed);
    if (max_accept > 0 && ++accepted_in_a_row > max_accept) {
      accepted_in_a_row = 0;
      co_await asio::post(ctx, asio::use_awaitable);
    }
    auto [ec, accepted] = co_await net::AcceptFd(acceptor, peer);
    if (ec) {
      if (ec == asio::error::operation_aborted || listener->closed.load()) {
        co_return;
      }
      // core's policy: out of descriptors, wait longer each time (no
      // spin); an error of one connection, accept the next at once.
      Duration wait = backoff.OnError(ec);
      if (wait != Duration::zero()) {
        shared->logger->warn("{}: accept: {}; retrying in {}", listener->address.ToString(),
                             ec.message(), FormatDuration(wait));
        asio::steady_timer timer(ctx);
        timer.expires_after(wait);
        co_await timer.async_wait(kUseTuple);
      }
      continue;
    }
    backoff.OnSuccess();
    fe = listener->frontend.load();  // a reload may have swapped it while we waited
    fe->m.frontend_connections_total.Inc();
    fe->m.frontend_current_connections.Add(1);
    UpdateMax(fe->smax, static_cast<std::uint64_t>(fe->m.frontend_current_connections.value()));
    shared->cum_conns.fetch_add(1, std::memory_order_relaxed);
    shared->curr_conns.fetch_add(1, std::memory_order_relaxed);
    admission->fe = fe;
    admission->shared = shared;

    std::size_t target = self;
    if (self < n && n > 1 && n <= kMaxPlacedWorkers &&
        shared->multi_queue.load(std::memory_order_relaxed)) {
      std::array<std::int64_t, kMaxPlacedWorkers> active;
      for (std::size_t i = 0; i < n; ++i) {
        active[i] = shared->worker_active[i].load(std::memory_order_relaxed);
      }
      target = PlaceConnection(std::span(active.data(), n), self);
    }
    if (target < n) {
      shared->worker_active[target].fetch_add(1, std::memory_order_relaxed);
      admission->worker_active = &shared->worker_active[target];
    }
    auto serve = [peer, fe, shared, admission, accept_proxy = listener->accept_proxy.load()](
                     asio::io_context& on, std::size_t on_worker, net::AcceptedFd fd) {
      tcp::socket socket(on);
      if (auto adopt_ec = fd.Adopt(on.get_executor(), socket)) {
        shared->logger->warn("{}: {}", net::FromEndpoint(peer).ToString(), adopt_ec.message());
        return;  // the admission is released with the last copy of `serve`
      }
      asio::co_spawn(
          on,
          ServeConnection(std::move(socket), peer, fe, accept_proxy, shared, admission, on_worker),
          net::TaskDone{"connection task", shared->logger.get()});
    };
    if (target == self || target >= n) {
      serve(ctx, self, std::move(accepted));
    } else {
      // Dropped unrun if that worker is stopping: the AcceptedFd closes the
      // connection and the admission is released.
      if (shared->handed_over) {
        shared->handed_over->Inc();
      }
      asio::io_context& on = *shared->workers[target];
      asio::post(on, [serve = std::move(serve), fd = std::move(accepted), &on, target]() mutable {
        serve(on, target, std::move(fd));
      });
    }
  }
}

}  // namespace vigie::lb
