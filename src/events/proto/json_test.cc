// Tests of the Riemann event JSON shape: rendering, parsing, ISO-8601.
#include "events/proto/json.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace vigie::events {
namespace {

TEST(JsonTest, RendersRiemannShape) {
  Event e;
  e.set_host("h");
  e.set_service("svc");
  e.set_metric_d(2.5);
  e.set_time(1);
  std::string j = EventToJson(e);
  EXPECT_EQ(j, R"({"host":"h","service":"svc","state":null,"description":null,"metric":2.5,)"
               R"("tags":null,"time":"1970-01-01T00:00:01.000Z","ttl":null})");
}

TEST(JsonTest, RendersEverything) {
  Event e;
  e.set_host("a\"b\\c\n");
  e.set_service("cpu");
  e.set_state("ok");
  e.set_description("d\x01");
  e.set_metric_sint64(-42);
  e.add_tag("t1");
  e.add_tag("t2");
  e.set_time_micros(1'357'671'763'123'999);
  e.set_ttl(0.1f);
  e.add_attribute("x-client", "riemann-c-client");
  std::string j = EventToJson(e);
  EXPECT_EQ(j, R"({"host":"a\"b\\c\n","service":"cpu","state":"ok","description":"d\u0001",)"
               R"("metric":-42,"tags":["t1","t2"],"time":"2013-01-08T19:02:43.123Z","ttl":0.1,)"
               R"("x-client":"riemann-c-client"})");
  // And it is valid JSON that nlohmann reads back the same.
  auto doc = nlohmann::json::parse(j);
  EXPECT_EQ(doc["host"], "a\"b\\c\n");
  EXPECT_EQ(doc["metric"], -42);
}

TEST(JsonTest, FloatMetricUsesShortestFloatForm) {
  Event e;
  e.set_metric_f(0.1f);
  EXPECT_NE(EventToJson(e).find(R"("metric":0.1,)"), std::string::npos);
}

TEST(JsonTest, NonFiniteAndInvalidUtf8) {
  Event e;
  e.set_metric_d(std::numeric_limits<double>::quiet_NaN());
  e.set_host("ok\xff\xc3\xa9\xed\xa0\x80");
  std::string j = EventToJson(e);
  EXPECT_NE(j.find(R"("metric":"NaN")"), std::string::npos);
  // \xff and the surrogate bytes replaced; é kept.
  EXPECT_NE(j.find("\"ok\xef\xbf\xbd\xc3\xa9\xef\xbf\xbd"), std::string::npos);
  EXPECT_TRUE(nlohmann::json::accept(j));
  e.set_metric_d(-std::numeric_limits<double>::infinity());
  EXPECT_NE(EventToJson(e).find(R"("metric":"-Infinity")"), std::string::npos);
}

TEST(JsonTest, ParsesIngestEvent) {
  auto e =
      ParseEventJson(R"({"host":"h","service":"s","state":"ok","metric":3,"tags":["a","b"],)"
                     R"("time":"2013-01-08T19:02:43.500Z","ttl":30,"rack":"n1","num":7,"d":null})");
  ASSERT_TRUE(e) << e.error().ToString();
  EXPECT_EQ(e->host(), "h");
  EXPECT_EQ(*e->GetMetric(), Metric::Int(3));
  EXPECT_EQ(e->tags().size(), 2u);
  EXPECT_EQ(*e->GetTimeMicros(), 1'357'671'763'500'000);
  EXPECT_EQ(e->time(), 1'357'671'763);
  EXPECT_EQ(e->ttl(), 30.0f);
  ASSERT_NE(e->FindAttribute("rack"), nullptr);
  EXPECT_EQ(*e->FindAttribute("rack"), "n1");
  EXPECT_EQ(*e->FindAttribute("num"), "7");
  EXPECT_EQ(e->FindAttribute("d"), nullptr);
}

TEST(JsonTest, ParsesNumericTimeAndFloatMetric) {
  auto e = ParseEventJson(R"({"time":1.5,"metric":2.25})");
  ASSERT_TRUE(e);
  EXPECT_EQ(*e->GetTimeMicros(), 1'500'000);
  EXPECT_EQ(*e->GetMetric(), Metric::Double(2.25));
}

TEST(JsonTest, RenderThenParseRoundTrip) {
  Event e;
  e.set_host("h");
  e.set_service("s");
  e.set_state("warning");
  e.set_description("x");
  e.SetMetric(Metric::Double(1.25));
  e.add_tag("t");
  e.SetTimeMicros(1'700'000'000'250'000);
  e.set_ttl(60);
  e.add_attribute("k", "v");
  auto back = ParseEventJson(EventToJson(e));
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, e);
}

TEST(JsonTest, ParseErrorsNameTheKey) {
  struct Case {
    const char* json;
    const char* part;
  } cases[] = {
      {R"({"host":1})", R"("host": expected a string)"},
      {R"({"metric":"x"})", R"("metric": expected a number)"},
      {R"({"tags":"x"})", R"("tags": expected an array)"},
      {R"({"tags":[1]})", R"("tags": expected an array)"},
      {R"({"time":"yesterday"})", R"("time": time "yesterday": expected YYYY-MM-DD)"},
      {R"({"ttl":"x"})", R"("ttl": expected a number)"},
      {R"([1])", "expected an object"},
      {R"({"host":)", "event JSON"},
  };
  for (const auto& c : cases) {
    auto r = ParseEventJson(c.json);
    ASSERT_FALSE(r) << c.json;
    EXPECT_NE(r.error().ToString().find(c.part), std::string::npos) << r.error().ToString();
  }
}

TEST(JsonTest, ParseLimits) {
  JsonLimits l;
  l.max_bytes = 10;
  EXPECT_EQ(ParseEventJson(R"({"host":"abcdefgh"})", l).error().code(), Errc::kLimitExceeded);
  std::string deep(100, '[');
  EXPECT_EQ(ParseEventJson(R"({"x":)" + deep + "}").error().code(), Errc::kLimitExceeded);
}

TEST(Iso8601Test, FormatsAndParses) {
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatIso8601(951'782'400'000'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(*ParseIso8601("2000-02-29T00:00:00Z"), 951'782'400'000'000);
  EXPECT_EQ(*ParseIso8601("2000-02-29"), 951'782'400'000'000);
  EXPECT_EQ(*ParseIso8601("2013-01-08T20:02:43.123+01:00"), 1'357'671'763'123'000);
  EXPECT_EQ(*ParseIso8601("2013-01-08T14:02:43-0500"), 1'357'671'763'000'000);
  EXPECT_EQ(*ParseIso8601("2013-01-08T19:02:43.1234567Z"), 1'357'671'763'123'456);
  EXPECT_EQ(*ParseIso8601("2013-01-08T19:02"), 1'357'671'720'000'000);
  for (const char* bad : {"", "2013", "2013-13-01", "2013-01-08T25:00", "2013-01-08T19:02:43.Z",
                          "2013-01-08X", "2013-01-08T19:02:43+1"}) {
    EXPECT_FALSE(ParseIso8601(bad)) << bad;
  }
}

}  // namespace
}  // namespace vigie::events
