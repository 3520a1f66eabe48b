// Splits a multi-line EGRESS_* value into logical lines exactly as the
// upstream scripts see them: `while read dest; do ...; done <<< "$VALUE"`
// (bash `read` without -r, default IFS).
//
// Thread rules: pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigie::egress {

// One line as `read` hands it to the upstream loop.
struct EnvLine {
  int line = 0;      // 1-based physical line where the logical line starts
  std::string text;  // after backslash processing and blank trimming
};

// Splits `value` the way bash `read` does on a here-string:
//   - "\n" ends a line; the here-string's extra newline makes "a\n" two
//     lines ("a" and ""), which the callers skip as blank;
//   - a backslash escapes the next character ("\ " is a kept space, "\\" a
//     backslash) and a backslash before a newline joins the next line;
//   - unescaped spaces, tabs and newlines are trimmed from both ends, inner
//     ones are kept as written;
//   - NUL bytes are dropped (bash drops them too).
// Deviation: bash silently drops a last line that ends in a lone backslash
// (`read` hits end of input and fails); here that line is kept.
std::vector<EnvLine> SplitEnvLines(std::string_view value);

}  // namespace vigie::egress
