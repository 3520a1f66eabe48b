// Tests of the query lexer: tokens, byte offsets and ties of query.g4
// (ANTLR's longest match, then rule order), the column of each error, and
// the EDN escapes of strings; plus the lexer cases seen through the parser.
#include "events/query/lexer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "events/query/query_testing.h"

namespace vigie::events {
namespace {

using query_internal::NextToken;
using query_internal::Tok;
using query_internal::UnescapeString;
using query_testing::Ast;
using query_testing::MapEvent;
using query_testing::ParseError;
using query_testing::Q;
using V = QueryValue;

struct Lexed {
  Tok type;
  size_t pos;
  std::string text;
  friend bool operator==(const Lexed&, const Lexed&) = default;
};

void PrintTo(const Lexed& t, std::ostream* os) {
  *os << "{" << static_cast<int>(t.type) << ", " << t.pos << ", '" << t.text << "'}";
}

// Every token of `text` up to (not including) kEnd; fails the test on error.
std::vector<Lexed> Lex(std::string_view text) {
  std::vector<Lexed> out;
  size_t pos = 0;
  for (;;) {
    auto t = NextToken(text, pos);
    EXPECT_TRUE(t) << text << ": " << t.error().ToString();
    if (!t || t->type == Tok::kEnd)
      return out;
    out.push_back({t->type, t->pos, std::string(t->text)});
  }
}

// The error of the first token of `text` that does not lex.
std::string LexError(std::string_view text) {
  size_t pos = 0;
  for (;;) {
    auto t = NextToken(text, pos);
    if (!t) {
      EXPECT_EQ(t.error().code(), Errc::kInvalidArgument) << text;
      return t.error().ToString();
    }
    if (t->type == Tok::kEnd) {
      ADD_FAILURE() << text << " lexed without error";
      return "";
    }
  }
}

TEST(QueryLexerTest, TokenStreamWithByteOffsets) {
  EXPECT_EQ(Lex(R"(host = "a b" and not(metric >= -1.5))"),
            (std::vector<Lexed>{{Tok::kName, 0, "host"},
                                {Tok::kEq, 5, "="},
                                {Tok::kString, 7, R"("a b")"},
                                {Tok::kAnd, 13, "and"},
                                {Tok::kNot, 17, "not"},
                                {Tok::kLParen, 20, "("},
                                {Tok::kName, 21, "metric"},
                                {Tok::kGe, 28, ">="},
                                {Tok::kFloat, 31, "-1.5"},
                                {Tok::kRParen, 35, ")"}}));
}

TEST(QueryLexerTest, EndIsReportedAtTheEndAndAgain) {
  std::string_view text = " ,\t\r\n x , ";
  size_t pos = 0;
  auto t = NextToken(text, pos);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->type, Tok::kName);  // commas are whitespace
  EXPECT_EQ(t->pos, 6u);
  for (int i = 0; i < 2; ++i) {
    t = NextToken(text, pos);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->type, Tok::kEnd);
    EXPECT_EQ(t->pos, text.size());
    EXPECT_TRUE(t->text.empty());
  }
}

