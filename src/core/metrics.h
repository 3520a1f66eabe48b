// Metrics: counters, gauges and histograms in one Registry, exported as
// Prometheus text (exposition format 0.0.4) at /metrics and readable
// in-process (Collect) so the events component can publish them as events.
//
// Each component declares its metrics in one list:
//
//   #define VIGIE_DNS_METRICS(COUNTER, GAUGE, HISTOGRAM)
//     COUNTER(queries_total, "Queries received")
//     GAUGE(cache_entries, "Entries in the cache")
//     HISTOGRAM(upstream_seconds, "Upstream latency", metrics::kLatencyBuckets)
//   (with a backslash ending each line of the #define)
//   VIGIE_DECLARE_METRICS(DnsMetrics, "vigie_dns_", VIGIE_DNS_METRICS);
//
// and then `DnsMetrics m(registry); m.queries_total.Inc();`.
//
// Thread rules: Counter, Gauge and Histogram updates are lock-free and safe
// from any thread. Registering takes a mutex; do it at start-up or reload,
// not per request. Metrics live as long as the Registry.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigie::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }
  // Back to 0, for an operator's explicit reset (haproxy's `clear counters
  // all`); Prometheus reads the drop as a counter reset, as after a restart.
  void Reset() { value_.store(0, std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  void Sub(int64_t d) { value_.fetch_sub(d, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Cumulative-bucket histogram with fixed upper bounds (Prometheus "le").
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micro_{0};  // sum * 1e6, so it can be atomic
};

// Latency buckets in seconds, 100us .. 10s.
inline const std::vector<double> kLatencyBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                    0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                                    1,      2.5,     5,      10};

enum class Type { kCounter, kGauge, kHistogram };

// One value as read in-process.
struct Sample {
  std::string name;  // for histograms: name + "_count" / "_sum"
  Labels labels;
  double value = 0;
};

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Returns the metric with this name and labels, creating it on first use.
  // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*; a name registered with a
  // different type is a program error (checked).
  Counter& AddCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& AddGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& AddHistogram(std::string_view name, std::string_view help,
                          const std::vector<double>& bounds, const Labels& labels = {});
  // A gauge whose value is computed when read (uptime, cache size...). The
  // function runs on the reading thread and must be thread-safe.
  void AddGaugeFunction(std::string_view name, std::string_view help, const Labels& labels,
                        std::function<double()> fn);
  // The same for a counter kept elsewhere (a process-wide atomic): `fn` must
  // never decrease.
  void AddCounterFunction(std::string_view name, std::string_view help, const Labels& labels,
                          std::function<double()> fn);
  // A gauge family whose series are computed when read: `fn` returns this
  // reading's label sets and values, which may differ from one reading to
  // the next (top-N by name...). Runs on the reading thread with the
  // registry locked: it must be thread-safe and must not call the Registry.
  // Registering the name again replaces the function.
  using SeriesFunction = std::function<std::vector<std::pair<Labels, double>>()>;
  void AddGaugeFamilyFunction(std::string_view name, std::string_view help, SeriesFunction fn);

  // Takes the series `name`{labels} out of what RenderPrometheus and
  // Collect show (a server or backend a reload removed). Its storage stays,
  // so references held by connections still in flight stay valid, and
  // registering the same name and labels again shows it again with its
  // value carried on. Does nothing when there is no such series.
  void Hide(std::string_view name, const Labels& labels);

  // Prometheus text exposition format 0.0.4.
  std::string RenderPrometheus() const;
  // Every current value, for in-process consumers.
  std::vector<Sample> Collect() const;

 private:
  struct Series {
    Labels labels;
    Counter* counter = nullptr;
    Gauge* gauge = nullptr;
    Histogram* histogram = nullptr;
    std::function<double()> fn;
    bool hidden = false;  // see Hide
  };
  struct Family {
    std::string help;
    Type type;
    std::vector<Series> series;
    SeriesFunction series_fn;  // AddGaugeFamilyFunction
  };
  Series* FindOrAdd(std::string_view name, std::string_view help, Type type, const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  std::deque<Counter> counters_;
  std::deque<Gauge> gauges_;
  std::deque<std::unique_ptr<Histogram>> histograms_;
};

}  // namespace vigie::metrics

#define VIGIE_METRIC_COUNTER_(name, help) \
  ::vigie::metrics::Counter& name =       \
      registry_.AddCounter(std::string(kPrefix) + #name, help, labels_);
#define VIGIE_METRIC_GAUGE_(name, help) \
  ::vigie::metrics::Gauge& name = registry_.AddGauge(std::string(kPrefix) + #name, help, labels_);
#define VIGIE_METRIC_HISTOGRAM_(name, help, bounds) \
  ::vigie::metrics::Histogram& name =               \
      registry_.AddHistogram(std::string(kPrefix) + #name, help, bounds, labels_);

#define VIGIE_METRIC_HIDE_(name, ...) registry_.Hide(std::string(kPrefix) + #name, labels_);
#define VIGIE_METRIC_RESET_COUNTER_(name, help) name.Reset();
#define VIGIE_METRIC_IGNORE_(...)

// Declares struct `Type` with one member per metric of LIST, registered in
// the Registry given to its constructor under `prefix` + name, with the
// given constant labels (e.g. {{"backend", "api"}}). Hide() takes all of
// them out of the exported metrics (Registry::Hide); ResetCounters() sets
// its counters back to 0 (gauges and histograms stay).
#define VIGIE_DECLARE_METRICS(Type, prefix, LIST)                                             \
  struct Type {                                                                               \
    static constexpr std::string_view kPrefix = prefix;                                       \
    explicit Type(::vigie::metrics::Registry& registry, ::vigie::metrics::Labels labels = {}) \
        : registry_(registry), labels_(std::move(labels)) {}                                  \
    ::vigie::metrics::Registry& registry_;                                                    \
    ::vigie::metrics::Labels labels_;                                                         \
    LIST(VIGIE_METRIC_COUNTER_, VIGIE_METRIC_GAUGE_, VIGIE_METRIC_HISTOGRAM_)                 \
    void Hide() { LIST(VIGIE_METRIC_HIDE_, VIGIE_METRIC_HIDE_, VIGIE_METRIC_HIDE_) }          \
    void ResetCounters() {                                                                    \
      LIST(VIGIE_METRIC_RESET_COUNTER_, VIGIE_METRIC_IGNORE_, VIGIE_METRIC_IGNORE_)           \
    }                                                                                         \
  }
