// Tests of EventIndex: Riemann's insert/expire semantics, a randomized
// comparison against a simple reference model (slot moves, wheel links,
// refcounts), search on compact slots vs on materialized events, snapshots.
#include "events/index/index.h"

#include <cmath>
#include <limits>
#include <map>
#include <random>

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

constexpr int64_t kSec = 1'000'000;

Event Ev(std::string_view host, std::string_view service, std::string_view state = "ok") {
  Event e;
  e.set_host(host);
  e.set_service(service);
  e.set_state(state);
  return e;
}

EventQuery Q(std::string_view text) {
  return *ParseQuery(text);
}

TEST(EventIndexTest, UpsertLookupKeepsEveryField) {
  EventIndex index;
  Event e = Ev("web1", "cpu user");
  e.set_description("desc");
  e.add_tag("prod");
  e.add_tag("eu");
  e.add_attribute("x-client", "riemann-c-client");
  e.mutable_attributes().push_back(Attribute{"flag", "", false});
  e.set_ttl(30);
  e.SetMetric(Metric::Double(2.5));
  e.SetTimeMicros(100 * kSec + 5);
  ASSERT_TRUE(index.Upsert(e, 200 * kSec));
  auto got = index.Lookup({"web1", "cpu user"});
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, e);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_FALSE(index.Lookup({"web1", "cpu"}));
  EXPECT_FALSE(index.Lookup({"web2", "cpu user"}));
}

TEST(EventIndexTest, ReplacesAndDistinguishesNilFromEmpty) {
  EventIndex index;
  ASSERT_TRUE(index.Upsert(Ev("h", "s", "ok"), 0));
  ASSERT_TRUE(index.Upsert(Ev("h", "s", "critical"), 0));
  EXPECT_EQ(index.size(), 1u);
  EXPECT_EQ(index.Lookup({"h", "s"})->state(), "critical");
  Event no_host;
  no_host.set_service("s");
  ASSERT_TRUE(index.Upsert(no_host, 0));
  ASSERT_TRUE(index.Upsert(Ev("", "s"), 0));
  EXPECT_EQ(index.size(), 3u);
  EXPECT_FALSE(index.Lookup({std::nullopt, "s"})->Has(Event::kHost));
  EXPECT_TRUE(index.Lookup({"", "s"})->Has(Event::kHost));
  ASSERT_TRUE(index.Upsert(Event(), 0));
  EXPECT_TRUE(index.Lookup({std::nullopt, std::nullopt}));
}

TEST(EventIndexTest, ExpiredStateDeletes) {
  EventIndex index;
  ASSERT_TRUE(index.Upsert(Ev("h", "s"), 0));
  ASSERT_TRUE(index.Upsert(Ev("h", "s", "expired"), 0));
  EXPECT_EQ(index.size(), 0u);
  // Deleting an absent key is fine.
  ASSERT_TRUE(index.Upsert(Ev("x", "y", "expired"), 0));
  EXPECT_EQ(index.size(), 0u);
}

TEST(EventIndexTest, StampsMissingTime) {
  EventIndex index;
  ASSERT_TRUE(index.Upsert(Ev("h", "s"), 1234 * kSec));
  EXPECT_EQ(*index.Lookup({"h", "s"})->GetTimeMicros(), 1234 * kSec);
  EXPECT_EQ(index.Lookup({"h", "s"})->time(), 1234);
}

TEST(EventIndexTest, ExpiresStrictlyAfterDefaultTtl) {
  EventIndex index;
  Event e = Ev("h", "s");
  e.set_time(1000);
  e.add_tag("t");
  e.SetMetric(Metric::Int(3));
  ASSERT_TRUE(index.Upsert(e, 1000 * kSec));
  EXPECT_TRUE(index.Expire(1060 * kSec).empty());  // age == ttl: not yet
  auto expired = index.Expire(1060 * kSec + 1);
  ASSERT_EQ(expired.size(), 1u);
  const Event& x = expired[0];
  EXPECT_EQ(x.host(), "h");
  EXPECT_EQ(x.service(), "s");
  EXPECT_EQ(x.state(), "expired");
  EXPECT_EQ(*x.GetTimeMicros(), 1060 * kSec + 1);
  EXPECT_FALSE(x.GetMetric());  // only host and service are kept
  EXPECT_TRUE(x.tags().empty());
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.Expire(2000 * kSec).empty());
}

