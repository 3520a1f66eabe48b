// Config in, snapshot out: server addresses (literals, names from a hosts
// file, the IPv6 preference), the snapshot's shape, what a reload carries
// over from the running snapshot, and the metrics a reload hides.
#include "lb/server/snapshot.h"

#include <algorithm>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace vigie::lb {
namespace {

LbConfig FromHaproxy(const std::string& text) {
  auto parsed = haproxy_cfg::ParseHaproxyCfg(text, "haproxy.cfg");
  EXPECT_FALSE(parsed.HasErrors());
  LbConfig cfg;
  cfg.model = parsed.config;
  return cfg;
}

constexpr const char* kCfg = R"(global
  maxconn 100
defaults
  mode tcp
  timeout connect 1s
  timeout client 10s
  timeout server 10s
frontend api
  bind 127.0.0.1:6443
  maxconn 50
  default_backend masters
backend masters
  balance leastconn
  server m1 10.0.0.1:6443 check weight 10
  server m2 10.0.0.2:6443 weight 20 disabled
  server m3 [2001:db8::3]:6443 backup
)";

IpAddress Ip(const char* text) {
  return *IpAddress::Parse(text);
}

ServerAddresses Literals(const LbConfig& cfg) {
  ServerAddresses out;
  for (const auto& b : cfg.model.backends) {
    auto& v = out.emplace_back();
    for (const auto& s : b.servers) {
      v.push_back(Ip(s.host.c_str()));
    }
  }
  return out;
}

std::shared_ptr<Snapshot> Build(const LbConfig& cfg, metrics::Registry& m,
                                const Snapshot* old = nullptr) {
  auto snap = BuildSnapshot(cfg, Literals(cfg), old, m, 2);
  EXPECT_TRUE(snap) << snap.error().ToString();
  return snap ? *snap : nullptr;
}

bool Shown(const metrics::Registry& m, const std::string& name, const std::string& server) {
  auto samples = m.Collect();
  return std::ranges::any_of(samples, [&](const metrics::Sample& s) {
    return s.name == name && std::ranges::any_of(s.labels, [&](const auto& l) {
             return l.first == "server" && l.second == server;
           });
  });
}

TEST(PreferredAddressTest, IPv6FirstWhenReachable) {
  std::vector<IpAddress> both = {Ip("10.0.0.1"), Ip("10.0.0.2"), Ip("2001:db8::1")};
  EXPECT_EQ(PreferredAddress(both, [](const IpAddress&) { return true; }), Ip("2001:db8::1"));
}

TEST(PreferredAddressTest, IPv4WhenNoIPv6IsReachable) {
  std::vector<IpAddress> both = {Ip("2001:db8::1"), Ip("10.0.0.1"), Ip("10.0.0.2")};
  EXPECT_EQ(PreferredAddress(both, [](const IpAddress&) { return false; }), Ip("10.0.0.1"));
}

TEST(PreferredAddressTest, TheFirstReachableIPv6) {
  std::vector<IpAddress> v6 = {Ip("2001:db8::1"), Ip("2001:db8::2")};
  EXPECT_EQ(PreferredAddress(v6, [](const IpAddress& a) { return a == Ip("2001:db8::2"); }),
            Ip("2001:db8::2"));
  // None reachable and no IPv4: the first one (connecting will say why).
  EXPECT_EQ(PreferredAddress(v6, [](const IpAddress&) { return false; }), Ip("2001:db8::1"));
}

class ResolveServerAddressesTest : public ::testing::Test {
 protected:
  // A resolver that only reads `hosts` (no DNS server, nothing on the wire).
  Resolver HostsOnly(const std::string& hosts) {
    path_ = ::testing::TempDir() + "/snapshot_test_hosts";
    std::ofstream(path_) << hosts;
    ResolverOptions o;
    o.resolv_conf.clear();
    o.hosts_file = path_;
    return Resolver(o);
  }
  std::string path_;
};