TEST(QueryLexerTest, LongestMatchThenRuleOrder) {
  struct Case {
    const char* text;
    Tok type;
  } cases[] = {
      {"not", Tok::kNot},
      {"notx", Tok::kName},
      {"and", Tok::kAnd},
      {"or", Tok::kOr},
      {"order", Tok::kName},
      {"tagged", Tok::kTagged},
      {"=", Tok::kEq},
      {"!=", Tok::kNe},
      {"<", Tok::kLt},
      {"<=", Tok::kLe},
      {">", Tok::kGt},
      {">=", Tok::kGe},
      {"=~", Tok::kLike},
      {"~=", Tok::kRegex},
      {"nil", Tok::kNil},
      {"null", Tok::kNil},
      {"nilly", Tok::kName},
      {"true", Tok::kTrue},
      {"truex", Tok::kName},
      {"false", Tok::kFalse},
      {"5", Tok::kLong},
      {"-5", Tok::kLong},
      {"5L", Tok::kLong},
      {"5l", Tok::kLong},
      {"12N", Tok::kBign},
      {"1.5", Tok::kFloat},
      {"1e5", Tok::kFloat},
      {"1E-5", Tok::kFloat},
      {"-1.2e-5", Tok::kFloat},
      {"0x1F", Tok::kHex},
      {"Infinity", Tok::kFloat},
      {"-Infinity", Tok::kFloat},
      {"NaN", Tok::kFloat},
      {"Infinityx", Tok::kName},
      {"-5x", Tok::kName},
      {"\\a", Tok::kChar},
      {"\\newline", Tok::kChar},
      {"\\u00e9", Tok::kChar},
      {"a.b:c", Tok::kName},
      {"x-client", Tok::kName},
      {"metric>5", Tok::kName},
      {"\xe8\xbe\xbb", Tok::kName},
      {R"("a\"b")", Tok::kString},
  };
  for (const auto& c : cases) {
    // The whole text is one token of the expected type.
    EXPECT_EQ(Lex(c.text), (std::vector<Lexed>{{c.type, 0, c.text}})) << c.text;
  }
  // A backslash may start a NAME: longer than CHAR's `\u`, it wins.
  EXPECT_EQ(Lex("\\uZZZZ"), (std::vector<Lexed>{{Tok::kName, 0, "\\uZZZZ"}}));
  EXPECT_EQ(Lex("\\space)"),
            (std::vector<Lexed>{{Tok::kChar, 0, "\\space"}, {Tok::kRParen, 6, ")"}}));
  // ':' continues a NAME only when a SYMBOL_REST follows it.
  EXPECT_EQ(Lex("a:b"), (std::vector<Lexed>{{Tok::kName, 0, "a:b"}}));
  EXPECT_EQ(LexError("a:"), "parse error at column 2: unexpected character ':'");
}

TEST(QueryLexerTest, ErrorsNameTheColumn) {
  EXPECT_EQ(LexError(R"(ab "cd)"), "parse error at column 4: unterminated string");
  // The backslash takes the quote: still unterminated.
  EXPECT_EQ(LexError(R"("a\")"), "parse error at column 1: unterminated string");
  EXPECT_EQ(LexError("  #"), "parse error at column 3: unexpected character '#'");
  for (char c : std::string_view("^`'@:/%[]{}~")) {
    std::string text = std::string("x ") + c;
    EXPECT_EQ(LexError(text),
              std::string("parse error at column 3: unexpected character '") + c + "'")
        << text;
  }
}

std::string Unescape(std::string_view lexeme) {
  auto r = UnescapeString(lexeme, 0);
  EXPECT_TRUE(r) << lexeme << ": " << r.error().ToString();
  return r ? *r : "";
}

TEST(QueryLexerTest, UnescapeStringDecodesEdnEscapes) {
  EXPECT_EQ(Unescape(R"("")"), "");
  EXPECT_EQ(Unescape(R"("plain é")"), "plain é");
  EXPECT_EQ(Unescape(R"("\t\r\n\\\"\b\f")"), "\t\r\n\\\"\b\f");
  EXPECT_EQ(Unescape(R"("\101\102")"), "AB");
  EXPECT_EQ(Unescape(R"("\1234")"), "S4");  // at most three octal digits
  EXPECT_EQ(Unescape(R"("\377")"), "\xc3\xbf");
  EXPECT_EQ(Unescape(R"("\0")"), std::string(1, '\0'));
  EXPECT_EQ(Unescape(R"("\u00e9\u4E2D")"), "é中");
  EXPECT_EQ(Unescape(R"("\ud83d\ude00")"), "\xf0\x9f\x98\x80");
  // A lone surrogate becomes U+FFFD, whatever follows it.
  EXPECT_EQ(Unescape(R"("\ud83d")"), "\xef\xbf\xbd");
  EXPECT_EQ(Unescape(R"("\ude00")"), "\xef\xbf\xbd");
  EXPECT_EQ(Unescape(R"("\ud83dx")"), "\xef\xbf\xbdx");
  EXPECT_EQ(Unescape(R"("\ud83d\ud83d\ude00")"), "\xef\xbf\xbd\xf0\x9f\x98\x80");
}

TEST(QueryLexerTest, UnescapeStringErrorsNameTheBackslashColumn) {
  // The lexeme starts at byte 10: its backslash at byte 13 is column 14.
  auto r = UnescapeString(R"("ab\q")", 10);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kInvalidArgument);
  EXPECT_EQ(r.error().ToString(), "parse error at column 14: unsupported escape character: \\q");
  r = UnescapeString(R"("\u12")", 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString(), "parse error at column 2: invalid unicode escape");
  r = UnescapeString(R"("x\u12G4")", 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString(), "parse error at column 3: invalid unicode escape");
  r = UnescapeString(R"("\400")", 0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().ToString(),
            "parse error at column 2: octal escape sequence must be in range [0, 377]");
}

