// Stream nodes that change or combine events: default / with (set fields),
// scale / adjust (metric arithmetic) and the folds over a batch (sum, mean,
// min, max, count).
#include <cmath>
#include <utility>

#include "events/stream/nodes.h"

namespace vigie::events::internal {
namespace {

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

}  // namespace

std::unique_ptr<Stream> MakeSetFields(FieldSettings s, bool only_if_absent) {
  return std::make_unique<SetFields>(std::move(s), only_if_absent);
}

std::unique_ptr<Stream> MakeFold(FoldKind k) {
  return std::make_unique<Fold>(k);
}

std::unique_ptr<Stream> MakeArith(double factor, double add) {
  return std::make_unique<Arith>(factor, add);
}

}  // namespace vigie::events::internal
