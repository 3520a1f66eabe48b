// The forwarder component: applying a config (routes, new ports bound all
// or nothing, new names resolved and then kept resolved on the control
// thread, health checks synced), Stop and the listener list. The data plane
// is listeners.cc and upstream.cc; the health checks, checks.cc.
#include "egress/forward/forwarder.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "egress/forward/checks.h"
#include "egress/forward/listeners.h"
#include "egress/forward/resolver.h"
#include "egress/forward/state.h"

namespace vigie::egress::forward {

namespace asio = net::asio;
using net::Awaitable;
using net::kUseTuple;
using SteadyClock = std::chrono::steady_clock;

net::TaskDone Task(const Shared& shared, std::string what) {
  return net::TaskDone{"egress forwarder: " + std::move(what), shared.log.get(),
                       &shared.m.task_failures_total};
}

namespace {

// Re-resolves a name as its answers expire, on the control thread.
Awaitable<void> RefreshTarget(std::shared_ptr<Target> target,
                              std::shared_ptr<const ForwarderConfig> cfg,
                              std::shared_ptr<Resolver> resolver, Duration first_wait,
                              SharedPtr shared) {
  Duration wait = first_wait;
  for (;;) {
    target->timer->expires_after(std::chrono::duration_cast<SteadyClock::duration>(
        std::max<Duration>(wait, std::chrono::milliseconds(100))));
    co_await target->timer->async_wait(kUseTuple);
    if (target->stopped.load()) {
      co_return;
    }
    Resolution r = co_await ResolveName(target->name, resolver, cfg);
    if (target->stopped.load()) {
      co_return;
    }
    if (r.ok) {
      auto before = target->rotation.addresses();
      if (before != r.addresses) {
        shared->m.resolve_changes_total.Inc();
        shared->log->info("egress {}: {} now resolves to {} (was {})", ForwardModeName(cfg->mode),
                          target->name, JoinAddresses(r.addresses), JoinAddresses(before));
        target->rotation.SetAddresses(r.addresses);
        SyncChecks(shared);
      }
      wait = r.ttl;
    } else {
      shared->m.resolve_errors_total.Inc();
      shared->log->warn("egress {}: cannot resolve {} ({}); keeping {}", ForwardModeName(cfg->mode),
                        target->name, r.error, JoinAddresses(target->rotation.addresses()));
      wait = std::max<Duration>(cfg->min_ttl, std::chrono::seconds(1));
    }
  }
}

}  // namespace

Forwarder::Forwarder(Runtime& runtime, metrics::Registry& registry, ForwardMode mode)
    : runtime_(runtime), shared_(std::make_shared<Shared>(registry, mode, runtime.control())) {}

Forwarder::~Forwarder() = default;

Result<void> Forwarder::Start(std::shared_ptr<const ForwarderConfig> config) {
  VIGIE_ASSIGN_OR_RETURN(auto prepared, Prepare(std::move(config)));
  prepared->Commit();
  return {};
}

Result<std::unique_ptr<PreparedReload>> Forwarder::PrepareReload(
    std::shared_ptr<const ForwarderConfig> config) {
  auto old = shared_->snapshot.load();
  if (old && !(old->config->listen_address == config->listen_address)) {
    return Error(Errc::kUnsupported,
                 std::string("egress.") +
                     (config->mode == ForwardMode::kDnsProxy ? "dns_proxy" : "redirect") +
                     ".listen_address changed: restart to apply");
  }
  return Prepare(std::move(config));
}

Result<std::unique_ptr<PreparedReload>> Forwarder::Prepare(
    std::shared_ptr<const ForwarderConfig> config) {
  Shared& s = *shared_;
  const std::string mode(ForwardModeName(config->mode));
  auto built = std::make_shared<BuiltSnapshot>(
      BuildSnapshot(config, s.registry, s.control, s.targets, s.udp_flow_counts));
  std::shared_ptr<Snapshot> snap = built->snapshot;

  // Bind the new ports first: all or nothing. Until the commit they are
  // bound but not served (connections wait in the backlog).
  auto opened = std::make_shared<std::map<ListenKey, Shared::Listener>>();
  auto close_opened = [runtime = &runtime_, opened] {
    for (auto& [k, o] : *opened) {
      for (size_t i = 0; i < runtime->worker_count(); ++i) {
        CloseListener(runtime->worker(i), o, i);
      }
    }
    opened->clear();
  };
  for (const auto& [key, route] : snap->routes) {
    if (s.listeners.count(key)) {
      continue;
    }
    Address address{Address::Kind::kInet, config->listen_address.ToString(), key.port, {}};
    auto l = OpenListener(runtime_, key, address);
    if (!l) {
      close_opened();
      return Error(l.error().code(), "egress " + mode + " line " + std::to_string(route.line.line) +
                                         ": " + std::string(ProtocolName(key.protocol)) + " " +
                                         address.ToString() + ": " + l.error().ToString());
    }
    opened->emplace(key, std::move(*l));
  }

  // Names new to this list: one blocking resolution so the first connections
  // have somewhere to go (their refresh loops start at the commit); all with
  // one Resolver for this config's settings (names kept from an earlier
  // config keep theirs, made for the same settings).
  auto resolver = built->new_targets.empty() ? nullptr : MakeForwarderResolver(*config);
  auto first_waits = std::make_shared<std::vector<Duration>>();
  for (auto& t : built->new_targets) {
    Resolution r = ResolveNameBlocking(t->name, *resolver, *config);
    Duration wait = r.ttl;
    if (r.ok) {
      t->rotation.SetAddresses(r.addresses);
      s.log->info("egress {}: {} resolves to {}", mode, t->name, JoinAddresses(r.addresses));
    } else {
      s.m.resolve_errors_total.Inc();
      s.log->warn("egress {}: cannot resolve {} yet ({}); retrying", mode, t->name, r.error);
      wait = std::max<Duration>(config->min_ttl, std::chrono::seconds(1));
    }
    first_waits->push_back(wait);
  }

  auto commit = [this, config, built, opened, resolver, first_waits, mode] {
    Shared& sh = *shared_;
    const std::shared_ptr<Snapshot>& next = built->snapshot;
    for (size_t i = 0; i < built->new_targets.size(); ++i) {
      asio::co_spawn(
          sh.control,
          RefreshTarget(built->new_targets[i], config, resolver, (*first_waits)[i], shared_),
          Task(sh, "name refresh"));
    }
    sh.snapshot.store(next);
    sh.limit->set_limit(static_cast<uint64_t>(config->max_connections));
    for (auto& [key, l] : *opened) {
      ServeListener(runtime_, l, shared_);
      sh.listeners.emplace(key, std::move(l));
    }
    opened->clear();
    for (auto it = sh.listeners.begin(); it != sh.listeners.end();) {
      if (next->routes.count(it->first)) {
        ++it;
        continue;
      }
      // Removed: stop accepting. UDP flows of a removed port end with it.
      for (size_t i = 0; i < runtime_.worker_count(); ++i) {
        CloseListener(runtime_.worker(i), it->second, i);
      }
      it = sh.listeners.erase(it);
    }
    for (auto& [name, t] : sh.targets) {
      auto now = built->targets.find(name);
      if (now == built->targets.end() || now->second != t) {
        t->stopped.store(true);
        t->timer->cancel();
      }
    }
    sh.targets = std::move(built->targets);
    SyncChecks(shared_);
    sh.log->info("egress {}: {} lines on {} ports", mode, config->lines.size(),
                 next->routes.size());
  };
  return std::make_unique<PreparedFunctions>(std::move(commit), std::move(close_opened));
}

void Forwarder::Stop() {
  shared_->stopping.store(true);
  for (auto& [key, l] : shared_->listeners) {
    for (size_t i = 0; i < runtime_.worker_count(); ++i) {
      CloseListener(runtime_.worker(i), l, i);
    }
  }
  for (auto& [name, t] : shared_->targets) {
    t->stopped.store(true);
    t->timer->cancel();
  }
  for (auto& [key, c] : shared_->checks) {
    StopCheck(*c);
  }
  shared_->checks.clear();
  shared_->health.store(std::make_shared<const HealthView>());
}

std::vector<std::string> Forwarder::Listeners() const {
  std::vector<std::string> out;
  auto snap = shared_->snapshot.load();
  if (!snap) {
    return out;
  }
  for (const auto& [key, l] : shared_->listeners) {
    out.push_back(ListenerName(snap->config->mode, key) + " " + l.address.ToString());
  }
  return out;
}

}  // namespace vigie::egress::forward
