// Tests for Policy: precedence (local > allow > block) and explanations.
#include "dns/blocklist/policy.h"

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

Policy MakePolicy() {
  PolicyBuilder b;
  uint16_t ads = b.AddList({"ads", "https://lists.example/ads.txt"});
  uint16_t mine = b.AddList({"mine", "/etc/vigie/allow.txt"});
  auto r1 = b.AddListText(ads,
                          "# ads\n"
                          "0.0.0.0 ads.example.com\n"
                          "||tracker.example^\n"
                          "@@||ok.tracker.example^\n"
                          "0.0.0.0 nas.home\n");
  EXPECT_EQ(r1.rules, 4u);
  auto r2 = b.AddListText(mine, "cdn.tracker.example\n", {}, RuleAction::kAllow);
  EXPECT_EQ(r2.rules, 1u);
  EXPECT_TRUE(b.AddLocalRecord(
      "NAS.home", {rr_type::kA, 60, {std::byte{192}, std::byte{168}, std::byte{1}, std::byte{2}}}));
  EXPECT_FALSE(b.AddLocalRecord("bad name", {}));
  return std::move(b).Build();
}

TEST(PolicyTest, BlockedWithProvenance) {
  Policy p = MakePolicy();
  Decision d = p.Decide("ads.example.com");
  EXPECT_EQ(d.verdict, Verdict::kBlocked);
  ASSERT_TRUE(d.rule);
  EXPECT_EQ(d.rule->line, 2u);
  ASSERT_NE(d.list, nullptr);
  EXPECT_EQ(d.list->id, "ads");
  EXPECT_EQ(p.Explain("ads.example.com", d),
            "ads.example.com: blocked by list \"ads\" (https://lists.example/ads.txt) line 2: "
            "exact hosts rule for \"ads.example.com\"");
  Decision sub = p.Decide("x.y.tracker.example");
  EXPECT_EQ(sub.verdict, Verdict::kBlocked);
  EXPECT_EQ(sub.rule->name, "tracker.example");
  EXPECT_EQ(sub.rule->line, 3u);
  EXPECT_EQ(p.Decide("www.ads.example.com").verdict, Verdict::kNone);
}

TEST(PolicyTest, AllowBeatsBlockWhateverTheSpecificity) {
  Policy p = MakePolicy();
  Decision d = p.Decide("a.ok.tracker.example");
  EXPECT_EQ(d.verdict, Verdict::kAllowed);
  EXPECT_EQ(d.rule->line, 4u);
  Decision mine = p.Decide("cdn.tracker.example");
  EXPECT_EQ(mine.verdict, Verdict::kAllowed);
  EXPECT_EQ(mine.list->id, "mine");
  EXPECT_EQ(mine.rule->scope, RuleScope::kExact);
  // The exact allow does not cover below it: the subtree block applies.
  EXPECT_EQ(p.Decide("x.cdn.tracker.example").verdict, Verdict::kBlocked);
  EXPECT_NE(p.Explain("a.ok.tracker.example", d).find("allowed by list \"ads\""),
            std::string::npos);
}

TEST(PolicyTest, LocalRecordsBeatEverything) {
  Policy p = MakePolicy();
  Decision d = p.Decide("nas.HOME.");
  EXPECT_EQ(d.verdict, Verdict::kLocal);
  ASSERT_NE(d.local, nullptr);
  ASSERT_EQ(d.local->size(), 1u);
  EXPECT_EQ((*d.local)[0].ttl, 60u);
  EXPECT_EQ(p.local_names(), 1u);
  EXPECT_EQ(p.Explain("nas.home", d), "nas.home: answered from 1 local record(s)");
}

TEST(PolicyTest, NoneAndWireNames) {
  Policy p = MakePolicy();
  Decision d = p.Decide("example.org");
  EXPECT_EQ(d.verdict, Verdict::kNone);
  EXPECT_EQ(p.Explain("example.org", d), "example.org: no rule matches; forwarded upstream");
  EXPECT_EQ(p.Decide(*Name::FromText("Www.Tracker.Example.")).verdict, Verdict::kBlocked);
  EXPECT_EQ(p.blocked().size(), 3u);
  EXPECT_EQ(p.allowed().size(), 2u);
}

}  // namespace
}  // namespace vigie::dns
