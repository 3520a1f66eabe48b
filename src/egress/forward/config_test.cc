// Tests for `egress.dns_proxy` / `egress.redirect`: the lines both grammars
// become, fallback port sets, and errors with their place.
#include "egress/forward/config.h"

#include <gtest/gtest.h>

#include "egress/egress.h"

namespace vigie::egress::forward {
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

const EgressConfig& Egress(const Parsed& p) {
  return dynamic_cast<const EgressConfig&>(*p.config);
}

TEST(ForwardConfigTest, PortSets) {
  auto p = ParsePortSet("80, 443,53/udp,8000-8002/tcp,80");
  ASSERT_TRUE(p) << p.error().ToString();
  std::vector<PortItem> want = {{Protocol::kTcp, 80},   {Protocol::kTcp, 443},
                                {Protocol::kUdp, 53},   {Protocol::kTcp, 8000},
                                {Protocol::kTcp, 8001}, {Protocol::kTcp, 8002}};
  EXPECT_EQ(*p, want);
  EXPECT_TRUE(ParsePortSet("")->empty());
  EXPECT_EQ(ParsePortSet("80/sctp").error().ToString(),
            "bad port item '80/sctp' (protocol: tcp or udp)");
  EXPECT_FALSE(ParsePortSet("0"));
  EXPECT_FALSE(ParsePortSet("65536"));
  EXPECT_FALSE(ParsePortSet("90-80"));
  EXPECT_FALSE(ParsePortSet("x"));
  EXPECT_EQ(ParsePortSet("1-2000").error().code(), make_error_code(Errc::kLimitExceeded));
}

TEST(ForwardConfigTest, RedirectLinesWithFallback) {
  auto p = Parse(
      "egress:\n  redirect:\n    source: 127.0.0.9\n    fallback_ports: 80,8080,53/udp\n"
      "    udp_idle_timeout: 2s\n    destination: |\n      # web\n      80 tcp 127.0.0.5\n"
      "      8080 tcp 127.0.0.6 80\n      53 udp 127.0.0.7\n      127.0.0.8\n");
  ASSERT_TRUE(p.config) << p.errors;
  const auto& c = *Egress(p).redirect;
  EXPECT_EQ(c.mode, ForwardMode::kRedirect);
  EXPECT_EQ(c.source->ToString(), "127.0.0.9");
  EXPECT_EQ(c.udp_idle_timeout, std::chrono::seconds(2));
  ASSERT_EQ(c.lines.size(), 3u);  // every fallback port is taken by a rule
  EXPECT_EQ(c.lines[1].port, 8080);
  EXPECT_EQ(c.lines[1].target_port, 80);
  EXPECT_EQ(c.lines[1].line, 3);
  EXPECT_EQ(c.lines[2].protocol, Protocol::kUdp);

  p = Parse(
      "egress:\n  redirect:\n    fallback_ports: 80,9000-9001,53/udp\n"
      "    destination: \"80 tcp 127.0.0.5\\n127.0.0.8\\n\"\n");
  ASSERT_TRUE(p.config) << p.errors;
  const auto& d = *Egress(p).redirect;
  ASSERT_EQ(d.lines.size(), 4u);
  EXPECT_FALSE(d.lines[0].fallback);
  EXPECT_TRUE(d.lines[1].fallback);
  EXPECT_EQ(d.lines[1].port, 9000);
  EXPECT_EQ(d.lines[1].target_port, 9000);
  EXPECT_EQ(d.lines[1].address->ToString(), "127.0.0.8");
  EXPECT_EQ(d.lines[3].protocol, Protocol::kUdp);
  EXPECT_EQ(d.lines[3].line, 2);
  EXPECT_EQ(d.listen_address.ToString(), "127.0.0.1");
}

TEST(ForwardConfigTest, DnsProxyLines) {
  auto p = Parse(
      "egress:\n  dns_proxy:\n    hosts_file: /dev/null\n    refresh_interval: 1s\n"
      "    destination: |\n      80 127.0.0.5\n      8080 example.test 100\n");
  ASSERT_TRUE(p.config) << p.errors;
  const auto& c = *Egress(p).dns_proxy;
  ASSERT_EQ(c.lines.size(), 2u);
  EXPECT_EQ(c.lines[0].address->ToString(), "127.0.0.5");
  EXPECT_EQ(c.lines[0].target_port, 80);
  EXPECT_EQ(c.lines[1].name, "example.test");
  EXPECT_EQ(c.lines[1].target_port, 100);
  EXPECT_EQ(c.refresh_interval, std::chrono::seconds(1));
}

TEST(ForwardConfigTest, ErrorsWithPlace) {
  auto p = Parse("egress:\n  dns_proxy:\n    destination: \"80 a.test\\nfoo\\n\"\n");
  EXPECT_EQ(p.errors,
            "F:3:18: egress.dns_proxy.destination: destination line 2: Bad destination 'foo'\n");
  p = Parse("egress:\n  dns_proxy:\n    destination: \"80 a.test\\n80 b.test\\n\"\n");
  EXPECT_EQ(p.errors,
            "F:3:18: egress.dns_proxy.destination: destination line 2: Proxy port 80 already "
            "used, must be unique for each destination\n");
  p = Parse("egress:\n  redirect:\n    destination: \"1.2.3.4\\n80 tcp 1.2.3.5\\n\"\n");
  EXPECT_EQ(p.errors,
            "F:3:18: egress.redirect.destination: destination line 2: EGRESS_DESTINATION "
            "fallback IP must be the last line\n");
  p = Parse("egress:\n  redirect:\n    fallback_ports: 80/sctp\n    destination: \"1.2.3.4\"\n");
  EXPECT_EQ(p.errors,
            "F:3:21: egress.redirect.fallback_ports: bad port item '80/sctp' (protocol: tcp or "
            "udp)\n");
  p = Parse("egress:\n  redirect:\n    engine: nftables\n    destination: \"1.2.3.4\"\n");
  EXPECT_NE(p.errors.find("egress.redirect.engine: only \"userspace\""), std::string::npos)
      << p.errors;
  // Resolver keys belong to the DNS proxy only.
  p = Parse("egress:\n  redirect:\n    hosts_file: /dev/null\n    destination: \"1.2.3.4\"\n");
  EXPECT_NE(p.errors.find("hosts_file"), std::string::npos) << p.errors;
  p = Parse("egress:\n  dns_proxy:\n    source: nope\n    destination: \"80 1.2.3.4\"\n");
  EXPECT_EQ(p.errors, "F:3:13: egress.dns_proxy.source: not an address: \"nope\"\n");
}

TEST(ForwardConfigTest, SourceValue) {
  EXPECT_EQ(ParseSourceValue("10.42.253.46/24")->ToString(), "10.42.253.46");
  EXPECT_EQ(ParseSourceValue("10.42.253.46")->ToString(), "10.42.253.46");
  EXPECT_EQ(ParseSourceValue("10.42.253.46/33").error().ToString(),
            "EGRESS_SOURCE unspecified or invalid");
  EXPECT_FALSE(ParseSourceValue(""));
  EXPECT_FALSE(ParseSourceValue("10.42.253.046"));
}

}  // namespace
}  // namespace vigie::egress::forward
