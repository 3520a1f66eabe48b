// Tests for DomainSet: exact vs subtree, most specific wins, duplicates,
// case, growth, memory accounting.
#include "dns/blocklist/domain_set.h"

#include <set>

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

DomainSet Make(std::initializer_list<std::pair<const char*, RuleScope>> rules) {
  DomainSet::Builder b;
  uint32_t line = 1;
  for (const auto& [name, scope] : rules) {
    b.Add(name, scope, scope == RuleScope::kSubtree ? ListFormat::kAdblock : ListFormat::kHosts,
          BlockAnswer::kDefault, 0, line++);
  }
  return std::move(b).Build();
}

TEST(DomainSetTest, ExactMatchesOnlyTheName) {
  auto set = Make({{"ads.example", RuleScope::kExact}});
  ASSERT_TRUE(set.Match("ads.example"));
  EXPECT_TRUE(set.Match("ADS.Example."));
  EXPECT_FALSE(set.Match("x.ads.example"));
  EXPECT_FALSE(set.Match("example"));
  EXPECT_FALSE(set.Match("sads.example"));
}

TEST(DomainSetTest, SubtreeMatchesNameAndBelowOnly) {
  auto set = Make({{"tracker.example", RuleScope::kSubtree}});
  EXPECT_TRUE(set.Match("tracker.example"));
  EXPECT_TRUE(set.Match("a.b.tracker.example"));
  EXPECT_FALSE(set.Match("badtracker.example"));
  EXPECT_FALSE(set.Match("example"));
  auto m = set.Match("deep.tracker.example");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->name, "tracker.example");
  EXPECT_EQ(m->scope, RuleScope::kSubtree);
  EXPECT_EQ(m->format, ListFormat::kAdblock);
}

// Match() looks up only the ancestor depths that hold subtree rules (none
// for exact-only sets): every depth combination still matches as before.
TEST(DomainSetTest, AncestorLookupsOnlyAtSubtreeDepths) {
  auto exact_only = Make({{"a.b.c", RuleScope::kExact}, {"b.c", RuleScope::kExact}});
  EXPECT_EQ(exact_only.Match("A.B.C")->name, "a.b.c");
  EXPECT_EQ(exact_only.Match("b.c")->name, "b.c");
  EXPECT_FALSE(exact_only.Match("z.a.b.c"));
  EXPECT_FALSE(exact_only.Match("c"));

  auto mixed = Make({{"a.b.c", RuleScope::kExact},
                     {"x.y", RuleScope::kSubtree},
                     {"p.q.r.s", RuleScope::kSubtree},
                     {"q.r.s", RuleScope::kExact}});
  EXPECT_EQ(mixed.Match("deep.er.x.y")->name, "x.y");
  EXPECT_EQ(mixed.Match("X.Y")->name, "x.y");
  EXPECT_EQ(mixed.Match("1.2.3.p.q.r.s")->name, "p.q.r.s");
  EXPECT_EQ(mixed.Match("q.r.s")->name, "q.r.s");
  EXPECT_FALSE(mixed.Match("z.q.r.s"));  // exact q.r.s covers nothing below
  EXPECT_FALSE(mixed.Match("z.a.b.c"));
  EXPECT_FALSE(mixed.Match("y"));
  // Empty labels in a text query count as labels, as they always did.
  EXPECT_EQ(mixed.Match("a..x.y")->name, "x.y");
  // A subtree rule replacing an exact duplicate registers its depth.
  auto upgraded = Make({{"m.n", RuleScope::kExact}, {"m.n", RuleScope::kSubtree}});
  EXPECT_EQ(upgraded.Match("k.m.n")->name, "m.n");
  // The deepest possible rule (127 one-octet labels).
  std::string deep = "a";
  for (int i = 1; i < 127; ++i) {
    deep += ".a";
  }
  DomainSet::Builder b;
  b.Add(deep, RuleScope::kSubtree, ListFormat::kAdblock, BlockAnswer::kDefault, 0, 1);
  const DomainSet deep_set = std::move(b).Build();
  EXPECT_TRUE(deep_set.Match(deep));
  EXPECT_FALSE(deep_set.Match(deep.substr(2)));
}