// Moved from query_test.cc: the lexer seen through ParseQuery.

TEST(QueryLexerTest, OperatorsGlueIntoNamesAsInRiemann) {
  // `metric>5` is one NAME (query.g4 allows > in symbols): the truthiness of
  // an attribute called "metric>5", not a comparison.
  EXPECT_EQ(Ast("metric>5"), ":metric>5");
  EXPECT_FALSE(Q("metric>5").Matches(MapEvent().Set("metric", V::Int(10))));
  // `host="a"` is the NAME `host=` followed by a string: an error, with a hint.
  std::string err = ParseError(R"(host="a")");
  EXPECT_NE(err.find("column 6"), std::string::npos) << err;
  EXPECT_NE(err.find("operators need spaces"), std::string::npos) << err;
}

TEST(QueryLexerTest, TokensAndTies) {
  EXPECT_EQ(Ast("notx"), ":notx");  // longer NAME beats 'not'
  EXPECT_EQ(Ast("not(x)"), "(not :x)");
  EXPECT_EQ(Ast("nilly"), ":nilly");
  EXPECT_EQ(Ast("x-client"), ":x-client");
  EXPECT_EQ(Ast("a.b:c"), ":a.b:c");
  EXPECT_EQ(Ast("metric > -5"), "(> :metric -5)");
  EXPECT_EQ(Ast("metric > 5L"), "(> :metric 5)");
  EXPECT_EQ(Ast("metric > 12N"), "(> :metric 12)");
  EXPECT_EQ(Ast("metric > Infinity"), "(> :metric ##Inf)");
  EXPECT_EQ(Ast("metric > -Infinity"), "(> :metric ##-Inf)");
  EXPECT_EQ(Ast("-5x"), ":-5x");  // longer NAME beats LONG
  EXPECT_EQ(Ast("Infinityx"), ":Infinityx");
  EXPECT_EQ(Ast("tagged \"a\",or tagged \"b\""), R"((or (:tagged "a") (:tagged "b")))");
  EXPECT_EQ(Ast("host\n=\t\"a\""), R"((= :host "a"))");
  EXPECT_EQ(Ast("metric >= 1e400"), "(>= :metric ##Inf)");
}

TEST(QueryLexerTest, StringEscapes) {
  auto state_is = [](std::string_view query, const std::string& expected) {
    return Q(query).Matches(MapEvent().Str("state", expected));
  };
  EXPECT_TRUE(state_is(R"(state = "\101\102")", "AB"));
  EXPECT_TRUE(state_is(R"(state = "\0")", std::string(1, '\0')));
  EXPECT_TRUE(state_is(R"(state = "\u00e9\u4e2d")", "é中"));
  EXPECT_TRUE(state_is(R"(state = "\ud83d\ude00")", "\xf0\x9f\x98\x80"));
  EXPECT_TRUE(state_is(R"(state = "\ud83d")", "\xef\xbf\xbd"));
  EXPECT_TRUE(state_is(R"(state = "a\"b")", "a\"b"));
  EXPECT_NE(ParseError(R"(state = "\q")").find("unsupported escape character: \\q"),
            std::string::npos);
  EXPECT_NE(ParseError(R"(state = "\u12")").find("invalid unicode escape"), std::string::npos);
  EXPECT_NE(ParseError(R"(state = "\400")").find("octal"), std::string::npos);
}

}  // namespace
}  // namespace vigie::events
