// Micro-benchmarks for the query pipeline without I/O: HandleQuery on cache
// hits and on blocked names (1000 names each, as bench/dns/run sends them,
// no EDNS, Handled objects reused 32 at a time as UdpLoop does), and
// TopNames::Add for the blocked names (what the server does after a block).
// The user-space part of a query's cost, without the kernel's; build
// Release.
#include <array>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/dns/builders.h"
#include "core/dns/writer.h"
#include "dns/server/answer.h"
#include "dns/stats/top_names.h"

namespace vigie::dns {
namespace {

constexpr int kNames = 1000;

std::vector<std::byte> QueryWire(const std::string& name, uint16_t id) {
  Message q;
  q.header.id = id;
  q.header.rd = true;
  q.questions.push_back({*Name::FromText(name), rr_type::kA, rr_class::kIn});
  std::vector<std::byte> out;
  Encode(q, &out);
  return out;
}

struct Fixture {
  Fixture() {
    auto config = std::make_shared<DnsConfig>();
    config->clients = {*Cidr::Parse("127.0.0.0/8")};
    PolicyBuilder b;
    const uint16_t list = b.AddList({"synthetic", "/tmp/synthetic.hosts"});
    std::string text;
    for (int i = 1; i <= kNames; ++i) {
      text += "0.0.0.0 b" + std::to_string(i) + ".blocked.test\n";
    }
    b.AddListText(list, text);
    snap = Snapshot{config, std::make_shared<const Policy>(std::move(b).Build())};
    for (int i = 1; i <= kNames; ++i) {
      const std::string hit = "h" + std::to_string(i) + ".vigie.test";
      Message q;
      q.questions.push_back({*Name::FromText(hit), rr_type::kA, rr_class::kIn});
      Message r = ResponseTo(q);
      r.header.aa = true;
      r.answers.push_back(
          MakeA(*Name::FromText(hit), 86400,
                {127, 0, static_cast<uint8_t>(i / 256), static_cast<uint8_t>(i % 256)}));
      cache.Insert(*CacheableSubset(r), now);
      hits.push_back(QueryWire(hit, static_cast<uint16_t>(i)));
      blocked_names.push_back("b" + std::to_string(i) + ".blocked.test");
      blocked.push_back(QueryWire(blocked_names.back(), static_cast<uint16_t>(i)));
    }
  }
  Snapshot snap;
  ShardedCache cache;
  CacheTime now = CacheTime{} + std::chrono::hours(1);
  std::vector<std::vector<std::byte>> hits;
  std::vector<std::vector<std::byte>> blocked;
  std::vector<std::string> blocked_names;
};

Fixture& Shared() {
  static Fixture f;
  return f;
}

void Run(benchmark::State& state, const std::vector<std::vector<std::byte>>& queries,
         QueryResult want) {
  Fixture& f = Shared();
  const IpAddress client = *IpAddress::Parse("127.0.0.1");
  std::array<Handled, 32> handled;
  size_t i = 0;
  for (auto _ : state) {
    Handled& h = handled[i % handled.size()];
    HandleQuery(queries[i % queries.size()], client, false, f.snap, &f.cache, f.now, &h);
    if (h.result != want) {
      state.SkipWithError("unexpected result");
      break;
    }
    benchmark::DoNotOptimize(h.reply.data());
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_HandleQueryCacheHit(benchmark::State& state) {
  Run(state, Shared().hits, QueryResult::kCached);
}
BENCHMARK(BM_HandleQueryCacheHit);

void BM_HandleQueryBlocked(benchmark::State& state) {
  Run(state, Shared().blocked, QueryResult::kBlocked);
}
BENCHMARK(BM_HandleQueryBlocked);

void BM_TopNamesAddBlocked(benchmark::State& state) {
  const auto& names = Shared().blocked_names;
  TopNames top(1000);
  size_t i = 0;
  for (auto _ : state) {
    top.Add(names[i % names.size()]);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TopNamesAddBlocked);

}  // namespace
}  // namespace vigie::dns
