// statsd flush semantics; see statsd_aggregator.h.
#include "events/ingest/statsd_aggregator.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vigie::events {

size_t StatsdAggregator::series() const {
  return counters_.size() + timers_.size() + gauges_.size() + sets_.size();
}

bool StatsdAggregator::Add(const StatsdSample& s) {
  auto room = [&](const auto& map) { return map.contains(s.key) || series() < max_series_; };
  switch (s.type) {
    case StatsdType::kCounter:
      if (!room(counters_)) {
        return false;
      }
      counters_[s.key] += s.value / (s.sample_rate > 0 ? s.sample_rate : 1);
      return true;
    case StatsdType::kTimer:
    case StatsdType::kHistogram: {
      if (!room(timers_)) {
        return false;
      }
      auto& v = timers_[s.key];
      if (v.size() >= max_timer_samples_) {
        return false;
      }
      v.push_back(s.value);
      return true;
    }
    case StatsdType::kGauge:
      if (!room(gauges_)) {
        return false;
      }
      if (s.gauge_delta) {
        gauges_[s.key] += s.value;
      } else {
        gauges_[s.key] = s.value;
      }
      return true;
    case StatsdType::kSet:
      if (!room(sets_)) {
        return false;
      }
      if (sets_[s.key].size() < max_timer_samples_) {
        sets_[s.key].insert(s.set_member);
      }
      return true;
  }
  return false;
}

namespace {

Event Make(const std::string& service, double value, int64_t now, const char* type) {
  Event e;
  e.set_service(service);
  if (std::floor(value) == value && std::fabs(value) < 9e15) {
    e.SetMetric(Metric::Int(static_cast<int64_t>(value)));
  } else {
    e.SetMetric(Metric::Double(value));
  }
  e.SetTimeMicros(now);
  e.add_attribute("statsd-type", type);
  return e;
}

}  // namespace

std::vector<Event> StatsdAggregator::Flush(int64_t now_micros, double interval_seconds) {
  std::vector<Event> out;
  for (const auto& [key, count] : counters_) {
    out.push_back(Make(key, count, now_micros, "counter"));
    out.push_back(Make(key + " rate", count / interval_seconds, now_micros, "counter"));
  }
  for (auto& [key, values] : timers_) {
    if (values.empty()) {
      continue;
    }
    std::sort(values.begin(), values.end());
    double sum = std::accumulate(values.begin(), values.end(), 0.0);
    auto n = static_cast<double>(values.size());
    // statsd's upper_90: the largest value within the lowest 90 %.
    size_t idx90 = static_cast<size_t>(std::round(0.9 * n));
    idx90 = std::clamp<size_t>(idx90, 1, values.size());
    out.push_back(Make(key + " count", n, now_micros, "timer"));
    out.push_back(Make(key + " mean", sum / n, now_micros, "timer"));
    out.push_back(Make(key + " lower", values.front(), now_micros, "timer"));
    out.push_back(Make(key + " upper", values.back(), now_micros, "timer"));
    out.push_back(Make(key + " upper_90", values[idx90 - 1], now_micros, "timer"));
    out.push_back(Make(key + " sum", sum, now_micros, "timer"));
  }
  for (const auto& [key, value] : gauges_) {
    out.push_back(Make(key, value, now_micros, "gauge"));
  }
  for (const auto& [key, members] : sets_) {
    out.push_back(Make(key, static_cast<double>(members.size()), now_micros, "set"));
  }
  counters_.clear();
  timers_.clear();
  sets_.clear();
  return out;
}

}  // namespace vigie::events
