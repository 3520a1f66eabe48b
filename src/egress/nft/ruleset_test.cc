// Golden-text tests for the redirect-mode nftables scripts.
#include "egress/nft/ruleset.h"

#include <gtest/gtest.h>

namespace vigie::egress {
namespace {

constexpr std::string_view kChains =
    "table ip vigie_egress {\n"
    "  chain prerouting {\n"
    "    type nat hook prerouting priority dstnat; policy accept;\n"
    "  }\n"
    "  chain postrouting {\n"
    "    type nat hook postrouting priority srcnat; policy accept;\n"
    "  }\n"
    "}\n"
    "flush table ip vigie_egress\n";

TEST(NftRulesetTest, DocsExample) {
  auto spec = ParseEgressDestination(
      "80 tcp 203.0.113.25\n8080 tcp 203.0.113.26 80\n8443 tcp 203.0.113.26 443\n53 udp "
      "203.0.113.53\n"
      "203.0.113.27");
  ASSERT_TRUE(spec);
  auto script = BuildNftInstallScript(*spec, *IpAddress::Parse("10.42.253.46"));
  ASSERT_TRUE(script) << script.error().ToString();
  EXPECT_EQ(
      *script,
      std::string(kChains) +
          "add rule ip vigie_egress prerouting iifname \"eth0\" tcp dport 80 dnat to 203.0.113.25\n"
          "add rule ip vigie_egress prerouting iifname \"eth0\" tcp dport 8080 dnat to "
          "203.0.113.26:80\n"
          "add rule ip vigie_egress prerouting iifname \"eth0\" tcp dport 8443 dnat to "
          "203.0.113.26:443\n"
          "add rule ip vigie_egress prerouting iifname \"eth0\" udp dport 53 dnat to 203.0.113.53\n"
          "add rule ip vigie_egress prerouting iifname \"eth0\" dnat to 203.0.113.27\n"
          "add rule ip vigie_egress postrouting oifname \"macvlan0\" snat to 10.42.253.46\n");
}

TEST(NftRulesetTest, NoRulesStillSnats) {
  auto spec = ParseEgressDestination("# later\n");
  ASSERT_TRUE(spec);
  NftOptions options;
  options.table = "egress1";
  options.ingress_interface = "eth1";
  options.egress_interface = "mv0";
  auto script = BuildNftInstallScript(*spec, *IpAddress::Parse("1.2.3.4"), options);
  ASSERT_TRUE(script);
  EXPECT_TRUE(
      script->ends_with("flush table ip egress1\n"
                        "add rule ip egress1 postrouting oifname \"mv0\" snat to 1.2.3.4\n"))
      << *script;
}

TEST(NftRulesetTest, RemoveScriptTouchesOnlyItsTable) {
  EXPECT_EQ(*BuildNftRemoveScript(), "table ip vigie_egress\ndelete table ip vigie_egress\n");
}

TEST(NftRulesetTest, RejectsNamesThatWouldInjectScript) {
  RedirectSpec spec;
  NftOptions bad_table;
  bad_table.table = "x; flush ruleset";
  EXPECT_FALSE(BuildNftInstallScript(spec, *IpAddress::Parse("1.2.3.4"), bad_table));
  EXPECT_FALSE(BuildNftRemoveScript(bad_table));
  NftOptions bad_if;
  bad_if.ingress_interface = "eth0\" accept";
  EXPECT_FALSE(BuildNftInstallScript(spec, *IpAddress::Parse("1.2.3.4"), bad_if));
  NftOptions long_if;
  long_if.egress_interface = std::string(16, 'a');
  EXPECT_FALSE(BuildNftInstallScript(spec, *IpAddress::Parse("1.2.3.4"), long_if));
  EXPECT_FALSE(BuildNftInstallScript(spec, *IpAddress::Parse("::1")));
}

}  // namespace
}  // namespace vigie::egress
