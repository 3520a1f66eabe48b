// Stream nodes and the builder. Each node is small and keeps bounded state
// (per-key maps are capped by max_keys; windows by their time span).
#include "events/stream/stream.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "events/query/query.h"

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

namespace {

int64_t Micros(double seconds) {
  return static_cast<int64_t>(std::llround(seconds * 1e6));
}

double MetricOr(const Event& e, double fallback) {
  auto m = e.GetMetric();
  return m ? m->d : fallback;
}

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

// ---------------------------------------------------------------------------

class Passthrough final : public Stream {
 public:
  void Push(const Event& e, int64_t now) override { Emit(e, now); }
};

class Where final : public Stream {
 public:
  explicit Where(EventQuery q) : q_(std::move(q)) {}
  void Push(const Event& e, int64_t now) override {
    if (q_.Matches(e))
      Emit(e, now);
  }

 private:
  EventQuery q_;
};

class Split final : public Stream {
 public:
  // queries[i] routes to children_[i]; a missing query is the default.
  explicit Split(std::vector<std::optional<EventQuery>> queries) : queries_(std::move(queries)) {}
  void Push(const Event& e, int64_t now) override {
    for (size_t i = 0; i < queries_.size(); ++i) {
      if (!queries_[i] || queries_[i]->Matches(e)) {
        children_[i]->Push(e, now);
        return;
      }
    }
  }

 private:
  std::vector<std::optional<EventQuery>> queries_;
};

class By final : public Stream {
 public:
  By(std::vector<std::string> fields, size_t max_keys, std::vector<StreamSpec> child_specs,
     SinkLookup sinks)
      : fields_(std::move(fields)),
        max_keys_(max_keys),
        child_specs_(std::move(child_specs)),
        sinks_(std::move(sinks)) {}

  void Push(const Event& e, int64_t now) override {
    std::string key;
    for (const auto& f : fields_) {
      key += FieldText(e, f);
      key.push_back('\x1f');
    }
    auto it = forks_.find(key);
    if (it == forks_.end()) {
      if (forks_.size() >= max_keys_)
        return;  // bounded: new keys are dropped
      std::vector<std::unique_ptr<Stream>> fork;
      for (const StreamSpec& spec : child_specs_) {
        // Specs were validated when the tree was built.
        auto built = BuildStream(spec, sinks_);
        if (built)
          fork.push_back(std::move(*built));
      }
      it = forks_.emplace(std::move(key), std::move(fork)).first;
    }
    for (auto& c : it->second)
      c->Push(e, now);
  }

  void Tick(int64_t now) override {
    for (auto& [key, fork] : forks_) {
      for (auto& c : fork)
        c->Tick(now);
    }
  }

 private:
  std::vector<std::string> fields_;
  size_t max_keys_;
  std::vector<StreamSpec> child_specs_;
  SinkLookup sinks_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Stream>>> forks_;
};

// default / with: the fields to set.
struct FieldSettings {
  std::optional<std::string> host, service, state, description;
  std::optional<float> ttl;
  std::optional<Metric> metric;
};

class SetFields final : public Stream {
 public:
  SetFields(FieldSettings s, bool only_if_absent) : s_(std::move(s)), only_(only_if_absent) {}
  void Push(const Event& in, int64_t now) override {
    Event e = in;
    auto want = [&](Event::Field f) { return !only_ || !e.Has(f); };
    if (s_.host && want(Event::kHost))
      e.set_host(*s_.host);
    if (s_.service && want(Event::kService))
      e.set_service(*s_.service);
    if (s_.state && want(Event::kState))
      e.set_state(*s_.state);
    if (s_.description && want(Event::kDescription))
      e.set_description(*s_.description);
    if (s_.ttl && want(Event::kTtl))
      e.set_ttl(*s_.ttl);
    if (s_.metric && (!only_ || !e.GetMetric()))
      e.SetMetric(*s_.metric);
    Emit(e, now);
  }

