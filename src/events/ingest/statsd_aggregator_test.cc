// Tests of the statsd flush: counters with sampling, timers, gauges with
// deltas kept across flushes, sets, and the series bound.
#include "events/ingest/statsd_aggregator.h"

#include <map>

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

std::map<std::string, double> ByService(const std::vector<Event>& events) {
  std::map<std::string, double> m;
  for (const auto& e : events) {
    m[e.service()] = e.GetMetric()->d;
  }
  return m;
}

void AddLine(StatsdAggregator& a, std::string_view line) {
  auto samples = ParseStatsdLine(line);
  ASSERT_TRUE(samples) << line;
  for (const auto& s : *samples) {
    ASSERT_TRUE(a.Add(s));
  }
}

TEST(StatsdAggregator, CountersAreScaledBySampleRateAndReset) {
  StatsdAggregator a;
  AddLine(a, "hits:1|c");
  AddLine(a, "hits:1|c|@0.5");
  auto m = ByService(a.Flush(10'000'000, 10));
  EXPECT_EQ(m["hits"], 3);
  EXPECT_DOUBLE_EQ(m["hits rate"], 0.3);
  EXPECT_TRUE(a.Flush(20'000'000, 10).empty());
}

TEST(StatsdAggregator, TimersGiveStatistics) {
  StatsdAggregator a;
  for (int i = 1; i <= 10; ++i) {
    AddLine(a, "db:" + std::to_string(i * 10) + "|ms");
  }
  auto m = ByService(a.Flush(1, 10));
  EXPECT_EQ(m["db count"], 10);
  EXPECT_EQ(m["db mean"], 55);
  EXPECT_EQ(m["db lower"], 10);
  EXPECT_EQ(m["db upper"], 100);
  EXPECT_EQ(m["db upper_90"], 90);
  EXPECT_EQ(m["db sum"], 550);
}

TEST(StatsdAggregator, GaugesPersistAndTakeDeltas) {
  StatsdAggregator a;
  AddLine(a, "q:10|g");
  AddLine(a, "q:+5|g");
  EXPECT_EQ(ByService(a.Flush(1, 1))["q"], 15);
  AddLine(a, "q:-3|g");
  EXPECT_EQ(ByService(a.Flush(2, 1))["q"], 12);
  EXPECT_EQ(ByService(a.Flush(3, 1))["q"], 12);
}

TEST(StatsdAggregator, SetsCountDistinctMembers) {
  StatsdAggregator a;
  AddLine(a, "users:alice|s");
  AddLine(a, "users:bob|s");
  AddLine(a, "users:alice|s");
  auto events = a.Flush(5'000'000, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].GetMetric()->i, 2);
  EXPECT_EQ(*events[0].FindAttribute("statsd-type"), "set");
  EXPECT_EQ(*events[0].GetTimeMicros(), 5'000'000);
}

TEST(StatsdAggregator, NewSeriesBeyondTheBoundAreRefused) {
  StatsdAggregator a(2);
  StatsdSample s;
  s.key = "a";
  EXPECT_TRUE(a.Add(s));
  s.key = "b";
  EXPECT_TRUE(a.Add(s));
  s.key = "c";
  EXPECT_FALSE(a.Add(s));
  s.key = "a";
  EXPECT_TRUE(a.Add(s));
}

}  // namespace
}  // namespace vigie::events
