// Tests against real lists (anudeepND, AdAway) read in place from
// VIGIE_BLOCKLIST_DATA_DIR: counts are checked against an independent
// line-by-line count done here, plus known entries and line numbers.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "dns/blocklist/policy.h"

namespace vigie::dns {
namespace {

std::string Read(const std::string& file) {
  std::ifstream in(std::string(VIGIE_BLOCKLIST_DATA_DIR) + "/" + file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool HaveData() {
  return std::filesystem::exists(VIGIE_BLOCKLIST_DATA_DIR "/anudeepND-adservers.txt");
}

// An independent count: lines "ADDR NAME" whose NAME is not localhost,
// and the set of their lowercased names.
struct Count {
  size_t entries = 0;
  std::set<std::string> unique;
};
Count CountHostsLines(const std::string& text) {
  Count c;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string addr, name;
    if (!(fields >> addr >> name) || addr[0] == '#' || name == "localhost") {
      continue;
    }
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    ++c.entries;
    c.unique.insert(name);
  }
  return c;
}

TEST(RealListsTest, AnudeepAdservers) {
  if (!HaveData())
    GTEST_SKIP() << "no real lists in " VIGIE_BLOCKLIST_DATA_DIR;
  std::string text = Read("anudeepND-adservers.txt");
  Count want = CountHostsLines(text);
  EXPECT_EQ(want.entries, 42531u);  // the file header says "Domain count: 42,531"
  PolicyBuilder b;
  uint16_t id = b.AddList({"anudeep", "anudeepND-adservers.txt"});
  ParseReport r = b.AddListText(id, text);
  EXPECT_EQ(r.errors, 0u) << (r.issues.empty() ? "" : r.issues[0].reason);
  EXPECT_EQ(r.rules, want.entries);
  EXPECT_EQ(r.skipped, 0u);
  Policy p = std::move(b).Build();
  // 171 exact duplicates plus case-only duplicates merge.
  EXPECT_EQ(p.blocked().size(), want.unique.size());
  EXPECT_LT(p.blocked().size(), want.entries - 170);
  for (const auto& name : want.unique) {
    ASSERT_EQ(p.Decide(name).verdict, Verdict::kBlocked) << name;
  }
  // Known quirks: uppercase, underscore and punycode entries.
  Decision up = p.Decide("checkra1n.cc");
  ASSERT_EQ(up.verdict, Verdict::kBlocked);
  EXPECT_EQ(LineAt(text, up.rule->line).find("0.0.0.0 "), 0u);
  Decision underscore = p.Decide("chicago_cbslocal.us.intellitxt.com");
  ASSERT_EQ(underscore.verdict, Verdict::kBlocked);
  EXPECT_EQ(underscore.rule->line, 7132u);
  EXPECT_EQ(LineAt(text, 7132), "0.0.0.0 chicago_cbslocal.us.intellitxt.com");
  EXPECT_EQ(p.Decide("xn--dn-nmc.admitad.com").rule->line, 23335u);
  // Hosts entries are exact: subdomains and parents are not blocked.
  EXPECT_EQ(p.Decide("sub.chicago_cbslocal.us.intellitxt.com").verdict, Verdict::kNone);
  EXPECT_EQ(p.Decide("intellitxt.com").verdict, Verdict::kNone);
  EXPECT_EQ(p.Decide("debian.org").verdict, Verdict::kNone);
  // The first entry after the 10 header lines.
  EXPECT_EQ(p.Decide("0001-cab8-4c8c-43de.reporo.net").rule->line, 11u);
}

TEST(RealListsTest, AdawayHostsSkipsLocalhostLines) {
  if (!HaveData())
    GTEST_SKIP();
  std::string text = Read("adaway-hosts.txt");
  Count want = CountHostsLines(text);
  PolicyBuilder b;
  uint16_t id = b.AddList({"adaway", "adaway-hosts.txt"});
  ParseReport r = b.AddListText(id, text, {.format = ListFormat::kHosts});
  EXPECT_EQ(r.errors, 0u);
  EXPECT_EQ(r.skipped, 2u);  // 127.0.0.1 localhost, ::1 localhost
  EXPECT_EQ(r.rules, want.entries);
  EXPECT_EQ(r.rules, 6540u);  // the research census
  Policy p = std::move(b).Build();
  EXPECT_EQ(p.Decide("localhost").verdict, Verdict::kNone);
  Decision d = p.Decide("analytics.163.com");
  ASSERT_EQ(d.verdict, Verdict::kBlocked);
  EXPECT_EQ(d.rule->line, 26u);
  EXPECT_EQ(LineAt(text, 26), "127.0.0.1 analytics.163.com");
}

TEST(RealListsTest, AllListsTogetherWithAnAllowlist) {
  if (!HaveData())
    GTEST_SKIP();
  PolicyBuilder b;
  std::set<std::string> all;
  size_t total_rules = 0;
  for (const char* f : {"anudeepND-adservers.txt", "anudeepND-CoinMiner.txt",
                        "anudeepND-facebook.txt", "adaway-hosts.txt"}) {
    std::string text = Read(f);
    Count c = CountHostsLines(text);
    all.insert(c.unique.begin(), c.unique.end());
    auto r = b.AddListText(b.AddList({f, f}), text);
    EXPECT_EQ(r.errors, 0u) << f;
    EXPECT_EQ(r.rules, c.entries) << f;
    total_rules += r.rules;
  }
  uint16_t allow = b.AddList({"allow", "inline"});
  b.AddListText(allow, "@@||facebook.com^\n");
  Policy p = std::move(b).Build();
  EXPECT_EQ(p.blocked().size(), all.size());
  EXPECT_LT(p.blocked().size(), total_rules);
  // facebook.txt lists facebook.com names; the subtree allow wins for them.
  ASSERT_TRUE(all.count("www.facebook.com"));
  Decision d = p.Decide("www.facebook.com");
  EXPECT_EQ(d.verdict, Verdict::kAllowed);
  EXPECT_EQ(d.list->id, "allow");
  // Compact: well under 64 octets per name even at this small size.
  EXPECT_LT(p.blocked().MemoryBytes() / p.blocked().size(), 64u);
}

}  // namespace
}  // namespace vigie::dns
