// Config to Snapshot. Everything that can fail comes before the first
// metric is registered, so a refused config leaves no series behind.
#include "lb/server/snapshot.h"

#include <algorithm>
#include <mutex>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace vigie::lb {
namespace {

using net::tcp;

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

}  // namespace

IpAddress PreferredAddress(std::span<const IpAddress> addresses, const Reachable& reachable) {
  for (const auto& a : addresses) {
    if (a.is_v6() && reachable(a)) {
      return a;
    }
  }
  for (const auto& a : addresses) {
    if (a.is_v4()) {
      return a;
    }
  }
  return addresses.front();
}

bool RouteExists(const IpAddress& address) {
  auto ep = tcp::endpoint(net::ToAsio(address), 9);
  int fd = socket(ep.protocol().family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  bool ok = connect(fd, ep.data(), static_cast<socklen_t>(ep.size())) == 0;
  close(fd);
  return ok;
}

Result<ServerAddresses> ResolveServerAddresses(const haproxy_cfg::Config& model, Resolver& resolver,
                                               const Reachable& reachable) {
  // Names are resolved now, as haproxy's default `init-addr libc`: once per
  // start or reload, within the resolver's deadline; a name that does not
  // resolve fails the start or the reload.
  ServerAddresses out;
  for (const auto& bcfg : model.backends) {
    auto& resolved = out.emplace_back();
    for (const auto& scfg : bcfg.servers) {
      if (auto ip = IpAddress::Parse(scfg.host)) {
        resolved.push_back(*ip);
        continue;
      }
      auto found = resolver.LookupBlocking(scfg.host, LookupFamily::kAny);
      if (!found) {
        return std::move(found).error().WithContext("backend '" + bcfg.name + "' server '" +
                                                    scfg.name + "': could not resolve address '" +
                                                    scfg.host + "'");
      }
      if (found->addresses.empty()) {
        return Error(ResolveErrc::kNoData, scfg.host)
            .WithContext("backend '" + bcfg.name + "' server '" + scfg.name +
                         "': could not resolve address '" + scfg.host + "'");
      }
      resolved.push_back(PreferredAddress(found->addresses, reachable));
    }
  }
  return out;
}

Result<std::shared_ptr<Snapshot>> BuildSnapshot(const LbConfig& cfg,
                                                const ServerAddresses& addresses,
                                                const Snapshot* old, metrics::Registry& metrics,
                                                std::size_t workers) {
  for (const auto& fcfg : cfg.model.frontends) {
    if (fcfg.monitor_uri.empty() && std::ranges::none_of(cfg.model.backends, [&](const auto& b) {
          return b.name == fcfg.backend;
        })) {
      return Error(Errc::kInvalidArgument, "frontend '" + fcfg.name + "' has no backend");
    }
  }
  auto snap = std::make_shared<Snapshot>();
  snap->model = cfg.model;
  auto now = SteadyClock::now();
  for (std::size_t bi = 0; bi < cfg.model.backends.size(); ++bi) {
    const auto& bcfg = cfg.model.backends[bi];
    const auto& resolved = addresses.at(bi);
    std::vector<balance::ServerSpec> specs;
    for (const auto& s : bcfg.servers) {
      specs.push_back(balance::ServerSpec{s.name, s.id, s.weight, s.maxconn, s.backup, s.slowstart,
                                          s.maxqueue});
    }
    balance::ServerPool pool(balance::PoolOptions{ToAlgorithm(bcfg.balance), bcfg.allbackups},
                             std::move(specs));
    auto be = std::make_shared<BackendRt>(bcfg, metrics, std::move(pool));
    BackendRt* prev = old != nullptr ? old->FindBackend(bcfg.name) : nullptr;
    std::unique_lock<SpinMutex> prev_lock;
    if (prev != nullptr) {
      prev_lock = std::unique_lock(prev->mu);
    }
    for (std::size_t i = 0; i < bcfg.servers.size(); ++i) {
      const auto& scfg = bcfg.servers[i];
      auto s = std::make_unique<ServerRt>(
          metrics, metrics::Labels{{"backend", bcfg.name}, {"server", scfg.name}});
      s->cfg = scfg;
      s->index = i;
      s->sessions.assign(workers, nullptr);
      s->endpoint = tcp::endpoint(net::ToAsio(resolved.at(i)), scfg.port);
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
    auto fe = std::make_shared<FrontendRt>(fcfg, metrics);
    fe->gate = std::make_shared<ConnGate>(fcfg.maxconn);
    for (const auto& be : snap->backends) {
      if (be->cfg.name == fcfg.backend) {
        fe->backend = be;
      }
    }
    if (fe->backend) {  // else a monitor-uri frontend: nothing to relay
      const bool may_splice = !cfg.model.global.nosplice;
      const auto& bcfg = fe->backend->cfg;
      fe->splice_request = may_splice && (cfg.splice || fcfg.splice_request || bcfg.splice_request);
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

void HideMissing(const Snapshot& gone, const Snapshot* kept) {
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

}  // namespace vigie::lb
