// The query language's lexer: tokens of riemann/riemann resources/query.g4
// as ANTLR reads them (longest match; a tie goes to the rule listed first),
// and the decoding of a STRING token's EDN escapes. Internal to
// events/query (the parser's input); the public entry is query.h.
//
// Thread rules: pure functions over the caller's text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace vigie::events::query_internal {

enum class Tok : uint8_t {
  kEnd,
  // Implicit literal tokens, in grammar order.
  kNot,
  kAnd,
  kOr,
  kLParen,
  kRParen,
  kTagged,
  kEq,
  kNe,
  kLt,
  kGt,
  kLe,
  kGe,
  kLike,
  kRegex,
  // Named tokens, in grammar order.
  kString,
  kFloat,
  kHex,
  kLong,
  kBign,
  kChar,
  kNil,
  kTrue,
  kFalse,
  kName,
};

struct Token {
  Tok type = Tok::kEnd;
  size_t pos = 0;         // byte offset of the lexeme in the query text
  std::string_view text;  // the lexeme, borrowed from the query text
};

// Skips whitespace (space, tab, CR, LF and ',') from `pos`, then reads one
// token and advances `pos` past it. At the end of `text`: a kEnd token at
// text.size(), again on every call. Errors (Errc::kInvalidArgument) name the
// 1-based column: `parse error at column 8: unterminated string`, or
// `... unexpected character '#'`.
[[nodiscard]] Result<Token> NextToken(std::string_view text, size_t& pos);

// The value of a STRING lexeme (quotes included, as NextToken returns it)
// that starts at byte `pos` of the query: EDN escapes \t \r \n \\ \" \b \f,
// \uXXXX (UTF-16 surrogate pairs joined; a lone surrogate becomes U+FFFD) and
// octal \ooo up to \377, written as UTF-8. Other bytes are copied. Errors
// (Errc::kInvalidArgument) name the column of the offending backslash.
[[nodiscard]] Result<std::string> UnescapeString(std::string_view lexeme, size_t pos);

}  // namespace vigie::events::query_internal
