// The query evaluator: a tree walk over the node vector, with Clojure's
// equality and Java's regular expressions (on RE2: linear time, since both
// queries and events are untrusted).
#include "events/query/eval.h"

#include <cmath>

#include <re2/re2.h>

namespace vigie::events {

FieldId FieldIdFromName(std::string_view name) {
  if (name == "host")
    return FieldId::kHost;
  if (name == "service")
    return FieldId::kService;
  if (name == "state")
    return FieldId::kState;
  if (name == "description")
    return FieldId::kDescription;
  if (name == "metric")
    return FieldId::kMetric;
  if (name == "tags")
    return FieldId::kTags;
  if (name == "time")
    return FieldId::kTime;
  if (name == "ttl")
    return FieldId::kTtl;
  return FieldId::kAttribute;
}

QueryValue TimeValue(int64_t unix_micros) {
  if (unix_micros % 1'000'000 == 0)
    return QueryValue::Int(unix_micros / 1'000'000);
  return QueryValue::Double(static_cast<double>(unix_micros) / 1e6);
}

QueryValue EventFieldSource::Get(FieldId id, std::string_view attribute) const {
  switch (id) {
    case FieldId::kHost:
      return e_.Has(Event::kHost) ? QueryValue::String(e_.host()) : QueryValue::Nil();
    case FieldId::kService:
      return e_.Has(Event::kService) ? QueryValue::String(e_.service()) : QueryValue::Nil();
    case FieldId::kState:
      return e_.Has(Event::kState) ? QueryValue::String(e_.state()) : QueryValue::Nil();
    case FieldId::kDescription:
      return e_.Has(Event::kDescription) ? QueryValue::String(e_.description()) : QueryValue::Nil();
    case FieldId::kMetric: {
      auto m = e_.GetMetric();
      if (!m)
        return QueryValue::Nil();
      return m->is_integer ? QueryValue::Int(m->i) : QueryValue::Double(m->d);
    }
    case FieldId::kTags:
      return e_.tags().empty() ? QueryValue::Nil() : QueryValue::Tags();
    case FieldId::kTime: {
      auto t = e_.GetTimeMicros();
      return t ? TimeValue(*t) : QueryValue::Nil();
    }
    case FieldId::kTtl:
      return e_.Has(Event::kTtl) ? QueryValue::Double(e_.ttl()) : QueryValue::Nil();
    case FieldId::kAttribute:
      for (const Attribute& a : e_.attributes()) {
        if (a.key == attribute)
          return QueryValue::String(a.value);
      }
      return QueryValue::Nil();
  }
  return QueryValue::Nil();
}

namespace query_internal {
namespace {

bool IsNumber(const QueryValue& v) {
  return v.kind == QueryValue::Kind::kInt || v.kind == QueryValue::Kind::kDouble;
}

}  // namespace

QueryValue OperandValue(const Operand& o, const FieldSource& src) {
  if (o.is_field)
    return src.Get(o.field, o.name);
  QueryValue v;
  v.kind = o.kind;
  v.b = o.b;
  v.i = o.i;
  v.d = o.d;
  v.s = o.str;
  return v;
}

bool Truthy(const QueryValue& v) {
  return !(v.kind == QueryValue::Kind::kNil || (v.kind == QueryValue::Kind::kBool && !v.b));
}

bool ValuesEqual(const QueryValue& x, const QueryValue& y) {
  if (x.kind != y.kind)
    return false;
  switch (x.kind) {
    case QueryValue::Kind::kNil:
      return true;
    case QueryValue::Kind::kBool:
      return x.b == y.b;
    case QueryValue::Kind::kInt:
      return x.i == y.i;
    case QueryValue::Kind::kDouble:
      return x.d == y.d;
    case QueryValue::Kind::kString:
      return x.s == y.s;
    case QueryValue::Kind::kTags:
      return true;  // only `tags = tags` gets here
  }
  return false;
}

int CompareNumbers(const QueryValue& x, const QueryValue& y) {
  if (x.kind == QueryValue::Kind::kInt && y.kind == QueryValue::Kind::kInt) {
    return x.i < y.i ? -1 : x.i > y.i ? 1 : 0;
  }
  double a = x.kind == QueryValue::Kind::kInt ? static_cast<double>(x.i) : x.d;
  double b = y.kind == QueryValue::Kind::kInt ? static_cast<double>(y.i) : y.d;
  if (std::isnan(a) || std::isnan(b))
    return 2;
  return a < b ? -1 : a > b ? 1 : 0;
}

bool HasLineTerminatorOrNonAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c == '\n' || c == '\r' || c >= 0x80)
      return true;
  }
  return false;
}

