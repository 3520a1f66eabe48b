// Query language: an ANTLR-faithful lexer (longest match, ties to the rule
// listed first in query.g4), a recursive-descent parser with the grammar's
// precedence, and a tree evaluator with Clojure's value semantics. Regular
// expressions run on RE2 (linear time: queries and events are untrusted).
#include "events/query/query.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <vector>

#include <re2/re2.h>

namespace vigie::events {

FieldId FieldIdFromName(std::string_view name) {
  if (name == "host")
    return FieldId::kHost;
  if (name == "service")
    return FieldId::kService;
  if (name == "state")
    return FieldId::kState;
  if (name == "description")
    return FieldId::kDescription;
  if (name == "metric")
    return FieldId::kMetric;
  if (name == "tags")
    return FieldId::kTags;
  if (name == "time")
    return FieldId::kTime;
  if (name == "ttl")
    return FieldId::kTtl;
  return FieldId::kAttribute;
}

QueryValue TimeValue(int64_t unix_micros) {
  if (unix_micros % 1'000'000 == 0)
    return QueryValue::Int(unix_micros / 1'000'000);
  return QueryValue::Double(static_cast<double>(unix_micros) / 1e6);
}

QueryValue EventFieldSource::Get(FieldId id, std::string_view attribute) const {
  switch (id) {
    case FieldId::kHost:
      return e_.Has(Event::kHost) ? QueryValue::String(e_.host()) : QueryValue::Nil();
    case FieldId::kService:
      return e_.Has(Event::kService) ? QueryValue::String(e_.service()) : QueryValue::Nil();
    case FieldId::kState:
      return e_.Has(Event::kState) ? QueryValue::String(e_.state()) : QueryValue::Nil();
    case FieldId::kDescription:
      return e_.Has(Event::kDescription) ? QueryValue::String(e_.description()) : QueryValue::Nil();
    case FieldId::kMetric: {
      auto m = e_.GetMetric();
      if (!m)
        return QueryValue::Nil();
      return m->is_integer ? QueryValue::Int(m->i) : QueryValue::Double(m->d);
    }
    case FieldId::kTags:
      return e_.tags().empty() ? QueryValue::Nil() : QueryValue::Tags();
    case FieldId::kTime: {
      auto t = e_.GetTimeMicros();
      return t ? TimeValue(*t) : QueryValue::Nil();
    }
    case FieldId::kTtl:
      return e_.Has(Event::kTtl) ? QueryValue::Double(e_.ttl()) : QueryValue::Nil();
    case FieldId::kAttribute:
      for (const Attribute& a : e_.attributes()) {
        if (a.key == attribute)
          return QueryValue::String(a.value);
      }
      return QueryValue::Nil();
  }
  return QueryValue::Nil();
}

namespace {

// ---------------------------------------------------------------------------
// Lexer

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
  size_t pos = 0;  // byte offset
  std::string_view text;
};

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

// One token at i (after whitespace), or an error.
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

// EDN string escapes: \t \r \n \\ \" \b \f \uXXXX \ooo (octal, <= 0377).
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

// ---------------------------------------------------------------------------
// AST

struct Operand {
  bool is_field = false;
  FieldId field = FieldId::kAttribute;
  std::string name;  // field name as written (attributes are looked up by it)
  QueryValue::Kind kind = QueryValue::Kind::kNil;  // literal kind
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string str;  // literal string (QueryValue borrows it)

  QueryValue Eval(const FieldSource& src) const {
    if (is_field)
      return src.Get(field, name);
    QueryValue v;
    v.kind = kind;
    v.b = b;
    v.i = i;
    v.d = d;
    v.s = str;
    return v;
  }
};

enum class NodeKind : uint8_t {
  kValue,  // truthiness of an operand
  kAnd,
  kOr,
  kNot,
  kEq,
  kNe,
  kLt,
  kGt,
  kLe,
  kGe,
  kLike,
  kRegex,
  kTagged,
};

// A LIKE pattern split on '%', for the fast path.
struct LikePattern {
  std::vector<std::string> segments;  // literal runs between '%'
  bool leading = false;               // pattern starts with '%'
  bool trailing = false;              // pattern ends with '%'
};

struct Node {
  NodeKind kind = NodeKind::kValue;
  std::vector<uint32_t> children;  // and/or (n-ary, left to right), not (one)
  Operand a, b;
  std::string text;  // tag, or pattern as written
  std::shared_ptr<const re2::RE2> re;
  LikePattern like;
};

std::string QuoteRegex(std::string_view s) {
  return RE2::QuoteMeta(re2::StringPiece(s.data(), s.size()));
}

bool HasLineTerminatorOrNonAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c == '\n' || c == '\r' || c >= 0x80)
      return true;
  }
  return false;
}

