// The query printer: a parsed query as Riemann's AST, the s-expression
// riemann.query/ast returns (`(and (= :host "a") (not (:tagged "x")))`),
// with EDN strings and Java's Double.toString. Internal to events/query; the
// public entry is EventQuery::ToString (query.h).
//
// Thread rules: pure functions; they append to the caller's string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "events/query/ast.h"

namespace vigie::events::query_internal {

// Node `index` of `q` and its subtree. and/or print binary and
// left-associative, as Riemann parses them: `a and b and c` is
// `(and (and :a :b) :c)`.
void AppendAst(const EventQuery::Impl& q, uint32_t index, std::string& out);

// `s` as an EDN string literal: quoted, with " \ and the control characters
// \n \t \r \b \f escaped; every other byte as it is. UnescapeString
// (lexer.h) reads it back to `s`.
void AppendEdnString(std::string_view s, std::string& out);

// `d` as Java's Double.toString writes it: plain for 1e-3 <= |d| < 1e7 (and
// zero), else a mantissa and `E` exponent (`1.0E10`, `-1.2E-5`); always a
// digit after the point; the shortest digits that read back to `d`.
// Non-finite values as EDN: ##NaN, ##Inf, ##-Inf.
void AppendJavaDouble(double d, std::string& out);

}  // namespace vigie::events::query_internal
