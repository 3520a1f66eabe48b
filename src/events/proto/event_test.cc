// Tests of the Riemann message values (event.h): the one logical metric and
// the one logical time of an event.
#include "events/proto/event.h"

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

TEST(EventTest, MetricPrecedence) {
  Event e;
  EXPECT_FALSE(e.GetMetric());
  e.set_metric_f(1.5f);
  EXPECT_EQ(*e.GetMetric(), Metric::Double(1.5));
  e.set_metric_d(2.25);
  EXPECT_EQ(*e.GetMetric(), Metric::Double(2.25));
  e.set_metric_sint64(3);
  EXPECT_EQ(*e.GetMetric(), Metric::Int(3));
}

TEST(EventTest, SetMetricEncodesLikeTheServer) {
  Event e;
  e.SetMetric(Metric::Int(5));
  EXPECT_TRUE(e.Has(Event::kMetricSint64));
  EXPECT_TRUE(e.Has(Event::kMetricF));
  EXPECT_FALSE(e.Has(Event::kMetricD));
  EXPECT_EQ(e.metric_f(), 5.0f);
  e.SetMetric(Metric::Double(0.5));
  EXPECT_FALSE(e.Has(Event::kMetricSint64));
  EXPECT_TRUE(e.Has(Event::kMetricD));
  EXPECT_EQ(e.metric_d(), 0.5);
  EXPECT_EQ(e.metric_f(), 0.5f);
}

TEST(EventTest, TimeMicrosWinsOverTime) {
  Event e;
  e.set_time(100);
  EXPECT_EQ(*e.GetTimeMicros(), 100'000'000);
  e.set_time_micros(123'456'789);
  EXPECT_EQ(*e.GetTimeMicros(), 123'456'789);
  e.SetTimeMicros(-1);
  EXPECT_EQ(e.time(), -1);  // floored
}

}  // namespace
}  // namespace vigie::events
