// The query lexer: ANTLR's longest match over the rules of query.g4, tried
// in grammar order so that a later rule wins only when strictly longer.
#include "events/query/lexer.h"

#include <algorithm>

namespace vigie::events::query_internal {
namespace {

bool IsWs(unsigned char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',';
}
bool IsDigit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool IsHexDigit(unsigned char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// SYMBOL_HEAD of query.g4: anything but digits, ^`'"#~@:/%()[]{} and
// whitespace (bytes >= 0x80 are parts of non-ASCII code points: allowed).
bool IsSymbolHead(unsigned char c) {
  if (IsDigit(c) || IsWs(c))
    return false;
  switch (c) {
    case '^':
    case '`':
    case '\'':
    case '"':
    case '#':
    case '~':
    case '@':
    case ':':
    case '/':
    case '%':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
      return false;
    default:
      return true;
  }
}
bool IsSymbolRest(unsigned char c) {
  return IsSymbolHead(c) || IsDigit(c) || c == '.';
}

size_t MatchName(std::string_view s, size_t i) {
  size_t start = i;
  if (i >= s.size() || !IsSymbolHead(s[i]))
    return 0;
  ++i;
  while (i < s.size() && IsSymbolRest(s[i]))
    ++i;
  // (':' SYMBOL_REST+)*
  while (i + 1 < s.size() && s[i] == ':' && IsSymbolRest(s[i + 1])) {
    i += 2;
    while (i < s.size() && IsSymbolRest(s[i]))
      ++i;
  }
  return i - start;
}

size_t MatchDigits(std::string_view s, size_t i) {
  size_t n = 0;
  while (i + n < s.size() && IsDigit(s[i + n]))
    ++n;
  return n;
}

// Longest FLOAT, and the LONG / BIGN / HEX lengths at i.
struct NumberMatch {
  size_t float_len = 0, long_len = 0, bign_len = 0, hex_len = 0;
};

NumberMatch MatchNumber(std::string_view s, size_t i) {
  NumberMatch m;
  size_t j = i;
  if (j < s.size() && s[j] == '-')
    ++j;
  std::string_view rest = s.substr(j);
  if (rest.starts_with("Infinity"))
    m.float_len = j - i + 8;
  if (rest.starts_with("NaN"))
    m.float_len = j - i + 3;
  size_t d = MatchDigits(s, j);
  if (d > 0) {
    size_t k = j + d;
    m.long_len = k - i;
    if (k < s.size() && (s[k] == 'l' || s[k] == 'L'))
      m.long_len = k + 1 - i;
    if (k < s.size() && (s[k] == 'n' || s[k] == 'N'))
      m.bign_len = k + 1 - i;
    // FLOAT_TAIL: ('.' digits+)? ([eE] '-'? digits+)?, at least one.
    size_t t = k;
    bool tail = false;
    if (t < s.size() && s[t] == '.' && MatchDigits(s, t + 1) > 0) {
      t += 1 + MatchDigits(s, t + 1);
      tail = true;
    }
    if (t < s.size() && (s[t] == 'e' || s[t] == 'E')) {
      size_t u = t + 1;
      if (u < s.size() && s[u] == '-')
        ++u;
      size_t ed = MatchDigits(s, u);
      if (ed > 0) {
        t = u + ed;
        tail = true;
      }
    }
    if (tail)
      m.float_len = std::max(m.float_len, t - i);
  }
  // HEX: '0' [xX] HEXD+ (no sign).
  if (i + 2 < s.size() && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X') &&
      IsHexDigit(s[i + 2])) {
    size_t k = i + 2;
    while (k < s.size() && IsHexDigit(s[k]))
      ++k;
    m.hex_len = k - i;
  }
  return m;
}

// STRING, read escape-aware ('\' always takes the next byte). Returns 0 when
// unterminated.
size_t MatchString(std::string_view s, size_t i) {
  if (i >= s.size() || s[i] != '"')
    return 0;
  for (size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] == '\\') {
      ++j;
    } else if (s[j] == '"') {
      return j + 1 - i;
    }
  }
  return 0;
}

size_t MatchChar(std::string_view s, size_t i) {
  if (i >= s.size() || s[i] != '\\' || i + 1 >= s.size())
    return 0;
  std::string_view rest = s.substr(i + 1);
  // CHAR_U: \u [0-9D-Fd-f] HEXD HEXD HEXD
  if (rest.size() >= 5 && rest[0] == 'u') {
    unsigned char c = rest[1];
    bool first = IsDigit(c) || (c >= 'D' && c <= 'F') || (c >= 'd' && c <= 'f');
    if (first && IsHexDigit(rest[2]) && IsHexDigit(rest[3]) && IsHexDigit(rest[4]))
      return 6;
  }
  for (std::string_view named : {"newline", "return", "space", "tab", "formfeed", "backspace"}) {
    if (rest.starts_with(named))
      return 1 + named.size();
  }
  return 2;
}

struct Literal {
  std::string_view text;
  Tok type;
};
constexpr Literal kLiterals[] = {
    {"not", Tok::kNot},  {"and", Tok::kAnd},       {"or", Tok::kOr}, {"(", Tok::kLParen},
    {")", Tok::kRParen}, {"tagged", Tok::kTagged}, {"=", Tok::kEq},  {"!=", Tok::kNe},
    {"<", Tok::kLt},     {">", Tok::kGt},          {"<=", Tok::kLe}, {">=", Tok::kGe},
    {"=~", Tok::kLike},  {"~=", Tok::kRegex},
};

// A code point as UTF-8.
void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

}  // namespace

