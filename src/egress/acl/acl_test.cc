// Tests for the destination ACL: Squid's first-match order over dstdomain
// and dst rules, the per-address evaluation that closes the DNS bypasses,
// and `vigie egress check` parsing and output.
#include "egress/acl/acl.h"

#include <vector>

#include <gtest/gtest.h>

#include "egress/acl/check_target.h"

namespace vigie::egress {
namespace {

DestinationAcl Acl(std::string_view text) {
  auto spec = ParseHttpProxyDestination(text);
  EXPECT_TRUE(spec) << spec.error().ToString();
  return DestinationAcl(spec ? *spec : HttpProxySpec{});
}

std::vector<IpAddress> Addrs(std::initializer_list<std::string_view> texts) {
  std::vector<IpAddress> out;
  for (auto t : texts)
    out.push_back(*IpAddress::Parse(t));
  return out;
}

// The seed article's policy.
constexpr std::string_view kSeed = "!perdu.com\n!*.perdu.com\n!10.42.253.0/24\n*\n";

TEST(DestinationAclTest, SeedArticlePolicy) {
  DestinationAcl acl = Acl(kSeed);
  auto free = acl.Decide("free.fr", Addrs({"212.27.48.10"}));
  EXPECT_TRUE(free.allowed());
  EXPECT_EQ(free.source, AclDecision::Source::kWildcard);
  EXPECT_EQ(free.line, 4);
  EXPECT_EQ(free.Explain(), "allow (line 4: *)");

  auto perdu = acl.Decide("perdu.com", Addrs({"208.97.177.124"}));
  EXPECT_FALSE(perdu.allowed());
  EXPECT_EQ(perdu.line, 1);
  EXPECT_EQ(perdu.Explain(), "deny (line 1: !perdu.com)");

  auto www = acl.Decide("www.perdu.com", Addrs({"208.97.177.124"}));
  EXPECT_FALSE(www.allowed());
  EXPECT_EQ(www.line, 2);

  // A name that resolves into the denied range is denied (Squid `dst`).
  auto internal = acl.Decide("intranet.example", Addrs({"10.42.253.7"}));
  EXPECT_FALSE(internal.allowed());
  EXPECT_EQ(internal.Explain(), "deny (line 3: !10.42.253.0/24, address 10.42.253.7)");
}

TEST(DestinationAclTest, WildcardDomainCoversApexNotLookalikes) {
  DestinationAcl acl = Acl("*.example.com");
  EXPECT_TRUE(acl.Decide("example.com", {}).allowed());
  EXPECT_TRUE(acl.Decide("a.b.example.com", {}).allowed());
  EXPECT_TRUE(acl.Decide("A.Example.COM.", {}).allowed());
  EXPECT_FALSE(acl.Decide("badexample.com", {}).allowed());
  EXPECT_FALSE(acl.Decide("example.com.evil", {}).allowed());
  auto denied = acl.Decide("example.org", {});
  EXPECT_EQ(denied.source, AclDecision::Source::kDefaultDeny);
  EXPECT_EQ(denied.Explain(), "deny (default deny (no rule matched))");
}

TEST(DestinationAclTest, PlainNameIsExact) {
  DestinationAcl acl = Acl("example.com");
  EXPECT_TRUE(acl.Decide("EXAMPLE.com.", {}).allowed());
  EXPECT_FALSE(acl.Decide("www.example.com", {}).allowed());
}

TEST(DestinationAclTest, FirstMatchInFileOrder) {
  // Allow one host under a denied domain: order decides.
  DestinationAcl acl = Acl("api.example.com\n!*.example.com\n*");
  EXPECT_TRUE(acl.Decide("api.example.com", {}).allowed());
  EXPECT_FALSE(acl.Decide("www.example.com", {}).allowed());
  DestinationAcl reversed = Acl("!*.example.com\napi.example.com\n*");
  auto d = reversed.Decide("api.example.com", {});
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.line, 1);
}

TEST(DestinationAclTest, NameRuleBeforeAddressRuleWinsAsInSquid) {
  DestinationAcl acl = Acl("partner.example\n!10.0.0.0/8\n*");
  // Explicitly allowed by name first: Squid allows it even into 10/8.
  EXPECT_TRUE(acl.Decide("partner.example", Addrs({"10.1.2.3"})).allowed());
  EXPECT_FALSE(acl.Decide("other.example", Addrs({"10.1.2.3"})).allowed());
}

TEST(DestinationAclTest, AnyDeniedAddressDeniesTheRequest) {
  DestinationAcl acl = Acl("!10.0.0.0/8\n*");
  // Squid: `dst` matches when any address is inside -> deny. Same here.
  auto d = acl.Decide("mixed.example", Addrs({"1.2.3.4", "10.0.0.1"}));
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.address, *IpAddress::Parse("10.0.0.1"));
}

