// Tests of Subscription (subscription.h): order, the bound, closing, the
// wake-ups, and an offering thread against a taking one.
#include "events/server/subscription.h"

#include <deque>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

EventQuery All() {
  auto q = ParseQuery("true");
  EXPECT_TRUE(q);
  return std::move(*q);
}

TEST(SubscriptionTest, TakesWhatWasOfferedInOrderAndWakes) {
  Subscription sub(All(), 10, SIZE_MAX);
  int wakes = 0;
  sub.wake = [&wakes] { ++wakes; };
  EXPECT_TRUE(sub.Offer("a"));
  EXPECT_TRUE(sub.Offer("b"));
  EXPECT_EQ(wakes, 2);
  std::deque<std::string> out;
  ASSERT_TRUE(sub.Take(out));
  EXPECT_EQ(out, (std::deque<std::string>{"a", "b"}));
  // Taking appends to what the session still holds.
  EXPECT_TRUE(sub.Offer("c"));
  ASSERT_TRUE(sub.Take(out));
  EXPECT_EQ(out, (std::deque<std::string>{"a", "b", "c"}));
  ASSERT_TRUE(sub.Take(out));
  EXPECT_EQ(out.size(), 3u);
  EXPECT_FALSE(sub.closed());
}

TEST(SubscriptionTest, AFullQueueOverflowsAndCloses) {
  Subscription sub(All(), 2, SIZE_MAX);
  int wakes = 0;
  sub.wake = [&wakes] { ++wakes; };
  EXPECT_TRUE(sub.Offer("a"));
  EXPECT_TRUE(sub.Offer("b"));
  EXPECT_FALSE(sub.Offer("c"));
  EXPECT_EQ(wakes, 3);  // the session learns it was dropped
  EXPECT_TRUE(sub.overflowed());
  EXPECT_TRUE(sub.closed());
  std::deque<std::string> out;
  EXPECT_FALSE(sub.Take(out));
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(sub.Offer("d"));
  EXPECT_EQ(wakes, 3);
}

TEST(SubscriptionTest, CloseWakesAndEndsBothSides) {
  Subscription sub(All(), 10, SIZE_MAX);
  int wakes = 0;
  sub.wake = [&wakes] { ++wakes; };
  EXPECT_TRUE(sub.Offer("a"));
  sub.Close();
  EXPECT_EQ(wakes, 2);
  EXPECT_TRUE(sub.closed());
  EXPECT_FALSE(sub.overflowed());
  std::deque<std::string> out;
  EXPECT_FALSE(sub.Take(out));
  EXPECT_FALSE(sub.Offer("b"));
  EXPECT_EQ(wakes, 2);
}

TEST(SubscriptionTest, WorksWithoutWake) {
  Subscription sub(All(), 1, SIZE_MAX);
  EXPECT_TRUE(sub.Offer("a"));
  EXPECT_FALSE(sub.Offer("b"));
  sub.Close();
  EXPECT_TRUE(sub.overflowed());
}

TEST(SubscriptionTest, OneThreadOffersAnotherTakes) {
  constexpr int kCount = 20'000;
  Subscription sub(All(), kCount, SIZE_MAX);
  std::thread core([&sub] {
    for (int i = 0; i < kCount; ++i)
      ASSERT_TRUE(sub.Offer(std::to_string(i)));
  });
  std::deque<std::string> got;
  while (got.size() < static_cast<size_t>(kCount)) {
    ASSERT_TRUE(sub.Take(got));
    std::this_thread::yield();
  }
  core.join();
  for (int i = 0; i < kCount; ++i)
    ASSERT_EQ(got[static_cast<size_t>(i)], std::to_string(i));
}

// Bounded by bytes as well as by count: ten thousand queued events of a
// megabyte each were within the count.
TEST(SubscriptionTest, AQueueOverItsByteBoundOverflows) {
  Subscription sub(All(), 100, 10);
  EXPECT_TRUE(sub.Offer("12345"));
  EXPECT_TRUE(sub.Offer("1234"));
  EXPECT_FALSE(sub.Offer("12"));  // 11 bytes queued would pass the bound
  EXPECT_TRUE(sub.overflowed());
  // Taking frees the bytes: a fresh subscription that is read keeps going.
  Subscription read(All(), 100, 10);
  std::deque<std::string> out;
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(read.Offer("123456")) << i;
    ASSERT_TRUE(read.Take(out));
    out.clear();
  }
  EXPECT_FALSE(read.overflowed());
}

}  // namespace
}  // namespace vigie::events
