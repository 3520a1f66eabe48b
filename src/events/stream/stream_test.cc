// Tests of the builder (stream.cc): every kind builds, errors name the place,
// the kind and the parameter, nesting is bounded. The nodes' behaviour is
// tested in filters_test.cc, windows_test.cc and transforms_test.cc.
#include "events/stream/stream.h"

#include <gtest/gtest.h>

#include "events/stream/stream_testing.h"

namespace vigie::events {
namespace {

using stream_testing::Collect;
using stream_testing::Ev;
using stream_testing::Spec;

TEST(StreamBuildTest, EveryKindBuilds) {
  Collect out;
  auto sinks = [&out](const std::string& name) -> StreamSink* {
    return name == "out" ? &out : nullptr;
  };
  const StreamSpec specs[] = {
      Spec("where", {{"query", {"true"}}}),
      Spec("split", {}, {Spec("sdo", {{"when", {"true"}}}), Spec("sdo", {})}),
      Spec("by", {{"fields", {"host", "service"}}}, {Spec("sdo", {})}),
      Spec("default", {{"ttl", {"60"}}}),
      Spec("with", {{"host", {"h"}}}),
      Spec("tagged", {{"tags", {"x"}}}),
      Spec("expired", {}),
      Spec("not_expired", {}),
      Spec("rate", {{"interval", {"1"}}}),
      Spec("percentiles", {{"interval", {"1"}}, {"points", {"0.5"}}}),
      Spec("coalesce", {}),
      Spec("changed_state", {}),
      Spec("throttle", {{"n", {"1"}}, {"dt", {"1"}}}),
      Spec("rollup", {{"n", {"1"}}, {"dt", {"1"}}}),
      Spec("moving_time_window", {{"dt", {"1"}}}),
      Spec("fixed_time_window", {{"dt", {"1"}}}),
      Spec("stable", {{"dt", {"1"}}}),
      Spec("sum", {}),
      Spec("mean", {}),
      Spec("min", {}),
      Spec("max", {}),
      Spec("count", {}),
      Spec("scale", {{"factor", {"2"}}}),
      Spec("adjust", {{"add", {"1"}}}),
      Spec("sink", {{"name", {"out"}}}),
      Spec("sdo", {}),
      Spec("stream", {}),
  };
  for (const StreamSpec& spec : specs) {
    auto r = BuildStream(spec, sinks);
    ASSERT_TRUE(r) << spec.kind << ": " << r.error().ToString();
    (*r)->Push(Ev("a", "s", "ok", 1, 0), 0);
    (*r)->Tick(10'000'000);
  }
  EXPECT_EQ(out.events.size(), 1u);  // the sink's
}

TEST(StreamBuildTest, NestingIsBounded) {
  auto chain = [](int nodes) {
    StreamSpec s = Spec("sdo", {});
    for (int i = 1; i < nodes; ++i)
      s = Spec("sdo", {}, {s});
    return s;
  };
  auto sinks = [](const std::string&) -> StreamSink* { return nullptr; };
  EXPECT_TRUE(BuildStream(chain(65), sinks));  // depths 0..64
  auto r = BuildStream(chain(66), sinks);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("streams nested deeper than 64"), std::string::npos);
}

TEST(StreamBuildTest, AChildWithoutAPlaceNamesItsAncestors) {
  StreamSpec parent = Spec("where", {{"query", {"true"}}}, {Spec("rate", {})});
  parent.where = "vigie.yaml:3";
  auto r = BuildStream(parent, [](const std::string&) -> StreamSink* { return nullptr; });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString(), "vigie.yaml:3: rate: interval: required");
}

TEST(StreamBuildTest, ErrorsNameThePlace) {
  auto sinks = [](const std::string&) -> StreamSink* { return nullptr; };
  struct Case {
    StreamSpec spec;
    const char* part;
  } cases[] = {
      {Spec("rate", {{"interval", {"x"}}}),
       R"(rate: interval: expected a positive number, got "x")"},
      {Spec("rate", {}), "rate: interval: required"},
      {Spec("where", {{"query", {"host ="}}}), "where: query: parse error at column 7"},
      {Spec("sink", {{"name", {"nope"}}}), R"(no sink named "nope")"},
      {Spec("frobnicate", {}), "frobnicate: unknown stream kind"},
      {Spec("default", {{"colour", {"red"}}}), "default: colour: unknown field"},
      {Spec("percentiles", {{"interval", {"1"}}, {"points", {"2"}}}), "expected numbers in [0, 1]"},
      {Spec("tagged", {{"tags", {"a"}}, {"mode", {"some"}}}), "tagged: mode: expected all or any"},
      {Spec("split", {}, {Spec("sdo", {}), Spec("sdo", {{"when", {"true"}}})}),
       "only the last child may omit `when`"},
      {Spec("by", {{"fields", {"host"}}}, {Spec("rate", {})}), "rate: interval: required"},
  };
  for (auto& c : cases) {
    c.spec.where = "vigie.yaml:12";
    auto r = BuildStream(c.spec, sinks);
    ASSERT_FALSE(r) << c.part;
    EXPECT_NE(r.error().ToString().find(c.part), std::string::npos) << r.error().ToString();
    EXPECT_EQ(r.error().ToString().rfind("vigie.yaml:12: ", 0), 0u) << r.error().ToString();
  }
}

}  // namespace
}  // namespace vigie::events
