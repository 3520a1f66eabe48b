// Index benchmarks: memory per event and upsert rate at 1,000,000 distinct
// keys (the design goal is <= 200 bytes/event), refresh rate, expiry and a
// full scan. Memory is measured as the process RSS delta, and also reported
// as the index's own accounting.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <malloc.h>

#include "events/index/index.h"
#include "events/proto/codec.h"

namespace vigie::events {
namespace {

constexpr int64_t kSec = 1'000'000;

size_t RssBytes() {
  std::ifstream in("/proc/self/statm");
  size_t pages = 0, resident = 0;
  in >> pages >> resident;
  return resident * 4096;
}

// Riemann-c-client shaped events: host, service, state, metric, ttl and the
// x-client attribute the client adds.
std::vector<Event> MakeEvents(size_t n, size_t hosts, bool with_attribute) {
  std::vector<Event> events;
  events.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Event e;
    e.set_host("host-" + std::to_string(i % hosts) + ".example.com");
    e.set_service("service " + std::to_string(i / hosts));
    e.set_state(i % 10 == 0 ? "warning" : "ok");
    e.set_metric_d(static_cast<double>(i) * 0.5);
    e.set_ttl(60);
    if (with_attribute)
      e.add_attribute("x-client", "riemann-c-client");
    events.push_back(std::move(e));
  }
  return events;
}

void Fill(benchmark::State& state, size_t hosts, bool with_attribute) {
  const size_t n = static_cast<size_t>(state.range(0));
  std::vector<Event> events = MakeEvents(n, hosts, with_attribute);
  malloc_trim(0);
  for (auto _ : state) {
    size_t before = RssBytes();
    auto t0 = std::chrono::steady_clock::now();
    auto* index = new EventIndex();
    for (const Event& e : events) {
      if (!index->Upsert(e, 1000 * kSec))
        state.SkipWithError("upsert failed");
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    size_t after = RssBytes();
    state.counters["rss_bytes_per_event"] =
        static_cast<double>(after - before) / static_cast<double>(n);
    state.counters["accounted_bytes_per_event"] =
        static_cast<double>(index->MemoryUsage()) / static_cast<double>(n);
    state.counters["upserts_per_s"] = static_cast<double>(n) / secs;
    // Refresh every key (the steady state of a live index).
    t0 = std::chrono::steady_clock::now();
    for (const Event& e : events) {
      if (!index->Upsert(e, 1001 * kSec))
        state.SkipWithError("upsert failed");
    }
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.counters["refreshes_per_s"] = static_cast<double>(n) / secs;
    // A full scan with a query that touches the attribute blob.
    auto q = ParseQuery(R"(state = "warning" and x-client = "riemann-c-client")");
    t0 = std::chrono::steady_clock::now();
    size_t matched = 0;
    index->Search(*q, [&](const Event&) { ++matched; });
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.counters["scan_events_per_s"] = static_cast<double>(n) / secs;
    benchmark::DoNotOptimize(matched);
    // Expire everything.
    t0 = std::chrono::steady_clock::now();
    auto expired = index->Expire(2000 * kSec);
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.counters["expired_per_s"] = static_cast<double>(expired.size()) / secs;
    delete index;
    // Give freed memory back so the next benchmark's RSS delta is honest.
    malloc_trim(0);
  }
}

// 1000 hosts x 1000 services.
void BM_Index1MKeys1000Hosts(benchmark::State& state) {
  Fill(state, 1000, true);
}
BENCHMARK(BM_Index1MKeys1000Hosts)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

// Worst case for interning: 10 hosts x 100,000 services.
void BM_Index1MKeys10Hosts(benchmark::State& state) {
  Fill(state, 10, true);
}
BENCHMARK(BM_Index1MKeys10Hosts)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

// Without the x-client attribute (no extras blob).
void BM_Index1MKeysNoAttribute(benchmark::State& state) {
  Fill(state, 1000, false);
}
BENCHMARK(BM_Index1MKeysNoAttribute)->Arg(1'000'000)->Iterations(1)->Unit(benchmark::kMillisecond);

// The ingest hot path: decode a 100-event frame (reusing one Msg) and upsert
// every event into an index of 100,000 keys that the traffic keeps refreshing.
void BM_DecodeAndIndex100EventMessages(benchmark::State& state) {
  std::vector<Event> events = MakeEvents(100'000, 1000, true);
  std::vector<std::string> frames;
  for (size_t i = 0; i < events.size(); i += 100) {
    Msg m;
    m.events.assign(events.begin() + static_cast<std::ptrdiff_t>(i),
                    events.begin() + static_cast<std::ptrdiff_t>(i + 100));
    std::string wire;
    EncodeMsg(m, wire);
    frames.push_back(std::move(wire));
  }
  EventIndex index;
  Msg msg;
  size_t next = 0;
  int64_t now = 1000 * kSec;
  for (auto _ : state) {
    const std::string& f = frames[next];
    next = (next + 1) % frames.size();
    std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(f.data()), f.size());
    if (!DecodeMsgInto(bytes, {}, msg))
      state.SkipWithError("decode failed");
    for (const Event& e : msg.events) {
      if (!index.Upsert(e, now))
        state.SkipWithError("upsert failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_DecodeAndIndex100EventMessages);

}  // namespace
}  // namespace vigie::events
