// The Riemann protocol messages (Msg, Event, Query, Attribute, State) as plain
// C++ values, with proto2 field presence, plus the Riemann meaning of their
// fields (one logical metric, one logical time). Wire format: proto/codec.h.
//
// Thread rules: values; no shared state. Clear() keeps string and vector
// capacity so a decoder can reuse one Msg for every frame of a connection.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigie::events {

// Attribute{1: required string key; 2: optional string value}.
struct Attribute {
  std::string key;
  std::string value;
  bool has_value = false;

  friend bool operator==(const Attribute&, const Attribute&) = default;
};

// The one logical metric of an event: an integer (metric_sint64) or a
// floating-point number (metric_d, or metric_f widened to double).
struct Metric {
  bool is_integer = false;
  int64_t i = 0;  // valid when is_integer
  double d = 0;   // always valid (i converted when is_integer)

  static Metric Int(int64_t v) { return {true, v, static_cast<double>(v)}; }
  static Metric Double(double v) { return {false, 0, v}; }
  friend bool operator==(const Metric&, const Metric&) = default;
};

// Event (proto field numbers in comments). Strings are bytes; nothing checks
// UTF-8 (proto2 does not either).
class Event {
 public:
  // Presence bits of the optional singular fields.
  enum Field : uint16_t {
    kTime = 1u << 0,          // 1  int64
    kState = 1u << 1,         // 2  string
    kService = 1u << 2,       // 3  string
    kHost = 1u << 3,          // 4  string
    kDescription = 1u << 4,   // 5  string
    kTtl = 1u << 5,           // 8  float
    kTimeMicros = 1u << 6,    // 10 int64
    kMetricSint64 = 1u << 7,  // 13 sint64 (zigzag)
    kMetricD = 1u << 8,       // 14 double
    kMetricF = 1u << 9,       // 15 float
  };

  bool Has(Field f) const { return (present_ & f) != 0; }
  uint16_t present() const { return present_; }

  int64_t time() const { return time_; }
  void set_time(int64_t v) {
    time_ = v;
    present_ |= kTime;
  }
  const std::string& state() const { return state_; }
  void set_state(std::string_view v) {
    state_.assign(v);
    present_ |= kState;
  }
  const std::string& service() const { return service_; }
  void set_service(std::string_view v) {
    service_.assign(v);
    present_ |= kService;
  }
  const std::string& host() const { return host_; }
  void set_host(std::string_view v) {
    host_.assign(v);
    present_ |= kHost;
  }
  const std::string& description() const { return description_; }
  void set_description(std::string_view v) {
    description_.assign(v);
    present_ |= kDescription;
  }
  float ttl() const { return ttl_; }
  void set_ttl(float v) {
    ttl_ = v;
    present_ |= kTtl;
  }
  int64_t time_micros() const { return time_micros_; }
  void set_time_micros(int64_t v) {
    time_micros_ = v;
    present_ |= kTimeMicros;
  }
  int64_t metric_sint64() const { return metric_sint64_; }
  void set_metric_sint64(int64_t v) {
    metric_sint64_ = v;
    present_ |= kMetricSint64;
  }
  double metric_d() const { return metric_d_; }
  void set_metric_d(double v) {
    metric_d_ = v;
    present_ |= kMetricD;
  }
  float metric_f() const { return metric_f_; }
  void set_metric_f(float v) {
    metric_f_ = v;
    present_ |= kMetricF;
  }
  // Marks a string field present and returns it for in-place filling.
  std::string& mutable_state() {
    present_ |= kState;
    return state_;
  }
  std::string& mutable_service() {
    present_ |= kService;
    return service_;
  }
  std::string& mutable_host() {
    present_ |= kHost;
    return host_;
  }
  std::string& mutable_description() {
    present_ |= kDescription;
    return description_;
  }
  // Unsets one optional field (its value is reset too).
  void ClearField(Field f);

  const std::vector<std::string>& tags() const { return tags_; }
  std::vector<std::string>& mutable_tags() { return tags_; }
  void add_tag(std::string_view t) { tags_.emplace_back(t); }
  const std::vector<Attribute>& attributes() const { return attributes_; }
  std::vector<Attribute>& mutable_attributes() { return attributes_; }
  void add_attribute(std::string_view key, std::string_view value) {
    attributes_.push_back(Attribute{std::string(key), std::string(value), true});
  }

  // Riemann semantics -----------------------------------------------------

  // metric_sint64 if present, else metric_d, else metric_f; nullopt if none.
  std::optional<Metric> GetMetric() const;
  // Sets the metric the way the Riemann server encodes it: metric_f always,
  // plus metric_sint64 for an integer or metric_d otherwise. Clears the rest.
  void SetMetric(const Metric& m);
  // time_micros if present, else time * 1e6; nullopt if neither.
  std::optional<int64_t> GetTimeMicros() const;
  // Sets time_micros and time (whole seconds, floored) together.
  void SetTimeMicros(int64_t micros);
  // Value of the first attribute named `key` that has a value.
  const std::string* FindAttribute(std::string_view key) const;
  bool HasTag(std::string_view tag) const;

  // Resets every field; keeps allocated capacity.
  void Clear();

  friend bool operator==(const Event& a, const Event& b);

 private:
  uint16_t present_ = 0;
  float ttl_ = 0;
  float metric_f_ = 0;
  int64_t time_ = 0;
  int64_t time_micros_ = 0;
  int64_t metric_sint64_ = 0;
  double metric_d_ = 0;
  std::string state_;
  std::string service_;
  std::string host_;
  std::string description_;
  std::vector<std::string> tags_;
  std::vector<Attribute> attributes_;
};

// State (deprecated; Riemann still streams it like an event).
// Fields 1 time int64, 2 state, 3 service, 4 host, 5 description, 6 once
// bool, 7 tags, 8 ttl float.
struct State {
  std::optional<int64_t> time;
  std::optional<std::string> state;
  std::optional<std::string> service;
  std::optional<std::string> host;
  std::optional<std::string> description;
  std::optional<bool> once;
  std::vector<std::string> tags;
  std::optional<float> ttl;

  // The Event a server should stream for this State.
  Event ToEvent() const;
  friend bool operator==(const State&, const State&) = default;
};

// Query{1: optional string string}.
struct Query {
  std::optional<std::string> string;
  friend bool operator==(const Query&, const Query&) = default;
};

// Msg{2 ok, 3 error, 4 states, 5 query, 6 events}.
struct Msg {
  std::optional<bool> ok;
  std::optional<std::string> error;
  std::vector<State> states;
  std::optional<Query> query;
  std::vector<Event> events;

  // Resets every field.
  void Clear();
  friend bool operator==(const Msg&, const Msg&) = default;
};

}  // namespace vigie::events
