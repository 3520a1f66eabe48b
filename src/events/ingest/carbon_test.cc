// Tests of carbon plaintext parsing and Riemann's Graphite paths and lines.
#include "events/ingest/carbon.h"

#include <cmath>

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

constexpr int64_t kNow = 1'700'000'000'000'000;

TEST(CarbonTest, ParsesPlaintextLines) {
  auto p = ParseCarbonLine("servers.web1.cpu 42.5 1700000000\n", kNow);
  ASSERT_TRUE(p && *p) << p.error().ToString();
  EXPECT_EQ((*p)->path, "servers.web1.cpu");
  EXPECT_EQ((*p)->value, 42.5);
  EXPECT_EQ((*p)->time_micros, 1'700'000'000'000'000);
  // Any whitespace, fractional timestamps, exponents, a leading '+'.
  p = ParseCarbonLine("  a.b\t+1e3   1700000000.25 \r\n", kNow);
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->value, 1000);
  EXPECT_EQ((*p)->time_micros, 1'700'000'000'250'000);
}

TEST(CarbonTest, MinusOneTimestampMeansNow) {
  auto p = ParseCarbonLine("a 1 -1", kNow);
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->time_micros, kNow);
}

TEST(CarbonTest, NanValuesAreDroppedSilently) {
  for (const char* line : {"a nan 1", "a NaN 1", "a -nan 1"}) {
    auto p = ParseCarbonLine(line, kNow);
    ASSERT_TRUE(p) << line;
    EXPECT_FALSE(p->has_value()) << line;
  }
  auto inf = ParseCarbonLine("a inf 1", kNow);
  ASSERT_TRUE(inf && *inf);
  EXPECT_TRUE(std::isinf((*inf)->value));
}

TEST(CarbonTest, TaggedSeries) {
  auto p = ParseCarbonLine("disk.used;host=web1;mount=/var 12 1", kNow);
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->path, "disk.used");
  ASSERT_EQ((*p)->tags.size(), 2u);
  EXPECT_EQ((*p)->tags[1], (std::pair<std::string, std::string>{"mount", "/var"}));
  Event e = CarbonPointToEvent(**p);
  EXPECT_EQ(e.service(), "disk.used");
  EXPECT_EQ(*e.GetMetric(), Metric::Int(12));
  EXPECT_EQ(e.time(), 1);
  EXPECT_EQ(*e.FindAttribute("host"), "web1");
}

TEST(CarbonTest, BadLines) {
  struct Case {
    const char* line;
    const char* part;
  } cases[] = {
      {"a 1", "expected <path> <value> <timestamp>"},
      {"a 1 2 3", "more tokens"},
      {"", "expected <path>"},
      {"a x 1", "value is not a number"},
      {"a 1 soon", "timestamp is not a number"},
      {"a 0x10 1", "value is not a number"},
      {"a ++1 1", "value is not a number"},
      {"a;host 1 1", "bad tag \"host\""},
      {"a;=x 1 1", "bad tag"},
      {";a=b 1 1", "empty metric name"},
      {"a 1 1e300", "timestamp out of range"},
  };
  for (const auto& c : cases) {
    auto p = ParseCarbonLine(c.line, kNow);
    ASSERT_FALSE(p) << c.line;
    EXPECT_NE(p.error().ToString().find(c.part), std::string::npos) << p.error().ToString();
  }
  EXPECT_EQ(ParseCarbonLine(std::string(5000, 'a'), kNow).error().code(), Errc::kLimitExceeded);
}

TEST(GraphitePathTest, RiemannBasicPath) {
  Event e;
  e.set_host("a.b.com");
  e.set_service("cpu user");
  EXPECT_EQ(GraphitePath(e), "com.b.a.cpu.user");
  Event no_host;
  no_host.set_service("riemann index size");
  EXPECT_EQ(GraphitePath(no_host), "riemann.index.size");
  Event trailing;
  trailing.set_host("web1.");
  trailing.set_service("x");
  EXPECT_EQ(GraphitePath(trailing), "web1.x");  // Java split drops trailing empties
}

TEST(GraphitePathTest, Percentiles) {
  Event e;
  e.set_host("h");
  e.set_service("api latency 0.95");
  EXPECT_EQ(GraphitePathPercentiles(e), "h.api.latency.95");
  e.set_service("api latency 0.999");
  EXPECT_EQ(GraphitePathPercentiles(e), "h.api.latency.99");
  e.set_service("api latency");
  EXPECT_EQ(GraphitePathPercentiles(e), "h.api.latency");
}

TEST(GraphitePathTest, CarbonLines) {
  Event e;
  e.SetTimeMicros(1'700'000'000'900'000);
  std::string out;
  EXPECT_FALSE(AppendCarbonLine("x", e, out));
  EXPECT_TRUE(out.empty());
  e.SetMetric(Metric::Int(42));
  EXPECT_TRUE(AppendCarbonLine("a.b", e, out));
  e.SetMetric(Metric::Double(0.5));
  EXPECT_TRUE(AppendCarbonLine("a.c", e, out));
  EXPECT_EQ(out, "a.b 42 1700000000\na.c 0.5 1700000000\n");
  // And what we write, we read back.
  auto p = ParseCarbonLine("a.c 0.5 1700000000", kNow);
  ASSERT_TRUE(p && *p);
  EXPECT_EQ((*p)->value, 0.5);
}

}  // namespace
}  // namespace vigie::events
