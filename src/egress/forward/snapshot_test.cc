// Tests for the forwarder's routes and the decisions over them: targets
// shared by lines and kept across reloads, the addresses a connection
// tries, the addresses the health checks watch, and the names in logs.
#include "egress/forward/snapshot.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace vigie::egress::forward {
namespace {

using std::chrono::steady_clock;

IpAddress Ip(std::string_view text) {
  auto ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip) << text;
  return *ip;
}

ForwardLine NameLine(int line, Protocol protocol, uint16_t port, std::string name,
                     uint16_t target_port) {
  ForwardLine l;
  l.line = line;
  l.text = "line " + std::to_string(line);
  l.protocol = protocol;
  l.port = port;
  l.name = std::move(name);
  l.target_port = target_port;
  return l;
}

ForwardLine AddressLine(int line, Protocol protocol, uint16_t port, std::string_view address,
                        uint16_t target_port) {
  ForwardLine l;
  l.line = line;
  l.text = "line " + std::to_string(line);
  l.protocol = protocol;
  l.port = port;
  l.address = Ip(address);
  l.target_port = target_port;
  return l;
}

std::shared_ptr<ForwarderConfig> Config(std::vector<ForwardLine> lines) {
  auto config = std::make_shared<ForwarderConfig>();
  config->lines = std::move(lines);
  return config;
}

std::vector<IpAddress> Sorted(std::vector<IpAddress> v) {
  std::sort(v.begin(), v.end());
  return v;
}

class ForwardSnapshotTest : public ::testing::Test {
 protected:
  BuiltSnapshot Build(std::shared_ptr<const ForwarderConfig> config) {
    BuiltSnapshot built = BuildSnapshot(config, registry_, control_, targets_, udp_flow_counts_);
    targets_ = built.targets;
    return built;
  }

  metrics::Registry registry_;
  net::asio::io_context control_;
  std::map<std::string, std::shared_ptr<Target>> targets_;
  std::map<ListenKey, std::shared_ptr<std::atomic<int>>> udp_flow_counts_;
};

TEST_F(ForwardSnapshotTest, ARoutePerPortAndATargetPerName) {
  auto built = Build(Config({NameLine(1, Protocol::kTcp, 53, "dns.example", 53),
                             NameLine(2, Protocol::kTcp, 5353, "dns.example", 53),
                             AddressLine(3, Protocol::kUdp, 53, "2001:db8::5", 5353)}));
  const Snapshot& snap = *built.snapshot;
  ASSERT_EQ(snap.routes.size(), 3u);
  const Route& a = snap.routes.at(ListenKey{Protocol::kTcp, 53});
  const Route& b = snap.routes.at(ListenKey{Protocol::kTcp, 5353});
  const Route& c = snap.routes.at(ListenKey{Protocol::kUdp, 53});
  EXPECT_EQ(a.destination, "dns.example:53");
  EXPECT_EQ(c.destination, "[2001:db8::5]:5353");
  ASSERT_NE(a.target, nullptr);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.target->name, "dns.example");
  ASSERT_NE(a.target->timer, nullptr);
  EXPECT_EQ(c.target, nullptr);
  EXPECT_EQ(built.targets.size(), 1u);
  ASSERT_EQ(built.new_targets.size(), 1u);
  EXPECT_EQ(built.new_targets[0], a.target);
  ASSERT_NE(a.m, nullptr);
  ASSERT_NE(c.udp_flows, nullptr);
  EXPECT_NE(a.udp_flows, c.udp_flows);

  std::string text = registry_.RenderPrometheus();
  EXPECT_NE(text.find(R"(vigie_egress_line_connections_total{mode="dns-proxy",proto="udp",)"
                      R"(port="53",destination="[2001:db8::5]:5353"} 0)"),
            std::string::npos)
      << text;
}

