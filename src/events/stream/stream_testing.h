// Test helpers shared by the stream tests (test-only; not part of any
// library): specs written inline, a collecting sink, a built tree.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "events/stream/stream.h"

namespace vigie::events::stream_testing {

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
inline StreamSpec Spec(std::string kind,
                       std::vector<std::pair<std::string, std::vector<std::string>>> params,
                       std::vector<StreamSpec> children = {}) {
  StreamSpec s;
  s.kind = std::move(kind);
  for (auto& [k, v] : params)
    s.params[k] = v;
  s.children = std::move(children);
  return s;
}

inline StreamSpec Out() {
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

inline Event Ev(std::string host, std::string service, std::string state = "ok",
                std::optional<double> metric = std::nullopt,
                std::optional<int64_t> time = std::nullopt) {
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

}  // namespace vigie::events::stream_testing