 private:
  FieldSettings s_;
  bool only_;
};

class Tagged final : public Stream {
 public:
  Tagged(std::vector<std::string> tags, bool all) : tags_(std::move(tags)), all_(all) {}
  void Push(const Event& e, int64_t now) override {
    bool pass = all_;
    for (const auto& t : tags_) {
      bool has = e.HasTag(t);
      if (all_ && !has)
        pass = false;
      if (!all_ && has)
        pass = true;
    }
    if (pass)
      Emit(e, now);
  }

 private:
  std::vector<std::string> tags_;
  bool all_;
};

class ExpiredFilter final : public Stream {
 public:
  ExpiredFilter(bool want_expired, double default_ttl) : want_(want_expired), ttl_(default_ttl) {}
  void Push(const Event& e, int64_t now) override {
    if (IsExpired(e, now, ttl_) == want_)
      Emit(e, now);
  }

 private:
  bool want_;
  double ttl_;
};

// Wall-clock windows of `interval` starting at the first event.
class IntervalWindow {
 public:
  explicit IntervalWindow(int64_t interval) : interval_(interval) {}
  bool started() const { return start_ != kNone; }
  // Starts the first window at `now` if none is running.
  void Start(int64_t now) {
    if (!started())
      start_ = now;
  }
  // True when the current window [start, start+interval) ended by `now`;
  // then `start` and `end` describe it and the next window begins.
  bool Due(int64_t now, int64_t& start, int64_t& end) {
    if (!started() || now < start_ + interval_)
      return false;
    start = start_;
    end = start_ + interval_;
    // Skip idle windows wholesale.
    int64_t periods = (now - start_) / interval_;
    start_ += periods * interval_;
    return true;
  }

 private:
  static constexpr int64_t kNone = INT64_MIN;
  int64_t interval_;
  int64_t start_ = kNone;
};

class Rate final : public Stream {
 public:
  explicit Rate(int64_t interval) : window_(interval) {}
  void Push(const Event& e, int64_t now) override {
    Flush(now);
    window_.Start(now);
    sum_ += MetricOr(e, 0);
    last_ = e;
  }
  void Tick(int64_t now) override {
    Flush(now);
    Stream::Tick(now);
  }

 private:
  void Flush(int64_t now) {
    int64_t start, end;
    if (!window_.Due(now, start, end))
      return;
    if (last_) {
      Event out = *last_;
      out.SetMetric(Metric::Double(sum_ / (static_cast<double>(end - start) / 1e6)));
      out.SetTimeMicros(end);
      Emit(out, now);
    }
    last_.reset();
    sum_ = 0;
  }

  IntervalWindow window_;
  double sum_ = 0;
  std::optional<Event> last_;
};

class Percentiles final : public Stream {
 public:
  Percentiles(int64_t interval, std::vector<double> points)
      : window_(interval), points_(std::move(points)) {}
  void Push(const Event& e, int64_t now) override {
    Flush(now);
    window_.Start(now);
    if (auto m = e.GetMetric()) {
      samples_.push_back(m->d);
      last_ = e;
    }
  }
  void Tick(int64_t now) override {
    Flush(now);
    Stream::Tick(now);
  }

 private:
  void Flush(int64_t now) {
    int64_t start, end;
    if (!window_.Due(now, start, end))
      return;
    if (!samples_.empty() && last_) {
      std::sort(samples_.begin(), samples_.end());
      for (double p : points_) {
        // riemann.folds/sorted-sample-extract: index min(n-1, floor(n*p)).
        auto n = samples_.size();
        size_t i = std::min(n - 1, static_cast<size_t>(std::floor(static_cast<double>(n) * p)));
        Event out = *last_;
        char buf[32];
        auto r = std::to_chars(buf, buf + sizeof(buf), p);
        out.set_service(last_->service() + " " + std::string(buf, r.ptr));
        out.SetMetric(Metric::Double(samples_[i]));
        out.SetTimeMicros(end);
        Emit(out, now);
      }
    }
    samples_.clear();
    last_.reset();
  }

