#include "events/server/telemetry.h"

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

TEST(Telemetry, ServiceNamesSplitTheComponentAndCarryLabels) {
  std::vector<metrics::Sample> samples = {
      {"vigie_dns_queries_total", {{"result", "blocked"}}, 42},
      {"vigie_reloads_total", {}, 3},
      {"vigie_events_index_memory_bytes", {}, 1.5},
      {"vigie_lbx_total", {}, 1},  // not a component name: core
  };
  auto events = TelemetryEvents(samples, "node1", 1'700'000'000'000'000, 20);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].service(), "vigie dns queries_total result=blocked");
  EXPECT_EQ(events[0].host(), "node1");
  ASSERT_NE(events[0].FindAttribute("result"), nullptr);
  EXPECT_EQ(*events[0].FindAttribute("result"), "blocked");
  EXPECT_EQ(events[0].metric_sint64(), 42);
  EXPECT_TRUE(events[0].Has(Event::kMetricSint64));
  EXPECT_EQ(events[1].service(), "vigie core reloads_total");
  EXPECT_EQ(events[2].service(), "vigie events index_memory_bytes");
  EXPECT_TRUE(events[2].Has(Event::kMetricD));
  EXPECT_DOUBLE_EQ(events[2].metric_d(), 1.5);
  EXPECT_EQ(events[3].service(), "vigie core lbx_total");
  for (const Event& e : events) {
    EXPECT_EQ(e.state(), "ok");
    EXPECT_FLOAT_EQ(e.ttl(), 20);
    EXPECT_TRUE(e.HasTag("vigie"));
    EXPECT_EQ(e.GetTimeMicros(), 1'700'000'000'000'000);
  }
}

TEST(Telemetry, NonFiniteValuesStayDoubles) {
  auto events = TelemetryEvents({{"vigie_x", {}, 1e300}}, "h", 0, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].Has(Event::kMetricD));
  EXPECT_DOUBLE_EQ(events[0].metric_d(), 1e300);
}

}  // namespace
}  // namespace vigie::events
