// Tests for the list parser: every format, every quirk, every error path.
#include "dns/blocklist/list_parser.h"

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

struct Got {
  std::string name;
  RuleAction action;
  RuleScope scope;
  ListFormat format;
  BlockAnswer answer;
  uint32_t line;
  std::string target;
};

struct Parsed {
  ParseReport report;
  std::vector<Got> rules;
};

Parsed Parse(std::string_view text, ListFormat format = ListFormat::kAuto) {
  Parsed p;
  ParseOptions options;
  options.format = format;
  p.report = ParseList(text, options, [&](const ParsedRule& r) {
    p.rules.push_back({std::string(r.name), r.action, r.scope, r.format, r.answer, r.line,
                       std::string(r.target)});
  });
  return p;
}

std::vector<std::string> Names(const Parsed& p) {
  std::vector<std::string> out;
  for (const auto& r : p.rules) {
    out.push_back(r.name);
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST(HostsTest, QuirksOfRealLists) {
  auto p = Parse(
      "\xEF\xBB\xBF# header\r\n"
      "127.0.0.1  localhost\r\n"
      "::1  localhost\r\n"
      "fe80::1%lo0 localhost\n"
      "255.255.255.255 broadcasthost\n"
      "127.0.0.1 localhost.localdomain\n"
      "127.0.0.1 local\n"
      "ff02::1 ip6-allnodes\n"
      "0.0.0.0 0.0.0.0\n"
      "\n"
      "0.0.0.0\tAds.Example.COM.\t# inline comment\n"
      "0.0.0.0 a.example b.example   c.example\n"
      "#0.0.0.0 commented.example\n"
      "10.1.2.3 rewrite.example\n"
      ":: v6null.example\n"
      "0.0.0.0 192.168.112.2o7.net\n"
      "0.0.0.0 under_score.example\n");
  EXPECT_EQ(Names(p),
            (Strings{"ads.example.com", "a.example", "b.example", "c.example", "rewrite.example",
                     "v6null.example", "192.168.112.2o7.net", "under_score.example"}));
  EXPECT_EQ(p.report.errors, 0u) << p.report.issues[0].reason;
  EXPECT_EQ(p.report.skipped, 8u);
  EXPECT_EQ(p.report.lines, 17u);
  EXPECT_EQ(p.rules[0].line, 11u);
  EXPECT_EQ(p.rules[3].line, 12u);
  EXPECT_EQ(p.rules[0].scope, RuleScope::kExact);
  EXPECT_EQ(p.rules[0].format, ListFormat::kHosts);
  EXPECT_EQ(p.rules[0].target, "0.0.0.0");
  EXPECT_EQ(p.rules[4].target, "10.1.2.3");
}

TEST(HostsTest, IdnBecomesPunycode) {
  auto p = Parse("0.0.0.0 bücher.example\n0.0.0.0 XN--BCHER-KVA.example\n");
  EXPECT_EQ(Names(p), (Strings{"xn--bcher-kva.example", "xn--bcher-kva.example"}));
}

TEST(HostsTest, LineWithoutName) {
  auto p = Parse("0.0.0.0\n0.0.0.0   # only a comment\n");
  EXPECT_TRUE(p.rules.empty());
  EXPECT_EQ(p.report.errors, 2u);
  EXPECT_EQ(p.report.issues[0].line, 1u);
  EXPECT_EQ(p.report.issues[0].reason, "hosts line without a name");
}

TEST(DomainsTest, PlainAndWildcard) {
  auto p = Parse("tracker.example\n*.ads.example\n  spaced.example  # note\nUPPER.Example.\n");
  ASSERT_EQ(p.rules.size(), 4u);
  EXPECT_EQ(p.rules[0].scope, RuleScope::kExact);
  EXPECT_EQ(p.rules[0].format, ListFormat::kDomains);
  EXPECT_EQ(p.rules[1].name, "ads.example");
  EXPECT_EQ(p.rules[1].scope, RuleScope::kSubtree);
  EXPECT_EQ(p.rules[1].format, ListFormat::kWildcard);
  EXPECT_EQ(p.rules[2].name, "spaced.example");
  EXPECT_EQ(p.rules[3].name, "upper.example");
}

TEST(DomainsTest, BadNamesAreReportedWithLineAndReason) {
  auto p = Parse(
      "good.example\n"
      "two names.example\n"
      "bad!char.example\n" +
      std::string(64, 'a') + ".example\n" +
      "a..b\n"
      "mid.*.example\n"
      "https://url.example/path\n"
      "192.168.1.1\n"
      "also-good.example\n");
  EXPECT_EQ(Names(p), (Strings{"good.example", "also-good.example"}));
  EXPECT_EQ(p.report.errors, 7u);
  ASSERT_EQ(p.report.issues.size(), 7u);
  EXPECT_EQ(p.report.issues[0].line, 2u);
  EXPECT_EQ(p.report.issues[0].reason, "expected one domain per line");
  EXPECT_EQ(p.report.issues[1].line, 3u);
  EXPECT_NE(p.report.issues[1].reason.find("bad character"), std::string::npos);
  EXPECT_NE(p.report.issues[2].reason.find("63"), std::string::npos);
  EXPECT_NE(p.report.issues[3].reason.find("empty label"), std::string::npos);
  EXPECT_NE(p.report.issues[4].reason.find("wildcard"), std::string::npos);
  EXPECT_EQ(p.report.issues[5].line, 7u);
  // "192.168.1.1" alone is a hosts line without a name.
  EXPECT_EQ(p.report.issues[6].line, 8u);
}

TEST(DomainsTest, ReportedIssuesAreBoundedButAllCounted) {
  std::string text;
  for (int i = 0; i < 500; ++i) {
    text += "bad name " + std::to_string(i) + "\n";
  }
  ParseOptions options;
  options.max_reported_issues = 10;
  auto report = ParseList(text, options, [](const ParsedRule&) {});
  EXPECT_EQ(report.errors, 500u);
  EXPECT_EQ(report.issues.size(), 10u);
  EXPECT_EQ(report.issues[9].line, 10u);
}

TEST(DomainsTest, OverlongLineIsReported) {
  ParseOptions options;
  options.max_line_length = 50;
  auto report =
      ParseList(std::string(60, 'a') + "\nok.example\n", options, [](const ParsedRule&) {});
  EXPECT_EQ(report.errors, 1u);
  EXPECT_EQ(report.rules, 1u);
  EXPECT_EQ(report.issues[0].excerpt.size(), 60u);
}

TEST(AdblockTest, BasicRulesAndExceptions) {
  auto p = Parse(
      "[Adblock Plus 2.0]\n"
      "! Title: test\n"
      "||ads.example^\n"
      "@@||good.ads.example^\n"
      "||mod.example^$important\n"
      "||path.example/banner\n"
      "|start.example^\n"
      "||x.example^junk\n");
  ASSERT_EQ(p.rules.size(), 2u);
  EXPECT_EQ(p.rules[0].name, "ads.example");
  EXPECT_EQ(p.rules[0].action, RuleAction::kBlock);
  EXPECT_EQ(p.rules[0].scope, RuleScope::kSubtree);
  EXPECT_EQ(p.rules[0].format, ListFormat::kAdblock);
  EXPECT_EQ(p.rules[1].name, "good.ads.example");
  EXPECT_EQ(p.rules[1].action, RuleAction::kAllow);
  EXPECT_EQ(p.report.errors, 4u);
  EXPECT_NE(p.report.issues[0].reason.find("modifiers"), std::string::npos);
  EXPECT_EQ(p.report.issues[0].line, 5u);
}

TEST(UnboundTest, LocalZoneTypes) {
  auto p = Parse(
      "server:\n"
      "local-zone: \"nx.example\" always_nxdomain\n"
      "  local-zone: \"Null.Example.\" always_null\n"
      "local-zone: st.example static\n"
      "local-zone: \"rf.example\" always_refuse\n"
      "local-zone: \"ok.example\" always_transparent\n"
      "local-zone: \"x.example\" bogus_type\n"
      "local-data: \"a.example A 1.2.3.4\"\n"
      "local-zone: \"y.example\"\n");
  ASSERT_EQ(p.rules.size(), 5u);
  EXPECT_EQ(p.rules[0].answer, BlockAnswer::kNxdomain);
  EXPECT_EQ(p.rules[0].scope, RuleScope::kSubtree);
  EXPECT_EQ(p.rules[1].name, "null.example");
  EXPECT_EQ(p.rules[1].answer, BlockAnswer::kNull);
  EXPECT_EQ(p.rules[2].answer, BlockAnswer::kNxdomain);
  EXPECT_EQ(p.rules[3].answer, BlockAnswer::kRefused);
  EXPECT_EQ(p.rules[4].action, RuleAction::kAllow);
  EXPECT_EQ(p.report.errors, 3u);
  EXPECT_EQ(p.report.issues[0].line, 7u);
  EXPECT_EQ(p.report.issues[1].reason, "local-data is a local record, not a list rule");
  EXPECT_EQ(p.report.issues[2].reason, "local-zone without a type");
}

TEST(DnsmasqTest, AddressAndServerLines) {
  auto p = Parse(
      "address=/nx.example/\n"
      "address=/null.example/#\n"
      "address=/a.example/b.example/0.0.0.0\n"
      "address=/custom.example/192.0.2.7\n"
      "server=/local.example/\n"
      "server=/allowed.example/#\n"
      "server=/fwd.example/10.0.0.1\n"
      "address=/#/\n"
      "address=nodomain\n"
      "--address=/.dot.example/\n");
  EXPECT_EQ(Names(p),
            (Strings{"nx.example", "null.example", "a.example", "b.example", "custom.example",
                     "local.example", "allowed.example", "dot.example"}));
  EXPECT_EQ(p.rules[0].answer, BlockAnswer::kNxdomain);
  EXPECT_EQ(p.rules[1].answer, BlockAnswer::kNull);
  EXPECT_EQ(p.rules[2].answer, BlockAnswer::kNull);
  EXPECT_EQ(p.rules[4].answer, BlockAnswer::kDefault);
  EXPECT_EQ(p.rules[4].target, "192.0.2.7");
  EXPECT_EQ(p.rules[5].action, RuleAction::kBlock);
  EXPECT_EQ(p.rules[6].action, RuleAction::kAllow);
  for (const auto& r : p.rules) {
    EXPECT_EQ(r.scope, RuleScope::kSubtree);
    EXPECT_EQ(r.format, ListFormat::kDnsmasq);
  }
  EXPECT_EQ(p.report.errors, 3u);
  EXPECT_EQ(p.report.issues[0].line, 7u);
  EXPECT_NE(p.report.issues[0].reason.find("conditional forwarding"), std::string::npos);
}

TEST(FormatTest, DeclaredFormatRejectsOtherSyntax) {
  auto p = Parse("0.0.0.0 a.example\n||b.example^\nc.example\n", ListFormat::kHosts);
  EXPECT_EQ(Names(p), (Strings{"a.example"}));
  EXPECT_EQ(p.report.errors, 2u);
  EXPECT_EQ(p.report.issues[0].reason, "a adblock line in a list declared hosts");
  auto d = Parse("a.example\n*.b.example\n0.0.0.0 c.example\n", ListFormat::kDomains);
  EXPECT_EQ(Names(d), (Strings{"a.example", "b.example"}));
  EXPECT_EQ(d.report.errors, 1u);
}

TEST(FormatTest, GarbageNeverCrashes) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) {
    garbage.push_back(static_cast<char>((i * 7919) % 256));
  }
  auto p = Parse(garbage);
  EXPECT_GT(p.report.lines, 0u);
}

TEST(NormalizeTest, Cases) {
  EXPECT_EQ(*NormalizeDomain("WWW.Example.COM."), "www.example.com");
  EXPECT_EQ(*NormalizeDomain("müller.de"), "xn--mller-kva.de");
  EXPECT_FALSE(NormalizeDomain(""));
  EXPECT_FALSE(NormalizeDomain("."));
  EXPECT_FALSE(NormalizeDomain("::1"));
  EXPECT_FALSE(NormalizeDomain("10.0.0.1"));
  EXPECT_TRUE(NormalizeDomain("10.0.0.1x"));
  EXPECT_FALSE(NormalizeDomain(std::string(254, 'a')));
  EXPECT_FALSE(NormalizeDomain("\xff\xfe.example"));
}

TEST(LineAtTest, FindsLines) {
  std::string_view text = "\xEF\xBB\xBFone\r\ntwo\nthree";
  EXPECT_EQ(LineAt(text, 1), "one");
  EXPECT_EQ(LineAt(text, 2), "two");
  EXPECT_EQ(LineAt(text, 3), "three");
  EXPECT_EQ(LineAt(text, 4), "");
  EXPECT_EQ(LineAt(text, 0), "");
}

}  // namespace
}  // namespace vigie::dns
