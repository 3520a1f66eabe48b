// Riemann semantics of the protocol messages: metric and time resolution,
// State to Event, presence-aware equality.
#include "events/proto/event.h"

#include <algorithm>

namespace vigie::events {

void Event::ClearField(Field f) {
  present_ &= static_cast<uint16_t>(~f);
  switch (f) {
    case kTime:
      time_ = 0;
      break;
    case kState:
      state_.clear();
      break;
    case kService:
      service_.clear();
      break;
    case kHost:
      host_.clear();
      break;
    case kDescription:
      description_.clear();
      break;
    case kTtl:
      ttl_ = 0;
      break;
    case kTimeMicros:
      time_micros_ = 0;
      break;
    case kMetricSint64:
      metric_sint64_ = 0;
      break;
    case kMetricD:
      metric_d_ = 0;
      break;
    case kMetricF:
      metric_f_ = 0;
      break;
  }
}

std::optional<Metric> Event::GetMetric() const {
  if (Has(kMetricSint64)) {
    return Metric::Int(metric_sint64_);
  }
  if (Has(kMetricD)) {
    return Metric::Double(metric_d_);
  }
  if (Has(kMetricF)) {
    return Metric::Double(static_cast<double>(metric_f_));
  }
  return std::nullopt;
}

void Event::SetMetric(const Metric& m) {
  ClearField(kMetricSint64);
  ClearField(kMetricD);
  set_metric_f(static_cast<float>(m.d));
  if (m.is_integer) {
    set_metric_sint64(m.i);
  } else {
    set_metric_d(m.d);
  }
}

std::optional<int64_t> Event::GetTimeMicros() const {
  if (Has(kTimeMicros)) {
    return time_micros_;
  }
  if (Has(kTime)) {
    // Saturate rather than overflow on absurd inputs.
    constexpr int64_t kMax = INT64_MAX / 1'000'000;
    return std::clamp(time_, -kMax, kMax) * 1'000'000;
  }
  return std::nullopt;
}

void Event::SetTimeMicros(int64_t micros) {
  set_time_micros(micros);
  int64_t secs = micros / 1'000'000;
  if (micros % 1'000'000 < 0) {
    --secs;
  }
  set_time(secs);
}

const std::string* Event::FindAttribute(std::string_view key) const {
  for (const Attribute& a : attributes_) {
    if (a.key == key) {
      return &a.value;
    }
  }
  return nullptr;
}

bool Event::HasTag(std::string_view tag) const {
  return std::find(tags_.begin(), tags_.end(), tag) != tags_.end();
}

void Event::Clear() {
  present_ = 0;
  ttl_ = 0;
  metric_f_ = 0;
  time_ = 0;
  time_micros_ = 0;
  metric_sint64_ = 0;
  metric_d_ = 0;
  state_.clear();
  service_.clear();
  host_.clear();
  description_.clear();
  tags_.clear();
  attributes_.clear();
}

bool operator==(const Event& a, const Event& b) {
  // Values of absent fields are always reset, so comparing every member is
  // exact. Floats compare by value (NaN != NaN).
  return a.present_ == b.present_ && a.time_ == b.time_ && a.state_ == b.state_ &&
         a.service_ == b.service_ && a.host_ == b.host_ && a.description_ == b.description_ &&
         a.tags_ == b.tags_ && a.ttl_ == b.ttl_ && a.attributes_ == b.attributes_ &&
         a.time_micros_ == b.time_micros_ && a.metric_sint64_ == b.metric_sint64_ &&
         a.metric_d_ == b.metric_d_ && a.metric_f_ == b.metric_f_;
}

Event State::ToEvent() const {
  Event e;
  if (time)
    e.set_time(*time);
  if (state)
    e.set_state(*state);
  if (service)
    e.set_service(*service);
  if (host)
    e.set_host(*host);
  if (description)
    e.set_description(*description);
  for (const std::string& t : tags)
    e.add_tag(t);
  if (ttl)
    e.set_ttl(*ttl);
  return e;
}

void Msg::Clear() {
  ok.reset();
  error.reset();
  states.clear();
  query.reset();
  events.clear();
}

}  // namespace vigie::events