  IntervalWindow window_;
  std::vector<double> points_;
  std::vector<double> samples_;
  std::optional<Event> last_;
};

class Coalesce final : public Stream {
 public:
  Coalesce(int64_t dt, double default_ttl, size_t max_keys)
      : window_(dt), ttl_(default_ttl), max_keys_(max_keys) {}
  void Push(const Event& e, int64_t now) override {
    Flush(now);
    window_.Start(now);
    std::string key = e.host() + '\x1f' + e.service();
    if (latest_.size() >= max_keys_ && latest_.count(key) == 0)
      return;
    latest_[key] = e;
  }
  void Tick(int64_t now) override {
    Flush(now);
    Stream::Tick(now);
  }

 private:
  void Flush(int64_t now) {
    int64_t start, end;
    if (!window_.Due(now, start, end))
      return;
    std::vector<Event> batch;
    batch.reserve(latest_.size());
    for (auto it = latest_.begin(); it != latest_.end();) {
      batch.push_back(it->second);
      // Expired events go out once, then are forgotten.
      if (IsExpired(it->second, now, ttl_)) {
        it = latest_.erase(it);
      } else {
        ++it;
      }
    }
    if (!batch.empty())
      EmitBatch(batch, now);
  }

  IntervalWindow window_;
  double ttl_;
  size_t max_keys_;
  std::unordered_map<std::string, Event> latest_;
};

class ChangedState final : public Stream {
 public:
  ChangedState(std::string init, size_t max_keys) : init_(std::move(init)), max_keys_(max_keys) {}
  void Push(const Event& e, int64_t now) override {
    std::string key = e.host() + '\x1f' + e.service();
    auto it = last_.find(key);
    if (it == last_.end()) {
      if (last_.size() >= max_keys_)
        return;
      it = last_.emplace(std::move(key), init_).first;
    }
    if (it->second != e.state()) {
      it->second = e.state();
      Emit(e, now);
    }
  }

 private:
  std::string init_;
  size_t max_keys_;
  std::unordered_map<std::string, std::string> last_;
};

class Throttle final : public Stream {
 public:
  Throttle(size_t n, int64_t dt, bool rollup) : n_(n), window_(dt), rollup_(rollup) {}
  void Push(const Event& e, int64_t now) override {
    Flush(now);
    window_.Start(now);
    if (count_ < n_) {
      ++count_;
      Emit(e, now);
    } else if (rollup_ && pending_.size() < kMaxPending) {
      pending_.push_back(e);
    }
  }
  void Tick(int64_t now) override {
    Flush(now);
    Stream::Tick(now);
  }

 private:
  static constexpr size_t kMaxPending = 100'000;
  void Flush(int64_t now) {
    int64_t start, end;
    if (!window_.Due(now, start, end))
      return;
    count_ = 0;
    if (!pending_.empty()) {
      // The rollup batch counts as one invocation of the next window.
      ++count_;
      EmitBatch(pending_, now);
      pending_.clear();
    }
  }

  size_t n_;
  IntervalWindow window_;
  bool rollup_;
  size_t count_ = 0;
  std::vector<Event> pending_;
};

class MovingTimeWindow final : public Stream {
 public:
  explicit MovingTimeWindow(int64_t dt) : dt_(dt) {}
  void Push(const Event& e, int64_t now) override {
    int64_t t = e.GetTimeMicros().value_or(now);
    horizon_ = std::max(horizon_, t);
    if (t <= horizon_ - dt_)
      return;  // already outside the window
    events_.push_back(e);
    times_.push_back(t);
    // Keep events with time > horizon - dt.
    std::vector<Event> kept;
    std::vector<int64_t> kept_times;
    for (size_t i = 0; i < events_.size(); ++i) {
      if (times_[i] > horizon_ - dt_) {
        kept.push_back(std::move(events_[i]));
        kept_times.push_back(times_[i]);
      }
    }
    events_ = std::move(kept);
    times_ = std::move(kept_times);
    EmitBatch(events_, now);
  }

