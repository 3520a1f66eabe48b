// The log rate limit: a burst per period passes, the rest is counted and
// reported by the next line that passes.
#include "core/log.h"

#include <gtest/gtest.h>

namespace vigie::log {
namespace {

using std::chrono::milliseconds;

TEST(RateLimitTest, ABurstPassesThenLinesAreCountedAndReported) {
  RateLimit limit(3, milliseconds(1000));
  auto t0 = std::chrono::steady_clock::time_point(std::chrono::hours(1));
  for (int i = 0; i < 3; ++i) {
    auto pass = limit.Allow(t0);
    ASSERT_TRUE(pass);
    EXPECT_EQ(*pass, 0u);
  }
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(limit.Allow(t0 + milliseconds(500)));
  }
  auto next = limit.Allow(t0 + milliseconds(1000));
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, 1000u);
  EXPECT_EQ(Suppressed(*next), " (1000 similar lines suppressed)");
  EXPECT_EQ(Suppressed(0), "");
  EXPECT_EQ(*limit.Allow(t0 + milliseconds(1001)), 0u);
}

}  // namespace
}  // namespace vigie::log