// Glob match of '%' segments: exact when `s` holds no line terminator (the
// caller checks), since Java's '.' then matches every character.
bool GlobMatch(const LikePattern& p, std::string_view s) {
  const auto& seg = p.segments;
  if (seg.empty())
    return p.leading || s.empty();
  size_t first = 0, last = seg.size();
  size_t pos = 0, end = s.size();
  if (!p.leading) {
    if (!s.starts_with(seg[0]))
      return false;
    pos = seg[0].size();
    first = 1;
  }
  if (!p.trailing && last > first) {
    const std::string& tail = seg[last - 1];
    if (end - pos < tail.size() || s.substr(end - tail.size()) != tail)
      return false;
    end -= tail.size();
    --last;
  } else if (!p.trailing && last == first) {
    // Whole pattern was one literal: must match exactly.
    return pos == end;
  }
  for (size_t k = first; k < last; ++k) {
    size_t at = s.substr(0, end).find(seg[k], pos);
    if (at == std::string_view::npos)
      return false;
    pos = at + seg[k].size();
  }
  return true;
}

}  // namespace

struct EventQuery::Impl {
  std::string text;
  std::vector<Node> nodes;
  uint32_t root = 0;

  bool Eval(uint32_t index, const FieldSource& src) const;
};

namespace {

bool Truthy(const QueryValue& v) {
  return !(v.kind == QueryValue::Kind::kNil || (v.kind == QueryValue::Kind::kBool && !v.b));
}

bool IsNumber(const QueryValue& v) {
  return v.kind == QueryValue::Kind::kInt || v.kind == QueryValue::Kind::kDouble;
}

// Clojure `=`.
bool ValuesEqual(const QueryValue& x, const QueryValue& y) {
  if (x.kind != y.kind)
    return false;
  switch (x.kind) {
    case QueryValue::Kind::kNil:
      return true;
    case QueryValue::Kind::kBool:
      return x.b == y.b;
    case QueryValue::Kind::kInt:
      return x.i == y.i;
    case QueryValue::Kind::kDouble:
      return x.d == y.d;
    case QueryValue::Kind::kString:
      return x.s == y.s;
    case QueryValue::Kind::kTags:
      return true;  // only `tags = tags` gets here
  }
  return false;
}

// -1, 0, 1; or 2 when unordered (NaN).
int CompareNumbers(const QueryValue& x, const QueryValue& y) {
  if (x.kind == QueryValue::Kind::kInt && y.kind == QueryValue::Kind::kInt) {
    return x.i < y.i ? -1 : x.i > y.i ? 1 : 0;
  }
  double a = x.kind == QueryValue::Kind::kInt ? static_cast<double>(x.i) : x.d;
  double b = y.kind == QueryValue::Kind::kInt ? static_cast<double>(y.i) : y.d;
  if (std::isnan(a) || std::isnan(b))
    return 2;
  return a < b ? -1 : a > b ? 1 : 0;
}

}  // namespace

