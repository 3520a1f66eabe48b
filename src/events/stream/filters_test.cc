// Tests of the filter nodes (filters.cc): where, split, by, tagged,
// expired / not_expired, changed_state, sink.
// Each stream is built from a StreamSpec and driven with a fake clock, with a
// collecting sink at the leaves (stream_testing.h).
#include <gtest/gtest.h>

#include "events/stream/stream.h"
#include "events/stream/stream_testing.h"

namespace vigie::events {
namespace {

using stream_testing::Collect;
using stream_testing::Ev;
using stream_testing::Harness;
using stream_testing::kSec;
using stream_testing::Out;
using stream_testing::Spec;

TEST(StreamTest, WhereFilters) {
  Harness h(Spec("where", {{"query", {R"(service = "cpu" and metric > 0.5)"}}}, {Out()}));
  h.root->Push(Ev("a", "cpu", "ok", 0.9), 0);
  h.root->Push(Ev("a", "cpu", "ok", 0.1), 0);
  h.root->Push(Ev("a", "mem", "ok", 0.9), 0);
  ASSERT_EQ(h.out.events.size(), 1u);
  EXPECT_EQ(*h.out.events[0].GetMetric(), Metric::Double(0.9));
}

TEST(StreamTest, SplitRoutesToFirstMatch) {
  Collect crit, warn, rest;
  std::map<std::string, StreamSink*> sinks{{"crit", &crit}, {"warn", &warn}, {"rest", &rest}};
  StreamSpec c1 = Spec("sink", {{"name", {"crit"}}, {"when", {"metric > 0.9"}}});
  StreamSpec c2 = Spec("sink", {{"name", {"warn"}}, {"when", {"metric > 0.5"}}});
  StreamSpec c3 = Spec("sink", {{"name", {"rest"}}});
  auto root = BuildStream(Spec("split", {}, {c1, c2, c3}),
                          [&](const std::string& n) { return sinks.at(n); });
  ASSERT_TRUE(root) << root.error().ToString();
  for (double m : {0.95, 0.7, 0.1, 0.99})
    (*root)->Push(Ev("a", "cpu", "ok", m), 0);
  EXPECT_EQ(crit.events.size(), 2u);
  EXPECT_EQ(warn.events.size(), 1u);
  EXPECT_EQ(rest.events.size(), 1u);
}

TEST(StreamTest, ByForksPerKeyLazily) {
  // by host -> changed_state would be per host/service anyway; use a rate
  // per host to show the forks keep separate state.
  Harness h(Spec("by", {{"fields", {"host"}}}, {Spec("rate", {{"interval", {"1"}}}, {Out()})}));
  h.root->Push(Ev("a", "req", "ok", 2), 0);
  h.root->Push(Ev("a", "req", "ok", 3), kSec / 2);
  h.root->Push(Ev("b", "req", "ok", 10), kSec / 2);
  h.root->Tick(2 * kSec);
  ASSERT_EQ(h.out.events.size(), 2u);
  double a = 0, b = 0;
  for (const Event& e : h.out.events)
    (e.host() == "a" ? a : b) = e.GetMetric()->d;
  EXPECT_EQ(a, 5);
  EXPECT_EQ(b, 10);
}

TEST(StreamTest, ByIsBounded) {
  Harness h(Spec("by", {{"fields", {"host"}}, {"max_keys", {"2"}}}, {Out()}));
  for (const char* host : {"a", "b", "c", "a"})
    h.root->Push(Ev(host, "s"), 0);
  EXPECT_EQ(h.out.events.size(), 3u);  // "c" was a third key: dropped
}

TEST(StreamTest, TaggedAllAndAny) {
  Event both = Ev("a", "s");
  both.add_tag("x");
  both.add_tag("y");
  Event one = Ev("a", "s");
  one.add_tag("x");
  Harness all(Spec("tagged", {{"tags", {"x", "y"}}}, {Out()}));
  Harness any(Spec("tagged", {{"tags", {"x", "y"}}, {"mode", {"any"}}}, {Out()}));
  for (Harness* h : {&all, &any}) {
    h->root->Push(both, 0);
    h->root->Push(one, 0);
    h->root->Push(Ev("a", "s"), 0);
  }
  EXPECT_EQ(all.out.events.size(), 1u);
  EXPECT_EQ(any.out.events.size(), 2u);
}

TEST(StreamTest, ExpiredAndNotExpired) {
  Harness ex(Spec("expired", {}, {Out()}));
  Harness live(Spec("not_expired", {}, {Out()}));
  Event old = Ev("a", "s", "ok", std::nullopt, 0);
  Event fresh = Ev("a", "s", "ok", std::nullopt, 100 * kSec);
  Event reaped = Ev("a", "s", "expired");
  for (Harness* h : {&ex, &live}) {
    for (const Event* e : {&old, &fresh, &reaped})
      h->root->Push(*e, 100 * kSec);
  }
  EXPECT_EQ(ex.out.events.size(), 2u);
  EXPECT_EQ(live.out.events.size(), 1u);
  EXPECT_TRUE(IsExpired(old, 60 * kSec + 1));
  EXPECT_FALSE(IsExpired(old, 60 * kSec));
}

TEST(StreamTest, ChangedState) {
  Harness h(Spec("changed_state", {}, {Out()}));
  for (const char* s : {"ok", "ok", "critical", "critical", "ok"})
    h.root->Push(Ev("a", "s", s), 0);
  h.root->Push(Ev("b", "s", "ok"), 0);  // init is "ok": no change
  ASSERT_EQ(h.out.events.size(), 2u);
  EXPECT_EQ(h.out.events[0].state(), "critical");
  EXPECT_EQ(h.out.events[1].state(), "ok");
}

TEST(StreamTest, SinksPassThroughToChildren) {
  Collect second;
  auto root = BuildStream(
      Spec("sink", {{"name", {"out"}}}, {Spec("sink", {{"name", {"second"}}})}),
      [&](const std::string& n) -> StreamSink* { return n == "second" ? &second : &second; });
  ASSERT_TRUE(root);
  (*root)->Push(Ev("a", "s"), 0);
  EXPECT_EQ(second.events.size(), 2u);
}

}  // namespace
}  // namespace vigie::events