// Glob match of '%' segments: exact when `s` holds no line terminator (the
// caller checks), since Java's '.' then matches every character.
bool GlobMatch(const LikePattern& p, std::string_view s) {
  const auto& seg = p.segments;
  if (seg.empty())
    return p.leading || s.empty();
  size_t first = 0, last = seg.size();
  size_t pos = 0, end = s.size();
  if (!p.leading) {
    if (!s.starts_with(seg[0]))
      return false;
    pos = seg[0].size();
    first = 1;
  }
  if (!p.trailing && last > first) {
    const std::string& tail = seg[last - 1];
    if (end - pos < tail.size() || s.substr(end - tail.size()) != tail)
      return false;
    end -= tail.size();
    --last;
  } else if (!p.trailing && last == first) {
    // Whole pattern was one literal: must match exactly.
    return pos == end;
  }
  for (size_t k = first; k < last; ++k) {
    size_t at = s.substr(0, end).find(seg[k], pos);
    if (at == std::string_view::npos)
      return false;
    pos = at + seg[k].size();
  }
  return true;
}

bool Evaluate(const EventQuery::Impl& q, uint32_t index, const FieldSource& src) {
  const Node& n = q.nodes[index];
  switch (n.kind) {
    case NodeKind::kValue:
      return Truthy(OperandValue(n.a, src));
    case NodeKind::kAnd:
      for (uint32_t c : n.children) {
        if (!Evaluate(q, c, src))
          return false;
      }
      return true;
    case NodeKind::kOr:
      for (uint32_t c : n.children) {
        if (Evaluate(q, c, src))
          return true;
      }
      return false;
    case NodeKind::kNot:
      return !Evaluate(q, n.children[0], src);
    case NodeKind::kEq:
      return ValuesEqual(OperandValue(n.a, src), OperandValue(n.b, src));
    case NodeKind::kNe:
      return !ValuesEqual(OperandValue(n.a, src), OperandValue(n.b, src));
    case NodeKind::kLt:
    case NodeKind::kGt:
    case NodeKind::kLe:
    case NodeKind::kGe: {
      QueryValue x = OperandValue(n.a, src);
      QueryValue y = OperandValue(n.b, src);
      if (!IsNumber(x) || !IsNumber(y))
        return false;
      int c = CompareNumbers(x, y);
      if (c == 2)
        return false;
      switch (n.kind) {
        case NodeKind::kLt:
          return c < 0;
        case NodeKind::kGt:
          return c > 0;
        case NodeKind::kLe:
          return c <= 0;
        default:
          return c >= 0;
      }
    }
    case NodeKind::kLike: {
      QueryValue x = OperandValue(n.a, src);
      if (x.kind != QueryValue::Kind::kString)
        return false;
      if (!HasLineTerminatorOrNonAscii(x.s))
        return GlobMatch(n.like, x.s);
      return RE2::PartialMatch(re2::StringPiece(x.s.data(), x.s.size()), *n.re);
    }
    case NodeKind::kRegex: {
      QueryValue x = OperandValue(n.a, src);
      if (x.kind != QueryValue::Kind::kString)
        return false;
      return RE2::PartialMatch(re2::StringPiece(x.s.data(), x.s.size()), *n.re);
    }
    case NodeKind::kTagged:
      return src.HasTag(n.text);
  }
  return false;
}

}  // namespace query_internal
}  // namespace vigie::events
