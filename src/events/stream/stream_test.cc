// Tests of the stream nodes, each built from a StreamSpec and driven with a
// fake clock, with a collecting sink at the leaves.
#include "events/stream/stream.h"

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

constexpr int64_t kSec = 1'000'000;

class Collect final : public StreamSink {
 public:
  void Accept(const Event& e, int64_t now) override {
    events.push_back(e);
    times.push_back(now);
  }
  std::vector<Event> events;
  std::vector<int64_t> times;
};

// A spec with params given as "key=v1,v2" strings.
StreamSpec Spec(std::string kind,
                std::vector<std::pair<std::string, std::vector<std::string>>> params,
                std::vector<StreamSpec> children = {}) {
  StreamSpec s;
  s.kind = std::move(kind);
  for (auto& [k, v] : params)
    s.params[k] = v;
  s.children = std::move(children);
  return s;
}

StreamSpec Out() {
  return Spec("sink", {{"name", {"out"}}});
}

struct Harness {
  Collect out;
  std::unique_ptr<Stream> root;
  explicit Harness(const StreamSpec& spec) {
    auto built = BuildStream(spec, [this](const std::string& name) -> StreamSink* {
      return name == "out" ? &out : nullptr;
    });
    EXPECT_TRUE(built) << built.error().ToString();
    if (built)
      root = std::move(*built);
  }
};

Event Ev(std::string host, std::string service, std::string state = "ok",
         std::optional<double> metric = std::nullopt, std::optional<int64_t> time = std::nullopt) {
  Event e;
  e.set_host(host);
  e.set_service(service);
  e.set_state(state);
  if (metric)
    e.SetMetric(Metric::Double(*metric));
  if (time)
    e.SetTimeMicros(*time);
  return e;
}

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

