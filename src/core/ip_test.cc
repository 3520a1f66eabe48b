#include "core/ip.h"

#include <gtest/gtest.h>

namespace vigie {
namespace {

TEST(IpAddressTest, ParsesBothFamilies) {
  auto v4 = IpAddress::Parse("10.42.253.1");
  ASSERT_TRUE(v4);
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->ToString(), "10.42.253.1");
  auto v6 = IpAddress::Parse("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->ToString(), "2001:db8::1");
  EXPECT_FALSE(IpAddress::Parse("10.42.253.1O"));
  EXPECT_FALSE(IpAddress::Parse("256.1.1.1"));
  EXPECT_FALSE(IpAddress::Parse(""));
  EXPECT_TRUE(IpAddress::Parse("127.0.0.2")->IsLoopback());
  EXPECT_TRUE(IpAddress::Parse("::1")->IsLoopback());
  EXPECT_TRUE(IpAddress::Parse("::ffff:127.0.0.1")->IsLoopback());
  EXPECT_FALSE(IpAddress::Parse("10.0.0.1")->IsLoopback());
}

TEST(CidrTest, ContainsRespectsPrefix) {
  auto c = Cidr::Parse("10.42.253.0/24");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->Contains(*IpAddress::Parse("10.42.253.77")));
  EXPECT_FALSE(c->Contains(*IpAddress::Parse("10.42.254.1")));
  EXPECT_TRUE(c->Contains(*IpAddress::Parse("::ffff:10.42.253.9")));
  EXPECT_FALSE(c->Contains(*IpAddress::Parse("2001:db8::1")));
  auto odd = Cidr::Parse("10.0.0.0/9");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->Contains(*IpAddress::Parse("10.127.0.1")));
  EXPECT_FALSE(odd->Contains(*IpAddress::Parse("10.128.0.1")));
  auto v6 = Cidr::Parse("fd00::/8");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->Contains(*IpAddress::Parse("fd12::1")));
  EXPECT_EQ(Cidr::Parse("1.2.3.4")->prefix_len(), 32);
  EXPECT_TRUE(Cidr::Parse("0.0.0.0/0")->Contains(*IpAddress::Parse("8.8.4.4")));
}

TEST(CidrTest, RejectsBadPrefixes) {
  EXPECT_EQ(Cidr::Parse("10.0.0.1/8").error().ToString(),
            "host bits set in \"10.0.0.1/8\" (did you mean a /32 or the network address?)");
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/33"));
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/"));
  EXPECT_FALSE(Cidr::Parse("10.0.0.0/a"));
  EXPECT_FALSE(Cidr::Parse("nope/8"));
}

// The next tests came with the egress address type this one replaced.
TEST(IpAddressTest, ParsesAndFormats) {
  EXPECT_EQ(IpAddress::Parse("10.1.2.3")->ToString(), "10.1.2.3");
  EXPECT_TRUE(IpAddress::Parse("10.1.2.3")->is_v4());
  EXPECT_EQ(IpAddress::Parse("FE80:0:0::1")->ToString(), "fe80::1");
  EXPECT_TRUE(IpAddress::Parse("::")->is_v6());
  EXPECT_EQ(IpAddress::V4({10, 1, 2, 3}).ToString(), "10.1.2.3");
  EXPECT_EQ(IpAddress::Parse("10.1.2.3")->family(), IpAddress::Family::kV4);
  EXPECT_EQ(IpAddress::Parse("::1")->family(), IpAddress::Family::kV6);
  EXPECT_EQ(IpAddress::Parse("10.1.2.3")->bit_width(), 32);
  EXPECT_EQ(IpAddress::Parse("::1")->bit_width(), 128);
}