 private:
  int64_t dt_;
  int64_t horizon_ = INT64_MIN;
  std::vector<Event> events_;
  std::vector<int64_t> times_;
};

class FixedTimeWindow final : public Stream {
 public:
  explicit FixedTimeWindow(int64_t dt) : dt_(dt) {}
  void Push(const Event& e, int64_t now) override {
    int64_t t = e.GetTimeMicros().value_or(now);
    if (start_ == INT64_MIN)
      start_ = t;
    if (t < start_)
      return;  // before the current window: dropped
    if (t >= start_ + dt_) {
      if (!events_.empty())
        EmitBatch(events_, now);
      events_.clear();
      start_ += ((t - start_) / dt_) * dt_;
    }
    events_.push_back(e);
  }

 private:
  int64_t dt_;
  int64_t start_ = INT64_MIN;
  std::vector<Event> events_;
};

class Stable final : public Stream {
 public:
  Stable(int64_t dt, std::string field) : dt_(dt), field_(std::move(field)) {}
  void Push(const Event& e, int64_t now) override {
    int64_t t = e.GetTimeMicros().value_or(now);
    std::string v = FieldText(e, field_);
    if (!since_ || v != value_) {
      value_ = std::move(v);
      since_ = t;
      buffer_.clear();
    }
    if (buffer_.size() < kMaxBuffer)
      buffer_.push_back(e);
    if (t - *since_ >= dt_) {
      EmitBatchSeparately();
      buffer_.clear();
    }
  }

 private:
  static constexpr size_t kMaxBuffer = 100'000;
  void EmitBatchSeparately() {
    for (const Event& b : buffer_)
      Emit(b, b.GetTimeMicros().value_or(0));
  }
  int64_t dt_;
  std::string field_;
  std::string value_;
  std::optional<int64_t> since_;
  std::vector<Event> buffer_;
};

enum class FoldKind { kSum, kMean, kMin, kMax, kCount };

class Fold final : public Stream {
 public:
  explicit Fold(FoldKind k) : k_(k) {}
  void Push(const Event& e, int64_t now) override { PushBatch(std::span<const Event>(&e, 1), now); }
  void PushBatch(std::span<const Event> events, int64_t now) override {
    const Event* first = nullptr;
    const Event* best = nullptr;
    double sum = 0;
    size_t n = 0;
    for (const Event& e : events) {
      auto m = e.GetMetric();
      if (!m)
        continue;
      if (!first)
        first = &e;
      if (!best || (k_ == FoldKind::kMin && m->d < best->GetMetric()->d) ||
          (k_ == FoldKind::kMax && m->d > best->GetMetric()->d)) {
        best = &e;
      }
      sum += m->d;
      ++n;
    }
    if (k_ == FoldKind::kCount) {
      if (events.empty())
        return;
      Event out = events.front();
      out.SetMetric(Metric::Int(static_cast<int64_t>(events.size())));
      Emit(out, now);
      return;
    }
    if (n == 0)
      return;
    if (k_ == FoldKind::kMin || k_ == FoldKind::kMax) {
      Emit(*best, now);
      return;
    }
    Event out = *first;
    out.SetMetric(Metric::Double(k_ == FoldKind::kSum ? sum : sum / static_cast<double>(n)));
    Emit(out, now);
  }

 private:
  FoldKind k_;
};

class Arith final : public Stream {
 public:
  Arith(double factor, double add) : factor_(factor), add_(add) {}
  void Push(const Event& in, int64_t now) override {
    auto m = in.GetMetric();
    if (!m) {
      Emit(in, now);
      return;
    }
    Event e = in;
    if (m->is_integer && factor_ == 1 && add_ == std::floor(add_) && std::fabs(add_) < 9e15) {
      e.SetMetric(Metric::Int(m->i + static_cast<int64_t>(add_)));
    } else {
      e.SetMetric(Metric::Double(m->d * factor_ + add_));
    }
    Emit(e, now);
  }

 private:
  double factor_, add_;
};

class SinkNode final : public Stream {
 public:
  explicit SinkNode(StreamSink* sink) : sink_(sink) {}
  void Push(const Event& e, int64_t now) override {
    sink_->Accept(e, now);
    Emit(e, now);
  }

 private:
  StreamSink* sink_;
};

// ---------------------------------------------------------------------------
// Builder

class SpecReader {
 public:
  // `where` is the spec's own place, or its nearest ancestor's.
  SpecReader(const StreamSpec& s, std::string_view where) : s_(s), where_(where) {}

