// The Stream base class, what the nodes share (IsExpired, FieldText), and
// the builder: a StreamSpec's kind and parameters to the node factories of
// nodes.h, each spec's parameters read by SpecReader (spec_reader.h).
#include "events/stream/stream.h"

#include <cmath>
#include <string_view>
#include <utility>

#include "events/query/query.h"
#include "events/stream/nodes.h"
#include "events/stream/spec_reader.h"

namespace vigie::events {

void Stream::PushBatch(std::span<const Event> events, int64_t now) {
  for (const Event& e : events)
    Push(e, now);
}

void Stream::Tick(int64_t now) {
  for (auto& c : children_)
    c->Tick(now);
}

bool IsExpired(const Event& e, int64_t now, double default_ttl_seconds) {
  if (e.Has(Event::kState) && e.state() == "expired")
    return true;
  auto t = e.GetTimeMicros();
  if (!t)
    return false;
  double ttl = e.Has(Event::kTtl) ? e.ttl() : default_ttl_seconds;
  return static_cast<double>(now - *t) / 1e6 > ttl;
}

namespace internal {

// A field's value as text for keys (by, changed_state, stable); nil is "\0".
std::string FieldText(const Event& e, const std::string& field) {
  EventFieldSource src(e);
  QueryValue v = src.Get(FieldIdFromName(field), field);
  switch (v.kind) {
    case QueryValue::Kind::kNil:
      return std::string(1, '\0');
    case QueryValue::Kind::kString:
      return "s" + std::string(v.s);
    case QueryValue::Kind::kInt:
      return "i" + std::to_string(v.i);
    case QueryValue::Kind::kDouble:
      return "d" + std::to_string(v.d);
    case QueryValue::Kind::kBool:
      return v.b ? "t" : "f";
    case QueryValue::Kind::kTags: {
      std::string s = "g";
      for (const auto& t : e.tags())
        s += t + '\0';
      return s;
    }
  }
  return {};
}

namespace {

int64_t Micros(double seconds) {
  return static_cast<int64_t>(std::llround(seconds * 1e6));
}

constexpr size_t kDefaultMaxKeys = 100'000;

Result<std::unique_ptr<Stream>> BuildNode(const StreamSpec& spec, const SinkLookup& sinks,
                                          std::string_view where) {
  SpecReader r(spec, where);
  const std::string& k = spec.kind;
  if (k == "where") {
    VIGIE_ASSIGN_OR_RETURN(std::string text, r.Str("query"));
    auto q = ParseQuery(text);
    if (!q)
      return r.Fail("query", q.error().ToString());
    return MakeWhere(std::move(*q));
  }
  if (k == "split") {
    std::vector<std::optional<EventQuery>> queries;
    for (size_t i = 0; i < spec.children.size(); ++i) {
      const StreamSpec& c = spec.children[i];
      auto it = c.params.find("when");
      if (it == c.params.end()) {
        if (i + 1 != spec.children.size()) {
          return r.Fail("when", "only the last child may omit `when`");
        }
        queries.emplace_back();
        continue;
      }
      if (it->second.size() != 1)
        return r.Fail("when", "expected one query");
      auto q = ParseQuery(it->second[0]);
      if (!q)
        return r.Fail("when", q.error().ToString());
      queries.emplace_back(std::move(*q));
    }
    return MakeSplit(std::move(queries));
  }
  if (k == "by") {
    VIGIE_ASSIGN_OR_RETURN(auto fields, r.List("fields"));
    VIGIE_ASSIGN_OR_RETURN(double max_keys, r.Num("max_keys", kDefaultMaxKeys, true));
    return MakeBy(std::move(fields), static_cast<size_t>(max_keys), spec.children, sinks);
  }
  if (k == "default" || k == "with") {
    VIGIE_ASSIGN_OR_RETURN(FieldSettings f, r.Settings());
    return MakeSetFields(std::move(f), k == "default");
  }
  if (k == "tagged") {
    VIGIE_ASSIGN_OR_RETURN(auto tags, r.List("tags"));
    VIGIE_ASSIGN_OR_RETURN(std::string mode, r.Str("mode", "all"));
    if (mode != "all" && mode != "any")
      return r.Fail("mode", "expected all or any");
    return MakeTagged(std::move(tags), mode == "all");
  }
  if (k == "expired" || k == "not_expired") {
    VIGIE_ASSIGN_OR_RETURN(double ttl, r.Num("default_ttl", 60.0, true));
    return MakeExpiredFilter(k == "expired", ttl);
  }
  if (k == "rate") {
    VIGIE_ASSIGN_OR_RETURN(double interval, r.Num("interval", std::nullopt, true));
    return MakeRate(Micros(interval));
  }
  if (k == "percentiles") {
    VIGIE_ASSIGN_OR_RETURN(double interval, r.Num("interval", std::nullopt, true));
    VIGIE_ASSIGN_OR_RETURN(auto texts, r.List("points"));
    std::vector<double> points;
    for (const auto& t : texts) {
      VIGIE_ASSIGN_OR_RETURN(double p, r.ParseNum("points", t, false));
      if (p < 0 || p > 1)
        return r.Fail("points", "expected numbers in [0, 1], got " + t);
      points.push_back(p);
    }
    return MakePercentiles(Micros(interval), std::move(points));
  }
  if (k == "coalesce") {
    VIGIE_ASSIGN_OR_RETURN(double dt, r.Num("dt", 1.0, true));
    VIGIE_ASSIGN_OR_RETURN(double ttl, r.Num("default_ttl", 60.0, true));
    VIGIE_ASSIGN_OR_RETURN(double max_keys, r.Num("max_keys", kDefaultMaxKeys, true));
    return MakeCoalesce(Micros(dt), ttl, static_cast<size_t>(max_keys));
  }
  if (k == "changed_state") {
    VIGIE_ASSIGN_OR_RETURN(std::string init, r.Str("init", "ok"));
    VIGIE_ASSIGN_OR_RETURN(double max_keys, r.Num("max_keys", kDefaultMaxKeys, true));
    return MakeChangedState(std::move(init), static_cast<size_t>(max_keys));
  }
  if (k == "throttle" || k == "rollup") {
    VIGIE_ASSIGN_OR_RETURN(double n, r.Num("n", std::nullopt, true));
    VIGIE_ASSIGN_OR_RETURN(double dt, r.Num("dt", std::nullopt, true));
    return MakeThrottle(static_cast<size_t>(n), Micros(dt), k == "rollup");
  }
  if (k == "moving_time_window" || k == "fixed_time_window") {
    VIGIE_ASSIGN_OR_RETURN(double dt, r.Num("dt", std::nullopt, true));
    if (k == "moving_time_window")
      return MakeMovingTimeWindow(Micros(dt));
    return MakeFixedTimeWindow(Micros(dt));
  }
  if (k == "stable") {
    VIGIE_ASSIGN_OR_RETURN(double dt, r.Num("dt", std::nullopt, true));
    VIGIE_ASSIGN_OR_RETURN(std::string field, r.Str("field", "state"));
    return MakeStable(Micros(dt), std::move(field));
  }
  if (k == "sum")
    return MakeFold(FoldKind::kSum);
  if (k == "mean")
    return MakeFold(FoldKind::kMean);
  if (k == "min")
    return MakeFold(FoldKind::kMin);
  if (k == "max")
    return MakeFold(FoldKind::kMax);
  if (k == "count")
    return MakeFold(FoldKind::kCount);
  if (k == "scale") {
    VIGIE_ASSIGN_OR_RETURN(double f, r.Num("factor"));
    return MakeArith(f, 0);
  }
  if (k == "adjust") {
    VIGIE_ASSIGN_OR_RETURN(double add, r.Num("add"));
    return MakeArith(1, add);
  }
  if (k == "sink") {
    VIGIE_ASSIGN_OR_RETURN(std::string name, r.Str("name"));
    StreamSink* sink = sinks ? sinks(name) : nullptr;
    if (sink == nullptr)
      return r.Fail("name", "no sink named \"" + name + "\"");
    return MakeSinkNode(sink);
  }
  if (k == "sdo" || k == "stream")
    return MakePassthrough();
  return r.Fail("", "unknown stream kind");
}

Result<std::unique_ptr<Stream>> Build(const StreamSpec& spec, const SinkLookup& sinks, int depth,
                                      std::string_view inherited_where) {
  std::string_view where = spec.where.empty() ? inherited_where : std::string_view(spec.where);
  if (depth > 64)
    return SpecReader(spec, where).Fail("", "streams nested deeper than 64");
  VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<Stream> node, BuildNode(spec, sinks, where));
  if (spec.kind == "by") {
    // Children are built per key on demand; validate them once now.
    for (const StreamSpec& c : spec.children)
      VIGIE_TRY(Build(c, sinks, depth + 1, where));
    return node;
  }
  for (const StreamSpec& c : spec.children) {
    VIGIE_ASSIGN_OR_RETURN(std::unique_ptr<Stream> child, Build(c, sinks, depth + 1, where));
    node->AddChild(std::move(child));
  }
  return node;
}

}  // namespace
}  // namespace internal

Result<std::unique_ptr<Stream>> BuildStream(const StreamSpec& spec, const SinkLookup& sinks) {
  return internal::Build(spec, sinks, 0, {});
}

}  // namespace vigie::events