bool EventQuery::Impl::Eval(uint32_t index, const FieldSource& src) const {
  const Node& n = nodes[index];
  switch (n.kind) {
    case NodeKind::kValue:
      return Truthy(n.a.Eval(src));
    case NodeKind::kAnd:
      for (uint32_t c : n.children) {
        if (!Eval(c, src))
          return false;
      }
      return true;
    case NodeKind::kOr:
      for (uint32_t c : n.children) {
        if (Eval(c, src))
          return true;
      }
      return false;
    case NodeKind::kNot:
      return !Eval(n.children[0], src);
    case NodeKind::kEq:
      return ValuesEqual(n.a.Eval(src), n.b.Eval(src));
    case NodeKind::kNe:
      return !ValuesEqual(n.a.Eval(src), n.b.Eval(src));
    case NodeKind::kLt:
    case NodeKind::kGt:
    case NodeKind::kLe:
    case NodeKind::kGe: {
      QueryValue x = n.a.Eval(src);
      QueryValue y = n.b.Eval(src);
      if (!IsNumber(x) || !IsNumber(y))
        return false;
      int c = CompareNumbers(x, y);
      if (c == 2)
        return false;
      switch (n.kind) {
        case NodeKind::kLt:
          return c < 0;
        case NodeKind::kGt:
          return c > 0;
        case NodeKind::kLe:
          return c <= 0;
        default:
          return c >= 0;
      }
    }
    case NodeKind::kLike: {
      QueryValue x = n.a.Eval(src);
      if (x.kind != QueryValue::Kind::kString)
        return false;
      if (!HasLineTerminatorOrNonAscii(x.s))
        return GlobMatch(n.like, x.s);
      return RE2::PartialMatch(re2::StringPiece(x.s.data(), x.s.size()), *n.re);
    }
    case NodeKind::kRegex: {
      QueryValue x = n.a.Eval(src);
      if (x.kind != QueryValue::Kind::kString)
        return false;
      return RE2::PartialMatch(re2::StringPiece(x.s.data(), x.s.size()), *n.re);
    }
    case NodeKind::kTagged:
      return src.HasTag(n.text);
  }
  return false;
}

namespace {

// ---------------------------------------------------------------------------
// Parser

std::string Describe(const Token& t) {
  if (t.type == Tok::kEnd)
    return "end of query";
  std::string s(t.text.substr(0, 40));
  return "'" + s + (t.text.size() > 40 ? "...'" : "'");
}

class Parser {
 public:
  Parser(std::string_view text, const QueryLimits& limits, EventQuery::Impl& impl)
      : text_(text), limits_(limits), impl_(impl) {}

  Result<void> Run() {
    VIGIE_TRY(Advance());
    VIGIE_ASSIGN_OR_RETURN(uint32_t root, ParseOr(0));
    if (tok_.type != Tok::kEnd) {
      return Expected("'and', 'or' or end of query");
    }
    impl_.root = root;
    return {};
  }

 private:
  Result<void> Advance() {
    VIGIE_ASSIGN_OR_RETURN(tok_, NextToken(text_, pos_));
    return {};
  }

  Error Expected(std::string_view what) const {
    std::string msg = "parse error at column " + std::to_string(tok_.pos + 1) + ": expected " +
                      std::string(what) + ", got " + Describe(tok_);
    // `host="a"` lexes as the name `host=` followed by a string, as in
    // Riemann; say so.
    if (prev_name_has_operator_)
      msg += " (operators need spaces around them)";
    return Error(Errc::kInvalidArgument, msg);
  }

  Result<uint32_t> AddNode(Node n) {
    if (impl_.nodes.size() >= limits_.max_nodes) {
      return Error(Errc::kLimitExceeded,
                   "query has more than " + std::to_string(limits_.max_nodes) + " predicates");
    }
    impl_.nodes.push_back(std::move(n));
    return static_cast<uint32_t>(impl_.nodes.size() - 1);
  }

  Result<uint32_t> ParseOr(int depth) {
    VIGIE_ASSIGN_OR_RETURN(uint32_t first, ParseAnd(depth));
    if (tok_.type != Tok::kOr)
      return first;
    Node n;
    n.kind = NodeKind::kOr;
    n.children.push_back(first);
    while (tok_.type == Tok::kOr) {
      VIGIE_TRY(Advance());
      VIGIE_ASSIGN_OR_RETURN(uint32_t next, ParseAnd(depth));
      n.children.push_back(next);
    }
    return AddNode(std::move(n));
  }

