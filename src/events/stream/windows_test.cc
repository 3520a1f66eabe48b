// Tests of the time-driven nodes (windows.cc): rate, percentiles, coalesce,
// throttle / rollup, moving and fixed time windows, stable.
// Each stream is built from a StreamSpec and driven with a fake clock, with a
// collecting sink at the leaves (stream_testing.h).
#include <gtest/gtest.h>

#include "events/stream/stream.h"
#include "events/stream/stream_testing.h"

namespace vigie::events {
namespace {

using stream_testing::Ev;
using stream_testing::Harness;
using stream_testing::kSec;
using stream_testing::Out;
using stream_testing::Spec;

TEST(StreamTest, RateEmitsSumOverIntervalPerWindow) {
  Harness h(Spec("rate", {{"interval", {"2"}}}, {Out()}));
  h.root->Push(Ev("a", "req", "ok", 4), 10 * kSec);
  h.root->Push(Ev("a", "req", "warning", 6), 11 * kSec);
  h.root->Tick(11 * kSec + 999'999);
  EXPECT_TRUE(h.out.events.empty());
  h.root->Tick(12 * kSec);
  ASSERT_EQ(h.out.events.size(), 1u);
  EXPECT_EQ(*h.out.events[0].GetMetric(), Metric::Double(5));  // (4 + 6) / 2 s
  EXPECT_EQ(h.out.events[0].state(), "warning");               // latest event as template
  EXPECT_EQ(*h.out.events[0].GetTimeMicros(), 12 * kSec);
  // An idle window emits nothing.
  h.root->Tick(20 * kSec);
  EXPECT_EQ(h.out.events.size(), 1u);
}

TEST(StreamTest, Percentiles) {
  Harness h(
      Spec("percentiles", {{"interval", {"1"}}, {"points", {"0", "0.5", "0.95", "1"}}}, {Out()}));
  for (int i = 1; i <= 100; ++i)
    h.root->Push(Ev("a", "latency", "ok", i), 0);
  h.root->Tick(kSec);
  ASSERT_EQ(h.out.events.size(), 4u);
  EXPECT_EQ(h.out.events[0].service(), "latency 0");
  EXPECT_EQ(h.out.events[0].GetMetric()->d, 1);
  EXPECT_EQ(h.out.events[1].service(), "latency 0.5");
  EXPECT_EQ(h.out.events[1].GetMetric()->d, 51);
  EXPECT_EQ(h.out.events[2].service(), "latency 0.95");
  EXPECT_EQ(h.out.events[2].GetMetric()->d, 96);
  EXPECT_EQ(h.out.events[3].GetMetric()->d, 100);
}

TEST(StreamTest, CoalesceThenFold) {
  Harness h(Spec("coalesce", {{"dt", {"1"}}}, {Spec("sum", {}, {Out()})}));
  h.root->Push(Ev("a", "cpu", "ok", 1, 0), 0);
  h.root->Push(Ev("b", "cpu", "ok", 2, 0), 0);
  h.root->Push(Ev("a", "cpu", "ok", 5, 0), kSec / 2);  // replaces a's
  h.root->Tick(kSec);
  ASSERT_EQ(h.out.events.size(), 1u);
  EXPECT_EQ(h.out.events[0].GetMetric()->d, 7);
  // An expired member is included once, then dropped.
  h.root->Push(Ev("c", "cpu", "expired", 100, kSec), kSec);
  h.root->Tick(2 * kSec);
  EXPECT_EQ(h.out.events[1].GetMetric()->d, 107);
  h.root->Tick(3 * kSec);
  EXPECT_EQ(h.out.events[2].GetMetric()->d, 7);
}

TEST(StreamTest, ThrottleAndRollup) {
  Harness t(Spec("throttle", {{"n", {"2"}}, {"dt", {"1"}}}, {Out()}));
  Harness r(Spec("rollup", {{"n", {"2"}}, {"dt", {"1"}}}, {Spec("count", {}, {Out()})}));
  for (Harness* h : {&t, &r}) {
    for (int i = 0; i < 5; ++i)
      h->root->Push(Ev("a", "s"), i * kSec / 10);
    h->root->Tick(kSec);
  }
  EXPECT_EQ(t.out.events.size(), 2u);
  // rollup: two single events, then the three others as one batch.
  ASSERT_EQ(r.out.events.size(), 3u);
  EXPECT_EQ(*r.out.events[2].GetMetric(), Metric::Int(3));
}

TEST(StreamTest, MovingTimeWindowUsesEventTime) {
  Harness h(Spec("moving_time_window", {{"dt", {"10"}}}, {Spec("count", {}, {Out()})}));
  for (int64_t t : {0, 5, 9, 15, 30})
    h.root->Push(Ev("a", "s", "ok", 1, t * kSec), 0);
  std::vector<int64_t> counts;
  for (const Event& e : h.out.events)
    counts.push_back(e.GetMetric()->i);
  // At 15 the window is (5, 15]: 9 and 15. At 30: only 30.
  EXPECT_EQ(counts, (std::vector<int64_t>{1, 2, 3, 2, 1}));
}

TEST(StreamTest, FixedTimeWindow) {
  Harness h(Spec("fixed_time_window", {{"dt", {"10"}}}, {Spec("count", {}, {Out()})}));
  for (int64_t t : {0, 3, 9, 10, 12, 35, 36})
    h.root->Push(Ev("a", "s", "ok", 1, t * kSec), 0);
  std::vector<int64_t> counts;
  for (const Event& e : h.out.events)
    counts.push_back(e.GetMetric()->i);
  EXPECT_EQ(counts, (std::vector<int64_t>{3, 2}));  // [0,10) and [10,20); [30,40) still open
}

TEST(StreamTest, StableSuppressesFlapping) {
  Harness h(Spec("stable", {{"dt", {"5"}}}, {Out()}));
  h.root->Push(Ev("a", "s", "ok", std::nullopt, 0), 0);
  h.root->Push(Ev("a", "s", "critical", std::nullopt, 1 * kSec), 0);
  h.root->Push(Ev("a", "s", "ok", std::nullopt, 2 * kSec), 0);
  EXPECT_TRUE(h.out.events.empty());
  h.root->Push(Ev("a", "s", "ok", std::nullopt, 7 * kSec), 0);
  ASSERT_EQ(h.out.events.size(), 2u);  // the buffered ok at 2 s and the one at 7 s
  h.root->Push(Ev("a", "s", "ok", std::nullopt, 8 * kSec), 0);
  EXPECT_EQ(h.out.events.size(), 3u);
}

}  // namespace
}  // namespace vigie::events