TEST(StreamTest, RateEmitsSumOverIntervalPerWindow) {
  Harness h(Spec("rate", {{"interval", {"2"}}}, {Out()}));
  h.root->Push(Ev("a", "req", "ok", 4), 10 * kSec);
  h.root->Push(Ev("a", "req", "warning", 6), 11 * kSec);
  h.root->Tick(11 * kSec + 999'999);
  EXPECT_TRUE(h.out.events.empty());
  h.root->Tick(12 * kSec);
  ASSERT_EQ(h.out.events.size(), 1u);
  EXPECT_EQ(*h.out.events[0].GetMetric(), Metric::Double(5));  // (4 + 6) / 2 s
  EXPECT_EQ(h.out.events[0].state(), "warning");               // latest event as template
  EXPECT_EQ(*h.out.events[0].GetTimeMicros(), 12 * kSec);
  // An idle window emits nothing.
  h.root->Tick(20 * kSec);
  EXPECT_EQ(h.out.events.size(), 1u);
}

TEST(StreamTest, Percentiles) {
  Harness h(
      Spec("percentiles", {{"interval", {"1"}}, {"points", {"0", "0.5", "0.95", "1"}}}, {Out()}));
  for (int i = 1; i <= 100; ++i)
    h.root->Push(Ev("a", "latency", "ok", i), 0);
  h.root->Tick(kSec);
  ASSERT_EQ(h.out.events.size(), 4u);
  EXPECT_EQ(h.out.events[0].service(), "latency 0");
  EXPECT_EQ(h.out.events[0].GetMetric()->d, 1);
  EXPECT_EQ(h.out.events[1].service(), "latency 0.5");
  EXPECT_EQ(h.out.events[1].GetMetric()->d, 51);
  EXPECT_EQ(h.out.events[2].service(), "latency 0.95");
  EXPECT_EQ(h.out.events[2].GetMetric()->d, 96);
  EXPECT_EQ(h.out.events[3].GetMetric()->d, 100);
}

TEST(StreamTest, CoalesceThenFold) {
  Harness h(Spec("coalesce", {{"dt", {"1"}}}, {Spec("sum", {}, {Out()})}));
  h.root->Push(Ev("a", "cpu", "ok", 1, 0), 0);
  h.root->Push(Ev("b", "cpu", "ok", 2, 0), 0);
  h.root->Push(Ev("a", "cpu", "ok", 5, 0), kSec / 2);  // replaces a's
  h.root->Tick(kSec);
  ASSERT_EQ(h.out.events.size(), 1u);
  EXPECT_EQ(h.out.events[0].GetMetric()->d, 7);
  // An expired member is included once, then dropped.
  h.root->Push(Ev("c", "cpu", "expired", 100, kSec), kSec);
  h.root->Tick(2 * kSec);
  EXPECT_EQ(h.out.events[1].GetMetric()->d, 107);
  h.root->Tick(3 * kSec);
  EXPECT_EQ(h.out.events[2].GetMetric()->d, 7);
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

TEST(StreamTest, ThrottleAndRollup) {
  Harness t(Spec("throttle", {{"n", {"2"}}, {"dt", {"1"}}}, {Out()}));
  Harness r(Spec("rollup", {{"n", {"2"}}, {"dt", {"1"}}}, {Spec("count", {}, {Out()})}));
  for (Harness* h : {&t, &r}) {
    for (int i = 0; i < 5; ++i)
      h->root->Push(Ev("a", "s"), i * kSec / 10);
    h->root->Tick(kSec);
  }
  EXPECT_EQ(t.out.events.size(), 2u);
  // rollup: two single events, then the three others as one batch.
  ASSERT_EQ(r.out.events.size(), 3u);
  EXPECT_EQ(*r.out.events[2].GetMetric(), Metric::Int(3));
}

TEST(StreamTest, MovingTimeWindowUsesEventTime) {
  Harness h(Spec("moving_time_window", {{"dt", {"10"}}}, {Spec("count", {}, {Out()})}));
  for (int64_t t : {0, 5, 9, 15, 30})
    h.root->Push(Ev("a", "s", "ok", 1, t * kSec), 0);
  std::vector<int64_t> counts;
  for (const Event& e : h.out.events)
    counts.push_back(e.GetMetric()->i);
  // At 15 the window is (5, 15]: 9 and 15. At 30: only 30.
  EXPECT_EQ(counts, (std::vector<int64_t>{1, 2, 3, 2, 1}));
}

TEST(StreamTest, FixedTimeWindow) {
  Harness h(Spec("fixed_time_window", {{"dt", {"10"}}}, {Spec("count", {}, {Out()})}));
  for (int64_t t : {0, 3, 9, 10, 12, 35, 36})
    h.root->Push(Ev("a", "s", "ok", 1, t * kSec), 0);
  std::vector<int64_t> counts;
  for (const Event& e : h.out.events)
    counts.push_back(e.GetMetric()->i);
  EXPECT_EQ(counts, (std::vector<int64_t>{3, 2}));  // [0,10) and [10,20); [30,40) still open
}

TEST(StreamTest, StableSuppressesFlapping) {
  Harness h(Spec("stable", {{"dt", {"5"}}}, {Out()}));
  h.root->Push(Ev("a", "s", "ok", std::nullopt, 0), 0);
  h.root->Push(Ev("a", "s", "critical", std::nullopt, 1 * kSec), 0);
  h.root->Push(Ev("a", "s", "ok", std::nullopt, 2 * kSec), 0);
  EXPECT_TRUE(h.out.events.empty());
  h.root->Push(Ev("a", "s", "ok", std::nullopt, 7 * kSec), 0);
  ASSERT_EQ(h.out.events.size(), 2u);  // the buffered ok at 2 s and the one at 7 s
  h.root->Push(Ev("a", "s", "ok", std::nullopt, 8 * kSec), 0);
  EXPECT_EQ(h.out.events.size(), 3u);
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

TEST(StreamTest, SinksPassThroughToChildren) {
  Collect second;
  auto root = BuildStream(
      Spec("sink", {{"name", {"out"}}}, {Spec("sink", {{"name", {"second"}}})}),
      [&](const std::string& n) -> StreamSink* { return n == "second" ? &second : &second; });
  ASSERT_TRUE(root);
  (*root)->Push(Ev("a", "s"), 0);
  EXPECT_EQ(second.events.size(), 2u);
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