TEST(IpAddressTest, RejectsLooseForms) {
  for (std::string_view bad : {"", "010.1.2.3", "1.2.3", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4",
                               "fe80::1%eth0", "[::1]", "1::2::3", "0x7f.0.0.1", "2130706433"}) {
    EXPECT_FALSE(IpAddress::Parse(bad)) << bad;
  }
  EXPECT_FALSE(IpAddress::Parse(std::string_view("1.2.3.4\0", 8)));
  EXPECT_FALSE(IpAddress::ParseV4("::1"));
  EXPECT_FALSE(IpAddress::ParseV6("1.2.3.4"));
  EXPECT_TRUE(IpAddress::ParseV4("1.2.3.4"));
  EXPECT_TRUE(IpAddress::ParseV6("::ffff:1.2.3.4")->is_v6());
  EXPECT_EQ(IpAddress::Parse("10.42.253.1O").error().ToString(),
            "not an IP address: \"10.42.253.1O\"");
  EXPECT_EQ(IpAddress::ParseV4("::1").error().ToString(), "not an IPv4 address: \"::1\"");
  EXPECT_EQ(IpAddress::ParseV6("1.2.3.4").error().ToString(), "not an IPv6 address: \"1.2.3.4\"");
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
  // Every IPv4 address sorts before every IPv6 one.
  EXPECT_LT(*IpAddress::Parse("255.255.255.255"), *IpAddress::Parse("::"));
}

TEST(CidrTest, ParseClearingHostBitsClearsHostBits) {
  EXPECT_EQ(Cidr::ParseClearingHostBits("192.168.1.77/24")->ToString(), "192.168.1.0/24");
  EXPECT_EQ(Cidr::ParseClearingHostBits("fe80::1/10")->ToString(), "fe80::/10");
  EXPECT_EQ(Cidr::ParseClearingHostBits("1.2.3.4")->ToString(), "1.2.3.4");
  EXPECT_EQ(Cidr::ParseClearingHostBits("1.2.3.4/0")->ToString(), "0.0.0.0/0");
  for (std::string_view bad : {"1.2.3.4/", "1.2.3.4/33", "::/129", "1.2.3.4/-1", "1.2.3.4/+8",
                               "1.2.3.4/8/8", "/8", "1.2.3.4/1000"}) {
    EXPECT_FALSE(Cidr::ParseClearingHostBits(bad)) << bad;
    EXPECT_FALSE(Cidr::Parse(bad)) << bad;
  }
  // The strict parse and the constructor agree with it where host bits are clear.
  EXPECT_EQ(*Cidr::Parse("192.168.1.0/24"), *Cidr::ParseClearingHostBits("192.168.1.77/24"));
  EXPECT_EQ(Cidr(*IpAddress::Parse("192.168.1.77"), 24),
            *Cidr::ParseClearingHostBits("192.168.1.77/24"));
  EXPECT_EQ(Cidr(*IpAddress::Parse("10.1.2.3"), 32).ToString(), "10.1.2.3");
  EXPECT_EQ(Cidr::Parse("2001:db8::/32")->ToString(), "2001:db8::/32");
  // The default is the single address 0.0.0.0, not every IPv4 address.
  EXPECT_EQ(Cidr().ToString(), "0.0.0.0");
  EXPECT_FALSE(Cidr().Contains(*IpAddress::Parse("10.0.0.1")));
}

TEST(CidrTest, Contains) {
  auto net = *Cidr::ParseClearingHostBits("10.42.253.0/24");
  EXPECT_TRUE(net.Contains(*IpAddress::Parse("10.42.253.7")));
  EXPECT_FALSE(net.Contains(*IpAddress::Parse("10.42.254.7")));
  // A v4-mapped IPv6 address is compared as the IPv4 address it carries.
  EXPECT_TRUE(net.Contains(*IpAddress::Parse("::ffff:10.42.253.7")));
  EXPECT_FALSE(net.Contains(*IpAddress::Parse("::a2a:fd07")));  // IPv4-compatible is not mapped
  auto odd = *Cidr::ParseClearingHostBits("10.0.0.0/9");
  EXPECT_TRUE(odd.Contains(*IpAddress::Parse("10.127.255.255")));
  EXPECT_FALSE(odd.Contains(*IpAddress::Parse("10.128.0.0")));
  auto v6 = *Cidr::ParseClearingHostBits("fe80::/10");
  EXPECT_TRUE(v6.Contains(*IpAddress::Parse("febf::1")));
  EXPECT_FALSE(v6.Contains(*IpAddress::Parse("fec0::1")));
  EXPECT_FALSE(v6.Contains(*IpAddress::Parse("10.0.0.1")));
  EXPECT_TRUE(
      Cidr::ParseClearingHostBits("0.0.0.0/0")->Contains(*IpAddress::Parse("255.255.255.255")));
  EXPECT_FALSE(Cidr::ParseClearingHostBits("0.0.0.0/0")->Contains(*IpAddress::Parse("::1")));
}