TEST_F(ForwardSnapshotTest, AReloadKeepsTargetsWhileTheResolverSettingsStay) {
  auto first = Build(Config({NameLine(1, Protocol::kTcp, 53, "dns.example", 53),
                             NameLine(2, Protocol::kUdp, 53, "other.example", 53)}));
  auto old_target = first.snapshot->routes.at(ListenKey{Protocol::kTcp, 53}).target;
  auto old_flows = first.snapshot->routes.at(ListenKey{Protocol::kUdp, 53}).udp_flows;

  auto same = Build(Config({NameLine(1, Protocol::kTcp, 53, "dns.example", 53),
                            NameLine(2, Protocol::kUdp, 53, "third.example", 53)}));
  EXPECT_EQ(same.snapshot->routes.at(ListenKey{Protocol::kTcp, 53}).target, old_target);
  EXPECT_EQ(same.snapshot->routes.at(ListenKey{Protocol::kUdp, 53}).udp_flows, old_flows);
  ASSERT_EQ(same.new_targets.size(), 1u);
  EXPECT_EQ(same.new_targets[0]->name, "third.example");
  EXPECT_EQ(same.targets.count("other.example"), 0u);

  auto changed_config = Config({NameLine(1, Protocol::kTcp, 53, "dns.example", 53)});
  changed_config->nameservers.push_back(Address{Address::Kind::kInet, "127.0.0.1", 53, {}});
  auto changed = Build(changed_config);
  EXPECT_NE(changed.snapshot->routes.at(ListenKey{Protocol::kTcp, 53}).target, old_target);
  EXPECT_EQ(changed.new_targets.size(), 1u);
}

TEST_F(ForwardSnapshotTest, AnAddressLineIsAlwaysTried) {
  auto config = Config({AddressLine(1, Protocol::kTcp, 80, "127.0.0.5", 8080)});
  auto built = Build(config);
  const Route& route = built.snapshot->routes.begin()->second;
  HealthView down;
  down.emplace(CheckKey{Ip("127.0.0.5"), 8080}, std::make_shared<std::atomic<bool>>(false));
  EXPECT_EQ(CandidatesFor(route, *config, &down, steady_clock::now()),
            std::vector<IpAddress>{Ip("127.0.0.5")});
}

TEST_F(ForwardSnapshotTest, CandidatesLeaveDownAddressesOutWhileOneIsUp) {
  auto config = Config({NameLine(1, Protocol::kTcp, 53, "dns.example", 53)});
  auto built = Build(config);
  const Route& route = built.snapshot->routes.begin()->second;
  route.target->rotation.SetAddresses({Ip("10.0.0.1"), Ip("10.0.0.2"), Ip("10.0.0.3")});
  auto now = steady_clock::now();

  EXPECT_EQ(Sorted(CandidatesFor(route, *config, nullptr, now)),
            (std::vector<IpAddress>{Ip("10.0.0.1"), Ip("10.0.0.2"), Ip("10.0.0.3")}));

  auto up1 = std::make_shared<std::atomic<bool>>(true);
  auto down2 = std::make_shared<std::atomic<bool>>(false);
  HealthView view;
  view.emplace(CheckKey{Ip("10.0.0.1"), 53}, up1);
  view.emplace(CheckKey{Ip("10.0.0.2"), 53}, down2);
  // 10.0.0.3 is not checked: it counts as UP.
  EXPECT_EQ(Sorted(CandidatesFor(route, *config, &view, now)),
            (std::vector<IpAddress>{Ip("10.0.0.1"), Ip("10.0.0.3")}));

  HealthView all_down;
  for (const char* a : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    all_down.emplace(CheckKey{Ip(a), 53}, std::make_shared<std::atomic<bool>>(false));
  }
  EXPECT_EQ(CandidatesFor(route, *config, &all_down, now).size(), 3u);
}

