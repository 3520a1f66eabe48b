// Tests of the index's string pool: interning, reference counts, id reuse,
// and lookups that stay right across growth and backward-shift deletion.
#include "events/index/string_pool.h"

#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace vigie::events::index_internal {
namespace {

TEST(StringPoolTest, InternsOncePerStringAndCountsReferences) {
  StringPool pool;
  EXPECT_EQ(pool.Find("web1"), kNone);
  uint32_t a = pool.Acquire("web1");
  EXPECT_NE(a, 0u);
  EXPECT_EQ(pool.Acquire("web1"), a);
  EXPECT_EQ(pool.Find("web1"), a);
  EXPECT_EQ(pool.Get(a), "web1");
  uint32_t b = pool.Acquire("web2");
  EXPECT_NE(b, a);
  pool.AddRef(a);  // three references now
  pool.Release(a);
  pool.Release(a);
  EXPECT_EQ(pool.Find("web1"), a);  // one left
  pool.Release(a);
  EXPECT_EQ(pool.Find("web1"), kNone);
  EXPECT_EQ(pool.Find("web2"), b);
  // The freed id is reused for the next new string.
  EXPECT_EQ(pool.Acquire("web3"), a);
  EXPECT_EQ(pool.Get(a), "web3");
}

TEST(StringPoolTest, IdZeroIsNil) {
  StringPool pool;
  EXPECT_EQ(pool.Get(0), "");
  pool.AddRef(0);
  pool.Release(0);  // no-ops: nil is not counted
  EXPECT_EQ(pool.Find(""), kNone);
  uint32_t empty = pool.Acquire("");
  EXPECT_NE(empty, 0u);  // the empty string is a string, not nil
  EXPECT_EQ(pool.Find(""), empty);
}

TEST(StringPoolDeathTest, ReleaseWithoutReferenceIsAProgramError) {
  StringPool pool;
  uint32_t a = pool.Acquire("x");
  uint32_t b = pool.Acquire("y");  // keeps the slot from being the only one
  (void)b;
  pool.Release(a);
  EXPECT_DEATH(pool.Release(a), "refcount underflow");
}

// Random acquires and releases against a model: every live string is found
// under its id, every dead one is not, across many table growths and
// deletions in the middle of probe runs.
TEST(StringPoolTest, AgreesWithAModelUnderChurn) {
  StringPool pool;
  std::map<std::string, std::pair<uint32_t, int>> model;  // id, references
  std::mt19937 rng(7);
  for (int step = 0; step < 50'000; ++step) {
    std::string s = "s" + std::to_string(rng() % 3000);
    auto it = model.find(s);
    if (it == model.end() || rng() % 2 == 0) {
      uint32_t id = pool.Acquire(s);
      if (it == model.end()) {
        model[s] = {id, 1};
      } else {
        ASSERT_EQ(id, it->second.first) << s;
        ++it->second.second;
      }
    } else {
      pool.Release(it->second.first);
      if (--it->second.second == 0)
        model.erase(it);
    }
    if (step % 5000 == 0 || step == 49'999) {
      size_t charged = 0;
      for (const auto& [str, ref] : model) {
        charged += StringPool::Charge(str.size());
      }
      ASSERT_EQ(pool.bytes(), charged);
      for (int k = 0; k < 3000; ++k) {
        std::string q = "s" + std::to_string(k);
        auto m = model.find(q);
        ASSERT_EQ(pool.Find(q), m == model.end() ? kNone : m->second.first) << q;
        if (m != model.end()) {
          ASSERT_EQ(pool.Get(m->second.first), q);
        }
      }
    }
  }
  EXPECT_GT(pool.MemoryUsage(), 0u);
}

// bytes() (the index's byte budget) charges each live string once, heap
// bytes included, and returns to 0.
TEST(StringPoolTest, BytesChargeEachLiveStringOnce) {
  StringPool pool;
  EXPECT_EQ(pool.bytes(), 0u);
  const std::string long_name(1000, 'h');
  uint32_t a = pool.Acquire(long_name);
  uint32_t b = pool.Acquire("short");
  EXPECT_EQ(pool.Acquire(long_name), a);  // a second reference costs nothing
  EXPECT_EQ(pool.bytes(), StringPool::Charge(1000) + StringPool::Charge(5));
  EXPECT_GT(StringPool::Charge(1000), 1000u);
  pool.Release(a);
  EXPECT_EQ(pool.bytes(), StringPool::Charge(1000) + StringPool::Charge(5));
  pool.Release(a);
  pool.Release(b);
  EXPECT_EQ(pool.bytes(), 0u);
}

}  // namespace
}  // namespace vigie::events::index_internal
