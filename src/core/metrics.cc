// Metric storage and the Prometheus text renderer.
#include "core/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/check.h"

namespace vigie::metrics {
namespace {

bool ValidName(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) {
      return false;
    }
  }
  return true;
}

void AppendEscaped(std::string& out, std::string_view s, bool quote_too) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote_too && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

void AppendLabels(std::string& out, const Labels& labels, std::string_view extra_key = {},
                  std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) {
    return;
  }
  out += '{';
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) {
      out += ',';
    }
    first = false;
    out += k;
    out += "=\"";
    AppendEscaped(out, v, true);
    out += '"';
  }
  if (!extra_key.empty()) {
    if (!first) {
      out += ',';
    }
    out += extra_key;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void AppendNumber(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (v == std::floor(v) && std::fabs(v) < 1e15) {
    out += std::to_string(static_cast<int64_t>(v));
  } else {
    // Shortest text that reads back as the same double.
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
    out.append(buf, ec == std::errc() ? static_cast<std::size_t>(end - buf) : 0);
  }
}

std::string_view TypeName(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double v) {
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) {
    ++i;
  }
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (v > 0) {
    sum_micro_.fetch_add(static_cast<uint64_t>(v * 1e6), std::memory_order_relaxed);
  }
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  // Count is derived from the buckets so that +Inf == count always holds,
  // even while other threads observe.
  s.count = running;
  s.sum = static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

Registry::Series* Registry::FindOrAdd(std::string_view name, std::string_view help, Type type,
                                      const Labels& labels) {
  VIGIE_CHECK(ValidName(name), "invalid metric name");
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{std::string(help), type, {}, {}}).first;
  }
  VIGIE_CHECK(it->second.type == type, "metric registered twice with different types");
  for (auto& s : it->second.series) {
    if (s.labels == labels) {
      s.hidden = false;
      return &s;
    }
  }
  it->second.series.push_back(Series{labels, nullptr, nullptr, nullptr, {}});
  return &it->second.series.back();
}

Counter& Registry::AddCounter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series* s = FindOrAdd(name, help, Type::kCounter, labels);
  if (s->counter == nullptr) {
    s->counter = &counters_.emplace_back();
  }
  return *s->counter;
}

Gauge& Registry::AddGauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series* s = FindOrAdd(name, help, Type::kGauge, labels);
  VIGIE_CHECK(!s->fn, "gauge already registered as a function");
  if (s->gauge == nullptr) {
    s->gauge = &gauges_.emplace_back();
  }
  return *s->gauge;
}

Histogram& Registry::AddHistogram(std::string_view name, std::string_view help,
                                  const std::vector<double>& bounds, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series* s = FindOrAdd(name, help, Type::kHistogram, labels);
  if (s->histogram == nullptr) {
    s->histogram = histograms_.emplace_back(std::make_unique<Histogram>(bounds)).get();
  }
  return *s->histogram;
}

void Registry::AddGaugeFunction(std::string_view name, std::string_view help, const Labels& labels,
                                std::function<double()> fn) {
  std::lock_guard lock(mu_);
  Series* s = FindOrAdd(name, help, Type::kGauge, labels);
  VIGIE_CHECK(s->gauge == nullptr, "gauge already registered as a value");
  s->fn = std::move(fn);
}

void Registry::AddCounterFunction(std::string_view name, std::string_view help,
                                  const Labels& labels, std::function<double()> fn) {
  std::lock_guard lock(mu_);
  Series* s = FindOrAdd(name, help, Type::kCounter, labels);
  VIGIE_CHECK(s->counter == nullptr, "counter already registered as a value");
  s->fn = std::move(fn);
}

void Registry::AddGaugeFamilyFunction(std::string_view name, std::string_view help,
                                      SeriesFunction fn) {
  std::lock_guard lock(mu_);
  VIGIE_CHECK(ValidName(name), "invalid metric name");
  auto it = families_.find(name);
  if (it == families_.end()) {
    it =
        families_.emplace(std::string(name), Family{std::string(help), Type::kGauge, {}, {}}).first;
  }
  VIGIE_CHECK(it->second.type == Type::kGauge && it->second.series.empty(),
              "family function registered over other series");
  it->second.series_fn = std::move(fn);
}

void Registry::Hide(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    return;
  }
  for (auto& s : it->second.series) {
    if (s.labels == labels) {
      s.hidden = true;
    }
  }
}

std::string Registry::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  out.reserve(families_.size() * 128);
  for (const auto& [name, family] : families_) {
    if (!family.series_fn &&
        std::ranges::all_of(family.series, [](const Series& s) { return s.hidden; })) {
      continue;  // no HELP and TYPE for a family with nothing to show
    }
    out += "# HELP ";
    out += name;
    out += ' ';
    AppendEscaped(out, family.help, false);
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += TypeName(family.type);
    out += '\n';
    for (const auto& s : family.series) {
      if (s.hidden) {
        continue;
      }
      if (s.histogram != nullptr) {
        auto snap = s.histogram->snapshot();
        for (std::size_t i = 0; i <= snap.bounds.size(); ++i) {
          std::string le;
          if (i < snap.bounds.size()) {
            AppendNumber(le, snap.bounds[i]);
          } else {
            le = "+Inf";
          }
          out += name;
          out += "_bucket";
          AppendLabels(out, s.labels, "le", le);
          out += ' ';
          out += std::to_string(snap.cumulative[i]);
          out += '\n';
        }
        out += name;
        out += "_sum";
        AppendLabels(out, s.labels);
        out += ' ';
        AppendNumber(out, snap.sum);
        out += '\n';
        out += name;
        out += "_count";
        AppendLabels(out, s.labels);
        out += ' ';
        out += std::to_string(snap.count);
        out += '\n';
        continue;
      }
      out += name;
      AppendLabels(out, s.labels);
      out += ' ';
      if (s.counter != nullptr) {
        out += std::to_string(s.counter->value());
      } else if (s.gauge != nullptr) {
        out += std::to_string(s.gauge->value());
      } else if (s.fn) {
        AppendNumber(out, s.fn());
      } else {
        out += '0';
      }
      out += '\n';
    }
    if (family.series_fn) {
      for (const auto& [labels, value] : family.series_fn()) {
        out += name;
        AppendLabels(out, labels);
        out += ' ';
        AppendNumber(out, value);
        out += '\n';
      }
    }
  }
  return out;
}

std::vector<Sample> Registry::Collect() const {
  std::lock_guard lock(mu_);
  std::vector<Sample> out;
  for (const auto& [name, family] : families_) {
    for (const auto& s : family.series) {
      if (s.hidden) {
        continue;
      }
      if (s.histogram != nullptr) {
        auto snap = s.histogram->snapshot();
        out.push_back({name + "_count", s.labels, static_cast<double>(snap.count)});
        out.push_back({name + "_sum", s.labels, snap.sum});
      } else if (s.counter != nullptr) {
        out.push_back({name, s.labels, static_cast<double>(s.counter->value())});
      } else if (s.gauge != nullptr) {
        out.push_back({name, s.labels, static_cast<double>(s.gauge->value())});
      } else if (s.fn) {
        out.push_back({name, s.labels, s.fn()});
      }
    }
    if (family.series_fn) {
      for (auto& [labels, value] : family.series_fn()) {
        out.push_back({name, std::move(labels), value});
      }
    }
  }
  return out;
}

}  // namespace vigie::metrics
