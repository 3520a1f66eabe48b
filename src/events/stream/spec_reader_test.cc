// Tests of SpecReader (spec_reader.h): one spec's parameters read and
// checked, every error naming the place, the kind and the parameter.
#include "events/stream/spec_reader.h"

#include <gtest/gtest.h>

#include "events/stream/stream_testing.h"

namespace vigie::events::internal {
namespace {

using stream_testing::Spec;

TEST(SpecReaderTest, FailNamesPlaceKindAndParameter) {
  StreamSpec s = Spec("rate", {});
  EXPECT_EQ(SpecReader(s, "vigie.yaml:12").Fail("interval", "required").ToString(),
            "vigie.yaml:12: rate: interval: required");
  EXPECT_EQ(SpecReader(s, "vigie.yaml:12").Fail("", "no field to set").ToString(),
            "vigie.yaml:12: rate: no field to set");
  EXPECT_EQ(SpecReader(s, "").Fail("interval", "required").ToString(), "rate: interval: required");
  EXPECT_EQ(SpecReader(s, "").Fail("x", "y").code(), make_error_code(Errc::kInvalidArgument));
}

TEST(SpecReaderTest, Str) {
  StreamSpec s = Spec("t", {{"one", {"a"}}, {"two", {"a", "b"}}});
  SpecReader r(s, "");
  EXPECT_TRUE(r.Has("one"));
  EXPECT_FALSE(r.Has("three"));
  EXPECT_EQ(*r.Str("one"), "a");
  EXPECT_EQ(*r.Str("three", "fallback"), "fallback");
  EXPECT_EQ(r.Str("three").error().ToString(), "t: three: required");
  EXPECT_EQ(r.Str("two").error().ToString(), "t: two: expected one value");
}

TEST(SpecReaderTest, Num) {
  StreamSpec s = Spec("t", {{"half", {"0.5"}},
                            {"neg", {"-2"}},
                            {"zero", {"0"}},
                            {"junk", {"1x"}},
                            {"inf", {"inf"}},
                            {"nan", {"nan"}},
                            {"two", {"1", "2"}}});
  SpecReader r(s, "");
  EXPECT_EQ(*r.Num("half"), 0.5);
  EXPECT_EQ(*r.Num("half", std::nullopt, true), 0.5);
  EXPECT_EQ(*r.Num("neg"), -2);
  EXPECT_EQ(*r.Num("absent", 60.0), 60);
  EXPECT_EQ(r.Num("absent").error().ToString(), "t: absent: required");
  EXPECT_EQ(r.Num("neg", std::nullopt, true).error().ToString(),
            R"(t: neg: expected a positive number, got "-2")");
  EXPECT_FALSE(r.Num("zero", std::nullopt, true));
  EXPECT_EQ(r.Num("junk").error().ToString(), R"(t: junk: expected a number, got "1x")");
  EXPECT_FALSE(r.Num("inf"));
  EXPECT_FALSE(r.Num("nan"));
  EXPECT_EQ(r.Num("two").error().ToString(), "t: two: expected one value");
  EXPECT_EQ(*r.ParseNum("points", "0.95", false), 0.95);
  EXPECT_EQ(r.ParseNum("points", "", false).error().ToString(),
            R"(t: points: expected a number, got "")");
}

TEST(SpecReaderTest, List) {
  StreamSpec s = Spec("t", {{"tags", {"a", "b"}}, {"empty", {}}});
  SpecReader r(s, "");
  EXPECT_EQ(*r.List("tags"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.List("empty").error().ToString(), "t: empty: required");
  EXPECT_EQ(r.List("absent").error().ToString(), "t: absent: required");
}

TEST(SpecReaderTest, SettingsReadsEveryField) {
  StreamSpec s = Spec("with", {{"host", {"h"}},
                               {"service", {"s"}},
                               {"state", {"ok"}},
                               {"description", {"d"}},
                               {"ttl", {"30"}},
                               {"metric", {"3"}},
                               {"when", {"true"}}});
  auto f = SpecReader(s, "").Settings();
  ASSERT_TRUE(f) << f.error().ToString();
  EXPECT_EQ(f->host, "h");
  EXPECT_EQ(f->service, "s");
  EXPECT_EQ(f->state, "ok");
  EXPECT_EQ(f->description, "d");
  EXPECT_EQ(f->ttl, 30.0f);
  EXPECT_EQ(f->metric, Metric::Int(3));  // an integer stays one
}

TEST(SpecReaderTest, SettingsMetricAsDouble) {
  StreamSpec s = Spec("default", {{"metric", {"2.5"}}});
  auto f = SpecReader(s, "").Settings();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->metric, Metric::Double(2.5));
  EXPECT_FALSE(f->host);
}

TEST(SpecReaderTest, SettingsErrors) {
  StreamSpec colour = Spec("default", {{"colour", {"red"}}});
  EXPECT_EQ(SpecReader(colour, "").Settings().error().ToString(),
            "default: colour: unknown field (host, service, state, description, ttl, metric)");
  StreamSpec none = Spec("with", {{"when", {"true"}}});
  EXPECT_EQ(SpecReader(none, "").Settings().error().ToString(), "with: no field to set");
  StreamSpec bad_metric = Spec("with", {{"metric", {"x"}}});
  EXPECT_EQ(SpecReader(bad_metric, "").Settings().error().ToString(),
            R"(with: metric: expected a number, got "x")");
  StreamSpec two_hosts = Spec("with", {{"host", {"a", "b"}}});
  EXPECT_EQ(SpecReader(two_hosts, "").Settings().error().ToString(),
            "with: host: expected one value");
}

}  // namespace
}  // namespace vigie::events::internal