Result<Token> NextToken(std::string_view s, size_t& i) {
  while (i < s.size() && IsWs(s[i]))
    ++i;
  if (i >= s.size())
    return Token{Tok::kEnd, i, {}};
  // Candidates in rule order; a later one wins only when strictly longer.
  Tok best = Tok::kEnd;
  size_t best_len = 0;
  auto offer = [&](Tok t, size_t len) {
    if (len > best_len) {
      best = t;
      best_len = len;
    }
  };
  for (const Literal& l : kLiterals) {
    if (s.substr(i).starts_with(l.text))
      offer(l.type, l.text.size());
  }
  offer(Tok::kString, MatchString(s, i));
  NumberMatch num = MatchNumber(s, i);
  offer(Tok::kFloat, num.float_len);
  offer(Tok::kHex, num.hex_len);
  offer(Tok::kLong, num.long_len);
  offer(Tok::kBign, num.bign_len);
  offer(Tok::kChar, MatchChar(s, i));
  std::string_view rest = s.substr(i);
  if (rest.starts_with("null"))
    offer(Tok::kNil, 4);
  if (rest.starts_with("nil"))
    offer(Tok::kNil, 3);
  if (rest.starts_with("true"))
    offer(Tok::kTrue, 4);
  if (rest.starts_with("false"))
    offer(Tok::kFalse, 5);
  offer(Tok::kName, MatchName(s, i));
  if (best_len == 0) {
    std::string what =
        s[i] == '"' ? "unterminated string" : "unexpected character '" + std::string(1, s[i]) + "'";
    return Error(Errc::kInvalidArgument,
                 "parse error at column " + std::to_string(i + 1) + ": " + what);
  }
  Token t{best, i, s.substr(i, best_len)};
  i += best_len;
  return t;
}

Result<std::string> UnescapeString(std::string_view lexeme, size_t pos) {
  std::string out;
  std::string_view body = lexeme.substr(1, lexeme.size() - 2);
  auto fail = [&](size_t at, const std::string& what) {
    return Error(Errc::kInvalidArgument,
                 "parse error at column " + std::to_string(pos + 2 + at) + ": " + what);
  };
  uint32_t pending_high = 0;  // a UTF-16 high surrogate waiting for its pair
  auto flush_high = [&] {
    if (pending_high != 0)
      AppendUtf8(0xfffd, out);
    pending_high = 0;
  };
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c != '\\') {
      flush_high();
      out.push_back(c);
      continue;
    }
    size_t at = i;
    ++i;  // MatchString guarantees a byte follows
    char e = body[i];
    if (e == 'u') {
      uint32_t cp = 0;
      if (i + 4 >= body.size())
        return fail(at, "invalid unicode escape");
      for (size_t k = 1; k <= 4; ++k) {
        unsigned char h = body[i + k];
        if (!IsHexDigit(h))
          return fail(at, "invalid unicode escape");
        cp = cp * 16 + (IsDigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
      }
      i += 4;
      if (cp >= 0xd800 && cp <= 0xdbff) {
        flush_high();
        pending_high = cp;
      } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        if (pending_high != 0) {
          AppendUtf8(0x10000 + ((pending_high - 0xd800) << 10) + (cp - 0xdc00), out);
          pending_high = 0;
        } else {
          AppendUtf8(0xfffd, out);
        }
      } else {
        flush_high();
        AppendUtf8(cp, out);
      }
      continue;
    }
    flush_high();
    switch (e) {
      case 't':
        out.push_back('\t');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '"':
        out.push_back('"');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = 0;
          size_t n = 0;
          while (n < 3 && i + n < body.size() && body[i + n] >= '0' && body[i + n] <= '7') {
            v = v * 8 + static_cast<uint32_t>(body[i + n] - '0');
            ++n;
          }
          if (v > 0377)
            return fail(at, "octal escape sequence must be in range [0, 377]");
          i += n - 1;
          AppendUtf8(v, out);
          break;
        }
        return fail(at, std::string("unsupported escape character: \\") + e);
    }
  }
  flush_high();
  return out;
}

}  // namespace vigie::events::query_internal
