// Tests for the `dns:` section reader and the flags overlay.
#include "dns/server/config.h"

#include <filesystem>
#include <fstream>

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

// The section `vigie dns` flags stand for, read as `vigie dns` reads it.
Parsed ParseFlags(const DnsFlags& flags) {
  config::Diagnostics diag("<flags>");
  config::Overlay overlay = FlagsOverlay(flags);
  diag.SetOrigins(overlay.Origins());
  config::Value root;
  config::ApplyOverlay(overlay, root);
  Parsed p;
  const config::Value* dns = root.Find("dns");
  if (dns == nullptr) {
    p.errors = "no dns: section";
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
  EXPECT_EQ(p.config.upstreams[1].address.port, 53);
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
  Parsed p = ParseFlags(f);
  ASSERT_TRUE(p.ok) << p.errors << FlagsOverlay(f).ToString();
  EXPECT_EQ(p.config.block.size(), 2u);
  EXPECT_EQ(p.config.allow.size(), 1u);
  EXPECT_EQ(p.config.block_mode, BlockMode::kAddress);
  EXPECT_EQ(BlockModeText(p.config), "0.0.0.0");
}

TEST(DnsConfigTest, FlagErrorsNameTheFlag) {
  DnsFlags f;
  f.upstreams = {"127.0.0.1:5300", "not an address"};
  f.block_mode = "sometimes";
  Parsed p = ParseFlags(f);
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.errors.find("<flags>: --upstream (dns.upstreams[1]): "), std::string::npos)
      << p.errors;
  EXPECT_NE(p.errors.find("<flags>: --block-mode (dns.block_mode): "), std::string::npos)
      << p.errors;
}

TEST(DnsConfigTest, ResolvConfNameserversInOrder) {
  std::vector<std::string> skipped;
  auto servers = ParseResolvConf(
      "# generated\nsearch lan\nnameserver 192.0.2.53\n  nameserver\t2001:db8::53 ; v6\n"
      "nameserver fe80::1%eth0\noptions ndots:2\nnameserver nonsense\n",
      &skipped);
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0].ToString(), "192.0.2.53:53");
  EXPECT_EQ(servers[1].host, "2001:db8::53");
  EXPECT_EQ(servers[1].port, 53);
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_EQ(skipped[0], "line 5: \"fe80::1%eth0\" is not an IP address (scoped IPv6)");
  EXPECT_EQ(skipped[1], "line 7: \"nonsense\" is not an IP address");
}

TEST(DnsConfigTest, UpstreamsFromAResolvConfFile) {
  auto path = std::filesystem::temp_directory_path() / "vigie-dns-config-test-resolv.conf";
  std::ofstream(path) << "nameserver 192.0.2.1\nnameserver 192.0.2.2\n";
  Parsed p = Parse("dns:\n  upstreams: [" + path.string() + ", 127.0.0.1:5300]\n");
  ASSERT_TRUE(p.ok) << p.errors;
  ASSERT_EQ(p.config.upstreams.size(), 3u);
  EXPECT_EQ(p.config.upstreams[0].ToString(), "192.0.2.1:53");
  EXPECT_EQ(p.config.upstreams[1].ToString(), "192.0.2.2:53");
  EXPECT_EQ(p.config.upstreams[2].ToString(), "127.0.0.1:5300");

  std::ofstream(path) << "search lan\n";
  p = Parse("dns:\n  upstreams: [" + path.string() + "]\n");
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.errors.find("no usable `nameserver` line in"), std::string::npos) << p.errors;
  std::filesystem::remove(path);
  p = Parse("dns:\n  upstreams: [/nonexistent/resolv.conf]\n");
  EXPECT_FALSE(p.ok);
  EXPECT_NE(
      p.errors.find("t.yaml:2:15: dns.upstreams[0]: cannot read \"/nonexistent/resolv.conf\""),
      std::string::npos)
      << p.errors;
}

}  // namespace
}  // namespace vigie::dns

