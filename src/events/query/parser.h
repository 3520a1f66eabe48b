// The query parser: recursive descent over the lexer's tokens with the
// grammar's precedence (not > and > or), building the node vector of ast.h;
// LIKE and regex patterns are compiled here, once. Internal to events/query;
// the public entry is ParseQuery (query.h).
//
// Thread rules: pure; the caller owns `impl` until parsing returns.
#pragma once

#include "core/error.h"
#include "events/query/ast.h"
#include "events/query/query.h"

namespace vigie::events::query_internal {

// Parses `impl.text` into `impl.nodes` and `impl.root`; the nodes own
// their strings. An and/or chain becomes one n-ary node; parentheses leave
// no node.
// Errors: Errc::kInvalidArgument with the 1-based column and what was
// expected (`parse error at column 12: expected ')', got end of query`);
// Errc::kLimitExceeded past limits.max_depth (nesting of parentheses and
// `not`) or limits.max_nodes. The byte limit is the caller's.
[[nodiscard]] Result<void> ParseInto(const QueryLimits& limits, EventQuery::Impl& impl);

}  // namespace vigie::events::query_internal
