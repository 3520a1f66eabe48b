// Internal to events/stream: the stream nodes, made by factories that the
// builder (stream.cc) calls with parameters it has already validated. Each
// family is one file:
//   filters.cc     where, split, by, tagged, expired / not_expired,
//                  changed_state, sink, sdo: events pass unchanged, or not
//   windows.cc     rate, percentiles, coalesce, throttle / rollup,
//                  moving_time_window, fixed_time_window, stable: time-driven
//   transforms.cc  default / with, scale / adjust, the folds (sum mean min
//                  max count): events changed or combined
// Each node is small and keeps bounded state (per-key maps are capped by
// max_keys; windows by their time span).
//
// Thread rules: as stream.h (a tree is owned and driven by one thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "events/proto/event.h"
#include "events/query/query.h"
#include "events/stream/stream.h"

namespace vigie::events::internal {

// A field's value as text for keys (by, changed_state, stable); nil is "\0".
// In stream.cc.
std::string FieldText(const Event& e, const std::string& field);

// filters.cc ---------------------------------------------------------------

// sdo, stream: every event to every child.
std::unique_ptr<Stream> MakePassthrough();
std::unique_ptr<Stream> MakeWhere(EventQuery q);
// queries[i] routes to child i; a missing query is the default.
std::unique_ptr<Stream> MakeSplit(std::vector<std::optional<EventQuery>> queries);
// Builds `child_specs` for each new key on demand (at most max_keys keys).
std::unique_ptr<Stream> MakeBy(std::vector<std::string> fields, size_t max_keys,
                               std::vector<StreamSpec> child_specs, SinkLookup sinks);
std::unique_ptr<Stream> MakeTagged(std::vector<std::string> tags, bool all);
std::unique_ptr<Stream> MakeExpiredFilter(bool want_expired, double default_ttl);
std::unique_ptr<Stream> MakeChangedState(std::string init, size_t max_keys);
// Hands each event to `sink`, then to the children.
std::unique_ptr<Stream> MakeSinkNode(StreamSink* sink);

// windows.cc (times in microseconds) ---------------------------------------

std::unique_ptr<Stream> MakeRate(int64_t interval);
std::unique_ptr<Stream> MakePercentiles(int64_t interval, std::vector<double> points);
std::unique_ptr<Stream> MakeCoalesce(int64_t dt, double default_ttl, size_t max_keys);
// rollup: the excess of a window goes out as one batch at the next one.
std::unique_ptr<Stream> MakeThrottle(size_t n, int64_t dt, bool rollup);
std::unique_ptr<Stream> MakeMovingTimeWindow(int64_t dt);
std::unique_ptr<Stream> MakeFixedTimeWindow(int64_t dt);
std::unique_ptr<Stream> MakeStable(int64_t dt, std::string field);

// transforms.cc ------------------------------------------------------------

// default / with: the fields to set.
struct FieldSettings {
  std::optional<std::string> host, service, state, description;
  std::optional<float> ttl;
  std::optional<Metric> metric;
};

std::unique_ptr<Stream> MakeSetFields(FieldSettings s, bool only_if_absent);

enum class FoldKind { kSum, kMean, kMin, kMax, kCount };

std::unique_ptr<Stream> MakeFold(FoldKind k);
// metric * factor + add (an integer metric stays one for scale 1 and an
// integral add).
std::unique_ptr<Stream> MakeArith(double factor, double add);

}  // namespace vigie::events::internal
