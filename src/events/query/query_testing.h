// Test helpers shared by the query tests (test-only; not part of any
// library): an event as a Clojure map, and parsing that fails the test on
// error.
#pragma once

#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "events/query/query.h"

namespace vigie::events::query_testing {

// A Clojure-map-like event for the ported upstream tests: any field may hold
// any value, as in `{:state 0.5}` or `{:host 1}`.
class MapEvent final : public FieldSource {
 public:
  MapEvent& Set(const std::string& k, QueryValue v) {
    if (v.kind == QueryValue::Kind::kString) {
      strings_.push_back(std::string(v.s));
      v.s = strings_.back();
    }
    values_[k] = v;
    return *this;
  }
  MapEvent& Str(const std::string& k, const std::string& s) {
    return Set(k, QueryValue::String(s));
  }
  MapEvent& Tags(std::set<std::string> tags) {
    tags_ = std::move(tags);
    values_["tags"] = QueryValue::Tags();
    return *this;
  }
  QueryValue Get(FieldId, std::string_view name) const override {
    auto it = values_.find(std::string(name));
    return it == values_.end() ? QueryValue::Nil() : it->second;
  }
  bool HasTag(std::string_view tag) const override { return tags_.count(std::string(tag)) > 0; }

 private:
  std::map<std::string, QueryValue> values_;
  std::deque<std::string> strings_;
  std::set<std::string> tags_;
};

inline EventQuery Q(std::string_view text) {
  auto q = ParseQuery(text);
  EXPECT_TRUE(q) << text << ": " << q.error().ToString();
  if (!q)
    return *ParseQuery("false");
  return *q;
}

inline std::string Ast(std::string_view text) {
  return Q(text).ToString();
}

inline std::string ParseError(std::string_view text) {
  auto q = ParseQuery(text);
  EXPECT_FALSE(q) << text << " parsed as " << (q ? q->ToString() : "");
  return q ? "" : q.error().ToString();
}

}  // namespace vigie::events::query_testing
