// Tests of the statsd line protocol parser (statsd docs/metric_types.md).
#include "events/ingest/statsd.h"

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

StatsdSample One(std::string_view line) {
  auto r = ParseStatsdLine(line);
  EXPECT_TRUE(r) << line << ": " << r.error().ToString();
  if (!r || r->size() != 1)
    return {};
  return (*r)[0];
}

TEST(StatsdTest, MetricTypesFromTheDocs) {
  StatsdSample c = One("gorets:1|c");
  EXPECT_EQ(c.key, "gorets");
  EXPECT_EQ(c.type, StatsdType::kCounter);
  EXPECT_EQ(c.value, 1);
  EXPECT_EQ(c.sample_rate, 1);

  StatsdSample sampled = One("gorets:1|c|@0.1");
  EXPECT_EQ(sampled.sample_rate, 0.1);

  StatsdSample t = One("glork:320|ms|@0.1");
  EXPECT_EQ(t.type, StatsdType::kTimer);
  EXPECT_EQ(t.value, 320);

  StatsdSample g = One("gaugor:333|g");
  EXPECT_EQ(g.type, StatsdType::kGauge);
  EXPECT_FALSE(g.gauge_delta);
  StatsdSample minus = One("gaugor:-10|g");
  EXPECT_TRUE(minus.gauge_delta);
  EXPECT_EQ(minus.value, -10);
  StatsdSample plus = One("gaugor:+4|g");
  EXPECT_TRUE(plus.gauge_delta);
  EXPECT_EQ(plus.value, 4);

  StatsdSample s = One("uniques:765|s");
  EXPECT_EQ(s.type, StatsdType::kSet);
  EXPECT_EQ(s.set_member, "765");

  StatsdSample h = One("size:12.5|h");
  EXPECT_EQ(h.type, StatsdType::kHistogram);
}

TEST(StatsdTest, SeveralValuesPerBucket) {
  auto r = ParseStatsdLine("gorets:1|c:2|c|@0.5:3|ms");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].value, 2);
  EXPECT_EQ((*r)[1].sample_rate, 0.5);
  EXPECT_EQ((*r)[2].type, StatsdType::kTimer);
  EXPECT_EQ((*r)[2].key, "gorets");
}

TEST(StatsdTest, KeySanitising) {
  EXPECT_EQ(SanitizeStatsdKey("my  app/requests"), "my_app-requests");
  EXPECT_EQ(SanitizeStatsdKey("a*b#c;tag=v"), "abc;tag=v");
  EXPECT_EQ(One("web server/hits!:1|c").key, "web_server-hits");
}

TEST(StatsdTest, BadLines) {
  struct Case {
    const char* line;
    const char* part;
  } cases[] = {
      {"gorets", "no value"},
      {"gorets:1", "no type"},
      {"gorets:x|c", "value is not a number"},
      {"gorets:|c", "value is not a number"},
      {"gorets:1|c|0.1", "bad sample rate"},
      {"gorets:1|c|@", "bad sample rate"},
      {"gorets:1|c|@0", "bad sample rate"},
      {"glork:-3|ms", "negative timer"},
      {"gorets:1|q", "unknown type \"q\""},
      {"gorets:1|c:bad", "no type"},
  };
  for (const auto& c : cases) {
    auto r = ParseStatsdLine(c.line);
    ASSERT_FALSE(r) << c.line;
    EXPECT_NE(r.error().ToString().find(c.part), std::string::npos) << r.error().ToString();
  }
}

TEST(StatsdTest, Packets) {
  StatsdPacket p = ParseStatsdPacket("a:1|c\n\nb:2|g\nbroken\nc:3|ms\n");
  ASSERT_EQ(p.samples.size(), 3u);
  EXPECT_EQ(p.samples[1].key, "b");
  ASSERT_EQ(p.bad_lines.size(), 1u);
  EXPECT_NE(p.bad_lines[0].ToString().find("broken"), std::string::npos);
  EXPECT_TRUE(ParseStatsdPacket("").samples.empty());
}

}  // namespace
}  // namespace vigie::events