TEST_F(ResolveServerAddressesTest, LiteralsAndNamesFromTheHostsFile) {
  auto cfg = FromHaproxy(
      "backend b\n  server a 10.0.0.1:80\n  server n master1.test:80\n"
      "  server d dual.test:80\n");
  auto resolver = HostsOnly("10.1.1.1 master1.test\n10.2.2.2 dual.test\n2001:db8::2 dual.test\n");
  auto yes = [](const IpAddress&) { return true; };
  auto got = ResolveServerAddresses(cfg.model, resolver, yes);
  ASSERT_TRUE(got) << got.error().ToString();
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0], (std::vector<IpAddress>{Ip("10.0.0.1"), Ip("10.1.1.1"), Ip("2001:db8::2")}));
  auto no = [](const IpAddress&) { return false; };
  got = ResolveServerAddresses(cfg.model, resolver, no);
  ASSERT_TRUE(got);
  EXPECT_EQ((*got)[0][2], Ip("10.2.2.2"));
}

TEST_F(ResolveServerAddressesTest, ANameThatDoesNotResolveNamesTheServer) {
  auto cfg = FromHaproxy("backend b\n  server a 10.0.0.1:80\n  server gone nowhere.test:80\n");
  auto resolver = HostsOnly("10.1.1.1 master1.test\n");
  auto got = ResolveServerAddresses(cfg.model, resolver);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), make_error_code(ResolveErrc::kNxDomain));
  EXPECT_NE(got.error().ToString().find(
                "backend 'b' server 'gone': could not resolve address 'nowhere.test'"),
            std::string::npos)
      << got.error().ToString();
}

TEST(BuildSnapshotTest, TheConfigBecomesFrontendsBackendsAndServers) {
  metrics::Registry m;
  auto cfg = FromHaproxy(kCfg);
  auto snap = Build(cfg, m);
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->backends.size(), 1u);
  ASSERT_EQ(snap->frontends.size(), 1u);
  auto& be = *snap->backends[0];
  EXPECT_EQ(snap->FindBackend("masters"), &be);
  EXPECT_EQ(snap->frontends[0]->backend.get(), &be);
  EXPECT_EQ(snap->frontends[0]->gate->limit(), 50);
  ASSERT_EQ(be.servers.size(), 3u);
  EXPECT_EQ(be.servers[0]->endpoint, net::tcp::endpoint(asio::ip::make_address("10.0.0.1"), 6443));
  EXPECT_EQ(be.servers[2]->endpoint,
            net::tcp::endpoint(asio::ip::make_address("2001:db8::3"), 6443));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(be.servers[i]->index, i);
    EXPECT_EQ(be.servers[i]->sessions.size(), 2u);  // one list per worker
  }
  EXPECT_TRUE(be.servers[0]->health.has_value());  // `check`
  EXPECT_FALSE(be.servers[1]->health.has_value());
  EXPECT_EQ(be.pool.admin(1), balance::AdminState::kMaint);  // `disabled`
  EXPECT_EQ(be.pool.admin(0), balance::AdminState::kReady);
  EXPECT_EQ(be.pool.user_weight(1), 20);
  // leastconn: the only usable active server takes the connection.
  auto pick = be.pool.Select({}, SteadyClock::now());
  ASSERT_EQ(pick.kind, balance::Pick::Kind::kServer);
  EXPECT_EQ(pick.server, 0u);
}

TEST(BuildSnapshotTest, SpliceComesFromTheConfigUnlessNosplice) {
  metrics::Registry m;
  auto cfg = FromHaproxy(kCfg);
  cfg.splice = true;
  auto snap = Build(cfg, m);
  EXPECT_TRUE(snap->frontends[0]->splice_request);
  EXPECT_TRUE(snap->frontends[0]->splice_response);
  cfg.model.global.nosplice = true;
  snap = Build(cfg, m);
  EXPECT_FALSE(snap->frontends[0]->splice_request);
  EXPECT_FALSE(snap->frontends[0]->splice_response);
}

TEST(BuildSnapshotTest, AFrontendWithoutBackendIsRefusedBeforeAnyMetric) {
  metrics::Registry m;
  auto cfg = FromHaproxy(kCfg);
  cfg.model.frontends[0].backend = "elsewhere";
  auto snap = BuildSnapshot(cfg, Literals(cfg), nullptr, m, 1);
  ASSERT_FALSE(snap);
  EXPECT_EQ(snap.error().ToString(), "frontend 'api' has no backend");
  EXPECT_TRUE(m.Collect().empty());
}