namespace vigie::dns {
namespace {

TEST(DnsConfigTest, RateLimitQueryLogAndTop) {
  Parsed p = Parse(R"(dns:
  upstreams: [127.0.0.1:5300]
  rate_limit: {qps: 20, burst: 40, action: refused, ipv4_prefix: 24, ipv6_prefix: 48,
               max_clients: 1000}
  query_log: {path: /var/log/vigie/queries.log, max_size: 10MiB, keep: 3}
  top_names: 500
  top_blocked_metrics: 0
)");
  ASSERT_TRUE(p.ok) << p.errors;
  EXPECT_EQ(p.config.rate_limit.qps, 20);
  EXPECT_EQ(p.config.rate_limit.burst, 40);
  EXPECT_EQ(p.config.rate_limit_action, RateLimitAction::kRefused);
  EXPECT_EQ(p.config.rate_limit.v4_prefix, 24);
  EXPECT_EQ(p.config.rate_limit.v6_prefix, 48);
  EXPECT_EQ(p.config.rate_limit.max_entries, 1000u);
  EXPECT_EQ(p.config.query_log.path, "/var/log/vigie/queries.log");
  EXPECT_EQ(p.config.query_log.max_bytes, 10u << 20);
  EXPECT_EQ(p.config.query_log.keep, 3u);
  EXPECT_EQ(p.config.top_names, 500u);
  EXPECT_EQ(p.config.top_blocked_metrics, 0u);
}

TEST(DnsConfigTest, RateLimitAndQueryLogDefaultsAndErrors) {
  Parsed d = Parse("dns:\n  upstreams: [127.0.0.1:5300]\n");
  ASSERT_TRUE(d.ok) << d.errors;
  EXPECT_FALSE(d.config.rate_limit.enabled());
  EXPECT_FALSE(d.config.query_log.enabled());
  EXPECT_EQ(d.config.rate_limit.v4_prefix, 32);
  EXPECT_EQ(d.config.rate_limit.v6_prefix, 56);
  EXPECT_EQ(d.config.query_log.max_bytes, 100u << 20);
  EXPECT_EQ(d.config.query_log.keep, 5u);
  EXPECT_EQ(d.config.top_blocked_metrics, 10u);
  Parsed many = Parse("dns:\n  upstreams: [127.0.0.1:1]\n  top_blocked_metrics: 5000\n");
  EXPECT_FALSE(many.ok);
  EXPECT_NE(many.errors.find("dns.top_blocked_metrics"), std::string::npos) << many.errors;

  Parsed bad = Parse("dns:\n  upstreams: [127.0.0.1:1]\n  rate_limit: {qps: 5, action: slip}\n");
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.errors.find("dns.rate_limit.action"), std::string::npos) << bad.errors;
  Parsed prefix =
      Parse("dns:\n  upstreams: [127.0.0.1:1]\n  rate_limit: {qps: 5, ipv4_prefix: 33}\n");
  EXPECT_FALSE(prefix.ok);
  Parsed small =
      Parse("dns:\n  upstreams: [127.0.0.1:1]\n  query_log: {path: /tmp/q, max_size: 1}\n");
  EXPECT_FALSE(small.ok);
  EXPECT_NE(small.errors.find("max_size"), std::string::npos) << small.errors;
}

TEST(DnsConfigTest, TlsUpstreams) {
  Parsed p = Parse(R"(dns:
  upstreams:
    - tls://127.0.0.1:8853#dns.example
    - tls://192.0.2.1
    - "tls://192.0.2.2@8853"
    - {address: 192.0.2.3, tls: {server_name: dot.example, ca_file: /etc/ca.pem, verify: false}}
    - 192.0.2.4
)");
  ASSERT_TRUE(p.ok) << p.errors;
  ASSERT_EQ(p.config.upstreams.size(), 5u);
  EXPECT_TRUE(p.config.upstreams[0].tls);
  EXPECT_EQ(p.config.upstreams[0].server_name, "dns.example");
  EXPECT_EQ(p.config.upstreams[0].address.port, 8853);
  EXPECT_TRUE(p.config.upstreams[0].verify);
  EXPECT_EQ(p.config.upstreams[0].ToString(), "tls://127.0.0.1:8853#dns.example");
  EXPECT_EQ(p.config.upstreams[1].address.port, 853);
  EXPECT_EQ(p.config.upstreams[2].address.port, 8853);
  EXPECT_TRUE(p.config.upstreams[3].tls);
  EXPECT_EQ(p.config.upstreams[3].address.port, 853);
  EXPECT_EQ(p.config.upstreams[3].server_name, "dot.example");
  EXPECT_EQ(p.config.upstreams[3].ca_file, "/etc/ca.pem");
  EXPECT_FALSE(p.config.upstreams[3].verify);
  EXPECT_FALSE(p.config.upstreams[4].tls);
  EXPECT_EQ(p.config.upstreams[4].address.port, 53);

  Parsed bad = Parse("dns:\n  upstreams: [\"https://192.0.2.1/dns-query\"]\n");
  EXPECT_FALSE(bad.ok);
  EXPECT_NE(bad.errors.find("scheme not supported"), std::string::npos) << bad.errors;
}

}  // namespace
}  // namespace vigie::dns

