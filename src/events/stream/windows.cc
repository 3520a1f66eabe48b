// Time-driven stream nodes: rate, percentiles, coalesce, throttle / rollup
// (wall-clock windows from `now`), moving_time_window, fixed_time_window and
// stable (event time, `now` when an event has none).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <unordered_map>
#include <utility>

#include "events/stream/nodes.h"

namespace vigie::events::internal {
namespace {

double MetricOr(const Event& e, double fallback) {
  auto m = e.GetMetric();
  return m ? m->d : fallback;
}

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

}  // namespace

std::unique_ptr<Stream> MakeRate(int64_t interval) {
  return std::make_unique<Rate>(interval);
}

std::unique_ptr<Stream> MakePercentiles(int64_t interval, std::vector<double> points) {
  return std::make_unique<Percentiles>(interval, std::move(points));
}

std::unique_ptr<Stream> MakeCoalesce(int64_t dt, double default_ttl, size_t max_keys) {
  return std::make_unique<Coalesce>(dt, default_ttl, max_keys);
}

std::unique_ptr<Stream> MakeThrottle(size_t n, int64_t dt, bool rollup) {
  return std::make_unique<Throttle>(n, dt, rollup);
}

std::unique_ptr<Stream> MakeMovingTimeWindow(int64_t dt) {
  return std::make_unique<MovingTimeWindow>(dt);
}

std::unique_ptr<Stream> MakeFixedTimeWindow(int64_t dt) {
  return std::make_unique<FixedTimeWindow>(dt);
}

std::unique_ptr<Stream> MakeStable(int64_t dt, std::string field) {
  return std::make_unique<Stable>(dt, std::move(field));
}

}  // namespace vigie::events::internal
