// The parsed form of a query: a flat vector of nodes (children by index),
// built by the parser (parser.h), walked by the evaluator (eval.h) and the
// printer (printer.h). Internal to events/query; the public entry is query.h.
//
// Thread rules: immutable once ParseInto returns; shared by EventQuery copies.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "events/query/query.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace vigie::events {
namespace query_internal {

// One side of a comparison: a field (looked up on the event) or a literal.
struct Operand {
  bool is_field = false;
  FieldId field = FieldId::kAttribute;
  std::string name;  // field name as written (attributes are looked up by it)
  QueryValue::Kind kind = QueryValue::Kind::kNil;  // literal kind
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string str;  // literal string (QueryValue borrows it)
};

enum class NodeKind : uint8_t {
  kValue,  // truthiness of an operand
  kAnd,
  kOr,
  kNot,
  kEq,
  kNe,
  kLt,
  kGt,
  kLe,
  kGe,
  kLike,
  kRegex,
  kTagged,
};

// A LIKE pattern split on '%', for the fast path.
struct LikePattern {
  std::vector<std::string> segments;  // literal runs between '%'
  bool leading = false;               // pattern starts with '%'
  bool trailing = false;              // pattern ends with '%'
};

struct Node {
  NodeKind kind = NodeKind::kValue;
  std::vector<uint32_t> children;      // and/or (n-ary, left to right), not (one)
  Operand a, b;                        // comparisons: a op b; kValue, like, regex: a
  std::string text;                    // tag, or pattern as written (unescaped)
  std::shared_ptr<const re2::RE2> re;  // like and regex: the compiled pattern
  LikePattern like;                    // like: the pattern split on '%'
};

}  // namespace query_internal

struct EventQuery::Impl {
  std::string text;                         // the query as given (tokens borrow it)
  std::vector<query_internal::Node> nodes;  // children before their parents
  uint32_t root = 0;
};

}  // namespace vigie::events
