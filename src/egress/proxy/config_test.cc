// Tests for the egress section: the destination list with upstream's
// messages at the right place, the resolver and limits settings.
#include <fstream>

#include <gtest/gtest.h>

#include "egress/egress.h"

namespace vigie::egress {
namespace {

struct Parsed {
  std::shared_ptr<const ComponentConfig> config;
  std::string errors;
};

Parsed Parse(const std::string& yaml) {
  config::Diagnostics diag("F");
  config::Value root = config::ParseYaml(yaml, diag);
  const config::Value* section = root.Find("egress");
  EXPECT_NE(section, nullptr);
  config::Field f(*section, "egress", diag);
  auto cfg = EgressComponentSpec().parse(f);
  return {cfg, diag.ToString()};
}

const proxy::HttpProxyConfig& Proxy(const Parsed& p) {
  return *dynamic_cast<const EgressConfig&>(*p.config).http_proxy;
}

TEST(EgressConfigTest, SeedPolicyAndDefaults) {
  auto p = Parse(
      "egress:\n  http_proxy:\n    destination: |\n      !perdu.com\n      !*.perdu.com\n"
      "      !10.42.253.0/24\n      *\n");
  ASSERT_TRUE(p.config) << p.errors;
  const auto& c = Proxy(p);
  EXPECT_EQ(c.listen.ToString(), "127.0.0.1:8080");
  EXPECT_EQ(c.spec.rules.size(), 3u);
  EXPECT_TRUE(c.spec.wildcard);
  EXPECT_TRUE(c.via);
  EXPECT_EQ(c.forwarded_for, http::ForwardedFor::kOn);
  EXPECT_EQ(c.hosts, nullptr);
}

TEST(EgressConfigTest, UpstreamMessagesWithPlace) {
  auto p = Parse("egress:\n  http_proxy:\n    destination: \"a.com\\nfoo bar\\n\"\n");
  EXPECT_FALSE(p.config);
  EXPECT_EQ(p.errors,
            "F:3:18: egress.http_proxy.destination: destination line 2: Bad destination "
            "'foo bar'\n");
  p = Parse("egress:\n  http_proxy:\n    destination: \"*\\na.com\"\n");
  EXPECT_EQ(p.errors,
            "F:3:18: egress.http_proxy.destination: destination line 2: Wildcard must be last "
            "rule, if present\n");
  p = Parse("egress:\n  http_proxy:\n    destination: \"\"\n");
  EXPECT_EQ(p.errors,
            "F:3:18: egress.http_proxy.destination: destination: No "
            "EGRESS_HTTP_PROXY_DESTINATION specified\n");
}

TEST(EgressConfigTest, SettingErrors) {
  auto p = Parse("egress:\n  http_proxy:\n    listen: 127.0.0.1:0\n");
  EXPECT_EQ(p.errors,
            "F:3:5: egress.http_proxy: write exactly one of destination (the "
            "EGRESS_HTTP_PROXY_DESTINATION text) or destination_file\n");
  p = Parse("egress:\n  http_proxy:\n    destination: \"*\"\n    forwarded_for: maybe\n");
  EXPECT_EQ(p.errors,
            "F:4:20: egress.http_proxy.forwarded_for: unknown value \"maybe\" (expected one of: "
            "on, off, transparent, truncate, delete)\n");
  p = Parse("egress:\n  http_proxy:\n    destination: \"*\"\n    hosts_file: /nonexistent/h\n");
  EXPECT_EQ(
      p.errors,
      "F:4:17: egress.http_proxy.hosts_file: cannot read hosts file /nonexistent/h: not found\n");
  p = Parse("egress:\n  http_proxy:\n    destination: \"*\"\n    max_conections: 3\n");
  EXPECT_EQ(p.errors,
            "F:4:5: egress.http_proxy.max_conections: unknown setting \"max_conections\" (did you "
            "mean \"max_connections\"?)\n");
}

TEST(EgressConfigTest, FilesAreRead) {
  std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/dest") << "allowed.test\n!*\n";
  std::ofstream(dir + "/dest2") << "allowed.test\n";
  std::ofstream(dir + "/hosts") << "127.0.0.1 allowed.test\n";
  auto p = Parse("egress:\n  http_proxy:\n    destination_file: " + dir + "/dest2\n" +
                 "    hosts_file: " + dir + "/hosts\n    allow_clients: [127.0.0.0/8]\n");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_EQ(Proxy(p).spec.rules.size(), 1u);
  EXPECT_NE(Proxy(p).hosts->Find("allowed.test"), nullptr);
  EXPECT_EQ(Proxy(p).allow_clients.size(), 1u);
  p = Parse("egress:\n  http_proxy:\n    destination_file: " + dir + "/dest\n");
  EXPECT_EQ(p.errors, "F:3:23: egress.http_proxy.destination_file: " + dir +
                          "/dest line 2: Bad destination '*'\n");
}

// A configured hosts file is refused for any line glibc would skip, naming
// the line (moved from egress's own hosts table, replaced by core's).
TEST(EgressConfigTest, HostsFileWithABadLineIsRefused) {
  std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/bad_hosts") << "127.0.0.1 a.test\n10.0.0 b.test\n";
  std::ofstream(dir + "/bad_hosts2") << "127.0.0.1\n";
  auto bad = proxy::LoadHostsFile(dir + "/bad_hosts");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().ToString(), dir + "/bad_hosts: line 2: not an address: \"10.0.0\"");
  auto nameless = proxy::LoadHostsFile(dir + "/bad_hosts2");
  ASSERT_FALSE(nameless);
  EXPECT_EQ(nameless.error().ToString(), dir + "/bad_hosts2: line 1: an address without a name");
  auto p = Parse("egress:\n  http_proxy:\n    destination: \"*\"\n    hosts_file: " + dir +
                 "/bad_hosts\n");
  EXPECT_EQ(p.errors, "F:4:17: egress.http_proxy.hosts_file: " + dir +
                          "/bad_hosts: line 2: not an address: \"10.0.0\"\n");
}

TEST(EgressConfigTest, ResolverOptionsFollowTheSettings) {
  proxy::HttpProxyConfig c;
  // Neither: what getaddrinfo would read.
  auto system = proxy::ProxyResolverOptions(c);
  EXPECT_TRUE(system.servers.empty());
  EXPECT_EQ(system.hosts_file, "/etc/hosts");
  EXPECT_EQ(system.resolv_conf, "/etc/resolv.conf");
  EXPECT_EQ(system.cache_entries, 0u);
  // A hosts file alone: that table only, no DNS at all.
  c.hosts_file = "/x/hosts";
  c.hosts = std::make_shared<const HostsTable>(HostsTable::Parse("10.0.0.1 a.test\n"));
  auto hosts_only = proxy::ProxyResolverOptions(c);
  EXPECT_TRUE(hosts_only.servers.empty());
  EXPECT_TRUE(hosts_only.resolv_conf.empty());
  EXPECT_TRUE(hosts_only.hosts_file.empty());
  EXPECT_EQ(hosts_only.hosts, c.hosts);
  Resolver r(hosts_only);
  EXPECT_TRUE(r.servers().empty());
  auto a = r.LookupBlocking("a.test", LookupFamily::kAny);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ(a->addresses.front().ToString(), "10.0.0.1");
  auto b = r.LookupBlocking("b.test", LookupFamily::kAny);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), ResolveErrc::kNxDomain);
  // Nameservers share resolve_timeout, one try each.
  c.nameservers = {Address{Address::Kind::kInet, "127.0.0.1", 53, {}},
                   Address{Address::Kind::kInet, "127.0.0.2", 53, {}}};
  c.resolve_timeout = std::chrono::seconds(4);
  auto servers = proxy::ProxyResolverOptions(c);
  EXPECT_EQ(servers.servers.size(), 2u);
  EXPECT_EQ(servers.timeout, std::chrono::seconds(4));
  EXPECT_EQ(servers.try_timeout, std::chrono::seconds(2));
  EXPECT_EQ(servers.attempts, 1);
}

}  // namespace
}  // namespace vigie::egress