TEST_F(ForwardSnapshotTest, CandidatesOfTheSourceFamilyAtMostRetries) {
  auto config = Config({NameLine(1, Protocol::kTcp, 53, "dns.example", 53)});
  config->retries = 2;
  auto built = Build(config);
  const Route& route = built.snapshot->routes.begin()->second;
  route.target->rotation.SetAddresses(
      {Ip("10.0.0.1"), Ip("2001:db8::1"), Ip("10.0.0.2"), Ip("10.0.0.3")});
  auto now = steady_clock::now();
  EXPECT_EQ(CandidatesFor(route, *config, nullptr, now).size(), 2u);

  config->retries = 10;
  config->source = Ip("2001:db8::99");
  EXPECT_EQ(CandidatesFor(route, *config, nullptr, now), std::vector<IpAddress>{Ip("2001:db8::1")});
  config->source = Ip("10.0.0.99");
  EXPECT_EQ(Sorted(CandidatesFor(route, *config, nullptr, now)),
            (std::vector<IpAddress>{Ip("10.0.0.1"), Ip("10.0.0.2"), Ip("10.0.0.3")}));
}

TEST_F(ForwardSnapshotTest, ChecksWatchEveryTcpDestinationAddressOnce) {
  auto config = Config({NameLine(1, Protocol::kTcp, 53, "a.example", 53),
                        NameLine(2, Protocol::kTcp, 5353, "b.example", 53),
                        AddressLine(3, Protocol::kTcp, 80, "10.0.0.1", 53),
                        AddressLine(4, Protocol::kUdp, 53, "10.0.0.9", 53),
                        AddressLine(5, Protocol::kTcp, 443, "2001:db8::1", 443)});
  config->source = Ip("10.0.0.99");
  auto built = Build(config);
  built.snapshot->routes.at(ListenKey{Protocol::kTcp, 53})
      .target->rotation.SetAddresses({Ip("10.0.0.1"), Ip("10.0.0.2")});
  built.snapshot->routes.at(ListenKey{Protocol::kTcp, 5353})
      .target->rotation.SetAddresses({Ip("10.0.0.2")});

  auto want = WantedChecks(*built.snapshot);
  ASSERT_EQ(want.size(), 2u);  // UDP, and the IPv6 address a v4 source cannot reach, left out
  EXPECT_EQ(want.at(CheckKey{Ip("10.0.0.1"), 53}), std::set<std::string>{"a.example"});
  EXPECT_EQ(want.at(CheckKey{Ip("10.0.0.2"), 53}),
            (std::set<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(CheckLabel(want.at(CheckKey{Ip("10.0.0.2"), 53})), " (a.example, b.example)");
  EXPECT_EQ(CheckLabel({}), "");

  config->health_check.enabled = false;
  EXPECT_TRUE(WantedChecks(*built.snapshot).empty());
}

TEST(ForwardNamesTest, HostPortListenerNameAndAddresses) {
  EXPECT_EQ(HostPort(Ip("10.0.0.1"), 53), "10.0.0.1:53");
  EXPECT_EQ(HostPort(Ip("2001:db8::1"), 53), "[2001:db8::1]:53");
  EXPECT_EQ(ListenerName(ForwardMode::kRedirect, ListenKey{Protocol::kUdp, 8080}),
            "egress-redirect-udp-8080");
  EXPECT_EQ(JoinAddresses({}), "(none)");
  EXPECT_EQ(JoinAddresses({Ip("10.0.0.1"), Ip("2001:db8::1")}), "10.0.0.1, 2001:db8::1");
}

TEST(ForwardNamesTest, ResolverKeyChangesWithTheResolverSettings) {
  ForwarderConfig a;
  ForwarderConfig b = a;
  EXPECT_EQ(ResolverKey(a), ResolverKey(b));
  b.nameservers.push_back(Address{Address::Kind::kInet, "127.0.0.1", 53, {}});
  EXPECT_NE(ResolverKey(a), ResolverKey(b));
  b = a;
  b.hosts_file = "/etc/egress/hosts";
  EXPECT_NE(ResolverKey(a), ResolverKey(b));
  b = a;
  b.max_ttl = std::chrono::minutes(5);
  EXPECT_NE(ResolverKey(a), ResolverKey(b));
  b = a;
  b.connect_timeout = std::chrono::seconds(1);  // not a resolver setting
  EXPECT_EQ(ResolverKey(a), ResolverKey(b));
}

}  // namespace
}  // namespace vigie::egress::forward
