// haproxy.cfg lines to words: the text split into lines, and a line into
// words with haproxy's blanks, comments, quotes and escapes (parse_line() in
// haproxy 2.6). Pure functions; no limits here (the reader bounds line
// length and word count).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace vigie::lb::haproxy_cfg::internal {

// haproxy's blanks between words: space and tab.
bool IsBlank(char c);

// The line of `text` that starts at `pos`, without its '\n' (a '\r' stays:
// Tokenize reads it as a blank), and moves `pos` past that '\n' (to
// text.size() on the last line, which needs no '\n'). Requires
// pos < text.size().
std::string_view NextLine(std::string_view text, std::size_t& pos);

// The words of one line, and what the reader reports about how they were read.
struct Tokens {
  std::vector<std::string> words;
  // A UTF-8 non-breaking space (C2 A0) was read as a blank: blog copy-pastes
  // carry it, and haproxy itself would refuse the line.
  bool nbsp = false;
  // A '$' inside double quotes: haproxy would expand an environment variable
  // there ("$VAR", "${VAR}"); vigie keeps the '$' and the name literally.
  bool dollar_in_double_quotes = false;
};

// Splits one line (without '\n') into words. Blanks (space, tab, '\r',
// NBSP) separate words; '#' outside quotes ends the line; single quotes are
// literal; outside them '\' escapes the next character (\r \n \t \xHH are
// control characters and hex bytes; any other is itself, so "\ " is a blank
// inside a word); double quotes group but allow escapes. Quotes may join
// parts of one word (a'b'"c" is "abc"); '' is an empty word.
// Errors (kInvalidArgument; context is haproxy's text): "unmatched double
// quote", "unmatched single quote", "truncated or invalid hexadecimal
// sequence".
Result<Tokens> Tokenize(std::string_view line);

}  // namespace vigie::lb::haproxy_cfg::internal
