// Pure stream processing nodes after riemann.streams: filters, per-key
// forks, rates, windows, folds and transforms, composed as a tree and built
// from a config-neutral description (StreamSpec). Nodes never read a clock:
// `now` (unix microseconds) is passed to Push and Tick; windows that Riemann
// drives by event time use the events' times.
//
// Thread rules: a stream tree is owned and driven by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "events/proto/event.h"

namespace vigie::events {

// A node. Events flow down with Push (one event) or PushBatch (a window or
// coalesce vector); nodes that emit on a schedule do so from Tick.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual void Push(const Event& e, int64_t now) = 0;
  // Default: each event of the batch separately. Folds override it.
  virtual void PushBatch(std::span<const Event> events, int64_t now);
  // Time passes: emit what is due. Default: forward to children.
  virtual void Tick(int64_t now);

  void AddChild(std::unique_ptr<Stream> child) { children_.push_back(std::move(child)); }

 protected:
  void Emit(const Event& e, int64_t now) {
    for (auto& c : children_)
      c->Push(e, now);
  }
  void EmitBatch(std::span<const Event> events, int64_t now) {
    for (auto& c : children_)
      c->PushBatch(events, now);
  }
  std::vector<std::unique_ptr<Stream>> children_;
};

// A terminal the server provides (index, graphite, forward, log ...).
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual void Accept(const Event& e, int64_t now) = 0;
};

// A config-neutral description of a stream tree. Every parameter is a list
// of scalars written as text (a YAML scalar is a one-element list).
//
// kind         params                                    children
// where        query                                     matching events
// split        -                                         each child has param
//                                                        `when` (query) except a
//                                                        last default child
// by           fields (host, service, state, any attr)   one copy per key
//              max_keys (default 100000)
// default      host service state description ttl metric (set if absent)
// with         same fields                               (set always)
// tagged       tags, mode (all | any; default all)
// expired / not_expired   default_ttl (default 60)
// rate         interval (s)                              sum(metric)/interval
// percentiles  interval (s), points (e.g. 0.5 0.95 1)    one event per point
// coalesce     dt (s, default 1), default_ttl            batch of latest
// changed_state  init (default "ok")                     per host/service
// throttle     n, dt (s)                                 drop the excess
// rollup       n, dt (s)                                 excess as a batch
// moving_time_window  dt (s)                             batch per event
// fixed_time_window   dt (s)                             batch per window
// stable       dt (s), field (default state)             anti-flap
// sum mean min max count                                 folds: batch -> event
// scale        factor                                    metric * factor
// adjust       add                                       metric + add
// sink         name                                      a StreamSink
struct StreamSpec {
  std::string kind;
  std::map<std::string, std::vector<std::string>> params;
  std::vector<StreamSpec> children;
  std::string where;  // where this spec came from ("vigie.yaml:12"), for errors
};

// Resolves `sink` names.
using SinkLookup = std::function<StreamSink*(const std::string& name)>;

// Builds the tree. Errors (Errc::kInvalidArgument) name the spec's `where`,
// the kind and the parameter: `vigie.yaml:12: rate: interval: expected a
// positive number, got "x"`.
[[nodiscard]] Result<std::unique_ptr<Stream>> BuildStream(const StreamSpec& spec,
                                                          const SinkLookup& sinks);

// Riemann's `expired?`: state "expired", or now - time > ttl (ttl defaults
// to default_ttl_seconds).
bool IsExpired(const Event& e, int64_t now, double default_ttl_seconds = 60);

}  // namespace vigie::events
