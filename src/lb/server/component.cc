// The lb Component: per config, resolve the servers, build a Snapshot, bind
// what is new, then commit (listeners kept across reloads, stats sockets,
// health checks restarted, /lb/status); a refused config leaves the running
// one whole.
#include "lb/server/component.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/resolver.h"
#include "core/task.h"
#include "lb/server/checks.h"
#include "lb/server/config.h"
#include "lb/server/listeners.h"
#include "lb/server/runtime_api.h"
#include "lb/server/snapshot.h"
#include "lb/server/stats_socket.h"

namespace vigie::lb {
namespace {

class LbComponent final : public Component {
 public:
  LbComponent(ServeContext& ctx, std::string version, std::string release_date) : ctx_(ctx) {
    shared_ = std::make_shared<Shared>();
    shared_->logger = log::Get("lb");
    shared_->global_gate.store(std::make_shared<ConnGate>(0));
    shared_->workers = ctx.runtime.workers();
    shared_->worker_active = std::make_unique<std::atomic<std::int64_t>[]>(shared_->workers.size());
    shared_->handed_over =
        &ctx.metrics.AddCounter("vigie_lb_connections_handed_over_total",
                                "Connections the accepting worker handed to a less loaded one.");
    ctx.metrics.AddGaugeFamilyFunction(
        "vigie_lb_worker_connections",
        "Connections each worker thread serves (new ones go to the least loaded).",
        [shared = shared_] {
          std::vector<std::pair<metrics::Labels, double>> out;
          for (std::size_t i = 0; i < shared->workers.size(); ++i) {
            out.push_back({{{"worker", std::to_string(i)}},
                           static_cast<double>(shared->worker_active[i].load())});
          }
          return out;
        });
    control_ = std::make_shared<ControlState>();
    control_->version = std::move(version);
    control_->release_date = std::move(release_date);
    control_->workers = ctx.runtime.worker_count();
    control_->shared = shared_;
  }

  ~LbComponent() override { StopChecks(checks_); }

  Result<void> Start(std::shared_ptr<const ComponentConfig> config) override {
    VIGIE_ASSIGN_OR_RETURN(auto prepared,
                           Prepare(std::static_pointer_cast<const LbConfig>(config)));
    prepared->Commit();
    return {};
  }

  Result<std::unique_ptr<PreparedReload>> PrepareReload(
      std::shared_ptr<const ComponentConfig> config) override {
    return Prepare(std::static_pointer_cast<const LbConfig>(config));
  }

  void Stop() override {
    shared_->stopping = true;
    for (auto& [key, l] : listeners_) {
      CloseListener(l);
    }
    listeners_.clear();
    for (auto& [path, s] : stats_sockets_) {
      CloseStatsSocket(*s);
    }
    stats_sockets_.clear();
    StopChecks(checks_);
    ctx_.admin.RemoveRoute("/lb/status");
  }

  std::string State() const override {
    if (!control_->snapshot) {
      return "starting";
    }
    std::string down;
    for (const auto& be : control_->snapshot->backends) {
      std::lock_guard lock(be->mu);
      auto now = SteadyClock::now();
      if (!be->servers.empty() && be->pool.UsableActive(now) + be->pool.UsableBackup(now) == 0) {
        down += (down.empty() ? "" : ", ") + be->cfg.name;
      }
    }
    return down.empty() ? "running" : "degraded: no server available in " + down;
  }

  std::vector<std::string> Listeners() const override {
    std::vector<std::string> out;
    for (const auto& key : listener_order_) {
      auto it = listeners_.find(key);
      if (it != listeners_.end()) {
        out.push_back(it->second->key + " " + it->second->address.ToString());
      }
    }
    for (const auto& [path, s] : stats_sockets_) {
      out.push_back("lb.stats unix:" + path);
    }
    return out;
  }

 private:
  // Prepares `cfg` without touching what runs: names resolved, snapshot
  // built, new listeners and stats sockets bound (not yet accepting). The
  // commit swaps it in; a rollback closes what was opened. Either way the
  // metrics of frontends, backends and servers that do not run afterwards
  // leave /metrics: those a reload removed, and those a dropped reload
  // registered while it built.
  Result<std::unique_ptr<PreparedReload>> Prepare(std::shared_ptr<const LbConfig> cfg) {
    for (const auto& d : cfg->diagnostics) {
      if (d.severity == haproxy_cfg::Severity::kUnsupported ||
          d.severity == haproxy_cfg::Severity::kWarning) {
        shared_->logger->warn("{}", d.ToString());
      } else {
        shared_->logger->debug("{}", d.ToString());
      }
    }
    std::shared_ptr<Snapshot> before = control_->snapshot;
    // A resolver per start or reload, so that a changed resolv.conf counts,
    // as glibc's getaddrinfo re-reads it.
    Resolver resolver{ResolverOptions{}};
    VIGIE_ASSIGN_OR_RETURN(auto addresses, ResolveServerAddresses(cfg->model, resolver));
    VIGIE_ASSIGN_OR_RETURN(
        std::shared_ptr<Snapshot> snap,
        BuildSnapshot(*cfg, addresses, before.get(), ctx_.metrics, shared_->workers.size()));
    // Open what is new before touching what runs, so a failure keeps the
    // old config whole.
    auto bound = BindListeners(*snap, listeners_, ctx_.runtime.workers());
    if (!bound) {
      HideMissing(*snap, before.get());
      return std::move(bound).error();
    }
    auto next = std::make_shared<ListenerSet>(std::move(*bound));
    // Stats sockets: same path keeps its socket.
    auto next_stats = std::make_shared<std::map<std::string, std::shared_ptr<StatsSocketRt>>>();
    auto fresh_stats = std::make_shared<std::vector<std::shared_ptr<StatsSocketRt>>>();
    auto rollback = [this, snap, before, next, fresh_stats] {
      for (auto& f : next->fresh) {
        CloseListener(f);
      }
      for (auto& f : *fresh_stats) {
        CloseStatsSocket(*f);
      }
      HideMissing(*snap, before.get());
    };
    for (const auto& sc : cfg->model.global.stats_sockets) {
      auto it = stats_sockets_.find(sc.path);
      std::shared_ptr<StatsSocketRt> s;
      if (it != stats_sockets_.end()) {
        s = it->second;
      } else {
        auto opened = OpenStatsSocket(ctx_.runtime.control(), sc);
        if (!opened) {
          rollback();
          return std::move(opened).error();
        }
        s = *opened;
        fresh_stats->push_back(s);
      }
      (*next_stats)[sc.path] = s;
    }
    auto commit = [this, cfg, snap, before, next, next_stats, fresh_stats] {
      Commit(*cfg, snap, *next, *next_stats, *fresh_stats);
      if (before) {
        HideMissing(*before, snap.get());
      }
    };
    return std::make_unique<PreparedFunctions>(std::move(commit), std::move(rollback));
  }

