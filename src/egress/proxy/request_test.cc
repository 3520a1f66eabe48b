// Tests for the HTTP proxy's per-request decisions: head limits, the client
// check, unmapped addresses, the rule a denial names, the origin key.
#include "egress/proxy/request.h"

#include <vector>

#include <gtest/gtest.h>

namespace vigie::egress::proxy {
namespace {

IpAddress Ip(std::string_view text) {
  auto ip = IpAddress::Parse(text);
  EXPECT_TRUE(ip) << text;
  return *ip;
}

Cidr Prefix(std::string_view text) {
  auto cidr = Cidr::Parse(text);
  EXPECT_TRUE(cidr) << text;
  return *cidr;
}

TEST(RequestHeadLimitsTest, LineLimitsNeverExceedTheHead) {
  vigie::http::HeadLimits defaults;
  auto big = RequestHeadLimits(64 * 1024);
  EXPECT_EQ(big.max_head_bytes, 64u * 1024);
  EXPECT_EQ(big.max_request_line_bytes, defaults.max_request_line_bytes);
  EXPECT_EQ(big.max_field_line_bytes, defaults.max_field_line_bytes);
  EXPECT_EQ(big.max_fields, defaults.max_fields);

  auto small = RequestHeadLimits(1000);
  EXPECT_EQ(small.max_head_bytes, 1000u);
  EXPECT_EQ(small.max_request_line_bytes, 1000u);
  EXPECT_EQ(small.max_field_line_bytes, 1000u);
}

TEST(ClientAllowedTest, EmptyListAllowsEveryClient) {
  EXPECT_TRUE(ClientAllowed({}, "192.0.2.1"));
  EXPECT_TRUE(ClientAllowed({}, "not an address"));
}

TEST(ClientAllowedTest, OnlyClientsInsideAPrefix) {
  std::vector<Cidr> allow = {Prefix("10.0.0.0/8"), Prefix("2001:db8::/32")};
  EXPECT_TRUE(ClientAllowed(allow, "10.1.2.3"));
  EXPECT_TRUE(ClientAllowed(allow, "2001:db8::1"));
  EXPECT_FALSE(ClientAllowed(allow, "192.0.2.1"));
  EXPECT_FALSE(ClientAllowed(allow, "2001:db9::1"));
  EXPECT_FALSE(ClientAllowed(allow, ""));
  EXPECT_FALSE(ClientAllowed(allow, "10.1.2.3.4"));
}

TEST(UniqueUnmappedTest, MappedAddressesAreTheirIpv4AndDuplicatesGo) {
  EXPECT_EQ(UniqueUnmapped({Ip("::ffff:10.0.0.1"), Ip("10.0.0.1"), Ip("2001:db8::1"),
                            Ip("10.0.0.2"), Ip("2001:db8::1")}),
            (std::vector<IpAddress>{Ip("10.0.0.1"), Ip("2001:db8::1"), Ip("10.0.0.2")}));
  EXPECT_TRUE(UniqueUnmapped({}).empty());
}

TEST(DenialRuleTest, NamesTheRuleAndTheAddressThatDecided) {
  AclDecision by_name;
  by_name.source = AclDecision::Source::kRule;
  by_name.line = 2;
  by_name.text = "!perdu.com";
  EXPECT_EQ(DenialRule(by_name), by_name.RuleDescription());

  AclDecision by_address = by_name;
  by_address.text = "!10.0.0.0/8";
  by_address.address = Ip("10.0.0.7");
  EXPECT_EQ(DenialRule(by_address), by_address.RuleDescription() + ", address 10.0.0.7");

  AclDecision default_deny;
  EXPECT_EQ(DenialRule(default_deny), default_deny.RuleDescription());
}

TEST(OriginKeyTest, HostAndEffectivePort) {
  auto target = http::ParseProxyTarget("GET", "http://Example.COM/x");
  ASSERT_TRUE(target);
  EXPECT_EQ(OriginKey(*target), "example.com:80");
  auto connect = http::ParseProxyTarget("CONNECT", "example.com:443");
  ASSERT_TRUE(connect);
  EXPECT_EQ(OriginKey(*connect), "example.com:443");
}

}  // namespace
}  // namespace vigie::egress::proxy