namespace vigie::dns {
namespace {

TEST(DnsConfigTest, HttpsListsWithAndWithoutCaFile) {
  auto ca = std::filesystem::temp_directory_path() / "vigie-dns-config-test-ca.pem";
  std::ofstream(ca) << "-----BEGIN CERTIFICATE-----\n";
  Parsed p = Parse(R"(dns:
  upstreams: [127.0.0.1:5300]
  block:
    - https://lists.example/hosts
    - {name: lan, url: "https://lists.lan:8443/ads.txt", ca_file: ")" +
                   ca.string() + R"("}
  allow:
    - {url: "https://lists.example/allow.txt", format: domains}
)");
  ASSERT_TRUE(p.ok) << p.errors;
  ASSERT_EQ(p.config.block.size(), 2u);
  EXPECT_TRUE(p.config.block[0].IsUrl());
  EXPECT_EQ(p.config.block[0].id, "hosts");
  EXPECT_EQ(p.config.block[0].ca_file, "");  // the system's trust store
  EXPECT_EQ(p.config.block[1].id, "lan");
  EXPECT_EQ(p.config.block[1].source, "https://lists.lan:8443/ads.txt");
  EXPECT_EQ(p.config.block[1].ca_file, ca.string());
  EXPECT_EQ(p.config.allow[0].id, "allow.txt");
  EXPECT_EQ(p.config.allow[0].format, ListFormat::kDomains);
  std::filesystem::remove(ca);

  // The flags' scalar form takes https:// too.
  DnsFlags f;
  f.upstreams = {"127.0.0.1:5300"};
  f.block = {"https://lists.example/hosts"};
  Parsed flags = ParseFlags(f);
  ASSERT_TRUE(flags.ok) << flags.errors;
  EXPECT_EQ(flags.config.block[0].source, "https://lists.example/hosts");
}

TEST(DnsConfigTest, CaFileErrorsNameTheField) {
  Parsed missing = Parse(R"(dns:
  upstreams: [127.0.0.1:5300]
  block:
    - {url: "https://lists.example/hosts", ca_file: /nonexistent/ca.pem}
)");
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.errors.find("t.yaml:4:"), std::string::npos) << missing.errors;
  EXPECT_NE(missing.errors.find("dns.block[0].ca_file: cannot read \"/nonexistent/ca.pem\""),
            std::string::npos)
      << missing.errors;

  Parsed plain = Parse(R"(dns:
  upstreams: [127.0.0.1:5300]
  block:
    - {url: "http://lists.example/hosts", ca_file: /etc/vigie/ca.pem}
    - {path: /etc/vigie/block.txt, ca_file: /etc/vigie/ca.pem}
)");
  EXPECT_FALSE(plain.ok);
  EXPECT_NE(plain.errors.find("dns.block[0].ca_file: ca_file applies to https:// lists only"),
            std::string::npos)
      << plain.errors;
  EXPECT_NE(plain.errors.find("dns.block[1].ca_file: ca_file applies to https:// lists only"),
            std::string::npos)
      << plain.errors;

  Parsed typo = Parse(R"(dns:
  upstreams: [127.0.0.1:5300]
  block:
    - {url: "https://lists.example/hosts", cafile: /etc/vigie/ca.pem}
)");
  EXPECT_FALSE(typo.ok);
  EXPECT_NE(typo.errors.find("dns.block[0].cafile: unknown setting"), std::string::npos)
      << typo.errors;
}

}  // namespace
}  // namespace vigie::dns