TEST(EventIndexTest, KeepAllFieldsOption) {
  IndexOptions o;
  o.expired_keep_all_fields = true;
  o.default_ttl_seconds = 5;
  EventIndex index(o);
  Event e = Ev("h", "s");
  e.SetMetric(Metric::Int(3));
  e.add_tag("t");
  ASSERT_TRUE(index.Upsert(e, 0));
  auto expired = index.Expire(6 * kSec);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].state(), "expired");
  EXPECT_EQ(*expired[0].GetMetric(), Metric::Int(3));
  EXPECT_EQ(expired[0].tags(), std::vector<std::string>{"t"});
}

TEST(EventIndexTest, PerEventTtlFractionalAndNeverExpiring) {
  EventIndex index;
  Event a = Ev("h", "fraction");
  a.set_ttl(0.5f);
  Event b = Ev("h", "nan");
  b.set_ttl(std::nanf(""));
  Event c = Ev("h", "inf");
  c.set_ttl(HUGE_VALF);
  Event d = Ev("h", "long");
  d.set_ttl(10000);  // beyond one turn of the wheel
  Event f = Ev("h", "negative");
  f.set_ttl(-1);
  for (const Event* e : {&a, &b, &c, &d, &f})
    ASSERT_TRUE(index.Upsert(*e, 0));
  auto x = index.Expire(kSec / 2);
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].service(), "negative");
  x = index.Expire(kSec / 2 + 1);
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].service(), "fraction");
  EXPECT_TRUE(index.Expire(5000 * kSec).empty());
  EXPECT_TRUE(index.Expire(9999 * kSec).empty());
  x = index.Expire(10001 * kSec);
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].service(), "long");
  EXPECT_TRUE(index.Expire(int64_t{1} << 60).empty());
  EXPECT_EQ(index.size(), 2u);  // nan and inf stay
}

TEST(EventIndexTest, RefreshPushesExpiryBack) {
  EventIndex index;
  ASSERT_TRUE(index.Upsert(Ev("h", "s"), 0));
  ASSERT_TRUE(index.Upsert(Ev("h", "s"), 50 * kSec));
  EXPECT_TRUE(index.Expire(61 * kSec).empty());
  EXPECT_EQ(index.Expire(111 * kSec).size(), 1u);
}

TEST(EventIndexTest, OldEventsExpireOnTheNextReap) {
  EventIndex index;
  ASSERT_TRUE(index.Expire(1000 * kSec).empty());
  Event old = Ev("h", "s");
  old.set_time(1);  // long past its ttl
  ASSERT_TRUE(index.Upsert(old, 1000 * kSec));
  EXPECT_EQ(index.Expire(1000 * kSec).size(), 1u);
}

TEST(EventIndexTest, ClockGoingBackwardsIsHarmless) {
  EventIndex index;
  ASSERT_TRUE(index.Upsert(Ev("h", "s"), 100 * kSec));
  EXPECT_TRUE(index.Expire(50 * kSec).empty());
  EXPECT_TRUE(index.Expire(120 * kSec).empty());
  EXPECT_EQ(index.Expire(161 * kSec).size(), 1u);
}

TEST(EventIndexTest, MaxEvents) {
  IndexOptions o;
  o.max_events = 2;
  EventIndex index(o);
  ASSERT_TRUE(index.Upsert(Ev("h", "1"), 0));
  ASSERT_TRUE(index.Upsert(Ev("h", "2"), 0));
  auto r = index.Upsert(Ev("h", "3"), 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kLimitExceeded);
  EXPECT_TRUE(index.Upsert(Ev("h", "2", "warning"), 0));  // replacing is fine
}