TEST(AddressTest, ParsesForms) {
  auto a = ParseAddress("127.0.0.1:53");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 53);
  auto b = ParseAddress("[::1]:8080");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->ToString(), "[::1]:8080");
  auto any = ParseAddress(":6443");
  ASSERT_TRUE(any);
  EXPECT_EQ(any->host, "");
  EXPECT_EQ(any->ToString(), "*:6443");
  auto star = ParseAddress("*:6443");
  ASSERT_TRUE(star);
  EXPECT_EQ(star->host, "");
  auto u = ParseAddress("/run/vigie.sock", {.allow_unix = true});
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->is_unix());
  EXPECT_EQ(u->ToString(), "unix:/run/vigie.sock");
  auto named = ParseAddress("api.example.com:443", {.allow_names = true});
  ASSERT_TRUE(named);
  EXPECT_EQ(named->host, "api.example.com");
  auto defaulted = ParseAddress("10.0.0.1", {.default_port = 53});
  ASSERT_TRUE(defaulted);
  EXPECT_EQ(defaulted->port, 53);
}

TEST(AddressTest, RejectsWithReasons) {
  EXPECT_EQ(ParseAddress("127.0.0.1").error().ToString(),
            "missing port in \"127.0.0.1\" (write host:port)");
  EXPECT_EQ(ParseAddress("::1:53").error().ToString(),
            "IPv6 addresses need brackets when a port follows: \"::1:53\" (write [addr]:port)");
  EXPECT_EQ(ParseAddress("127.0.0.1:70000").error().ToString(),
            "port 70000 is out of range (0-65535)");
  EXPECT_EQ(ParseAddress("example.com:80").error().ToString(),
            "not an IP address: \"example.com\" in \"example.com:80\"");
  EXPECT_FALSE(ParseAddress("/tmp/x.sock"));
  EXPECT_FALSE(ParseAddress("[::1"));
  EXPECT_FALSE(ParseAddress("[10.0.0.1]:80"));
  EXPECT_FALSE(ParseAddress("1.2.3.4:"));
  EXPECT_FALSE(ParseAddress("unix:rel", {.allow_unix = true}));
  EXPECT_FALSE(ParseAddress("bad_host!:80", {.allow_names = true}));
}

TEST(SplitHostAndPortTest, PortAfterTheLastColon) {
  struct Case {
    std::string_view text, host, port;
    bool has_port;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"10.0.0.1:80", "10.0.0.1", "80", true},
           {":80", "", "80", true},
           {"*:81", "*", "81", true},
           {"[::1]:82", "::1", "82", true},
           {":::83", "::", "83", true},
           {"::1:84", "::1", "84", true},
           {"10.0.0.1:7000-7002", "10.0.0.1", "7000-7002", true},
           {"api.example.com:+1", "api.example.com", "+1", true},
           {"1.2.3.4:", "1.2.3.4", "", true},
           {"10.0.0.4", "10.0.0.4", "", false},
           {"[::1]", "::1", "", false},
           {"", "", "", false},
       }) {
    auto hp = SplitHostAndPort(c.text);
    ASSERT_TRUE(hp) << c.text;
    EXPECT_EQ(hp->host, c.host) << c.text;
    EXPECT_EQ(hp->port, c.port) << c.text;
    EXPECT_EQ(hp->has_port, c.has_port) << c.text;
  }
  EXPECT_EQ(SplitHostAndPort("[::1").error().ToString(), "missing ']' in \"[::1\"");
  EXPECT_EQ(SplitHostAndPort("[::1]x").error().ToString(), "expected ':' after ']' in \"[::1]x\"");
}

}  // namespace
}  // namespace vigie