  Result<uint32_t> ParseAnd(int depth) {
    VIGIE_ASSIGN_OR_RETURN(uint32_t first, ParseNot(depth));
    if (tok_.type != Tok::kAnd)
      return first;
    Node n;
    n.kind = NodeKind::kAnd;
    n.children.push_back(first);
    while (tok_.type == Tok::kAnd) {
      VIGIE_TRY(Advance());
      VIGIE_ASSIGN_OR_RETURN(uint32_t next, ParseNot(depth));
      n.children.push_back(next);
    }
    return AddNode(std::move(n));
  }

  Result<uint32_t> ParseNot(int depth) {
    if (depth > limits_.max_depth) {
      return Error(Errc::kLimitExceeded,
                   "query nested deeper than " + std::to_string(limits_.max_depth));
    }
    if (tok_.type == Tok::kNot) {
      VIGIE_TRY(Advance());
      VIGIE_ASSIGN_OR_RETURN(uint32_t inner, ParseNot(depth + 1));
      Node n;
      n.kind = NodeKind::kNot;
      n.children.push_back(inner);
      return AddNode(std::move(n));
    }
    return ParsePrimary(depth);
  }

  Result<uint32_t> ParsePrimary(int depth) {
    if (tok_.type == Tok::kLParen) {
      VIGIE_TRY(Advance());
      VIGIE_ASSIGN_OR_RETURN(uint32_t inner, ParseOr(depth + 1));
      if (tok_.type != Tok::kRParen)
        return Expected("')'");
      VIGIE_TRY(Advance());
      return inner;
    }
    if (tok_.type == Tok::kTagged) {
      VIGIE_TRY(Advance());
      if (tok_.type != Tok::kString)
        return Expected("a string after 'tagged'");
      Node n;
      n.kind = NodeKind::kTagged;
      VIGIE_ASSIGN_OR_RETURN(n.text, UnescapeString(tok_.text, tok_.pos));
      VIGIE_TRY(Advance());
      return AddNode(std::move(n));
    }
    Node n;
    VIGIE_ASSIGN_OR_RETURN(n.a, ParseValue());
    std::string op(tok_.text);
    switch (tok_.type) {
      case Tok::kEq:
      case Tok::kNe: {
        n.kind = tok_.type == Tok::kEq ? NodeKind::kEq : NodeKind::kNe;
        VIGIE_TRY(Advance());
        VIGIE_ASSIGN_OR_RETURN(n.b, ParseValue());
        return AddNode(std::move(n));
      }
      case Tok::kLt:
      case Tok::kGt:
      case Tok::kLe:
      case Tok::kGe: {
        n.kind = tok_.type == Tok::kLt   ? NodeKind::kLt
                 : tok_.type == Tok::kGt ? NodeKind::kGt
                 : tok_.type == Tok::kLe ? NodeKind::kLe
                                         : NodeKind::kGe;
        VIGIE_TRY(Advance());
        if (tok_.type != Tok::kFloat && tok_.type != Tok::kLong && tok_.type != Tok::kBign) {
          return Expected("a number after '" + op + "'");
        }
        VIGIE_ASSIGN_OR_RETURN(n.b, ParseValue());
        return AddNode(std::move(n));
      }
      case Tok::kLike:
      case Tok::kRegex: {
        bool like = tok_.type == Tok::kLike;
        n.kind = like ? NodeKind::kLike : NodeKind::kRegex;
        VIGIE_TRY(Advance());
        if (tok_.type != Tok::kString)
          return Expected("a string after '" + op + "'");
        size_t at = tok_.pos;
        VIGIE_ASSIGN_OR_RETURN(n.text, UnescapeString(tok_.text, tok_.pos));
        VIGIE_TRY(Advance());
        VIGIE_TRY(CompilePattern(n, like, at));
        return AddNode(std::move(n));
      }
      default:
        // A bare value: its truthiness.
        n.kind = NodeKind::kValue;
        return AddNode(std::move(n));
    }
  }