TEST(EventIndexTest, SearchFastPathAndScan) {
  EventIndex index;
  for (int h = 0; h < 10; ++h) {
    for (int s = 0; s < 10; ++s) {
      Event e =
          Ev("host" + std::to_string(h), "svc" + std::to_string(s), s % 2 ? "ok" : "critical");
      e.SetMetric(Metric::Int(h * 10 + s));
      if (s == 3)
        e.add_tag("three");
      if (h == 7)
        e.add_attribute("rack", "r7");
      if (s == 5)
        e.set_description("five");
      ASSERT_TRUE(index.Upsert(e, 0));
    }
  }
  EXPECT_EQ(index.Search(Q("true")).size(), 100u);
  EXPECT_EQ(index.Search(Q("true"), 7).size(), 7u);
  auto one = index.Search(Q(R"(host = "host4" and service = "svc2")"));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(*one[0].GetMetric(), Metric::Int(42));
  EXPECT_TRUE(index.Search(Q(R"(host = "nope" and service = "svc2")")).empty());
  EXPECT_EQ(index.Search(Q(R"(state = "critical")")).size(), 50u);
  EXPECT_EQ(index.Search(Q("metric >= 90")).size(), 10u);
  EXPECT_EQ(index.Search(Q(R"(tagged "three")")).size(), 10u);
  EXPECT_EQ(index.Search(Q(R"(rack = "r7")")).size(), 10u);
  EXPECT_EQ(index.Search(Q(R"(description = "five" and host =~ "host%")")).size(), 10u);
  EXPECT_EQ(index.Search(Q("tags")).size(), 10u);
  EXPECT_EQ(index.Search(Q("time = 0 and ttl = nil")).size(), 100u);
}

// Random events; the same queries on compact slots and on the events.
TEST(EventIndexTest, SlotEvaluationMatchesEventEvaluation) {
  std::mt19937_64 rng(3);
  EventIndex index;
  std::map<std::pair<std::string, std::string>, Event> reference;
  for (int i = 0; i < 500; ++i) {
    Event e = Ev("h" + std::to_string(rng() % 20), "s" + std::to_string(rng() % 20),
                 rng() % 3 == 0 ? "critical" : "ok");
    if (rng() % 2)
      e.SetMetric(Metric::Int(static_cast<int64_t>(rng() % 100)));
    if (rng() % 2)
      e.SetMetric(Metric::Double(static_cast<double>(rng() % 1000) / 10));
    if (rng() % 3 == 0)
      e.add_tag("t" + std::to_string(rng() % 3));
    if (rng() % 3 == 0)
      e.add_attribute("a" + std::to_string(rng() % 3), "v" + std::to_string(rng() % 2));
    if (rng() % 4 == 0)
      e.set_description("d" + std::to_string(rng() % 2));
    if (rng() % 2)
      e.set_ttl(static_cast<float>(rng() % 100));
    e.SetTimeMicros(static_cast<int64_t>(rng() % 100) * kSec / 2);
    ASSERT_TRUE(index.Upsert(e, 0));
    reference[{e.host(), e.service()}] = e;
  }
  ASSERT_EQ(index.size(), reference.size());
  for (const char* text : {"true", R"(state = "ok")", "metric > 50", "metric = 5", "metric = 5.0",
                           R"(tagged "t1")", R"(a1 = "v0")", "a2", R"(description = "d1" or tags)",
                           "ttl < 50 and time >= 10", R"(host =~ "h1%" and not service ~= "^s1")",
                           "time = 1.5", "ttl = nil", R"(description != nil and a0 = nil)"}) {
    EventQuery q = Q(text);
    size_t expected = 0;
    for (const auto& [key, e] : reference)
      expected += q.Matches(e) ? 1 : 0;
    size_t got = 0;
    index.Search(q, [&](const Event& e) {
      ++got;
      EXPECT_TRUE(q.Matches(e)) << text;
    });
    EXPECT_EQ(got, expected) << text;
  }
}

