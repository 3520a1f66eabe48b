// The Riemann query language (riemann/riemann resources/query.g4 and
// src/riemann/query.clj): parsing into an immutable EventQuery, evaluation
// against an event, and recognition of the index fast path
// `host = "a" and service = "b"`. Reference: docs/events.md.
//
//   predicate := primary | 'not' predicate | predicate 'and' predicate
//              | predicate 'or' predicate          (not > and > or)
//   primary   := '(' predicate ')' | 'tagged' STRING | value
//              | value ('=' | '!=') value | value ('<'|'>'|'<='|'>=') NUMBER
//              | value ('=~' | '~=') STRING
//   value     := true | false | nil | null | NUMBER | STRING | NAME
//
// Thread rules: an EventQuery is immutable once parsed; copies share state
// and may be evaluated from any number of threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "events/proto/event.h"

namespace vigie::events {

// The event fields a query can name. Any other name is an attribute.
enum class FieldId : uint8_t {
  kHost,
  kService,
  kState,
  kDescription,
  kMetric,
  kTags,
  kTime,
  kTtl,
  kAttribute,
};

// "host" -> kHost, ..., anything else -> kAttribute.
FieldId FieldIdFromName(std::string_view name);

// A value as the evaluator sees it (Clojure semantics): nil, a boolean, an
// integer, a floating-point number, a string, or a non-empty tag list.
// Integers and floats are different kinds for `=` (Clojure: (= 1 1.0) is
// false) but compare numerically with < > <= >=.
struct QueryValue {
  enum class Kind : uint8_t { kNil, kBool, kInt, kDouble, kString, kTags };
  Kind kind = Kind::kNil;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string_view s;  // kString: borrowed from the event or the query

  static QueryValue Nil() { return {}; }
  static QueryValue Bool(bool v) { return {Kind::kBool, v, 0, 0, {}}; }
  static QueryValue Int(int64_t v) { return {Kind::kInt, false, v, 0, {}}; }
  static QueryValue Double(double v) { return {Kind::kDouble, false, 0, v, {}}; }
  static QueryValue String(std::string_view v) { return {Kind::kString, false, 0, 0, v}; }
  static QueryValue Tags() { return {Kind::kTags, false, 0, 0, {}}; }
};

// What the evaluator needs from an event. Implemented over the protocol
// Event (EventFieldSource) and over the index's compact storage.
class FieldSource {
 public:
  virtual ~FieldSource() = default;
  // The value of a field; `attribute` is the name when id == kAttribute.
  // Standard fields: host, service, state, description (string or nil),
  // metric (int or double or nil), time (unix seconds: int when whole, else
  // double; nil when absent), ttl (double or nil), tags (kTags or nil when
  // empty). An attribute present without a value reads as "".
  virtual QueryValue Get(FieldId id, std::string_view attribute) const = 0;
  virtual bool HasTag(std::string_view tag) const = 0;
};

class EventFieldSource final : public FieldSource {
 public:
  explicit EventFieldSource(const Event& e) : e_(e) {}
  QueryValue Get(FieldId id, std::string_view attribute) const override;
  bool HasTag(std::string_view tag) const override { return e_.HasTag(tag); }

 private:
  const Event& e_;
};

// The time field's value from unix microseconds (shared by FieldSources).
QueryValue TimeValue(int64_t unix_micros);

struct QueryLimits {
  size_t max_bytes = 64u << 10;  // query text
  int max_depth = 64;            // nesting of parentheses and `not`
  size_t max_nodes = 4096;       // predicates in the whole query
};

// The key of the index fast path. nullopt members are nil.
struct HostServiceKey {
  std::optional<std::string> host;
  std::optional<std::string> service;
  friend bool operator==(const HostServiceKey&, const HostServiceKey&) = default;
};

class EventQuery {
 public:
  struct Impl;

  // True when the query matches the event.
  bool Matches(const FieldSource& event) const;
  bool Matches(const Event& event) const { return Matches(EventFieldSource(event)); }

  // Set when the query is exactly `host = L1 and service = L2` (either
  // order, field on the left, L a string or nil): the index answers it by
  // direct lookup (riemann.index/query-for-host-and-service).
  std::optional<HostServiceKey> ExactHostService() const;

  // True for the literal query `true` (the usual "everything").
  bool IsTrue() const;

  // Riemann's AST as an s-expression: `(and (= :host "a") (not (:tagged "x")))`.
  std::string ToString() const;

  const std::string& text() const;

 private:
  friend Result<EventQuery> ParseQuery(std::string_view, const QueryLimits&);
  explicit EventQuery(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// Parses a query. Errors (Errc::kInvalidArgument, or kLimitExceeded) read
// `parse error at column 12: expected a string after '=~', got 5`.
[[nodiscard]] Result<EventQuery> ParseQuery(std::string_view text, const QueryLimits& limits = {});

}  // namespace vigie::events
