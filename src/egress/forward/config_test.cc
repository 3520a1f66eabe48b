// Tests for `egress.dns_proxy` / `egress.redirect`: the lines both grammars
// become, fallback port sets, the health_check block, and errors with their
// place.
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

TEST(ForwardConfigTest, HealthCheckDefaultsAreUpstreams) {
  auto p = Parse("egress:\n  dns_proxy:\n    destination: \"80 1.2.3.4\"\n");
  ASSERT_TRUE(p.config) << p.errors;
  const auto& hc = Egress(p).dns_proxy->health_check;
  EXPECT_TRUE(hc.enabled);
  EXPECT_EQ(hc.interval, std::chrono::seconds(2));
  EXPECT_EQ(hc.rise, 2);
  EXPECT_EQ(hc.fall, 3);
  EXPECT_FALSE(hc.timeout);
  // min(interval, connect_timeout): haproxy's connect timeout for a check.
  EXPECT_EQ(hc.EffectiveTimeout(std::chrono::seconds(10)), std::chrono::seconds(2));
  EXPECT_EQ(hc.EffectiveTimeout(std::chrono::milliseconds(500)), std::chrono::milliseconds(500));
  // The redirect engine: off unless asked for (upstream's DNAT checked nothing).
  p = Parse("egress:\n  redirect:\n    destination: \"1.2.3.4\"\n");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_FALSE(Egress(p).redirect->health_check.enabled);
}

TEST(ForwardConfigTest, HealthCheckBlock) {
  auto p = Parse(
      "egress:\n  dns_proxy:\n    destination: \"80 1.2.3.4\"\n    health_check:\n"
      "      interval: 200ms\n      timeout: 150ms\n      rise: 1\n      fall: 2\n");
  ASSERT_TRUE(p.config) << p.errors;
  const auto& hc = Egress(p).dns_proxy->health_check;
  EXPECT_TRUE(hc.enabled);
  EXPECT_EQ(hc.interval, std::chrono::milliseconds(200));
  EXPECT_EQ(hc.EffectiveTimeout(std::chrono::seconds(10)), std::chrono::milliseconds(150));
  EXPECT_EQ(hc.rise, 1);
  EXPECT_EQ(hc.fall, 2);
  p = Parse(
      "egress:\n  redirect:\n    destination: \"1.2.3.4\"\n    health_check:\n"
      "      enabled: true\n      interval: 5\n");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_TRUE(Egress(p).redirect->health_check.enabled);
  EXPECT_EQ(Egress(p).redirect->health_check.interval, std::chrono::seconds(5));
  p = Parse(
      "egress:\n  dns_proxy:\n    destination: \"80 1.2.3.4\"\n    health_check: "
      "{enabled: false}\n");
  ASSERT_TRUE(p.config) << p.errors;
  EXPECT_FALSE(Egress(p).dns_proxy->health_check.enabled);
}

TEST(ForwardConfigTest, HealthCheckErrorsWithPlace) {
  const std::string head = "egress:\n  dns_proxy:\n    destination: \"80 1.2.3.4\"\n";
  auto p = Parse(head + "    health_check:\n      interval: 50ms\n");
  EXPECT_EQ(p.errors, "F:5:17: egress.dns_proxy.health_check.interval: must be within 100ms..1h\n");
  EXPECT_FALSE(p.config);
  p = Parse(head + "    health_check:\n      interval: 2h\n");
  EXPECT_EQ(p.errors, "F:5:17: egress.dns_proxy.health_check.interval: must be within 100ms..1h\n");
  p = Parse(head + "    health_check:\n      timeout: 5ms\n");
  EXPECT_EQ(p.errors, "F:5:16: egress.dns_proxy.health_check.timeout: must be within 10ms..1m\n");
  p = Parse(head + "    health_check:\n      rise: 0\n");
  EXPECT_EQ(p.errors, "F:5:13: egress.dns_proxy.health_check.rise: must be within 1..100\n");
  p = Parse(head + "    health_check:\n      fall: 101\n");
  EXPECT_EQ(p.errors, "F:5:13: egress.dns_proxy.health_check.fall: must be within 1..100\n");
  p = Parse(head + "    health_check:\n      intervall: 1s\n");
  EXPECT_NE(p.errors.find("F:5:7: egress.dns_proxy.health_check.intervall: unknown"),
            std::string::npos)
      << p.errors;
  EXPECT_NE(p.errors.find("interval"), std::string::npos) << p.errors;
  p = Parse(head + "    health_check:\n      interval: soon\n");
  EXPECT_NE(p.errors.find("F:5:17: egress.dns_proxy.health_check.interval:"), std::string::npos)
      << p.errors;
  p = Parse(head + "    health_check: yes\n");
  EXPECT_NE(p.errors.find("F:4:19: egress.dns_proxy.health_check:"), std::string::npos) << p.errors;
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
