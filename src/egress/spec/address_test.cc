// Tests for IpAddress / IpPrefix.
#include "egress/spec/address.h"

#include <gtest/gtest.h>

namespace vigie::egress {
namespace {

TEST(IpAddressTest, ParsesAndFormats) {
  EXPECT_EQ(IpAddress::Parse("10.1.2.3")->ToString(), "10.1.2.3");
  EXPECT_TRUE(IpAddress::Parse("10.1.2.3")->is_v4());
  EXPECT_EQ(IpAddress::Parse("FE80:0:0::1")->ToString(), "fe80::1");
  EXPECT_TRUE(IpAddress::Parse("::")->is_v6());
  EXPECT_EQ(IpAddress::V4(0x0a010203).ToString(), "10.1.2.3");
}

TEST(IpAddressTest, RejectsLooseForms) {
  for (std::string_view bad : {"", "010.1.2.3", "1.2.3", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4",
                               "fe80::1%eth0", "[::1]", "1::2::3", "0x7f.0.0.1", "2130706433"}) {
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  }
  EXPECT_FALSE(IpAddress::Parse(std::string_view("1.2.3.4\0", 8)));
  EXPECT_FALSE(IpAddress::ParseV4("::1"));
  EXPECT_FALSE(IpAddress::ParseV6("1.2.3.4"));
}

TEST(IpAddressTest, V4Mapped) {
  auto mapped = IpAddress::Parse("::ffff:10.0.0.1");
  ASSERT_TRUE(mapped);
  EXPECT_TRUE(mapped->IsV4Mapped());
  EXPECT_EQ(mapped->Unmapped(), *IpAddress::Parse("10.0.0.1"));
  EXPECT_FALSE(IpAddress::Parse("::10.0.0.1")->IsV4Mapped());
  EXPECT_FALSE(IpAddress::Parse("10.0.0.1")->IsV4Mapped());
}

TEST(IpAddressTest, OrderingSeparatesFamilies) {
  EXPECT_LT(*IpAddress::Parse("1.2.3.4"), *IpAddress::Parse("1.2.3.5"));
  EXPECT_NE(*IpAddress::Parse("0.0.0.0"), *IpAddress::Parse("::"));
}

TEST(IpPrefixTest, ParseClearsHostBits) {
  EXPECT_EQ(IpPrefix::Parse("192.168.1.77/24")->ToString(), "192.168.1.0/24");
  EXPECT_EQ(IpPrefix::Parse("fe80::1/10")->ToString(), "fe80::/10");
  EXPECT_EQ(IpPrefix::Parse("1.2.3.4")->ToString(), "1.2.3.4");
  EXPECT_EQ(IpPrefix::Parse("1.2.3.4/0")->ToString(), "0.0.0.0/0");
  for (std::string_view bad : {"1.2.3.4/", "1.2.3.4/33", "::/129", "1.2.3.4/-1", "1.2.3.4/+8",
                               "1.2.3.4/8/8", "/8", "1.2.3.4/1000"}) {
    EXPECT_FALSE(IpPrefix::Parse(bad)) << bad;
  }
}

TEST(IpPrefixTest, Contains) {
  auto net = *IpPrefix::Parse("10.42.253.0/24");
  EXPECT_TRUE(net.Contains(*IpAddress::Parse("10.42.253.7")));
  EXPECT_FALSE(net.Contains(*IpAddress::Parse("10.42.254.7")));
  // A v4-mapped IPv6 address is compared as the IPv4 address it carries.
  EXPECT_TRUE(net.Contains(*IpAddress::Parse("::ffff:10.42.253.7")));
  EXPECT_FALSE(net.Contains(*IpAddress::Parse("::a2a:fd07")));  // IPv4-compatible is not mapped
  auto odd = *IpPrefix::Parse("10.0.0.0/9");
  EXPECT_TRUE(odd.Contains(*IpAddress::Parse("10.127.255.255")));
  EXPECT_FALSE(odd.Contains(*IpAddress::Parse("10.128.0.0")));
  auto v6 = *IpPrefix::Parse("fe80::/10");
  EXPECT_TRUE(v6.Contains(*IpAddress::Parse("febf::1")));
  EXPECT_FALSE(v6.Contains(*IpAddress::Parse("fec0::1")));
  EXPECT_FALSE(v6.Contains(*IpAddress::Parse("10.0.0.1")));
  EXPECT_TRUE(IpPrefix::Parse("0.0.0.0/0")->Contains(*IpAddress::Parse("255.255.255.255")));
  EXPECT_FALSE(IpPrefix::Parse("0.0.0.0/0")->Contains(*IpAddress::Parse("::1")));
}

}  // namespace
}  // namespace vigie::egress
