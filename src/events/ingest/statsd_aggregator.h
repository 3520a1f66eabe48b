// StatsdAggregator: statsd's flush (etsy statsd server.js) as events. Samples
// are accumulated between flushes; Flush() turns them into one event per
// series, with the service names of docs/events.md §6.1:
//   counter  "<key>" (count in the interval), "<key> rate" (per second)
//   timer    "<key> count" "<key> mean" "<key> lower" "<key> upper"
//            "<key> upper_90" "<key> sum"
//   gauge    "<key>" (kept across flushes, as statsd does)
//   set      "<key>" (distinct members in the interval)
// Each event carries the attribute statsd-type = counter|timer|gauge|set.
//
// Thread rules: one owner thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "events/ingest/statsd.h"
#include "events/proto/event.h"

namespace vigie::events {

class StatsdAggregator {
 public:
  // Distinct series kept between flushes; samples of new series beyond it
  // are refused (Add returns false) and counted by the caller.
  explicit StatsdAggregator(size_t max_series = 100'000, size_t max_timer_samples = 100'000)
      : max_series_(max_series), max_timer_samples_(max_timer_samples) {}

  bool Add(const StatsdSample& s);
  // The events of the interval that ends at `now_micros` (lasting
  // `interval_seconds`); resets counters, timers and sets.
  std::vector<Event> Flush(int64_t now_micros, double interval_seconds);
  size_t series() const;

 private:
  size_t max_series_;
  size_t max_timer_samples_;
  std::map<std::string, double> counters_;
  std::map<std::string, std::vector<double>> timers_;
  std::map<std::string, double> gauges_;
  std::map<std::string, std::set<std::string>> sets_;
};

}  // namespace vigie::events