TEST(DestinationAclTest, AllowRuleMustCoverEveryAddress) {
  // Squid would allow (one address matches) and might connect to 203.0.113.8.
  DestinationAcl acl = Acl("192.168.0.0/16");
  auto d = acl.Decide("mixed.example", Addrs({"192.168.1.1", "203.0.113.8"}));
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.source, AclDecision::Source::kDefaultDeny);
  EXPECT_EQ(d.address, *IpAddress::Parse("203.0.113.8"));
  auto ok = acl.Decide("inside.example", Addrs({"192.168.1.1", "192.168.2.2"}));
  EXPECT_TRUE(ok.allowed());
  EXPECT_EQ(ok.line, 1);
}

TEST(DestinationAclTest, EarliestDenyRuleIsReported) {
  DestinationAcl acl = Acl("!10.1.0.0/16\n!10.0.0.0/8\n*");
  auto d = acl.Decide("x.example", Addrs({"10.2.0.1", "10.1.0.1"}));
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.line, 1);
  EXPECT_EQ(d.address, *IpAddress::Parse("10.1.0.1"));
}

TEST(DestinationAclTest, UnresolvedNamesSkipAddressRules) {
  DestinationAcl acl = Acl("!10.0.0.0/8\n*");
  EXPECT_TRUE(acl.Decide("nxdomain.example", {}).allowed());
  DestinationAcl allow_only = Acl("10.0.0.0/8");
  EXPECT_FALSE(allow_only.Decide("nxdomain.example", {}).allowed());
}

TEST(DestinationAclTest, IpLiteralTargetsMatchCidrsAndIgnoreTheList) {
  DestinationAcl acl = Acl(kSeed);
  auto d = acl.Decide("10.42.253.9", Addrs({"198.51.100.1"}));
  EXPECT_FALSE(d.allowed());
  EXPECT_EQ(d.line, 3);
  EXPECT_TRUE(acl.Decide("10.42.254.9", {}).allowed());
  // IPv6 literal, bracketed or not; v4-mapped folds to IPv4.
  EXPECT_FALSE(acl.Decide("[::ffff:10.42.253.9]", {}).allowed());
  EXPECT_FALSE(acl.Decide("::ffff:10.42.253.9", {}).allowed());
  DestinationAcl v6 = Acl("!fe80::/10\n*");
  EXPECT_FALSE(v6.Decide("[FE80::1]", {}).allowed());
  EXPECT_TRUE(v6.Decide("2001:db8::1", {}).allowed());
}

TEST(DestinationAclTest, MappedAddressesCannotSlipPastV4Rules) {
  DestinationAcl acl = Acl("!10.0.0.0/8\n*");
  EXPECT_FALSE(acl.Decide("aaaa.example", Addrs({"::ffff:10.0.0.1"})).allowed());
}

TEST(DestinationAclTest, NoReverseLookupForLiterals) {
  // A PTR record cannot turn an IP literal into an allowed name.
  DestinationAcl acl = Acl("*.example.com");
  EXPECT_FALSE(acl.Decide("93.184.216.34", {}).allowed());
}

TEST(DestinationAclTest, DecideByName) {
  DestinationAcl acl = Acl(kSeed);
  EXPECT_TRUE(acl.has_address_rules());
  auto perdu = acl.DecideByName("www.perdu.com");
  ASSERT_TRUE(perdu);
  EXPECT_FALSE(perdu->allowed());
  EXPECT_EQ(perdu->line, 2);
  // free.fr reaches the address rule: addresses are needed.
  EXPECT_FALSE(acl.DecideByName("free.fr"));
  // Literal hosts never need resolution.
  auto literal = acl.DecideByName("10.42.253.1");
  ASSERT_TRUE(literal);
  EXPECT_FALSE(literal->allowed());
  DestinationAcl names_only = Acl("*.example.com");
  EXPECT_FALSE(names_only.has_address_rules());
  auto other = names_only.DecideByName("other.org");
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->allowed());
}

