// The lb component: builds a Snapshot per config, keeps listeners across
// reloads, runs health checks and the stats socket on the control thread.
#include "lb/server/component.h"

#include <algorithm>
#include <cstring>

#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <netdb.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/accept.h"
#include "core/handover.h"
#include "core/log.h"
#include "core/task.h"
#include "lb/server/checks.h"
#include "lb/server/config.h"
#include "lb/server/proxy.h"
#include "lb/stats/cli.h"

namespace vigie::lb {
namespace {

using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)
using net::kUseTuple;
using net::tcp;
using unix_socket = asio::local::stream_protocol;
using Millis = std::chrono::milliseconds;

constexpr std::size_t kMaxCliLine = 16 * 1024;

std::uint64_t SecondsSince(SteadyClock::time_point t) {
  auto d = SteadyClock::now() - t;
  return d.count() < 0 ? 0
                       : static_cast<std::uint64_t>(
                             std::chrono::duration_cast<std::chrono::seconds>(d).count());
}

balance::Algorithm ToAlgorithm(haproxy_cfg::BalanceAlgorithm a) {
  switch (a) {
    case haproxy_cfg::BalanceAlgorithm::kRoundRobin:
      return balance::Algorithm::kRoundRobin;
    case haproxy_cfg::BalanceAlgorithm::kStaticRr:
      return balance::Algorithm::kStaticRr;
    case haproxy_cfg::BalanceAlgorithm::kLeastConn:
      return balance::Algorithm::kLeastConn;
    case haproxy_cfg::BalanceAlgorithm::kSource:
      return balance::Algorithm::kSource;
    case haproxy_cfg::BalanceAlgorithm::kFirst:
      return balance::Algorithm::kFirst;
  }
  return balance::Algorithm::kRoundRobin;
}

// The stats socket's control-thread view of the current snapshot.
struct ControlState {
  std::shared_ptr<Snapshot> snapshot;
  std::string version;
  std::string release_date;
  std::size_t workers = 1;
  std::size_t listeners = 0;
  std::shared_ptr<Shared> shared;
  std::chrono::system_clock::time_point started_wall = std::chrono::system_clock::now();
  SteadyClock::time_point started = SteadyClock::now();
};

struct StatsSocketRt {
  haproxy_cfg::StatsSocket cfg;
  std::optional<unix_socket::acceptor> acceptor;
  // The socket file this process made: a successor (binary upgrade) may
  // have replaced it at the same path, and that one must not be removed.
  dev_t dev = 0;
  ino_t ino = 0;
  bool closed = false;
  Millis timeout{10000};
};

stats::Level ToLevel(const std::string& level) {
  if (level == "admin") {
    return stats::Level::kAdmin;
  }
  return level == "user" ? stats::Level::kUser : stats::Level::kOperator;
}

class CliRuntime final : public stats::Runtime {
 public:
  explicit CliRuntime(std::shared_ptr<ControlState> state) : state_(std::move(state)) {}

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

// One stats socket client, on the control thread.
net::Awaitable<void> CliConnection(unix_socket::socket sock, std::shared_ptr<ControlState> state,
                                   stats::Level level, bool expose_fds, Millis timeout) {
  CliRuntime runtime(state);
  stats::CliSession session(level);
  session.set_timeout(std::chrono::duration_cast<std::chrono::seconds>(timeout));
  std::string buffer;
  asio::steady_timer timer(sock.get_executor());
  for (;;) {
    timer.expires_after(session.timeout().count() > 0 ? Duration(session.timeout())
                                                      : Duration(std::chrono::hours(24)));
    auto r = co_await (
        asio::async_read_until(sock, asio::dynamic_buffer(buffer, kMaxCliLine), '\n', kUseTuple) ||
        timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      co_return;
    }
    auto [ec, n] = std::get<0>(r);
    std::string line;
    if (ec) {
      // The last line may come without '\n' before the client half-closes
      // (echo -n "show stat" | socat); anything else ends the session.
      if (ec != asio::error::eof || buffer.empty()) {
        co_return;
      }
      line = buffer;
      buffer.clear();
    } else {
      line = buffer.substr(0, n - 1);
      buffer.erase(0, n);
    }
    if (line == "_getsocks") {
      // Binary upgrade (haproxy -x): hand every listening socket of the
      // process to the caller; only on a socket with `expose-fd listeners`
      // and `level admin`.
      std::string refusal;
      if (!expose_fds) {
        refusal = "_getsocks: this stats socket has no 'expose-fd listeners'\n";
      } else if (level != stats::Level::kAdmin) {
        refusal = "Permission denied\n";
      }
      if (!refusal.empty()) {
        boost::system::error_code ignored;
        asio::write(sock, asio::buffer(refusal), ignored);
        co_return;
      }
      auto fds = net::OpenListeners();
      auto sent = net::SendListeners(sock.native_handle(), fds);
      if (sent) {
        state->shared->logger->info("stats socket: handed {} listening sockets over (_getsocks)",
                                    fds.size());
      } else {
        state->shared->logger->warn("stats socket: _getsocks: {}", sent.error().ToString());
      }
      co_return;
    }
    auto reply = session.OnLine(line, runtime);
    timer.expires_after(std::chrono::seconds(10));
    auto w = co_await (asio::async_write(sock, asio::buffer(reply.output), kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (w.index() == 1 || std::get<0>(std::get<0>(w)) || reply.close || ec) {
      co_return;
    }
  }
}

// The stats socket's accept loop: core's, so running out of descriptors
// waits and retries instead of closing the socket for good.
net::Awaitable<void> CliAcceptLoop(std::shared_ptr<StatsSocketRt> socket,
                                   std::shared_ptr<ControlState> state) {
  auto ex = co_await asio::this_coro::executor;
  net::AcceptOptions options{.name = "stats socket " + socket->cfg.path,
                             .logger = state->shared->logger.get(),
                             .stopping = [socket] { return socket->closed; }};
  auto serve = [ex, socket, state](unix_socket::socket peer, net::ConnectionLimit::Slot) {
    // The level and timeout as they are now: a reload may have changed them.
    asio::co_spawn(ex,
                   CliConnection(std::move(peer), state, ToLevel(socket->cfg.level),
                                 socket->cfg.expose_fd_listeners, socket->timeout),
                   net::TaskDone{"stats socket session", state->shared->logger.get()});
  };
  co_await net::AcceptLoop(*socket->acceptor, std::move(options), serve);
}

// An IP literal as is; a name through getaddrinfo (/etc/hosts, then DNS),
// first address returned.
Result<asio::ip::address> ResolveServerHost(const std::string& host) {
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(host, ec);
  if (!ec) {
    return ip;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr) {
    return Error(Errc::kNotFound, "could not resolve address '" + host +
                                      "': " + (rc != 0 ? gai_strerror(rc) : "no address"));
  }
  asio::ip::address out;
  if (res->ai_family == AF_INET6) {
    asio::ip::address_v6::bytes_type b;
    std::memcpy(b.data(), &reinterpret_cast<sockaddr_in6*>(res->ai_addr)->sin6_addr, 16);
    out = asio::ip::address_v6(b);
  } else {
    asio::ip::address_v4::bytes_type b;
    std::memcpy(b.data(), &reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr, 4);
    out = asio::ip::address_v4(b);
  }
  freeaddrinfo(res);
  return out;
}

std::string ServerAddress(const ServerRt& s) {
  auto a = s.endpoint.address();
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
         (s.cfg.port_from_client ? std::string("<client port>")
                                 : std::to_string(s.endpoint.port()));
}

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

  ~LbComponent() override { StopChecks(); }

  Result<void> Start(std::shared_ptr<const ComponentConfig> config) override {
    return Apply(std::static_pointer_cast<const LbConfig>(config));
  }

  Result<void> Reload(std::shared_ptr<const ComponentConfig> config) override {
    return Apply(std::static_pointer_cast<const LbConfig>(config));
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
    StopChecks();
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
  // Applies `cfg`, or keeps the running config whole. Either way the
  // metrics of frontends, backends and servers that do not run afterwards
  // leave /metrics: those a reload removed, and those a refused reload
  // registered while it built.
  Result<void> Apply(std::shared_ptr<const LbConfig> cfg) {
    std::shared_ptr<Snapshot> before = control_->snapshot;
    std::shared_ptr<Snapshot> built;
    auto applied = ApplyConfig(std::move(cfg), built);
    if (applied && before) {
      HideMissing(*before, control_->snapshot.get());
    } else if (!applied && built) {
      HideMissing(*built, before.get());
    }
    return applied;
  }

  // Hides the series of what `gone` has and `kept` (when not null) has not,
  // by the names the series are labelled with.
  static void HideMissing(const Snapshot& gone, const Snapshot* kept) {
    for (const auto& be : gone.backends) {
      BackendRt* k = kept != nullptr ? kept->FindBackend(be->cfg.name) : nullptr;
      if (k == nullptr) {
        be->m.Hide();
      }
      for (const auto& s : be->servers) {
        if (k == nullptr || std::ranges::none_of(k->servers, [&](const auto& ks) {
              return ks->cfg.name == s->cfg.name;
            })) {
          s->m.Hide();
        }
      }
    }
    for (const auto& fe : gone.frontends) {
      if (kept == nullptr || std::ranges::none_of(kept->frontends, [&](const auto& kf) {
            return kf->cfg.name == fe->cfg.name;
          })) {
        fe->m.Hide();
      }
    }
  }

  // `built` receives the new snapshot as soon as it exists, so that a
  // failure after it can take back its metrics.
  Result<void> ApplyConfig(std::shared_ptr<const LbConfig> cfg, std::shared_ptr<Snapshot>& built) {
    for (const auto& d : cfg->diagnostics) {
      if (d.severity == haproxy_cfg::Severity::kUnsupported ||
          d.severity == haproxy_cfg::Severity::kWarning) {
        shared_->logger->warn("{}", d.ToString());
      } else {
        shared_->logger->debug("{}", d.ToString());
      }
    }
    VIGIE_ASSIGN_OR_RETURN(auto snap, BuildSnapshot(*cfg));
    built = snap;
    // Open what is new before touching what runs, so a failure keeps the
    // old config whole.
    std::map<std::string, std::shared_ptr<Listener>> next;
    std::vector<std::string> order;
    std::vector<std::shared_ptr<Listener>> fresh;
    for (const auto& fe : snap->frontends) {
      int n = 0;
      for (const auto& b : fe->cfg.binds) {
        for (int port = b.port_first; port <= b.port_last; ++port) {
          Address a{Address::Kind::kInet,
                    b.host.empty() ? (b.ipv6 ? "::" : "0.0.0.0") : b.host,
                    static_cast<std::uint16_t>(port),
                    {}};
          std::string id = a.ToString();
          std::string key = "lb." + fe->cfg.name + "." + std::to_string(n++);
          if (next.contains(id)) {
            return Error(Errc::kAlreadyExists, "bind " + id + " appears twice");
          }
          std::shared_ptr<Listener> l;
          if (auto it = listeners_.find(id); it != listeners_.end()) {
            l = it->second;
          } else {
            // One accept queue for all workers, as haproxy's threads share
            // a listener: see ListenOptions::shared_queue.
            auto acceptors = net::ListenTcpOn(ctx_.runtime.workers(), a, {.shared_queue = true});
            if (!acceptors) {
              for (auto& f : fresh) {
                CloseListener(f);
              }
              return std::move(acceptors).error().WithContext("frontend '" + fe->cfg.name +
                                                              "' bind " + id);
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
            fresh.push_back(l);
          }
          l->key = key;
          l->frontend.store(fe);
          l->accept_proxy.store(b.accept_proxy);
          next[id] = l;
          order.push_back(id);
        }
      }
    }
    // Stats sockets: same path keeps its socket.
    std::map<std::string, std::shared_ptr<StatsSocketRt>> next_stats;
    for (const auto& sc : cfg->model.global.stats_sockets) {
      auto it = stats_sockets_.find(sc.path);
      std::shared_ptr<StatsSocketRt> s;
      if (it != stats_sockets_.end()) {
        s = it->second;
      } else {
        auto opened = OpenStatsSocket(sc);
        if (!opened) {
          for (auto& f : fresh) {
            CloseListener(f);
          }
          for (auto& [p, n] : next_stats) {
            if (!stats_sockets_.contains(p)) {
              CloseStatsSocket(*n);
            }
          }
          return std::move(opened).error();
        }
        s = *opened;
        asio::co_spawn(ctx_.runtime.control(), CliAcceptLoop(s, control_),
                       net::TaskDone{"stats socket accept loop", shared_->logger.get()});
      }
      s->cfg = sc;
      s->timeout = cfg->model.global.stats_timeout;
      next_stats[sc.path] = s;
    }
    // Commit.
    int maxconn = cfg->model.global.maxconn;
    if (maxconn != shared_->global_gate.load()->limit()) {
      shared_->global_gate.store(std::make_shared<ConnGate>(maxconn));
    }
    shared_->multi_queue.store(cfg->model.global.multi_queue);
    shared_->max_accept.store(cfg->model.global.maxaccept);
    for (auto& [id, l] : listeners_) {
      if (!next.contains(id)) {
        CloseListener(l);
      }
    }
    for (auto& [p, s] : stats_sockets_) {
      if (!next_stats.contains(p)) {
        CloseStatsSocket(*s);
      }
    }
    for (auto& l : fresh) {
      for (std::size_t i = 0; i < l->acceptors.size(); ++i) {
        // acceptors[i] lives on its own worker (sockets taken over from a
        // previous process with more workers may outnumber ours).
        asio::co_spawn(l->acceptors[i].get_executor(), AcceptLoop(l, i, shared_),
                       net::TaskDone{l->key + " accept loop", shared_->logger.get()});
      }
    }
    listeners_ = std::move(next);
    listener_order_ = std::move(order);
    stats_sockets_ = std::move(next_stats);
    StopChecks();
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
    StartChecks(*snap);
    AddRoutes();
    return {};
  }

  // Everything that can fail comes before the first metric is registered,
  // so a refused config leaves no series behind.
  Result<std::shared_ptr<Snapshot>> BuildSnapshot(const LbConfig& cfg) {
    // Names are resolved now, as haproxy's default `init-addr libc`: once
    // per start or reload (the system resolver's own timeouts apply); a
    // name that does not resolve fails the start or the reload.
    std::vector<std::vector<asio::ip::address>> resolved_by_backend;
    for (const auto& bcfg : cfg.model.backends) {
      auto& resolved = resolved_by_backend.emplace_back();
      for (const auto& scfg : bcfg.servers) {
        auto ip = ResolveServerHost(scfg.host);
        if (!ip) {
          return std::move(ip).error().WithContext("backend '" + bcfg.name + "' server '" +
                                                   scfg.name + "'");
        }
        resolved.push_back(*ip);
      }
    }
    for (const auto& fcfg : cfg.model.frontends) {
      if (fcfg.monitor_uri.empty() && std::ranges::none_of(cfg.model.backends, [&](const auto& b) {
            return b.name == fcfg.backend;
          })) {
        return Error(Errc::kInvalidArgument, "frontend '" + fcfg.name + "' has no backend");
      }
    }
    auto snap = std::make_shared<Snapshot>();
    snap->model = cfg.model;
    const Snapshot* old = control_->snapshot.get();
    auto now = SteadyClock::now();
    for (std::size_t bi = 0; bi < cfg.model.backends.size(); ++bi) {
      const auto& bcfg = cfg.model.backends[bi];
      const auto& resolved = resolved_by_backend[bi];
      std::vector<balance::ServerSpec> specs;
      for (const auto& s : bcfg.servers) {
        specs.push_back(balance::ServerSpec{s.name, s.id, s.weight, s.maxconn, s.backup,
                                            s.slowstart, s.maxqueue});
      }
      balance::ServerPool pool(balance::PoolOptions{ToAlgorithm(bcfg.balance), bcfg.allbackups},
                               std::move(specs));
      auto be = std::make_shared<BackendRt>(bcfg, ctx_.metrics, std::move(pool));
      BackendRt* prev = old != nullptr ? old->FindBackend(bcfg.name) : nullptr;
      std::unique_lock<SpinMutex> prev_lock;
      if (prev != nullptr) {
        prev_lock = std::unique_lock(prev->mu);
      }
      for (std::size_t i = 0; i < bcfg.servers.size(); ++i) {
        const auto& scfg = bcfg.servers[i];
        auto s = std::make_unique<ServerRt>(
            ctx_.metrics, metrics::Labels{{"backend", bcfg.name}, {"server", scfg.name}});
        s->cfg = scfg;
        s->index = i;
        s->sessions.assign(shared_->workers.size(), nullptr);
        s->endpoint = tcp::endpoint(resolved[i], scfg.port);
        if (scfg.check.enabled) {
          s->health.emplace(health::CheckParams{scfg.check.inter, scfg.check.fastinter,
                                                scfg.check.downinter, scfg.check.rise,
                                                scfg.check.fall});
        }
        if (scfg.disabled) {
          be->pool.SetAdmin(i, balance::AdminState::kMaint, now);
        }
        // Carry runtime state over a reload for the same server.
        std::size_t pi = prev != nullptr ? prev->pool.Find(scfg.name) : balance::Pick::kNone;
        if (pi != balance::Pick::kNone) {
          const auto& ps = *prev->servers[pi];
          if (ps.health && s->health && ps.health->params().rise == scfg.check.rise &&
              ps.health->params().fall == scfg.check.fall) {
            s->health = ps.health;
          }
          s->last_change = ps.last_change;
          s->downtime = ps.downtime;
          s->down = ps.down && s->health.has_value();
          s->down_since = ps.down_since;
          s->smax.store(ps.smax.load());
          s->last_session.store(ps.last_session.load());
          if (s->health) {
            be->pool.SetHealthy(i, prev->pool.healthy(pi), now);
          }
          if (!scfg.disabled) {
            be->pool.SetAdmin(i, prev->pool.admin(pi), now);
          }
          if (prev->pool.user_weight(pi) != prev->pool.spec(pi).weight &&
              scfg.weight == prev->pool.spec(pi).weight) {
            (void)be->pool.SetWeight(i, prev->pool.user_weight(pi));
          }
        }
        be->servers.push_back(std::move(s));
      }
      snap->backends.push_back(std::move(be));
    }
    for (const auto& fcfg : cfg.model.frontends) {
      auto fe = std::make_shared<FrontendRt>(fcfg, ctx_.metrics);
      fe->gate = std::make_shared<ConnGate>(fcfg.maxconn);
      for (const auto& be : snap->backends) {
        if (be->cfg.name == fcfg.backend) {
          fe->backend = be;
        }
      }
      if (fe->backend) {  // else a monitor-uri frontend: nothing to relay
        const bool may_splice = !cfg.model.global.nosplice;
        const auto& bcfg = fe->backend->cfg;
        fe->splice_request =
            may_splice && (cfg.splice || fcfg.splice_request || bcfg.splice_request);
        fe->splice_response =
            may_splice && (cfg.splice || fcfg.splice_response || bcfg.splice_response);
      }
      if (old != nullptr) {
        for (const auto& ofe : old->frontends) {
          if (ofe->cfg.name == fcfg.name) {
            fe->smax.store(ofe->smax.load());
            if (ofe->cfg.maxconn == fcfg.maxconn) {
              fe->gate = ofe->gate;  // connections in flight still count
            }
          }
        }
      }
      snap->frontends.push_back(std::move(fe));
    }
    return snap;
  }

  Result<std::shared_ptr<StatsSocketRt>> OpenStatsSocket(const haproxy_cfg::StatsSocket& sc) {
    auto s = std::make_shared<StatsSocketRt>();
    s->cfg = sc;
    // A stale socket file from a previous run would make bind fail; haproxy
    // replaces it too. Only remove a socket, never another kind of file.
    struct stat st {};
    if (lstat(sc.path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
      unlink(sc.path.c_str());
    }
    boost::system::error_code ec;
    s->acceptor.emplace(ctx_.runtime.control());
    s->acceptor->open(unix_socket(), ec);
    if (!ec) {
      s->acceptor->bind(unix_socket::endpoint(sc.path), ec);
    }
    if (!ec) {
      // Default 0600: the socket changes server state.
      if (chmod(sc.path.c_str(), sc.mode.value_or(0600)) != 0) {
        ec = boost::system::error_code(errno, boost::system::system_category());
      }
    }
    if (!ec) {
      s->acceptor->listen(64, ec);
    }
    if (ec) {
      return Error(Errc::kUnavailable, "stats socket " + sc.path + ": " + ec.message());
    }
    if (lstat(sc.path.c_str(), &st) == 0) {
      s->dev = st.st_dev;
      s->ino = st.st_ino;
    }
    return s;
  }

  void CloseStatsSocket(StatsSocketRt& s) {
    s.closed = true;
    boost::system::error_code ec;
    if (s.acceptor) {
      s.acceptor->close(ec);
    }
    struct stat st {};
    if (lstat(s.cfg.path.c_str(), &st) == 0 && st.st_dev == s.dev && st.st_ino == s.ino) {
      unlink(s.cfg.path.c_str());
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

  void StartChecks(const Snapshot& snap) {
    std::vector<std::pair<std::shared_ptr<BackendRt>, std::size_t>> checked;
    Millis min_inter{std::chrono::hours(24)};
    for (const auto& be : snap.backends) {
      for (const auto& s : be->servers) {
        if (s->health) {
          checked.emplace_back(be, s->index);
          min_inter = std::min(min_inter, s->cfg.check.inter);
        }
      }
    }
    min_inter = std::max(min_inter, Millis(1000));
    int position = 0;
    for (auto& [be, i] : checked) {
      auto task = std::make_shared<CheckTask>();
      task->backend = be;
      task->server = i;
      task->shared = shared_;
      task->timer = std::make_unique<asio::steady_timer>(ctx_.runtime.control());
      task->first_delay =
          health::InitialCheckDelay(position++, static_cast<int>(checked.size()), min_inter);
      task->is_listen = be->cfg.from_listen;
      checks_.push_back(task);
      asio::co_spawn(ctx_.runtime.control(), CheckLoop(task),
                     net::TaskDone{"health check task", shared_->logger.get()});
    }
  }

  void StopChecks() {
    for (auto& t : checks_) {
      t->stopped = true;
      t->timer->cancel();
    }
    checks_.clear();
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

  static std::string StatusText(const ControlState& state) {
    std::string out;
    auto now = SteadyClock::now();
    for (const auto& be : state.snapshot->backends) {
      std::lock_guard lock(be->mu);
      int usable = be->pool.UsableActive(now) + be->pool.UsableBackup(now);
      out += "backend " + be->cfg.name + " (" +
             std::string(haproxy_cfg::BalanceName(be->cfg.balance)) +
             "): " + std::to_string(usable) + "/" + std::to_string(be->servers.size()) +
             " servers usable, " + std::to_string(be->queue.size()) + " queued\n";
      for (const auto& s : be->servers) {
        auto admin = be->pool.admin(s->index);
        bool drain = admin == balance::AdminState::kDrain;
        bool maint = admin == balance::AdminState::kMaint;
        std::string status = s->health ? s->health->StatField(drain, maint)
                                       : health::UncheckedStatField(drain, maint);
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
