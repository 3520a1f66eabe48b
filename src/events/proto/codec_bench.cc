// Micro-benchmarks of the Riemann codec on 100-event messages shaped like
// riemann-c-client's (host, service, state, metric, ttl, tags, x-client).
#include <string>

#include <benchmark/benchmark.h>

#include "events/proto/codec.h"
#include "events/proto/json.h"

namespace vigie::events {
namespace {

Msg HundredEvents() {
  Msg m;
  for (int i = 0; i < 100; ++i) {
    Event& e = m.events.emplace_back();
    e.set_host("host-" + std::to_string(i % 10) + ".example.com");
    e.set_service("cpu user " + std::to_string(i));
    e.set_state("ok");
    e.set_metric_d(i * 1.5);
    e.set_ttl(60);
    e.add_tag("prod");
    e.add_attribute("x-client", "riemann-c-client");
  }
  return m;
}

void BM_DecodeReusing(benchmark::State& state) {
  std::string wire;
  EncodeMsg(HundredEvents(), wire);
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(wire.data()), wire.size());
  Msg msg;
  for (auto _ : state) {
    auto r = DecodeMsgInto(bytes, {}, msg);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 100);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(wire.size()));
}
BENCHMARK(BM_DecodeReusing);

void BM_DecodeFresh(benchmark::State& state) {
  std::string wire;
  EncodeMsg(HundredEvents(), wire);
  for (auto _ : state) {
    auto r = DecodeMsg(wire);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_DecodeFresh);

void BM_Encode(benchmark::State& state) {
  Msg m = HundredEvents();
  std::string out;
  for (auto _ : state) {
    out.clear();
    EncodeMsg(m, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_Encode);

void BM_EventToJson(benchmark::State& state) {
  Msg m = HundredEvents();
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const auto& e : m.events)
      AppendEventJson(e, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_EventToJson);

}  // namespace
}  // namespace vigie::events