TEST(BuildSnapshotTest, AReloadCarriesRuntimeStateOver) {
  metrics::Registry m;
  auto cfg = FromHaproxy(kCfg);
  auto old = Build(cfg, m);
  auto& ob = *old->backends[0];
  auto now = SteadyClock::now();
  ob.pool.SetAdmin(0, balance::AdminState::kDrain, now);
  ASSERT_TRUE(ob.pool.SetWeight(2, 7));
  ob.pool.SetHealthy(0, false, now);
  ob.servers[0]->health->Force(false);
  ob.servers[0]->smax.store(12);
  ob.servers[0]->down = true;
  old->frontends[0]->smax.store(30);

  auto next = Build(cfg, m, old.get());
  auto& nb = *next->backends[0];
  EXPECT_EQ(nb.pool.admin(0), balance::AdminState::kDrain);
  EXPECT_EQ(nb.pool.user_weight(2), 7);
  EXPECT_FALSE(nb.pool.healthy(0));
  EXPECT_EQ(nb.servers[0]->smax.load(), 12u);
  EXPECT_TRUE(nb.servers[0]->down);
  EXPECT_EQ(next->frontends[0]->smax.load(), 30u);
  // Same maxconn: the same gate, so connections in flight still count.
  EXPECT_EQ(next->frontends[0]->gate, old->frontends[0]->gate);
  // The health count (rise and fall unchanged): forced down before, still
  // down, where a fresh server starts up.
  EXPECT_FALSE(nb.servers[0]->health->up());
  EXPECT_EQ(nb.servers[0]->health->health(), 0);
  metrics::Registry other;
  EXPECT_TRUE(Build(cfg, other)->backends[0]->servers[0]->health->up());
}

TEST(BuildSnapshotTest, WhatTheConfigChangedIsNotCarriedOver) {
  metrics::Registry m;
  auto cfg = FromHaproxy(kCfg);
  auto old = Build(cfg, m);
  auto& ob = *old->backends[0];
  auto now = SteadyClock::now();
  ob.pool.SetAdmin(0, balance::AdminState::kMaint, now);
  ASSERT_TRUE(ob.pool.SetWeight(2, 7));

  auto changed = cfg;
  changed.model.backends[0].servers[0].disabled = true;  // the config says maint
  changed.model.backends[0].servers[2].weight = 3;       // a new weight wins
  changed.model.frontends[0].maxconn = 60;               // a new gate
  auto next = Build(changed, m, old.get());
  auto& nb = *next->backends[0];
  EXPECT_EQ(nb.pool.admin(0), balance::AdminState::kMaint);
  EXPECT_EQ(nb.pool.user_weight(2), 3);
  EXPECT_NE(next->frontends[0]->gate, old->frontends[0]->gate);
  EXPECT_EQ(next->frontends[0]->gate->limit(), 60);

  // Re-enabled in the config: back to what the operator set before.
  auto again = Build(cfg, m, next.get());
  EXPECT_EQ(again->backends[0]->pool.admin(0), balance::AdminState::kMaint);
  auto fresh = Build(cfg, m);
  EXPECT_EQ(fresh->backends[0]->pool.admin(0), balance::AdminState::kReady);
}

TEST(BuildSnapshotTest, HideMissingTakesARemovedServerOutOfMetrics) {
  metrics::Registry m;
  auto cfg = FromHaproxy(kCfg);
  auto old = Build(cfg, m);
  ASSERT_TRUE(Shown(m, "vigie_lb_server_connections_total", "m3"));
  auto smaller = cfg;
  smaller.model.backends[0].servers.pop_back();
  auto next = Build(smaller, m, old.get());
  HideMissing(*old, next.get());
  EXPECT_FALSE(Shown(m, "vigie_lb_server_connections_total", "m3"));
  EXPECT_TRUE(Shown(m, "vigie_lb_server_connections_total", "m1"));
  // A refused reload hides what it registered and the running one lacks.
  auto bigger = cfg;
  bigger.model.backends[0].servers.push_back(bigger.model.backends[0].servers[0]);
  bigger.model.backends[0].servers.back().name = "m4";
  auto refused = BuildSnapshot(bigger, Literals(bigger), next.get(), m, 2);
  ASSERT_TRUE(refused);
  ASSERT_TRUE(Shown(m, "vigie_lb_server_connections_total", "m4"));
  HideMissing(**refused, next.get());
  EXPECT_FALSE(Shown(m, "vigie_lb_server_connections_total", "m4"));
  EXPECT_TRUE(Shown(m, "vigie_lb_server_connections_total", "m1"));
}

}  // namespace
}  // namespace vigie::lb
