// Tests of the Graphite output's line buffer: paths and prefix, the bound
// over buffered plus in-flight bytes, and a batch kept in flight until it is
// written; and drops counted by the output.
#include "events/output/graphite.h"

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

Event Metric(std::string service, int64_t value) {
  Event e;
  e.set_host("a.b.com");
  e.set_service(std::move(service));
  e.set_metric_sint64(value);
  e.set_time_micros(1'500'000'000'000'000);
  return e;
}

TEST(CarbonLineBufferTest, LinesCarryThePrefixAndPathStyle) {
  CarbonLineBuffer plain("riemann.", false, 1 << 20, 1 << 20);
  EXPECT_TRUE(plain.Add(Metric("api 0.95", 7)));
  EXPECT_EQ(plain.NextBatch(), "riemann.com.b.a.api.0.95 7 1500000000\n");
  CarbonLineBuffer percentiles("", true, 1 << 20, 1 << 20);
  EXPECT_TRUE(percentiles.Add(Metric("api 0.95", 7)));
  EXPECT_EQ(percentiles.NextBatch(), "com.b.a.api.95 7 1500000000\n");
}

TEST(CarbonLineBufferTest, EventsWithoutMetricAddNothing) {
  CarbonLineBuffer b("", false, 1 << 20, 1 << 20);
  Event e;
  e.set_service("no metric");
  EXPECT_TRUE(b.Add(e));  // not a drop: there is no line to send
  EXPECT_EQ(b.NextBatch(), "");
  EXPECT_FALSE(b.in_flight());
}

TEST(CarbonLineBufferTest, BatchStaysInFlightUntilSent) {
  const std::string line = "com.b.a.x 1 1500000000\n";
  CarbonLineBuffer b("", false, 1 << 20, 2 * line.size());
  EXPECT_TRUE(b.Add(Metric("x", 1)));
  EXPECT_FALSE(b.BatchReady());
  EXPECT_TRUE(b.Add(Metric("x", 1)));
  EXPECT_TRUE(b.BatchReady());
  EXPECT_EQ(b.NextBatch(), line + line);
  EXPECT_TRUE(b.in_flight());
  EXPECT_FALSE(b.BatchReady());  // the buffer is empty again
  // A write failed: lines added meanwhile wait behind the batch in flight.
  EXPECT_TRUE(b.Add(Metric("y", 2)));
  EXPECT_EQ(b.NextBatch(), line + line);
  EXPECT_EQ(b.Sent(), 2u);
  EXPECT_FALSE(b.in_flight());
  EXPECT_EQ(b.NextBatch(), "com.b.a.y 2 1500000000\n");
  EXPECT_EQ(b.Sent(), 1u);
  EXPECT_EQ(b.NextBatch(), "");
}

TEST(CarbonLineBufferTest, BoundCoversBufferedAndInFlightBytes) {
  const size_t line = std::string("com.b.a.x 1 1500000000\n").size();
  CarbonLineBuffer b("", false, 2 * line, 1 << 20);
  EXPECT_TRUE(b.Add(Metric("x", 1)));
  (void)b.NextBatch();  // one line in flight
  EXPECT_TRUE(b.Add(Metric("x", 1)));
  EXPECT_FALSE(b.Add(Metric("x", 1)));  // two lines held: refused
  EXPECT_EQ(b.Sent(), 1u);
  EXPECT_TRUE(b.Add(Metric("x", 1)));
}

TEST(GraphiteOutputTest, CountsLinesOverTheBoundAsDropped) {
  net::asio::io_context ctx;
  metrics::Counter lines, dropped, connect_failures;
  GraphiteOutputConfig cfg;
  cfg.buffer.bytes = 1;  // one line fits (the bound is checked before appending)
  GraphiteOutput o(ctx, cfg, {lines, dropped, connect_failures});
  o.Add(Metric("x", 1));
  o.Add(Metric("x", 2));
  o.Add(Metric("x", 3));
  EXPECT_EQ(dropped.value(), 2u);
  o.Stop();
  o.Add(Metric("x", 4));
  EXPECT_EQ(dropped.value(), 2u);  // stopped: ignored, not counted
  EXPECT_EQ(lines.value(), 0u);
}

}  // namespace
}  // namespace vigie::events