  Result<void> CompilePattern(Node& n, bool like, size_t at) {
    std::string regex;
    if (like) {
      // riemann.query/make-regex: '%' -> ".*", the rest quoted, ^...$;
      // Java's '.' excludes line terminators and '$' also matches before a
      // final one.
      static constexpr std::string_view kAnyRun = "[^\\n\\r\\x{85}\\x{2028}\\x{2029}]*";
      regex = "^";
      LikePattern& p = n.like;
      p.leading = n.text.starts_with('%');
      p.trailing = n.text.ends_with('%');
      size_t start = 0;
      while (start <= n.text.size()) {
        size_t pct = n.text.find('%', start);
        std::string_view run = std::string_view(n.text).substr(
            start, pct == std::string::npos ? std::string::npos : pct - start);
        if (!run.empty()) {
          p.segments.emplace_back(run);
          regex += QuoteRegex(run);
        }
        if (pct == std::string::npos)
          break;
        regex += kAnyRun;
        start = pct + 1;
      }
      regex += "(?:\\r\\n|[\\n\\r\\x{85}\\x{2028}\\x{2029}])?$";
    } else {
      regex = n.text;
    }
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(4 << 20);
    auto re = std::make_shared<const re2::RE2>(regex, options);
    if (!re->ok()) {
      return Error(Errc::kInvalidArgument, "parse error at column " + std::to_string(at + 1) +
                                               ": invalid regular expression: " + re->error());
    }
    n.re = std::move(re);
    return {};
  }

  Result<Operand> ParseValue() {
    Operand o;
    const Token t = tok_;
    switch (t.type) {
      case Tok::kTrue:
      case Tok::kFalse:
        o.kind = QueryValue::Kind::kBool;
        o.b = t.type == Tok::kTrue;
        break;
      case Tok::kNil:
        o.kind = QueryValue::Kind::kNil;
        break;
      case Tok::kString: {
        o.kind = QueryValue::Kind::kString;
        VIGIE_ASSIGN_OR_RETURN(o.str, UnescapeString(t.text, t.pos));
        break;
      }
      case Tok::kFloat: {
        o.kind = QueryValue::Kind::kDouble;
        std::string_view s = t.text;
        bool neg = s.starts_with('-');
        std::string_view mag = neg ? s.substr(1) : s;
        if (mag == "Infinity") {
          o.d = neg ? -HUGE_VAL : HUGE_VAL;
        } else if (mag == "NaN") {
          o.d = std::nan("");
        } else {
          auto r = std::from_chars(s.data(), s.data() + s.size(), o.d);
          if (r.ec == std::errc::result_out_of_range) {
            // Java's parseDouble saturates to infinity or zero, as strtod
            // does (the lexeme holds no locale-dependent characters).
            o.d = std::strtod(std::string(s).c_str(), nullptr);
          } else if (r.ec != std::errc()) {
            return Expected("a number");
          }
        }
        break;
      }
      case Tok::kLong:
      case Tok::kBign: {
        o.kind = QueryValue::Kind::kInt;
        std::string_view s = t.text;
        if (s.ends_with('l') || s.ends_with('L') || s.ends_with('n') || s.ends_with('N')) {
          s.remove_suffix(1);
        }
        auto r = std::from_chars(s.data(), s.data() + s.size(), o.i);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size()) {
          return Error(Errc::kInvalidArgument,
                       "parse error at column " + std::to_string(t.pos + 1) +
                           ": integer out of range: " + std::string(t.text));
        }
        break;
      }
      case Tok::kName:
        o.is_field = true;
        o.name = std::string(t.text);
        o.field = FieldIdFromName(o.name);
        prev_name_has_operator_ = o.name.find_first_of("=<>!") != std::string::npos;
        VIGIE_TRY(Advance());
        return o;
      default:
        return Expected("a value, 'not', 'tagged' or '('");
    }
    prev_name_has_operator_ = false;
    VIGIE_TRY(Advance());
    return o;
  }

  std::string_view text_;
  const QueryLimits& limits_;
  EventQuery::Impl& impl_;
  size_t pos_ = 0;
  Token tok_;
  bool prev_name_has_operator_ = false;
};

// ---------------------------------------------------------------------------
// Printing (Riemann's AST)

void AppendEdnString(std::string_view s, std::string& out) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out.push_back(c);
    }
  }
  out.push_back('"');
}

