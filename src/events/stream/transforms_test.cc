// Tests of the nodes that change or combine events (transforms.cc): default
// / with, the folds, scale / adjust.
// Each stream is built from a StreamSpec and driven with a fake clock, with a
// collecting sink at the leaves (stream_testing.h).
#include <gtest/gtest.h>

#include "events/stream/stream.h"
#include "events/stream/stream_testing.h"

namespace vigie::events {
namespace {

using stream_testing::Ev;
using stream_testing::Harness;
using stream_testing::Out;
using stream_testing::Spec;

TEST(StreamTest, DefaultAndWith) {
  Harness d(Spec("default", {{"ttl", {"60"}}, {"state", {"ok"}}}, {Out()}));
  Event e = Ev("a", "s", "critical");
  d.root->Push(e, 0);
  EXPECT_EQ(d.out.events[0].ttl(), 60.0f);
  EXPECT_EQ(d.out.events[0].state(), "critical");  // present: kept
  Harness w(Spec("with", {{"state", {"ok"}}, {"metric", {"3"}}}, {Out()}));
  w.root->Push(e, 0);
  EXPECT_EQ(w.out.events[0].state(), "ok");
  EXPECT_EQ(*w.out.events[0].GetMetric(), Metric::Int(3));
}

TEST(StreamTest, FoldsOnBatches) {
  std::vector<Event> batch = {Ev("a", "s", "ok", 3), Ev("b", "s", "ok", 1), Ev("c", "s", "ok"),
                              Ev("d", "s", "ok", 8)};
  auto run = [&](const char* kind) {
    Harness h(Spec(kind, {}, {Out()}));
    h.root->PushBatch(batch, 0);
    EXPECT_EQ(h.out.events.size(), 1u) << kind;
    return h.out.events.empty() ? Event() : h.out.events[0];
  };
  EXPECT_EQ(run("sum").GetMetric()->d, 12);
  EXPECT_EQ(run("mean").GetMetric()->d, 4);
  EXPECT_EQ(run("min").host(), "b");
  EXPECT_EQ(run("max").host(), "d");
  EXPECT_EQ(*run("count").GetMetric(), Metric::Int(4));
}

TEST(StreamTest, ScaleAndAdjust) {
  Harness s(Spec("scale", {{"factor", {"1024"}}}, {Out()}));
  Harness a(Spec("adjust", {{"add", {"-1"}}}, {Out()}));
  Event e = Ev("a", "s");
  e.SetMetric(Metric::Int(2));
  s.root->Push(e, 0);
  a.root->Push(e, 0);
  EXPECT_EQ(s.out.events[0].GetMetric()->d, 2048);
  EXPECT_EQ(*a.out.events[0].GetMetric(), Metric::Int(1));
}

}  // namespace
}  // namespace vigie::events