// Random upserts, deletes and reaps against a reference model.
TEST(EventIndexTest, RandomizedAgainstReference) {
  std::mt19937_64 rng(11);
  IndexOptions o;
  o.default_ttl_seconds = 30;
  EventIndex index(o);
  struct Ref {
    Event e;
    int64_t time;
    double ttl;
  };
  std::map<std::pair<std::string, std::string>, Ref> ref;
  int64_t now = 1'000 * kSec;
  size_t expired_total = 0;
  for (int step = 0; step < 20000; ++step) {
    int op = static_cast<int>(rng() % 10);
    std::string h = "h" + std::to_string(rng() % 30);
    std::string s = "s" + std::to_string(rng() % 30);
    if (op < 6) {
      Event e = Ev(h, s, rng() % 2 ? "ok" : "warn" + std::to_string(rng() % 5));
      if (rng() % 2)
        e.set_ttl(static_cast<float>(rng() % 120));
      if (rng() % 4 == 0)
        e.add_attribute("k", std::to_string(rng() % 3));
      ASSERT_TRUE(index.Upsert(e, now));
      double ttl = e.Has(Event::kTtl) ? e.ttl() : 30.0;
      ref[{h, s}] = Ref{e, now, ttl};
    } else if (op == 6) {
      bool removed = index.Delete({h, s});
      EXPECT_EQ(removed, ref.erase({h, s}) == 1);
    } else if (op == 7) {
      now += static_cast<int64_t>(rng() % (20 * kSec));
      auto expired = index.Expire(now);
      size_t want = 0;
      for (auto it = ref.begin(); it != ref.end();) {
        if (it->second.ttl < static_cast<double>(now - it->second.time) / 1e6) {
          ++want;
          it = ref.erase(it);
        } else {
          ++it;
        }
      }
      ASSERT_EQ(expired.size(), want) << "step " << step;
      for (const Event& x : expired) {
        EXPECT_EQ(x.state(), "expired");
        EXPECT_EQ(ref.count({x.host(), x.service()}), 0u);
      }
      expired_total += want;
    } else {
      auto got = index.Lookup({h, s});
      auto it = ref.find({h, s});
      ASSERT_EQ(got.has_value(), it != ref.end()) << "step " << step;
      if (got) {
        EXPECT_EQ(got->state(), it->second.e.state());
        EXPECT_EQ(*got->GetTimeMicros(), it->second.time);
        EXPECT_EQ(got->attributes(), it->second.e.attributes());
      }
    }
    ASSERT_EQ(index.size(), ref.size());
  }
  EXPECT_GT(expired_total, 100u);
  index.Clear();
  EXPECT_EQ(index.size(), 0u);
  EXPECT_FALSE(index.Lookup({"h1", "s1"}));
}

std::string Snapshot(const EventIndex& index) {
  std::string out;
  auto r = index.SaveSnapshot([&](std::string_view chunk) -> Result<void> {
    out.append(chunk);
    return {};
  });
  EXPECT_TRUE(r);
  return out;
}

TEST(EventIndexTest, SnapshotRoundTrip) {
  EventIndex index;
  for (int i = 0; i < 2500; ++i) {
    Event e = Ev("h" + std::to_string(i % 7), "s" + std::to_string(i));
    e.SetMetric(Metric::Int(i));
    if (i % 3 == 0)
      e.add_tag("x");
    if (i % 5 == 0)
      e.set_ttl(5);
    ASSERT_TRUE(index.Upsert(e, 100 * kSec));
  }
  std::string snap = Snapshot(index);
  EXPECT_TRUE(snap.starts_with("VIGIEIX1"));
  EventIndex restored;
  auto n = restored.LoadSnapshot(snap, 200 * kSec);
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_EQ(*n, 2500u);
  ASSERT_EQ(restored.size(), 2500u);
  for (int i = 0; i < 2500; i += 97) {
    std::string host = "h" + std::to_string(i % 7);
    std::string service = "s" + std::to_string(i);
    auto a = index.Lookup({host, service});
    auto b = restored.Lookup({host, service});
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b);
  }
  // Restored events keep their original times, so they expire on schedule.
  EXPECT_EQ(restored.Expire(106 * kSec).size(), 500u);
  EXPECT_EQ(restored.Expire(161 * kSec).size(), 2000u);
}