void AppendOperand(const Operand& o, std::string& out) {
  if (o.is_field) {
    out += ":" + o.name;
    return;
  }
  switch (o.kind) {
    case QueryValue::Kind::kNil:
      out += "nil";
      break;
    case QueryValue::Kind::kBool:
      out += o.b ? "true" : "false";
      break;
    case QueryValue::Kind::kInt:
      out += std::to_string(o.i);
      break;
    case QueryValue::Kind::kDouble: {
      if (std::isnan(o.d)) {
        out += "##NaN";
      } else if (std::isinf(o.d)) {
        out += o.d > 0 ? "##Inf" : "##-Inf";
      } else {
        // As Java's Double.toString: plain for 1e-3 <= |d| < 1e7, else
        // "1.0E10"; always a digit after the point.
        char buf[64];
        double mag = std::fabs(o.d);
        bool plain = mag == 0 || (mag >= 1e-3 && mag < 1e7);
        auto r = std::to_chars(buf, buf + sizeof(buf), o.d,
                               plain ? std::chars_format::fixed : std::chars_format::scientific);
        std::string s(buf, r.ptr);
        size_t e = s.find('e');
        std::string mantissa = s.substr(0, e);
        if (mantissa.find('.') == std::string::npos)
          mantissa += ".0";
        out += mantissa;
        if (e != std::string::npos) {
          int exponent = std::stoi(s.substr(e + 1));
          out += "E" + std::to_string(exponent);
        }
      }
      break;
    }
    case QueryValue::Kind::kString:
      AppendEdnString(o.str, out);
      break;
    case QueryValue::Kind::kTags:
      break;
  }
}

void AppendNode(const EventQuery::Impl& q, uint32_t index, std::string& out) {
  const Node& n = q.nodes[index];
  auto binary = [&](const char* op) {
    out += "(";
    out += op;
    out += " ";
    AppendOperand(n.a, out);
    out += " ";
    AppendOperand(n.b, out);
    out += ")";
  };
  switch (n.kind) {
    case NodeKind::kValue:
      AppendOperand(n.a, out);
      break;
    case NodeKind::kAnd:
    case NodeKind::kOr: {
      // Riemann's parse is binary and left-associative.
      const char* op = n.kind == NodeKind::kAnd ? "(and " : "(or ";
      for (size_t k = 1; k < n.children.size(); ++k)
        out += op;
      AppendNode(q, n.children[0], out);
      for (size_t k = 1; k < n.children.size(); ++k) {
        out += " ";
        AppendNode(q, n.children[k], out);
        out += ")";
      }
      break;
    }
    case NodeKind::kNot:
      out += "(not ";
      AppendNode(q, n.children[0], out);
      out += ")";
      break;
    case NodeKind::kEq:
      binary("=");
      break;
    case NodeKind::kNe:
      binary("not=");
      break;
    case NodeKind::kLt:
      binary("<");
      break;
    case NodeKind::kGt:
      binary(">");
      break;
    case NodeKind::kLe:
      binary("<=");
      break;
    case NodeKind::kGe:
      binary(">=");
      break;
    case NodeKind::kLike:
    case NodeKind::kRegex:
      out += n.kind == NodeKind::kLike ? "(:like " : "(:regex ";
      if (n.kind == NodeKind::kRegex)
        out += "#";
      AppendEdnString(n.text, out);
      out += " ";
      AppendOperand(n.a, out);
      out += ")";
      break;
    case NodeKind::kTagged:
      out += "(:tagged ";
      AppendEdnString(n.text, out);
      out += ")";
      break;
  }
}

std::optional<std::optional<std::string>> LiteralKey(const Operand& o) {
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
  Parser parser(impl->text, limits, *impl);
  VIGIE_TRY(parser.Run());
  return EventQuery(std::move(impl));
}

bool EventQuery::Matches(const FieldSource& event) const {
  return impl_->Eval(impl_->root, event);
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
  AppendNode(*impl_, impl_->root, out);
  return out;
}

const std::string& EventQuery::text() const {
  return impl_->text;
}

}  // namespace vigie::events
