// Tests for the HTTP proxy's per-config snapshot: a hits counter per rule,
// the wildcard and the default deny; the access log kept across a reload
// that keeps its path.
#include "egress/proxy/snapshot.h"

#include <gtest/gtest.h>

#include "core/metrics.h"

namespace vigie::egress::proxy {
namespace {

std::shared_ptr<const HttpProxyConfig> Config(std::string_view destination,
                                              std::string access_log = "") {
  auto config = std::make_shared<HttpProxyConfig>();
  auto spec = ParseHttpProxyDestination(destination);
  EXPECT_TRUE(spec) << spec.error().ToString();
  config->spec = *spec;
  // A nameserver, so the resolver reads no resolv.conf.
  config->nameservers.push_back(Address{Address::Kind::kInet, "127.0.0.1", 53, {}});
  config->access_log = std::move(access_log);
  return config;
}

TEST(ProxySnapshotTest, ACounterPerRuleAndForTheDefaultDeny) {
  metrics::Registry registry;
  auto snap = BuildSnapshot(registry, Config("!perdu.com\n10.0.0.0/8\n"), nullptr);
  ASSERT_TRUE(snap) << snap.error().ToString();
  const Snapshot& s = **snap;
  EXPECT_EQ(s.hits_by_line.size(), 2u);
  ASSERT_NE(s.default_deny_hits, nullptr);
  EXPECT_NE(s.acl, nullptr);
  EXPECT_NE(s.resolver, nullptr);
  EXPECT_EQ(s.access_log, nullptr);

  CountRuleHit(s, s.acl->Decide("perdu.com", {}));
  CountRuleHit(s, s.acl->Decide("example.com", {}));
  CountRuleHit(s, s.acl->Decide("example.com", {}));
  EXPECT_EQ(s.hits_by_line.at(1)->value(), 1u);
  EXPECT_EQ(s.hits_by_line.at(2)->value(), 0u);
  EXPECT_EQ(s.default_deny_hits->value(), 2u);

  std::string text = registry.RenderPrometheus();
  EXPECT_NE(
      text.find(R"(vigie_egress_http_rule_hits_total{line="1",rule="!perdu.com",action="deny"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(vigie_egress_http_rule_hits_total{line="0",rule="default deny",action="deny"} 2)"),
      std::string::npos)
      << text;
}

TEST(ProxySnapshotTest, TheWildcardHasItsCounter) {
  metrics::Registry registry;
  auto snap = BuildSnapshot(registry, Config("!perdu.com\n*\n"), nullptr);
  ASSERT_TRUE(snap) << snap.error().ToString();
  const Snapshot& s = **snap;
  CountRuleHit(s, s.acl->Decide("example.com", {}));
  EXPECT_EQ(s.hits_by_line.at(2)->value(), 1u);
  EXPECT_EQ(s.default_deny_hits->value(), 0u);
}

TEST(ProxySnapshotTest, AReloadKeepsTheCountersOfTheSameRules) {
  metrics::Registry registry;
  auto first = BuildSnapshot(registry, Config("!perdu.com\n"), nullptr);
  ASSERT_TRUE(first);
  CountRuleHit(**first, (*first)->acl->Decide("perdu.com", {}));
  auto second = BuildSnapshot(registry, Config("!perdu.com\n"), *first);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)->hits_by_line.at(1), (*first)->hits_by_line.at(1));
  EXPECT_EQ((*second)->hits_by_line.at(1)->value(), 1u);
}

TEST(ProxySnapshotTest, TheAccessLogIsKeptWhileItsPathIs) {
  metrics::Registry registry;
  auto first = BuildSnapshot(registry, Config("*\n", "-"), nullptr);
  ASSERT_TRUE(first) << first.error().ToString();
  ASSERT_NE((*first)->access_log, nullptr);
  auto same = BuildSnapshot(registry, Config("*\n", "-"), *first);
  ASSERT_TRUE(same);
  EXPECT_EQ((*same)->access_log, (*first)->access_log);
  auto none = BuildSnapshot(registry, Config("*\n"), *first);
  ASSERT_TRUE(none);
  EXPECT_EQ((*none)->access_log, nullptr);
  auto fresh = BuildSnapshot(registry, Config("*\n", "-"), *none);
  ASSERT_TRUE(fresh);
  ASSERT_NE((*fresh)->access_log, nullptr);
  EXPECT_NE((*fresh)->access_log, (*first)->access_log);
}

TEST(ProxySnapshotTest, AnAccessLogThatCannotBeOpenedIsAnError) {
  metrics::Registry registry;
  auto snap = BuildSnapshot(registry, Config("*\n", "/dev/null/access.log"), nullptr);
  ASSERT_FALSE(snap);
  EXPECT_NE(snap.error().ToString().find("access_log /dev/null/access.log: "), std::string::npos)
      << snap.error().ToString();
}

}  // namespace
}  // namespace vigie::egress::proxy