TEST(DestinationAclTest, DefaultsWithoutRules) {
  DestinationAcl allow_all = Acl("*");
  EXPECT_TRUE(allow_all.Decide("anything", Addrs({"10.0.0.1"})).allowed());
  DestinationAcl empty{HttpProxySpec{}};
  EXPECT_FALSE(empty.Decide("anything", {}).allowed());
}

// The inside of the machine: loopback, link-local (the cloud metadata
// service) and "this network" are reached only when an address rule names
// them; "*", a name rule or 0.0.0.0/0 do not.
TEST(DestinationAclTest, InternalAddressesNeedAnAddressRuleNamingThem) {
  DestinationAcl seed = Acl(kSeed);
  for (auto [host, addresses] : std::vector<std::pair<std::string_view, std::vector<IpAddress>>>{
           {"localhost", Addrs({"127.0.0.1"})},
           {"127.0.0.2", {}},
           {"[::1]", {}},
           {"169.254.169.254", {}},
           {"metadata.google.internal", Addrs({"169.254.169.254"})},
           {"rebind.example", Addrs({"203.0.113.7", "127.0.0.1"})},
           {"v6.example", Addrs({"fe80::1"})},
           {"mapped.example", Addrs({"::ffff:127.0.0.1"})},
           {"zero.example", Addrs({"0.0.0.0"})},
       }) {
    auto d = seed.Decide(host, addresses);
    EXPECT_FALSE(d.allowed()) << host;
    EXPECT_EQ(d.source, AclDecision::Source::kInternal) << host;
    ASSERT_TRUE(d.address) << host;
  }
  auto d = seed.Decide("metadata.google.internal", Addrs({"169.254.169.254"}));
  EXPECT_EQ(d.Explain(),
            "deny (internal address (loopback, link-local or unspecified): only an address rule "
            "naming it allows it, address 169.254.169.254)");
  // Allowed by name is not enough, nor is a rule wider than the range.
  EXPECT_FALSE(Acl("localhost\n").Decide("localhost", Addrs({"127.0.0.1"})).allowed());
  EXPECT_FALSE(Acl("0.0.0.0/0\n").Decide("127.0.0.1", {}).allowed());
  // The naming rule may stand anywhere; first match still decides.
  auto by_name = Acl("localhost\n127.0.0.0/8\n").Decide("localhost", Addrs({"127.0.0.1"}));
  EXPECT_TRUE(by_name.allowed());
  EXPECT_EQ(by_name.line, 1);
  EXPECT_FALSE(
      Acl("!localhost\n127.0.0.0/8\n").Decide("localhost", Addrs({"127.0.0.1"})).allowed());
  // Named: allowed, by that rule.
  DestinationAcl named = Acl("127.0.0.0/8\n169.254.169.254\n*\n");
  auto lo = named.Decide("localhost", Addrs({"127.0.0.1"}));
  EXPECT_TRUE(lo.allowed());
  EXPECT_EQ(lo.line, 1);
  EXPECT_TRUE(named.Decide("169.254.169.254", {}).allowed());
  EXPECT_FALSE(named.Decide("169.254.1.1", {}).allowed());
  // A deny rule still names itself when it decides.
  auto denied = Acl("!127.0.0.64/26\n*\n").Decide("x.example", Addrs({"127.0.0.70"}));
  EXPECT_EQ(denied.source, AclDecision::Source::kRule);
  EXPECT_EQ(denied.line, 1);
  // Public addresses are unaffected.
  EXPECT_TRUE(seed.Decide("free.fr", Addrs({"212.27.48.10", "2a01:e0c::1"})).allowed());
}

TEST(DestinationAclTest, AnAllowedNameStillNeedsItsAddresses) {
  // DecideByName answers only denials: an allowed name may resolve inside.
  EXPECT_FALSE(Acl("*\n").DecideByName("rebind.example"));
  EXPECT_FALSE(Acl("*.example.com\n").DecideByName("a.example.com"));
  EXPECT_TRUE(Acl("*.example.com\n").DecideByName("other.org"));
}