TEST(EventIndexTest, SnapshotErrors) {
  EventIndex index;
  ASSERT_TRUE(index.Upsert(Ev("h", "s"), 0));
  std::string snap = Snapshot(index);
  EventIndex other;
  EXPECT_FALSE(other.LoadSnapshot("NOTASNAP", 0));
  // Every truncation fails: there is always the end marker to miss.
  for (size_t n = 8; n < snap.size(); ++n) {
    EventIndex fresh;
    auto r = fresh.LoadSnapshot(std::string_view(snap).substr(0, n), 0);
    ASSERT_FALSE(r) << n;
    EXPECT_NE(r.error().ToString().find("snapshot"), std::string::npos);
  }
  std::string corrupt = snap;
  corrupt[12] = '\x0f';  // field 1 with wire type 7 opens the first Msg
  EXPECT_FALSE(other.LoadSnapshot(corrupt, 0));
  EXPECT_FALSE(other.LoadSnapshot(snap + "x", 0));
  // A failing writer stops the save with its error.
  auto r = index.SaveSnapshot(
      [](std::string_view) -> Result<void> { return Error(Errc::kIo, "disk full"); });
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kIo);
}

TEST(EventIndexTest, MemoryUsageTracksContent) {
  EventIndex index;
  size_t empty = index.MemoryUsage();
  for (int i = 0; i < 1000; ++i) {
    Event e = Ev("h", "service number " + std::to_string(i) + " with a long name");
    e.add_attribute("x-client", "riemann-c-client");
    ASSERT_TRUE(index.Upsert(e, 0));
  }
  EXPECT_GT(index.MemoryUsage(), empty + 1000 * (56 + 30));
  index.Clear();
  EXPECT_LT(index.MemoryUsage(), empty + 1024);
}

// Riemann has no bound but memory, and max_events alone let 10,000,000
// events of a megabyte each in: the index is bounded by bytes as well, and
// makes room by evicting the events due to expire soonest (the reaper's
// order), not the oldest written. The event just written is never the one
// evicted; an event that never expires goes last.
TEST(EventIndexTest, ByteBudgetEvictsTheEventsDueSoonest) {
  IndexOptions o;
  o.max_bytes = 1u << 20;
  EventIndex index(o);
  const std::string big(64 * 1024, 'd');
  Event forever = Ev("h", "forever");
  forever.set_description(big);
  forever.set_ttl(std::numeric_limits<float>::quiet_NaN());
  ASSERT_TRUE(index.Upsert(forever, 0));
  for (int i = 0; i < 100; ++i) {
    Event e = Ev("h", "s" + std::to_string(i));
    e.set_description(big);
    e.set_ttl(static_cast<float>(1000 - i));  // each new event is due sooner
    ASSERT_TRUE(index.Upsert(e, 0));
    ASSERT_LE(index.bytes(), o.max_bytes) << "after event " << i;
  }
  EXPECT_LE(index.MemoryUsage(), 2 * o.max_bytes);
  size_t kept = index.size();
  EXPECT_GE(kept, 10u);
  EXPECT_LE(kept, 16u);
  EXPECT_EQ(index.evictions(), 101 - kept);
  EXPECT_TRUE(index.Lookup({"h", "forever"}));
  EXPECT_TRUE(index.Lookup({"h", "s99"}));  // just written
  // The survivors are those due last: s0, s1, ... (ttl 1000, 999, ...).
  for (size_t i = 0; i + 2 < kept; ++i) {
    EXPECT_TRUE(index.Lookup({"h", "s" + std::to_string(i)})) << i;
  }
  EXPECT_FALSE(index.Lookup({"h", "s98"}));
}