TEST(DomainSetTest, MostSpecificSuffixWins) {
  auto set = Make({{"example", RuleScope::kSubtree},
                   {"b.example", RuleScope::kSubtree},
                   {"c.b.example", RuleScope::kExact}});
  EXPECT_EQ(set.Match("x.c.b.example")->name, "b.example");  // exact c.b does not cover below
  EXPECT_EQ(set.Match("c.b.example")->name, "c.b.example");
  EXPECT_EQ(set.Match("c.b.example")->line, 3u);
  EXPECT_EQ(set.Match("z.b.example")->name, "b.example");
  EXPECT_EQ(set.Match("q.example")->name, "example");
}

TEST(DomainSetTest, DuplicatesKeepFirstButSubtreeWins) {
  DomainSet::Builder b;
  b.Add("a.example", RuleScope::kExact, ListFormat::kHosts, BlockAnswer::kDefault, 0, 10);
  b.Add("a.example", RuleScope::kExact, ListFormat::kHosts, BlockAnswer::kDefault, 1, 20);
  b.Add("b.example", RuleScope::kExact, ListFormat::kHosts, BlockAnswer::kDefault, 0, 30);
  b.Add("b.example", RuleScope::kSubtree, ListFormat::kUnbound, BlockAnswer::kRefused, 2, 40);
  b.Add("b.example", RuleScope::kExact, ListFormat::kHosts, BlockAnswer::kDefault, 3, 50);
  EXPECT_EQ(b.duplicates(), 3u);
  auto set = std::move(b).Build();
  EXPECT_EQ(set.size(), 2u);
  auto a = set.Match("a.example");
  EXPECT_EQ(a->list, 0);
  EXPECT_EQ(a->line, 10u);
  auto bb = set.Match("x.b.example");
  ASSERT_TRUE(bb);
  EXPECT_EQ(bb->list, 2);
  EXPECT_EQ(bb->line, 40u);
  EXPECT_EQ(bb->answer, BlockAnswer::kRefused);
  EXPECT_EQ(bb->format, ListFormat::kUnbound);
}

TEST(DomainSetTest, GrowsAndFindsEverything) {
  DomainSet::Builder b;
  std::vector<std::string> names;
  for (int i = 0; i < 20000; ++i) {
    names.push_back("n" + std::to_string(i * 7) + ".z" + std::to_string(i % 13) + ".example");
    b.Add(names.back(), RuleScope::kExact, ListFormat::kDomains, BlockAnswer::kDefault, 1,
          static_cast<uint32_t>(i + 1));
  }
  auto set = std::move(b).Build();
  EXPECT_EQ(set.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    auto m = set.Match(names[i]);
    ASSERT_TRUE(m) << names[i];
    EXPECT_EQ(m->line, i + 1);
    EXPECT_EQ(m->name, names[i]);
  }
  EXPECT_FALSE(set.Match("n1.z1.example"));
  // Memory: the table plus the arena, no per-name allocation.
  size_t chars = 0;
  for (const auto& n : names) {
    chars += n.size();
  }
  EXPECT_LE(set.MemoryBytes(), chars + 32768 * 12 + 1024);
}

TEST(DomainSetTest, MatchByWireName) {
  auto set = Make({{"ads.example", RuleScope::kSubtree}});
  EXPECT_TRUE(set.Match(*Name::FromText("X.Ads.Example.")));
  EXPECT_FALSE(set.Match(*Name::FromText("ads\\.example.")));  // one label with a dot
  EXPECT_FALSE(set.Match(Name()));
}

TEST(DomainSetTest, EmptySetAndOddQueries) {
  DomainSet empty;
  EXPECT_FALSE(empty.Match("a.example"));
  auto set = Make({{"a.example", RuleScope::kSubtree}});
  EXPECT_FALSE(set.Match(""));
  EXPECT_FALSE(set.Match("."));
  EXPECT_FALSE(set.Match(std::string(300, 'a')));
}

}  // namespace
}  // namespace vigie::dns
