// Bash `read` emulation for the EGRESS_* multi-line variables.
#include "egress/spec/env_lines.h"

namespace vigie::egress {
namespace {

bool IsIfsBlank(char c) {
  return c == ' ' || c == '\t' || c == '\n';
}

// Characters with their "escaped" mark: escaped blanks are never trimmed.
struct MarkedChar {
  char c;
  bool escaped;
};

EnvLine Finish(int line, const std::vector<MarkedChar>& chars) {
  size_t begin = 0;
  size_t end = chars.size();
  while (begin < end && !chars[begin].escaped && IsIfsBlank(chars[begin].c)) {
    ++begin;
  }
  while (end > begin && !chars[end - 1].escaped && IsIfsBlank(chars[end - 1].c)) {
    --end;
  }
  EnvLine out;
  out.line = line;
  out.text.reserve(end - begin);
  for (size_t i = begin; i < end; ++i) {
    out.text.push_back(chars[i].c);
  }
  return out;
}

}  // namespace

std::vector<EnvLine> SplitEnvLines(std::string_view value) {
  std::vector<EnvLine> lines;
  std::vector<MarkedChar> current;
  int physical = 1;
  int start = 1;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (c == '\0') {
      continue;
    }
    if (c == '\\') {
      if (i + 1 == value.size()) {
        break;  // lone trailing backslash: dropped, the line is kept
      }
      char next = value[++i];
      if (next == '\n') {
        ++physical;  // continuation: the logical line goes on
      } else if (next != '\0') {
        current.push_back({next, true});
      }
      continue;
    }
    if (c == '\n') {
      lines.push_back(Finish(start, current));
      current.clear();
      ++physical;
      start = physical;
      continue;
    }
    current.push_back({c, false});
  }
  // The here-string's own trailing newline ends the last line.
  lines.push_back(Finish(start, current));
  return lines;
}

}  // namespace vigie::egress