TEST(EventIndexTest, AnEventOverTheWholeBudgetIsRefused) {
  IndexOptions o;
  o.max_bytes = 64 * 1024;
  EventIndex index(o);
  ASSERT_TRUE(index.Upsert(Ev("h", "small"), 0));
  Event e = Ev("h", "huge");
  e.set_description(std::string(100 * 1024, 'x'));
  auto r = index.Upsert(e, 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kLimitExceeded);
  EXPECT_NE(r.error().ToString().find("65536"), std::string::npos) << r.error().ToString();
  EXPECT_EQ(index.size(), 1u);  // nothing was evicted for it
  EXPECT_EQ(index.evictions(), 0u);
  // Replacing a small event by a huge one is refused the same way, and the
  // small one stays.
  e.set_service("small");
  EXPECT_FALSE(index.Upsert(e, 0));
  EXPECT_TRUE(index.Lookup({"h", "small"}));
}

// bytes() is kept incrementally: after replacements, deletes, reaps and
// evictions it equals what a fresh index holding the same events charges.
TEST(EventIndexTest, BytesFollowTheStoredEvents) {
  EventIndex index;
  EXPECT_EQ(index.bytes(), 0u);
  for (int i = 0; i < 100; ++i) {
    Event e =
        Ev("host-" + std::to_string(i % 7), "a long service name number " + std::to_string(i));
    e.set_description(std::string(1000, 'x'));
    e.add_attribute("x-client", "riemann-c-client");
    e.set_ttl(static_cast<float>(10 + i));
    ASSERT_TRUE(index.Upsert(e, 0));
  }
  size_t full = index.bytes();
  EXPECT_GT(full, 100u * 1000);
  EXPECT_LT(full, 100u * 1300);
  // Replace each by a smaller event: the charge falls to a fresh index's.
  EventIndex fresh;
  for (int i = 0; i < 100; ++i) {
    Event e =
        Ev("host-" + std::to_string(i % 7), "a long service name number " + std::to_string(i));
    e.set_ttl(static_cast<float>(10 + i));
    ASSERT_TRUE(index.Upsert(e, 0));
    ASSERT_TRUE(fresh.Upsert(e, 0));
  }
  EXPECT_EQ(index.bytes(), fresh.bytes());
  EXPECT_LT(index.bytes(), full / 5);
  EXPECT_TRUE(index.Delete({"host-0", "a long service name number 0"}));
  EXPECT_TRUE(fresh.Delete({"host-0", "a long service name number 0"}));
  EXPECT_EQ(index.bytes(), fresh.bytes());
  EXPECT_EQ(index.Expire(60 * kSec).size(), fresh.Expire(60 * kSec).size());
  EXPECT_EQ(index.bytes(), fresh.bytes());
  EXPECT_EQ(index.Expire(1000 * kSec).size(), 50u);
  EXPECT_EQ(index.bytes(), 0u);
  EXPECT_EQ(index.evictions(), 0u);  // the default budget was never reached
  fresh.Clear();
  EXPECT_EQ(fresh.bytes(), 0u);
}

TEST(EventIndexTest, SearchWhileStopsWhenTheCallerSaysSo) {
  EventIndex index;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(index.Upsert(Ev("h", std::to_string(i)), 0));
  }
  size_t calls = 0;
  EXPECT_FALSE(index.SearchWhile(Q("true"), [&](const Event&) { return ++calls < 10; }));
  EXPECT_EQ(calls, 10u);
  calls = 0;
  EXPECT_TRUE(index.SearchWhile(Q("true"), [&](const Event&) { return ++calls > 0; }));
  EXPECT_EQ(calls, 100u);
}

}  // namespace
}  // namespace vigie::events
