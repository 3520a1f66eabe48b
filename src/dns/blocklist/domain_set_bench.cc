// Micro-benchmarks for DomainSet: building 1 M synthetic names (the scale of
// big real lists), parsing a 1 M-line hosts list into a Policy, and Match.
// Reports time, octets per name from the set's own accounting, and the RSS
// growth measured from /proc/self/statm (a benchmark-only reading).
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <unistd.h>

#include "dns/blocklist/domain_set.h"
#include "dns/blocklist/policy.h"

namespace vigie::dns {
namespace {

// 1-3 random labels of 3-12 characters under 10 TLDs (average ~20
// characters), as in the research notes' unbound/dnsmasq measurement.
std::vector<std::string> SyntheticNames(size_t n) {
  static const char* const kTlds[] = {"com", "net",  "org", "io", "de",
                                      "fr",  "info", "biz", "co", "xyz"};
  std::mt19937_64 rng(42);
  std::vector<std::string> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string name;
    int labels = 1 + static_cast<int>(rng() % 3);
    for (int l = 0; l < labels; ++l) {
      int len = 3 + static_cast<int>(rng() % 10);
      for (int k = 0; k < len; ++k) {
        name.push_back(static_cast<char>('a' + rng() % 26));
      }
      name.push_back('.');
    }
    name += kTlds[rng() % 10];
    out.push_back(std::move(name));
  }
  return out;
}

long RssBytes() {
  long pages = 0;
  long rss = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &rss) != 2) {
      rss = 0;
    }
    std::fclose(f);
  }
  return rss * sysconf(_SC_PAGESIZE);
}

void BM_Build1M(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  auto names = SyntheticNames(n);
  size_t bytes = 0;
  size_t size = 0;
  long rss_delta = 0;
  for (auto _ : state) {
    long before = RssBytes();
    DomainSet::Builder b;
    for (size_t i = 0; i < names.size(); ++i) {
      b.Add(names[i], RuleScope::kExact, ListFormat::kHosts, BlockAnswer::kDefault, 0,
            static_cast<uint32_t>(i + 1));
    }
    DomainSet set = std::move(b).Build();
    rss_delta = RssBytes() - before;
    bytes = set.MemoryBytes();
    size = set.size();
    benchmark::DoNotOptimize(set);
  }
  state.counters["names"] = static_cast<double>(size);
  state.counters["bytes_per_name"] = static_cast<double>(bytes) / static_cast<double>(size);
  state.counters["rss_bytes_per_name"] = static_cast<double>(rss_delta) / static_cast<double>(size);
}
BENCHMARK(BM_Build1M)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_ParseHostsList1M(benchmark::State& state) {
  auto names = SyntheticNames(static_cast<size_t>(state.range(0)));
  std::string text = "# synthetic\n";
  for (const auto& n : names) {
    text += "0.0.0.0 " + n + "\n";
  }
  size_t size = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    PolicyBuilder b;
    b.AddListText(b.AddList({"synthetic", ""}), text);
    Policy p = std::move(b).Build();
    size = p.blocked().size();
    bytes = p.MemoryBytes();
    benchmark::DoNotOptimize(p);
  }
  state.counters["names"] = static_cast<double>(size);
  state.counters["bytes_per_name"] = static_cast<double>(bytes) / static_cast<double>(size);
}
BENCHMARK(BM_ParseHostsList1M)->Arg(1000000)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_Match(benchmark::State& state) {
  auto names = SyntheticNames(1000000);
  DomainSet::Builder b;
  for (size_t i = 0; i < names.size(); ++i) {
    b.Add(names[i], RuleScope::kSubtree, ListFormat::kAdblock, BlockAnswer::kDefault, 0,
          static_cast<uint32_t>(i + 1));
  }
  DomainSet set = std::move(b).Build();
  // Half hits below listed names, half misses.
  std::vector<std::string> queries;
  for (size_t i = 0; i < 4096; ++i) {
    queries.push_back(i % 2 == 0 ? "www.cdn." + names[i * 97]
                                 : "www.miss" + std::to_string(i) + ".example.com");
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(set.Match(queries[i++ & 4095]));
  }
}
BENCHMARK(BM_Match);

}  // namespace
}  // namespace vigie::dns
