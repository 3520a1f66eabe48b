// resolv.conf and hosts-file parsing.
#include "core/resolv_conf.h"

#include <gtest/gtest.h>

namespace vigie {
namespace {

std::vector<std::string> Hosts(const ResolvConf& c) {
  std::vector<std::string> out;
  for (const auto& a : c.nameservers) {
    out.push_back(a.ToString());
  }
  return out;
}

TEST(ResolvConfTest, NameserversInOrderAtMostThreeZonesSkipped) {
  auto c = ParseResolvConf(
      "# generated\n"
      "nameserver 10.0.0.1\n"
      "nameserver fe80::1%eth0\n"
      "nameserver 2001:db8::53 ; trailing comment\n"
      "nameserver not-an-ip\n"
      "  nameserver\t10.0.0.2\n"
      "nameserver 10.0.0.3\n");
  EXPECT_EQ(Hosts(c),
            (std::vector<std::string>{"10.0.0.1:53", "[2001:db8::53]:53", "10.0.0.2:53"}));
}

TEST(ResolvConfTest, NoNameserverMeansLoopbackAsGlibc) {
  auto c = ParseResolvConf("search example.org\n");
  EXPECT_EQ(Hosts(c), (std::vector<std::string>{"127.0.0.1:53"}));
  EXPECT_EQ(Hosts(ParseResolvConf("")), (std::vector<std::string>{"127.0.0.1:53"}));
}

TEST(ResolvConfTest, SearchAndDomainLastOneWins) {
  auto c = ParseResolvConf("domain first.example\nsearch Corp.Example. lab.example\n");
  EXPECT_EQ(c.search, (std::vector<std::string>{"corp.example", "lab.example"}));
  c = ParseResolvConf("search a.example b.example\ndomain z.example other\n");
  EXPECT_EQ(c.search, (std::vector<std::string>{"z.example"}));
  c = ParseResolvConf("search a b c d e f g h\n");
  EXPECT_EQ(c.search.size(), kMaxResolvSearch);
}

TEST(ResolvConfTest, OptionsClampedAndUnknownIgnored) {
  auto c = ParseResolvConf("options ndots:3 timeout:2 attempts:4 rotate edns0\n");
  EXPECT_EQ(c.ndots, 3);
  EXPECT_EQ(c.timeout, std::chrono::seconds(2));
  EXPECT_EQ(c.attempts, 4);
  c = ParseResolvConf("options ndots:99 timeout:0 attempts:50\noptions ndots:x\n");
  EXPECT_EQ(c.ndots, kMaxResolvNdots);
  EXPECT_EQ(c.timeout, std::chrono::seconds(1));
  EXPECT_EQ(c.attempts, kMaxResolvAttempts);
  c = ParseResolvConf("");
  EXPECT_EQ(c.ndots, 1);
  EXPECT_EQ(c.timeout, std::chrono::seconds(5));
  EXPECT_EQ(c.attempts, 2);
}

TEST(ResolvConfTest, MissingFileGivesDefaults) {
  auto c = LoadResolvConf("/nonexistent/resolv.conf");
  EXPECT_EQ(Hosts(c), (std::vector<std::string>{"127.0.0.1:53"}));
}

TEST(HostsTableTest, NamesAliasesCaseAndTrailingDot) {
  std::vector<std::string> problems;
  auto t = HostsTable::Parse(
      "127.0.0.1 localhost\n"
      "10.0.0.5  Web.Example  web # comment\n"
      "2001:db8::5 web.example.\n"
      "10.0.0.5 web.example\n",
      &problems);
  EXPECT_TRUE(problems.empty());
  const auto* web = t.Find("WEB.example.");
  ASSERT_NE(web, nullptr);
  ASSERT_EQ(web->size(), 2u);  // the duplicate line adds nothing
  EXPECT_EQ((*web)[0].ToString(), "10.0.0.5");
  EXPECT_EQ((*web)[1].ToString(), "2001:db8::5");
  ASSERT_NE(t.Find("web"), nullptr);
  EXPECT_EQ(t.Find("nothere"), nullptr);
}

// From egress's own hosts table, which this one replaced: tabs, CRLF line
// ends, comments after names, and both families in file order.
TEST(HostsTableTest, TabsCrlfAndTrailingComments) {
  std::vector<std::string> problems;
  auto t = HostsTable::Parse(
      "# test names\n127.0.0.1 allowed.test Alias.Test  # trailing\n\n"
      "::1\tallowed.test\n127.0.0.70 intranet.test\r\n",
      &problems);
  EXPECT_TRUE(problems.empty());
  const auto* a = t.Find("ALLOWED.test.");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[0].ToString(), "127.0.0.1");
  EXPECT_EQ((*a)[1].ToString(), "::1");
  EXPECT_NE(t.Find("alias.test"), nullptr);
  ASSERT_NE(t.Find("intranet.test"), nullptr);
  EXPECT_EQ(t.Find("intranet.test")->front().ToString(), "127.0.0.70");
  EXPECT_EQ(t.Find("perdu.com"), nullptr);
}

TEST(HostsTableTest, BadLinesSkippedAndReported) {
  std::vector<std::string> problems;
  auto t = HostsTable::Parse("10.0.0 broken\n10.0.0.7\n# only a comment\n10.0.0.8 ok\n", &problems);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0], "line 1: not an address: \"10.0.0\"");
  EXPECT_EQ(problems[1], "line 2: an address without a name");
  EXPECT_EQ(t.size(), 1u);
  EXPECT_NE(t.Find("ok"), nullptr);
}

TEST(HostsTableTest, LoadMissingFileIsAnError) {
  auto t = HostsTable::Load("/nonexistent/hosts");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code(), Errc::kNotFound);
}

}  // namespace
}  // namespace vigie
