// The stats::Runtime over a Snapshot and the /lb/status text.
#include "lb/server/runtime_api.h"

#include <algorithm>
#include <map>
#include <mutex>

#include <sys/resource.h>
#include <unistd.h>

namespace vigie::lb {
namespace {

class RuntimeApi final : public stats::Runtime {
 public:
  explicit RuntimeApi(std::shared_ptr<ControlState> state) : state_(std::move(state)) {}

  stats::ProcessInfo Info() const override {
    stats::ProcessInfo info;
    info.version = state_->version;
    info.release_date = state_->release_date;
    info.nbthread = state_->workers;
    info.pid = static_cast<std::uint64_t>(getpid());
    info.uptime_sec = SecondsSince(state_->started);
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
      info.ulimit_n = info.maxsock = static_cast<std::uint64_t>(files.rlim_cur);
    }
    int maxconn = state_->shared->global_gate.load()->limit();
    // Unset: what the descriptor limit allows (two per proxied connection),
    // as haproxy derives its default from ulimit -n. vigie does not gate on
    // it; accept fails with EMFILE there.
    info.maxconn = info.hard_maxconn =
        maxconn > 0 ? static_cast<std::uint64_t>(maxconn) : info.ulimit_n / 2;
    info.curr_conns =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, state_->shared->curr_conns.load()));
    info.cum_conns = state_->shared->cum_conns.load();
    info.listeners = state_->listeners;
    info.jobs = info.curr_conns + info.listeners;
    info.stopping = state_->shared->stopping.load();
    info.start_time_sec = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(state_->started_wall.time_since_epoch())
            .count());
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    info.node = host;
    return info;
  }

  std::vector<stats::StatRow> Stats() const override {
    std::vector<stats::StatRow> rows;
    const auto& snap = *state_->snapshot;
    // One proxy at a time in id order: FRONTEND, servers, BACKEND.
    std::map<int, std::pair<const FrontendRt*, BackendRt*>> proxies;
    for (const auto& fe : snap.frontends) {
      proxies[fe->cfg.id].first = fe.get();
    }
    for (const auto& be : snap.backends) {
      proxies[be->cfg.id].second = be.get();
    }
    for (const auto& [id, pair] : proxies) {
      if (pair.first != nullptr) {
        rows.push_back(FrontendRow(*pair.first));
      }
      if (pair.second != nullptr) {
        AddBackendRows(*pair.second, rows);
      }
    }
    return rows;
  }

  std::vector<stats::ServerStateRow> ServersState() const override {
    std::vector<stats::ServerStateRow> rows;
    for (const auto& be : state_->snapshot->backends) {
      std::lock_guard lock(be->mu);
      for (const auto& s : be->servers) {
        stats::ServerStateRow r;
        r.be_id = static_cast<std::uint64_t>(be->cfg.id);
        r.be_name = be->cfg.name;
        r.srv_id = static_cast<std::uint64_t>(s->cfg.id);
        r.srv_name = s->cfg.name;
        r.srv_addr = s->endpoint.address().to_string();
        r.op_state = be->pool.healthy(s->index) ? 2 : 0;
        auto admin = be->pool.admin(s->index);
        r.admin_state = admin == balance::AdminState::kMaint   ? 0x01
                        : admin == balance::AdminState::kDrain ? 0x08
                                                               : 0;
        r.uweight = static_cast<std::uint64_t>(be->pool.user_weight(s->index));
        r.iweight = static_cast<std::uint64_t>(s->cfg.weight);
        r.time_since_last_change = SecondsSince(s->last_change);
        if (s->health) {
          r.check_status = static_cast<int>(s->health->last().status);
          r.check_result = static_cast<int>(health::ResultOf(s->health->last().status));
          r.check_health = s->health->health();
          r.check_state = 6;
        }
        r.port = s->endpoint.port();
        r.use_ssl = false;
        r.check_port = s->cfg.check.port.value_or(0);
        rows.push_back(std::move(r));
      }
    }
    return rows;
  }

  bool HasBackend(std::string_view backend) const override {
    return state_->snapshot->FindBackend(backend) != nullptr;
  }

  Lookup FindServer(std::string_view backend, std::string_view server) const override {
    auto* be = state_->snapshot->FindBackend(backend);
    if (be == nullptr) {
      return Lookup::kNoBackend;
    }
    std::lock_guard lock(be->mu);
    return be->pool.Find(server) == balance::Pick::kNone ? Lookup::kNoServer : Lookup::kOk;
  }

  void SetAdmin(std::string_view backend, std::string_view server,
                stats::ServerAdmin state) override {
    auto* be = state_->snapshot->FindBackend(backend);
    if (be == nullptr) {
      return;
    }
    auto now = SteadyClock::now();
    std::size_t i = 0;
    {
      std::lock_guard lock(be->mu);
      i = be->pool.Find(server);
      if (i == balance::Pick::kNone) {
        return;
      }
      auto target = state == stats::ServerAdmin::kMaint   ? balance::AdminState::kMaint
                    : state == stats::ServerAdmin::kDrain ? balance::AdminState::kDrain
                                                          : balance::AdminState::kReady;
      if (be->pool.admin(i) == target) {
        return;
      }
      be->pool.SetAdmin(i, target, now);
      be->DispatchLocked();
      be->UpdateUpGauge();
    }
    auto& s = *be->servers[i];
    s.last_change = now;
    const char* what = state == stats::ServerAdmin::kMaint ? "is going DOWN for maintenance"
                       : state == stats::ServerAdmin::kDrain
                           ? "enters drain mode"
                           : "is leaving forced maintenance/drain";
    state_->shared->logger->warn("{}Server {}/{} {}.", s.cfg.backup ? "Backup " : "", be->cfg.name,
                                 s.cfg.name, what);
  }

  Result<void> SetWeight(std::string_view backend, std::string_view server, int weight) override {
    auto* be = state_->snapshot->FindBackend(backend);
    if (be == nullptr) {
      return Error(Errc::kNotFound, "No such backend.\n");
    }
    std::lock_guard lock(be->mu);
    auto i = be->pool.Find(server);
    if (i == balance::Pick::kNone) {
      return Error(Errc::kNotFound, "No such server.\n");
    }
    VIGIE_TRY(be->pool.SetWeight(i, weight));
    be->DispatchLocked();
    be->UpdateUpGauge();
    return {};
  }

  std::pair<int, int> GetWeight(std::string_view backend, std::string_view server) const override {
    auto* be = state_->snapshot->FindBackend(backend);
    if (be == nullptr) {
      return {0, 0};
    }
    std::lock_guard lock(be->mu);
    auto i = be->pool.Find(server);
    if (i == balance::Pick::kNone) {
      return {0, 0};
    }
    return {be->pool.user_weight(i), be->pool.spec(i).weight};
  }

  void SetHealth(std::string_view backend, std::string_view server, bool up) override {
    auto* be = state_->snapshot->FindBackend(backend);
    if (be == nullptr) {
      return;
    }
    auto now = SteadyClock::now();
    std::lock_guard lock(be->mu);
    auto i = be->pool.Find(server);
    if (i == balance::Pick::kNone) {
      return;
    }
    auto& s = *be->servers[i];
    if (s.health) {
      s.health->Force(up);
    }
    be->pool.SetHealthy(i, up, now);
    s.m.server_up.Set(up ? 1 : 0);
    s.last_change = now;
    be->DispatchLocked();
    be->UpdateUpGauge();
  }

  void ClearCounters(bool all) override {
    const Snapshot& snap = *state_->snapshot;
    for (const auto& fe : snap.frontends) {
      fe->smax.store(0);
      if (all) {
        fe->m.ResetCounters();
      }
    }
    for (const auto& be : snap.backends) {
      be->smax.store(0);
      be->qmax.store(0);
      if (all) {
        be->m.ResetCounters();
      }
      for (const auto& s : be->servers) {
        s->smax.store(0);
        if (all) {
          s->m.ResetCounters();
        }
      }
    }
  }

 private:
  stats::StatRow FrontendRow(const FrontendRt& fe) const {
    stats::StatRow r;
    r.type = stats::RowType::kFrontend;
    r.pxname = fe.cfg.name;
    r.svname = "FRONTEND";
    r.scur = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, fe.m.frontend_current_connections.value()));
    r.smax = fe.smax.load();
    r.slim = static_cast<std::uint64_t>(
        fe.gate->limit() > 0 ? fe.gate->limit() : state_->shared->global_gate.load()->limit());
    r.stot = fe.m.frontend_connections_total.value();
    r.bin = fe.m.frontend_bytes_in_total.value();
    r.bout = fe.m.frontend_bytes_out_total.value();
    r.ereq = fe.m.frontend_proxy_header_errors_total.value();
    r.status = state_->shared->stopping.load() ? "STOP" : "OPEN";
    r.iid = static_cast<std::uint64_t>(fe.cfg.id);
    r.conn_tot = r.stot;
    r.req_tot = 0;
    return r;
  }

  void AddBackendRows(BackendRt& be, std::vector<stats::StatRow>& rows) const {
    auto now = SteadyClock::now();
    stats::StatRow b;
    b.type = stats::RowType::kBackend;
    b.pxname = be.cfg.name;
    b.svname = "BACKEND";
    b.iid = static_cast<std::uint64_t>(be.cfg.id);
    b.algo = std::string(haproxy_cfg::BalanceName(be.cfg.balance));
    b.slim = static_cast<std::uint64_t>(be.cfg.fullconn);
    std::lock_guard lock(be.mu);
    SteadyClock::time_point last_change = state_->started;
    for (const auto& s : be.servers) {
      const std::size_t i = s->index;
      stats::StatRow r;
      r.type = stats::RowType::kServer;
      r.pxname = be.cfg.name;
      r.svname = s->cfg.name;
      r.iid = b.iid;
      r.sid = static_cast<std::uint64_t>(s->cfg.id);
      r.scur = static_cast<std::uint64_t>(
          std::max<std::int64_t>(0, s->m.server_current_connections.value()));
      r.smax = s->smax.load();
      r.slim = static_cast<std::uint64_t>(s->cfg.maxconn);
      r.qlimit = static_cast<std::uint64_t>(s->cfg.maxqueue);
      r.qcur = static_cast<std::uint64_t>(be.pool.queued(i));
      r.stot = s->m.server_connections_total.value();
      r.lbtot = r.stot;
      r.bin = s->m.server_bytes_in_total.value();
      r.bout = s->m.server_bytes_out_total.value();
      r.econ = s->m.server_connect_errors_total.value();
      r.wretr = s->m.server_retries_total.value();
      r.wredis = s->m.server_redispatches_total.value();
      r.cli_abrt = s->m.server_client_aborts_total.value();
      r.srv_abrt = s->m.server_server_aborts_total.value();
      r.chkfail = s->m.server_check_failures_total.value();
      r.chkdown = s->m.server_down_transitions_total.value();
      auto admin = be.pool.admin(i);
      bool drain = admin == balance::AdminState::kDrain;
      bool maint = admin == balance::AdminState::kMaint;
      if (s->health) {
        r.status = s->health->StatField(drain, maint);
        r.checked = true;
        const auto& last = s->health->last();
        r.check_status = std::string(health::CheckStatusCode(last.status));
        r.check_code = last.code;
        if (last.status != health::CheckStatus::kIni &&
            last.status != health::CheckStatus::kUnknown) {
          r.check_duration = static_cast<std::uint64_t>(last.duration.count());
        }
        r.last_chk = last.info;
        r.check_desc = std::string(health::CheckStatusDescription(last.status));
        r.check_rise = s->health->params().rise;
        r.check_fall = s->health->params().fall;
        r.check_health = s->health->health();
      } else {
        r.status = health::UncheckedStatField(drain, maint);
      }
      int eweight = be.pool.EffectiveWeight(i, now);
      r.weight = static_cast<std::uint64_t>(drain ? 0 : be.pool.user_weight(i));
      r.uweight = static_cast<std::uint64_t>(be.pool.user_weight(i));
      r.act = s->cfg.backup ? 0 : 1;
      r.bck = s->cfg.backup ? 1 : 0;
      r.lastchg = SecondsSince(s->last_change);
      auto downtime = s->downtime + (s->down ? now - s->down_since : SteadyClock::duration{});
      r.downtime = static_cast<std::uint64_t>(
          std::chrono::duration_cast<std::chrono::seconds>(downtime).count());
      r.addr =
          s->endpoint.address().is_v6()
              ? "[" + s->endpoint.address().to_string() + "]:" + std::to_string(s->endpoint.port())
              : s->endpoint.address().to_string() + ":" + std::to_string(s->endpoint.port());
      auto last = s->last_session.load();
      r.lastsess =
          last < 0
              ? -1
              : std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() -
                    last;
      r.connect = r.stot + r.econ;
      r.conn_tot = r.stot;
      rows.push_back(std::move(r));

      b.scur += rows.back().scur;
      b.stot += rows.back().stot;
      b.bin += rows.back().bin;
      b.bout += rows.back().bout;
      b.econ += rows.back().econ;
      b.wretr += rows.back().wretr;
      b.wredis += rows.back().wredis;
      b.cli_abrt += rows.back().cli_abrt;
      b.srv_abrt += rows.back().srv_abrt;
      b.connect += rows.back().connect;
      b.uweight += rows.back().uweight;
      if (eweight > 0) {
        (s->cfg.backup ? b.bck : b.act) += 1;
        if (!s->cfg.backup) {
          b.weight += rows.back().weight;
        }
      }
      last_change = std::max(last_change, s->last_change);
    }
    b.qcur = be.queue.size();
    b.qmax = be.qmax.load();
    b.smax = be.smax.load();
    b.lbtot = b.stot;
    b.conn_tot = b.stot;
    b.status = (b.act + b.bck) > 0 ? "UP" : "DOWN";
    b.lastchg = SecondsSince(last_change);
    rows.push_back(std::move(b));
  }

  std::shared_ptr<ControlState> state_;
};

}  // namespace