// --- vigie egress check ------------------------------------------------------

TEST(CheckTargetTest, ParsesUrlsAndAuthorities) {
  auto url = ParseCheckTarget("http://Perdu.com/x?y");
  ASSERT_TRUE(url) << url.error().ToString();
  EXPECT_EQ(url->host, "perdu.com");
  EXPECT_EQ(url->port, 80);
  auto https = ParseCheckTarget("https://free.fr");
  ASSERT_TRUE(https);
  EXPECT_EQ(https->port, 443);
  auto hostport = ParseCheckTarget("perdu.com:443");
  ASSERT_TRUE(hostport);
  EXPECT_EQ(hostport->host, "perdu.com");
  EXPECT_EQ(hostport->port, 443);
  auto bare = ParseCheckTarget("perdu.com");
  ASSERT_TRUE(bare);
  EXPECT_FALSE(bare->port);
  auto v6 = ParseCheckTarget("[fe80::1]:8080");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "fe80::1");
  EXPECT_EQ(v6->port, 8080);
  auto bare_v6 = ParseCheckTarget("fe80::1");
  ASSERT_TRUE(bare_v6);
  EXPECT_TRUE(bare_v6->address);
}

TEST(CheckTargetTest, RejectsWhatTheProxyRejects) {
  for (std::string_view bad : {"", "http://user@host/", "host:0", "host:99999", "%70erdu.com",
                               "http://2130706433/", "fe80::zz", "ftp://x/", "a..b"}) {
    EXPECT_FALSE(ParseCheckTarget(bad)) << bad;
  }
}

TEST(CheckTargetTest, FormatsDecisionAndExitCode) {
  DestinationAcl acl = Acl(kSeed);
  auto target = ParseCheckTarget("http://perdu.com/");
  ASSERT_TRUE(target);
  auto d = acl.Decide(target->host, {});
  EXPECT_EQ(FormatCheckResult(*target, d), "deny http://perdu.com/ (line 1: !perdu.com)");
  EXPECT_EQ(CheckExitCode(d), kCheckExitDeny);
  auto ip = ParseCheckTarget("10.42.253.7:443");
  ASSERT_TRUE(ip);
  auto di = acl.Decide(ip->host, {});
  EXPECT_EQ(FormatCheckResult(*ip, di),
            "deny 10.42.253.7:443 (line 3: !10.42.253.0/24, address 10.42.253.7)");
  auto ok = acl.Decide("free.fr", Addrs({"212.27.48.10"}));
  EXPECT_EQ(CheckExitCode(ok), kCheckExitAllow);
}

TEST(OwnListenerTest, OnlyARuleNamingTheAddressAloneAllowsIt) {
  IpAddress own = *IpAddress::Parse("10.77.0.1");
  auto star = Acl("*\n").DecideOwnListener(own);
  ASSERT_TRUE(star.has_value());
  EXPECT_EQ(star->source, AclDecision::Source::kOwnListener);
  EXPECT_FALSE(star->allowed());
  EXPECT_NE(star->Explain().find("own listener"), std::string::npos);
  EXPECT_TRUE(Acl("10.0.0.0/8\n*\n").DecideOwnListener(own).has_value());
  EXPECT_TRUE(Acl("10.77.0.0/31\n").DecideOwnListener(own).has_value());
  EXPECT_FALSE(Acl("10.77.0.1\n").DecideOwnListener(own).has_value());
  EXPECT_FALSE(Acl("10.77.0.1/32\n").DecideOwnListener(own).has_value());
  EXPECT_TRUE(Acl("!10.77.0.1\n*\n").DecideOwnListener(own).has_value());
  EXPECT_FALSE(
      Acl("2001:db8::7\n").DecideOwnListener(*IpAddress::Parse("2001:db8::7")).has_value());
  // A v4-mapped destination is its v4 address.
  EXPECT_FALSE(
      Acl("10.77.0.1\n").DecideOwnListener(*IpAddress::Parse("::ffff:10.77.0.1")).has_value());
}

}  // namespace
}  // namespace vigie::egress