  Error Fail(std::string_view param, const std::string& what) const {
    std::string place = where_.empty() ? "" : std::string(where_) + ": ";
    return Error(Errc::kInvalidArgument,
                 place + s_.kind + (param.empty() ? "" : ": " + std::string(param)) + ": " + what);
  }

  bool Has(const std::string& key) const { return s_.params.count(key) > 0; }

  Result<std::string> Str(const std::string& key, std::optional<std::string> fallback = {}) const {
    auto it = s_.params.find(key);
    if (it == s_.params.end()) {
      if (fallback)
        return *fallback;
      return Fail(key, "required");
    }
    if (it->second.size() != 1)
      return Fail(key, "expected one value");
    return it->second[0];
  }

  Result<double> Num(const std::string& key, std::optional<double> fallback = {},
                     bool positive = false) const {
    auto it = s_.params.find(key);
    if (it == s_.params.end()) {
      if (fallback)
        return *fallback;
      return Fail(key, "required");
    }
    if (it->second.size() != 1)
      return Fail(key, "expected one value");
    return ParseNum(key, it->second[0], positive);
  }

  Result<double> ParseNum(const std::string& key, const std::string& text, bool positive) const {
    double v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(v) ||
        (positive && v <= 0)) {
      return Fail(key, std::string(positive ? "expected a positive number" : "expected a number") +
                           ", got \"" + text + "\"");
    }
    return v;
  }

  Result<std::vector<std::string>> List(const std::string& key) const {
    auto it = s_.params.find(key);
    if (it == s_.params.end() || it->second.empty())
      return Fail(key, "required");
    return it->second;
  }

  Result<FieldSettings> Settings() const {
    FieldSettings f;
    for (const auto& [key, values] : s_.params) {
      if (key == "when")
        continue;  // split's routing query
      if (key == "host" || key == "service" || key == "state" || key == "description") {
        VIGIE_ASSIGN_OR_RETURN(std::string v, Str(key));
        if (key == "host")
          f.host = v;
        else if (key == "service")
          f.service = v;
        else if (key == "state")
          f.state = v;
        else
          f.description = v;
      } else if (key == "ttl") {
        VIGIE_ASSIGN_OR_RETURN(double v, Num(key));
        f.ttl = static_cast<float>(v);
      } else if (key == "metric") {
        VIGIE_ASSIGN_OR_RETURN(std::string text, Str(key));
        int64_t i = 0;
        auto r = std::from_chars(text.data(), text.data() + text.size(), i);
        if (r.ec == std::errc() && r.ptr == text.data() + text.size()) {
          f.metric = Metric::Int(i);
        } else {
          VIGIE_ASSIGN_OR_RETURN(double d, ParseNum(key, text, false));
          f.metric = Metric::Double(d);
        }
      } else {
        return Fail(key, "unknown field (host, service, state, description, ttl, metric)");
      }
    }
    if (!f.host && !f.service && !f.state && !f.description && !f.ttl && !f.metric) {
      return Fail("", "no field to set");
    }
    return f;
  }

