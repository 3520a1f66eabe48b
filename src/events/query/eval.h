// The query evaluator: a parsed query (ast.h) against an event's fields,
// with Clojure's value semantics (riemann.query's `fun`). Internal to
// events/query; the public entry is EventQuery::Matches (query.h).
//
// Thread rules: pure functions; any number of threads may evaluate the same
// query at once.
#pragma once

#include <cstdint>
#include <string_view>

#include "events/query/ast.h"
#include "events/query/query.h"

namespace vigie::events::query_internal {

// True when node `index` of `q` (and so its subtree) holds for `src`.
bool Evaluate(const EventQuery::Impl& q, uint32_t index, const FieldSource& src);

// The operand's value: the field read from `src`, or the literal (a kString
// literal borrows the Operand's string).
QueryValue OperandValue(const Operand& o, const FieldSource& src);

// Clojure truthiness: everything but nil and false.
bool Truthy(const QueryValue& v);

// Clojure `=`: kinds must agree (1 is not 1.0), NaN is not equal to itself,
// nil equals nil, and two tag lists are equal.
bool ValuesEqual(const QueryValue& x, const QueryValue& y);

// For two numbers (kInt or kDouble): -1, 0 or 1 as x <, =, > y; 2 when
// unordered (a NaN). Two integers compare exactly; otherwise as doubles.
int CompareNumbers(const QueryValue& x, const QueryValue& y);

// True when `s` holds a byte that may start a Java line terminator (\n, \r,
// or any non-ASCII byte: U+0085, U+2028, U+2029): GlobMatch does not apply.
bool HasLineTerminatorOrNonAscii(std::string_view s);

// The LIKE pattern matched against the whole of `s`, '%' standing for any
// run of bytes. The same answer as the pattern's regular expression when
// HasLineTerminatorOrNonAscii(s) is false.
bool GlobMatch(const LikePattern& p, std::string_view s);

}  // namespace vigie::events::query_internal
