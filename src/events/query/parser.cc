// The query parser. Errors name the column and what was expected, and hint
// at Riemann's most common surprise (`host="a"` is a name then a string).
#include "events/query/parser.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <re2/re2.h>

#include "events/query/lexer.h"

namespace vigie::events::query_internal {
namespace {

std::string QuoteRegex(std::string_view s) {
  return RE2::QuoteMeta(re2::StringPiece(s.data(), s.size()));
}

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

}  // namespace

Result<void> ParseInto(const QueryLimits& limits, EventQuery::Impl& impl) {
  Parser parser(impl.text, limits, impl);
  return parser.Run();
}

}  // namespace vigie::events::query_internal
