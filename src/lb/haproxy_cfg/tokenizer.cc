// haproxy.cfg lines and words; see tokenizer.h.
#include "lb/haproxy_cfg/tokenizer.h"

#include <charconv>
#include <utility>

namespace vigie::lb::haproxy_cfg::internal {

bool IsBlank(char c) {
  return c == ' ' || c == '\t';
}

std::string_view NextLine(std::string_view text, std::size_t& pos) {
  std::size_t eol = text.find('\n', pos);
  std::string_view raw =
      text.substr(pos, eol == std::string_view::npos ? text.size() - pos : eol - pos);
  pos = eol == std::string_view::npos ? text.size() : eol + 1;
  return raw;
}

// Follows haproxy's parse_line(), with one addition: the UTF-8 non-breaking
// space counts as a blank (haproxy refuses it; the reader warns instead).
Result<Tokens> Tokenize(std::string_view raw) {
  Tokens out;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (quote == 0) {
      bool nbsp = static_cast<unsigned char>(c) == 0xC2 && i + 1 < raw.size() &&
                  static_cast<unsigned char>(raw[i + 1]) == 0xA0;
      if (IsBlank(c) || c == '\r' || nbsp) {
        if (nbsp) {
          ++i;
          out.nbsp = true;
        }
        if (in_word) {
          out.words.push_back(std::move(word));
          word.clear();
          in_word = false;
        }
        continue;
      }
      if (c == '#') {
        break;
      }
    }
    if (quote == '\'') {
      if (c == '\'') {
        quote = 0;
      } else {
        word += c;
      }
      continue;
    }
    if (quote == 0 && (c == '\'' || c == '"')) {
      quote = c;
      in_word = true;
      continue;
    }
    if (c == '"' && quote == '"') {
      quote = 0;
      continue;
    }
    if (c == '$' && quote == '"') {
      out.dollar_in_double_quotes = true;
    }
    if (c == '\\' && i + 1 < raw.size()) {
      char n = raw[++i];
      switch (n) {
        case 'r':
          word += '\r';
          break;
        case 'n':
          word += '\n';
          break;
        case 't':
          word += '\t';
          break;
        case 'x': {
          int v = 0;
          if (i + 2 < raw.size() &&
              std::from_chars(raw.data() + i + 1, raw.data() + i + 3, v, 16).ptr ==
                  raw.data() + i + 3) {
            word += static_cast<char>(v);
            i += 2;
          } else {
            return Error(Errc::kInvalidArgument, "truncated or invalid hexadecimal sequence");
          }
          break;
        }
        default:
          word += n;
          break;
      }
      in_word = true;
      continue;
    }
    word += c;
    in_word = true;
  }
  if (quote != 0) {
    return Error(Errc::kInvalidArgument,
                 std::string("unmatched ") + (quote == '"' ? "double" : "single") + " quote");
  }
  if (in_word) {
    out.words.push_back(std::move(word));
  }
  return out;
}

}  // namespace vigie::lb::haproxy_cfg::internal
