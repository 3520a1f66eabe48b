// EventQuery: the public face of the query language. The work is done by
// the lexer (lexer.h), the parser (parser.h), the evaluator (eval.h) and the
// printer (printer.h) over the node vector of ast.h.
#include "events/query/query.h"

#include "events/query/ast.h"
#include "events/query/eval.h"
#include "events/query/parser.h"
#include "events/query/printer.h"

namespace vigie::events {

using query_internal::Node;
using query_internal::NodeKind;
using query_internal::Operand;

namespace {

// Not inlined: g++ 12 at -O1 (the ASan build) reports a false
// -Wmaybe-uninitialized on the nested optional once this is inlined into
// ExactHostService. It runs once per query parse, not per event.
[[gnu::noinline]] std::optional<std::optional<std::string>> LiteralKey(const Operand& o) {
  if (o.is_field)
    return std::nullopt;
  if (o.kind == QueryValue::Kind::kNil)
    return std::optional<std::string>();
  if (o.kind == QueryValue::Kind::kString)
    return std::optional<std::string>(o.str);
  return std::nullopt;
}

}  // namespace

Result<EventQuery> ParseQuery(std::string_view text, const QueryLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error(Errc::kLimitExceeded, "query of " + std::to_string(text.size()) + " bytes");
  }
  auto impl = std::make_shared<EventQuery::Impl>();
  impl->text = std::string(text);
  VIGIE_TRY(query_internal::ParseInto(limits, *impl));
  return EventQuery(std::move(impl));
}

bool EventQuery::Matches(const FieldSource& event) const {
  return query_internal::Evaluate(*impl_, impl_->root, event);
}

std::optional<HostServiceKey> EventQuery::ExactHostService() const {
  const Node& root = impl_->nodes[impl_->root];
  if (root.kind != NodeKind::kAnd || root.children.size() != 2)
    return std::nullopt;
  HostServiceKey key;
  bool has_host = false, has_service = false;
  for (uint32_t c : root.children) {
    const Node& n = impl_->nodes[c];
    if (n.kind != NodeKind::kEq || !n.a.is_field)
      return std::nullopt;
    auto literal = LiteralKey(n.b);
    if (!literal)
      return std::nullopt;
    if (n.a.field == FieldId::kHost && !has_host) {
      key.host = *literal;
      has_host = true;
    } else if (n.a.field == FieldId::kService && !has_service) {
      key.service = *literal;
      has_service = true;
    }
  }
  if (!has_host || !has_service)
    return std::nullopt;
  return key;
}

bool EventQuery::IsTrue() const {
  const Node& root = impl_->nodes[impl_->root];
  return root.kind == NodeKind::kValue && !root.a.is_field &&
         root.a.kind == QueryValue::Kind::kBool && root.a.b;
}

std::string EventQuery::ToString() const {
  std::string out;
  query_internal::AppendAst(*impl_, impl_->root, out);
  return out;
}

const std::string& EventQuery::text() const {
  return impl_->text;
}

}  // namespace vigie::events