  void Commit(const LbConfig& cfg, std::shared_ptr<Snapshot> snap, ListenerSet& next,
              std::map<std::string, std::shared_ptr<StatsSocketRt>>& next_stats,
              const std::vector<std::shared_ptr<StatsSocketRt>>& fresh_stats) {
    for (const auto& sc : cfg.model.global.stats_sockets) {
      auto& s = next_stats[sc.path];
      s->cfg = sc;
      s->timeout = cfg.model.global.stats_timeout;
    }
    for (const auto& s : fresh_stats) {
      asio::co_spawn(ctx_.runtime.control(), StatsSocketAcceptLoop(s, control_),
                     net::TaskDone{"stats socket accept loop", shared_->logger.get()});
    }
    int maxconn = cfg.model.global.maxconn;
    if (maxconn != shared_->global_gate.load()->limit()) {
      shared_->global_gate.store(std::make_shared<ConnGate>(maxconn));
    }
    shared_->multi_queue.store(cfg.model.global.multi_queue);
    shared_->max_accept.store(cfg.model.global.maxaccept);
    for (auto& [id, l] : listeners_) {
      if (!next.by_address.contains(id)) {
        CloseListener(l);
      }
    }
    for (auto& [p, s] : stats_sockets_) {
      if (!next_stats.contains(p)) {
        CloseStatsSocket(*s);
      }
    }
    for (auto& l : next.fresh) {
      StartAcceptLoops(l, shared_);
    }
    listeners_ = std::move(next.by_address);
    listener_order_ = std::move(next.order);
    stats_sockets_ = std::move(next_stats);
    StopChecks(checks_);
    control_->snapshot = snap;
    // The gauges are shared with the snapshot this one replaces (same
    // names and labels): written now, not while building, so that a
    // refused reload leaves what is running as it was.
    for (const auto& be : snap->backends) {
      std::lock_guard lock(be->mu);
      for (std::size_t i = 0; i < be->servers.size(); ++i) {
        const ServerRt& server = *be->servers[i];
        server.m.server_up.Set(!server.health || be->pool.healthy(i) ? 1 : 0);
      }
      be->UpdateUpGauge();
    }
    control_->listeners = listeners_.size();
    checks_ = StartChecks(*snap, shared_, ctx_.runtime.control());
    AddRoutes();
  }

  void AddRoutes() {
    std::weak_ptr<ControlState> weak = control_;
    ctx_.admin.AddRoute("/lb/status", [weak](const AdminRequest&) {
      auto state = weak.lock();
      if (!state || !state->snapshot) {
        return AdminResponse{503, "text/plain; charset=utf-8", "lb is not running\n"};
      }
      return AdminResponse{200, "text/plain; charset=utf-8", StatusText(*state)};
    });
  }

  ServeContext& ctx_;
  std::shared_ptr<Shared> shared_;
  std::shared_ptr<ControlState> control_;
  std::map<std::string, std::shared_ptr<Listener>> listeners_;  // by configured address
  std::vector<std::string> listener_order_;
  std::map<std::string, std::shared_ptr<StatsSocketRt>> stats_sockets_;
  std::vector<std::shared_ptr<CheckTask>> checks_;
};

}  // namespace

std::unique_ptr<Component> MakeLbComponent(ServeContext& ctx, std::string version,
                                           std::string release_date) {
  return std::make_unique<LbComponent>(ctx, std::move(version), std::move(release_date));
}

ComponentSpec LbComponentSpec(std::string version, std::string release_date) {
  return ComponentSpec{
      "lb",
      [](const config::Field& f) -> std::shared_ptr<const ComponentConfig> {
        auto cfg = std::make_shared<LbConfig>();
        if (!ParseValue(f, *cfg)) {
          return nullptr;
        }
        return cfg;
      },
      [version = std::move(version), release_date = std::move(release_date)](ServeContext& ctx) {
        return MakeLbComponent(ctx, version, release_date);
      }};
}

}  // namespace vigie::lb