std::uint64_t SecondsSince(SteadyClock::time_point t) {
  auto d = SteadyClock::now() - t;
  return d.count() < 0 ? 0
                       : static_cast<std::uint64_t>(
                             std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

std::unique_ptr<stats::Runtime> MakeRuntimeApi(std::shared_ptr<ControlState> state) {
  return std::make_unique<RuntimeApi>(std::move(state));
}

std::string ServerAddress(const ServerRt& s) {
  auto a = s.endpoint.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
         (s.cfg.port_from_client ? std::string("<client port>")
                                 : std::to_string(s.endpoint.port()));
}

std::string StatusText(const ControlState& state) {
  std::string out;
  auto now = SteadyClock::now();
  for (const auto& be : state.snapshot->backends) {
    std::lock_guard lock(be->mu);
    int usable = be->pool.UsableActive(now) + be->pool.UsableBackup(now);
    out += "backend " + be->cfg.name + " (" +
           std::string(haproxy_cfg::BalanceName(be->cfg.balance)) + "): " + std::to_string(usable) +
           "/" + std::to_string(be->servers.size()) + " servers usable, " +
           std::to_string(be->queue.size()) + " queued\n";
    for (const auto& s : be->servers) {
      auto admin = be->pool.admin(s->index);
      bool drain = admin == balance::AdminState::kDrain;
      bool maint = admin == balance::AdminState::kMaint;
      std::string status =
          s->health ? s->health->StatField(drain, maint) : health::UncheckedStatField(drain, maint);
      out += "  " + s->cfg.name + (s->cfg.backup ? " (backup)" : "") + " " + ServerAddress(*s) +
             ": " + status + " for " + std::to_string(SecondsSince(s->last_change)) + "s, " +
             std::to_string(s->m.server_current_connections.value()) + " connections, weight " +
             std::to_string(be->pool.user_weight(s->index)) + "\n";
      if (maint) {
        out += "    why: in maintenance (disabled by the operator or the config)\n";
      } else if (drain) {
        out += "    why: draining (set by the operator): no new connections\n";
      }
      if (s->health) {
        const auto& last = s->health->last();
        if (last.status == health::CheckStatus::kIni) {
          out += "    last check: none yet\n";
        } else {
          out += "    last check " + std::to_string(SecondsSince(s->last_check_at)) +
                 "s ago: " + std::string(health::CheckStatusCode(last.status)) +
                 health::ReasonSuffix(last) + "\n";
        }
        if (s->down) {
          out += "    why: DOWN after " + std::to_string(s->health->params().fall) +
                 " failed check(s); needs " + std::to_string(s->health->params().rise) +
                 " passing to come back\n";
        }
      } else {
        out += "    no health check configured\n";
      }
    }
  }
  return out;
}

}  // namespace vigie::lb