 private:
  const StreamSpec& s_;
  std::string_view where_;
};

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
    return std::make_unique<Where>(std::move(*q));
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
    return std::make_unique<Split>(std::move(queries));
  }
  if (k == "by") {
    VIGIE_ASSIGN_OR_RETURN(auto fields, r.List("fields"));
    VIGIE_ASSIGN_OR_RETURN(double max_keys, r.Num("max_keys", kDefaultMaxKeys, true));
    return std::make_unique<By>(std::move(fields), static_cast<size_t>(max_keys), spec.children,
                                sinks);
  }
  if (k == "default" || k == "with") {
    VIGIE_ASSIGN_OR_RETURN(FieldSettings f, r.Settings());
    return std::make_unique<SetFields>(std::move(f), k == "default");
  }
  if (k == "tagged") {
    VIGIE_ASSIGN_OR_RETURN(auto tags, r.List("tags"));
    VIGIE_ASSIGN_OR_RETURN(std::string mode, r.Str("mode", "all"));
    if (mode != "all" && mode != "any")
      return r.Fail("mode", "expected all or any");
    return std::make_unique<Tagged>(std::move(tags), mode == "all");
  }
  if (k == "expired" || k == "not_expired") {
    VIGIE_ASSIGN_OR_RETURN(double ttl, r.Num("default_ttl", 60.0, true));
    return std::make_unique<ExpiredFilter>(k == "expired", ttl);
  }
  if (k == "rate") {
    VIGIE_ASSIGN_OR_RETURN(double interval, r.Num("interval", std::nullopt, true));
    return std::make_unique<Rate>(Micros(interval));
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
    return std::make_unique<Percentiles>(Micros(interval), std::move(points));
  }
  if (k == "coalesce") {
    VIGIE_ASSIGN_OR_RETURN(double dt, r.Num("dt", 1.0, true));
    VIGIE_ASSIGN_OR_RETURN(double ttl, r.Num("default_ttl", 60.0, true));
    VIGIE_ASSIGN_OR_RETURN(double max_keys, r.Num("max_keys", kDefaultMaxKeys, true));
    return std::make_unique<Coalesce>(Micros(dt), ttl, static_cast<size_t>(max_keys));
  }
  if (k == "changed_state") {
    VIGIE_ASSIGN_OR_RETURN(std::string init, r.Str("init", "ok"));
    VIGIE_ASSIGN_OR_RETURN(double max_keys, r.Num("max_keys", kDefaultMaxKeys, true));
    return std::make_unique<ChangedState>(std::move(init), static_cast<size_t>(max_keys));
  }
  if (k == "throttle" || k == "rollup") {
    VIGIE_ASSIGN_OR_RETURN(double n, r.Num("n", std::nullopt, true));
    VIGIE_ASSIGN_OR_RETURN(double dt, r.Num("dt", std::nullopt, true));
    return std::make_unique<Throttle>(static_cast<size_t>(n), Micros(dt), k == "rollup");
  }
  if (k == "moving_time_window" || k == "fixed_time_window") {
    VIGIE_ASSIGN_OR_RETURN(double dt, r.Num("dt", std::nullopt, true));
    if (k == "moving_time_window")
      return std::make_unique<MovingTimeWindow>(Micros(dt));
    return std::make_unique<FixedTimeWindow>(Micros(dt));
  }
  if (k == "stable") {
    VIGIE_ASSIGN_OR_RETURN(double dt, r.Num("dt", std::nullopt, true));
    VIGIE_ASSIGN_OR_RETURN(std::string field, r.Str("field", "state"));
    return std::make_unique<Stable>(Micros(dt), std::move(field));
  }
  if (k == "sum")
    return std::make_unique<Fold>(FoldKind::kSum);
  if (k == "mean")
    return std::make_unique<Fold>(FoldKind::kMean);
  if (k == "min")
    return std::make_unique<Fold>(FoldKind::kMin);
  if (k == "max")
    return std::make_unique<Fold>(FoldKind::kMax);
  if (k == "count")
    return std::make_unique<Fold>(FoldKind::kCount);
  if (k == "scale") {
    VIGIE_ASSIGN_OR_RETURN(double f, r.Num("factor"));
    return std::make_unique<Arith>(f, 0);
  }
  if (k == "adjust") {
    VIGIE_ASSIGN_OR_RETURN(double add, r.Num("add"));
    return std::make_unique<Arith>(1, add);
  }
  if (k == "sink") {
    VIGIE_ASSIGN_OR_RETURN(std::string name, r.Str("name"));
    StreamSink* sink = sinks ? sinks(name) : nullptr;
    if (sink == nullptr)
      return r.Fail("name", "no sink named \"" + name + "\"");
    return std::make_unique<SinkNode>(sink);
  }
  if (k == "sdo" || k == "stream")
    return std::make_unique<Passthrough>();
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

Result<std::unique_ptr<Stream>> BuildStream(const StreamSpec& spec, const SinkLookup& sinks) {
  return Build(spec, sinks, 0, {});
}

}  // namespace vigie::events
