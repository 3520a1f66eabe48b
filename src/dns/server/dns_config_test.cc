// Tests for the `dns:` section reader and the flags-to-YAML form.
#include "dns/server/dns_config.h"

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

struct Parsed {
  bool ok = false;
  DnsConfig config;
  std::string errors;
};

Parsed Parse(const std::string& yaml) {
  config::Diagnostics diag("t.yaml");
  config::Value root = config::ParseYaml(yaml, diag);
  Parsed p;
  const config::Value* dns = root.Find("dns");
  if (dns == nullptr) {
    p.errors = diag.ToString();
    return p;
  }
  p.ok = ParseValue(config::Field(*dns, "dns", diag), p.config);
  p.errors = diag.ToString();
  return p;
}

TEST(DnsConfigTest, DefaultsAreLoopbackAndNxdomain) {
  Parsed p = Parse("dns:\n  upstreams: [127.0.0.1:5300]\n");
  ASSERT_TRUE(p.ok) << p.errors;
  ASSERT_EQ(p.config.listen.size(), 1u);
  EXPECT_EQ(p.config.listen[0].ToString(), "127.0.0.1:5353");
  EXPECT_EQ(p.config.block_mode, BlockMode::kNxdomain);
  ASSERT_EQ(p.config.clients.size(), 2u);
  EXPECT_TRUE(p.config.clients[0].Contains(*IpAddress::Parse("127.0.0.1")));
  EXPECT_FALSE(p.config.clients[0].Contains(*IpAddress::Parse("10.0.0.1")));
  EXPECT_EQ(p.config.upstreams[0].ToString(), "127.0.0.1:5300");
}

TEST(DnsConfigTest, FullSection) {
  Parsed p = Parse(R"(dns:
  listen: ["127.0.0.1:0", "[::1]:0"]
  upstreams: ["127.0.0.1:5300", "127.0.0.2"]
  block:
    - http://127.0.0.1:8000/hosts
    - {name: mine, path: /etc/vigie/block.txt, format: domains}
  allow: [/etc/vigie/allow.txt]
  refresh: 6h
  state_dir: /var/lib/vigie/dns
  block_mode: null
  block_ttl: 10s
  local:
    - nas.home.arpa A 192.168.1.10
    - {name: printer.home.arpa, type: AAAA, value: "fd00::7"}
    - "tv.home.arpa. 600 IN A 192.168.1.11"
  cache: {size: 8MiB, min_ttl: 5s, max_ttl: 1h, serve_stale: 1d}
  clients: [127.0.0.0/8, 192.168.0.0/16]
)");
  ASSERT_TRUE(p.ok) << p.errors;
  EXPECT_EQ(p.config.listen.size(), 2u);
  EXPECT_EQ(p.config.upstreams[1].port, 53);
  ASSERT_EQ(p.config.block.size(), 2u);
  EXPECT_TRUE(p.config.block[0].IsUrl());
  EXPECT_EQ(p.config.block[0].id, "hosts");
  EXPECT_EQ(p.config.block[1].id, "mine");
  EXPECT_EQ(p.config.block[1].format, ListFormat::kDomains);
  EXPECT_EQ(p.config.allow[0].id, "allow.txt");
  EXPECT_EQ(p.config.refresh, std::chrono::hours(6));
  EXPECT_EQ(p.config.block_mode, BlockMode::kNull);
  EXPECT_EQ(p.config.block_ttl, 10u);
  ASSERT_EQ(p.config.local.size(), 3u);
  EXPECT_EQ(p.config.local[1].type, 28);
  EXPECT_EQ(p.config.local[2].ttl, 600u);
  EXPECT_EQ(p.config.local[2].value, "192.168.1.11");
  EXPECT_EQ(p.config.cache.max_bytes, 8u << 20);
  EXPECT_EQ(p.config.cache.max_ttl, 3600u);
  EXPECT_EQ(p.config.cache.stale_window, 86400u);
}

TEST(DnsConfigTest, ErrorsNameTheField) {
  Parsed p = Parse("dns:\n  upstreams: [127.0.0.1:5300]\n  block_mode: blackhole\n");
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.errors.find("dns.block_mode"), std::string::npos) << p.errors;
  EXPECT_NE(p.errors.find("t.yaml:3:"), std::string::npos) << p.errors;
  Parsed missing = Parse("dns:\n  listen: 127.0.0.1:0\n");
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.errors.find("upstream"), std::string::npos);
  Parsed typo = Parse("dns:\n  upstreams: [127.0.0.1:1]\n  blok: [x]\n");
  EXPECT_FALSE(typo.ok);
  EXPECT_NE(typo.errors.find("block"), std::string::npos) << typo.errors;
  Parsed local = Parse("dns:\n  upstreams: [127.0.0.1:1]\n  local: [\"x.example A not-an-ip\"]\n");
  EXPECT_FALSE(local.ok);
  Parsed dup = Parse("dns:\n  upstreams: [127.0.0.1:1]\n  block: [/a/hosts, /b/hosts]\n");
  EXPECT_FALSE(dup.ok);
  EXPECT_NE(dup.errors.find("distinct"), std::string::npos);
}

// Regression: a missing or bad upstream used to end the section early, so
// later valid keys were reported as unknown and later errors were lost.
TEST(DnsConfigTest, EveryErrorOfTheSectionIsReported) {
  Parsed p = Parse("dns:\n  listen: [127.0.0.1:0]\n  block: [/x/hosts]\n  block_mode: blackhole\n");
  EXPECT_FALSE(p.ok);
  EXPECT_EQ(p.errors.find("unknown setting"), std::string::npos) << p.errors;
  EXPECT_NE(p.errors.find("dns.upstreams: missing required setting"), std::string::npos)
      << p.errors;
  EXPECT_NE(p.errors.find("t.yaml:4:15: dns.block_mode"), std::string::npos) << p.errors;
  Parsed bad = Parse("dns:\n  upstreams: [nowhere:99999]\n  blok: 1\n");
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.errors.find("dns.upstreams[0]"), std::string::npos) << bad.errors;
  EXPECT_NE(bad.errors.find("dns.blok: unknown setting"), std::string::npos) << bad.errors;
}

TEST(DnsConfigTest, FlagsBecomeAnEquivalentSection) {
  DnsFlags f;
  f.listen = {"127.0.0.1:0"};
  f.upstreams = {"127.0.0.1:5300"};
  f.block = {"http://127.0.0.1:8000/hosts", "/etc/block.txt"};
  f.allow = {"/etc/allow.txt"};
  f.block_mode = "0.0.0.0";
  Parsed p = Parse(FlagsToYaml(f));
  ASSERT_TRUE(p.ok) << p.errors << FlagsToYaml(f);
  EXPECT_EQ(p.config.block.size(), 2u);
  EXPECT_EQ(p.config.allow.size(), 1u);
  EXPECT_EQ(p.config.block_mode, BlockMode::kAddress);
  EXPECT_EQ(BlockModeText(p.config), "0.0.0.0");
}

}  // namespace
}  // namespace vigie::dns
