// Space-Saving: exact while under capacity, the error bound, heavy hitters
// found in a long tail, merging.
#include "dns/stats/top_names.h"

#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

namespace vigie::dns {
namespace {

TEST(TopNamesTest, ExactUnderCapacity) {
  TopNames t(10);
  for (int i = 0; i < 5; ++i) {
    t.Add("a.test");
  }
  for (int i = 0; i < 3; ++i) {
    t.Add("b.test");
  }
  t.Add("c.test");
  auto top = t.Top(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].name, "a.test");
  EXPECT_EQ(top[0].count, 5u);
  EXPECT_EQ(top[0].error, 0u);
  EXPECT_EQ(top[1].name, "b.test");
  EXPECT_EQ(top[1].count, 3u);
  EXPECT_EQ(t.total(), 9u);
  EXPECT_EQ(t.Top(100).size(), 3u);
}

TEST(TopNamesTest, ReplacementInheritsMinimumAsError) {
  TopNames t(2);
  t.Add("a");
  t.Add("a");
  t.Add("b");
  t.Add("c");  // replaces b (count 1): c has count 2, error 1
  auto top = t.Top(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].name, "a");
  EXPECT_EQ(top[1].name, "c");
  EXPECT_EQ(top[1].count, 2u);
  EXPECT_EQ(top[1].error, 1u);
}

TEST(TopNamesTest, FindsHeavyHittersInALongTailWithBounds) {
  TopNames t(100);
  std::mt19937 rng(7);
  std::map<std::string, uint64_t> truth;
  // 10 heavy names (2 % each) among 50,000 distinct one-off names.
  for (int i = 0; i < 100000; ++i) {
    std::string name;
    if (rng() % 10 < 2) {
      name = "heavy" + std::to_string(rng() % 10) + ".test";
    } else {
      name = "tail" + std::to_string(rng() % 50000) + ".test";
    }
    ++truth[name];
    t.Add(name);
  }
  const auto top = t.Top(10);
  ASSERT_EQ(top.size(), 10u);
  for (const auto& e : top) {
    EXPECT_TRUE(e.name.starts_with("heavy")) << e.name;
    EXPECT_GE(e.count, truth[e.name]);
    EXPECT_LE(e.count - e.error, truth[e.name]);
  }
  // No counter overestimates by more than N/K.
  for (const auto& e : t.entries()) {
    EXPECT_LE(e.count - truth[e.name], 100000u / 100);
  }
}

TEST(TopNamesTest, MergeSumsPerName) {
  TopNames a(10);
  TopNames b(10);
  a.Add("x", 3);
  a.Add("y", 1);
  b.Add("x", 2);
  b.Add("z", 4);
  auto top = MergeTop({a.entries(), b.entries()}, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].name, "x");
  EXPECT_EQ(top[0].count, 5u);
  EXPECT_EQ(top[1].name, "z");
  EXPECT_EQ(top[1].count, 4u);
}

TEST(TopNamesTest, HeapStaysConsistentUnderChurn) {
  TopNames t(8);
  for (int i = 0; i < 10000; ++i) {
    t.Add("n" + std::to_string((i * 7919) % 37));
  }
  uint64_t sum = 0;
  for (const auto& e : t.entries()) {
    sum += e.count;
  }
  // Space-Saving keeps the sum of counters equal to the stream length.
  EXPECT_EQ(sum, 10000u);
  EXPECT_EQ(t.entries().size(), 8u);
}

// The slot/position bookkeeping (names never move, heap positions do) keeps
// Space-Saving's guarantees on a skewed stream with churn in the tail.
TEST(TopNamesTest, BoundsHoldOnSkewedStreamWithChurn) {
  TopNames t(16);
  std::map<std::string, uint64_t> truth;
  uint64_t n = 0;
  uint32_t x = 12345;
  for (int i = 0; i < 50000; ++i) {
    x = x * 1103515245u + 12345u;
    // Half the stream on 4 heavy names, the rest over 500 names.
    const uint32_t r = (x >> 8) % 1000;
    const std::string name = r < 500 ? "heavy" + std::to_string(r % 4) : "tail" + std::to_string(r);
    const uint64_t weight = 1 + (x >> 28) % 3;
    t.Add(name, weight);
    truth[name] += weight;
    n += weight;
  }
  uint64_t sum = 0;
  std::set<std::string> seen;
  for (const auto& e : t.entries()) {
    sum += e.count;
    EXPECT_TRUE(seen.insert(e.name).second) << e.name;
    EXPECT_GE(e.count, truth[e.name]) << e.name;
    EXPECT_LE(e.count - e.error, truth[e.name]) << e.name;
  }
  EXPECT_EQ(sum, n);
  EXPECT_EQ(t.total(), n);
  for (const auto& [name, count] : truth) {
    if (count > n / 16) {
      EXPECT_TRUE(seen.count(name)) << name;
    }
  }
  const auto top = t.Top(4);
  ASSERT_EQ(top.size(), 4u);
  for (const auto& e : top) {
    EXPECT_EQ(e.name.substr(0, 5), "heavy");
  }
}

}  // namespace
}  // namespace vigie::dns
