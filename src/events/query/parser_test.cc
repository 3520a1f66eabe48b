// Tests of the query parser: the node vector it builds (n-ary and/or,
// precedence, operands, LIKE patterns), its limits at their boundaries, and
// its errors; plus Riemann's ast-test and every parse error, moved from
// query_test.cc (seen through ParseQuery and the printer).
#include "events/query/parser.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "events/query/query_testing.h"

namespace vigie::events {
namespace {

using query_internal::NodeKind;
using query_internal::ParseInto;
using query_testing::Ast;
using query_testing::ParseError;
using query_testing::Q;

// The parsed form of `text`, or a failed test.
EventQuery::Impl Parse(std::string_view text, const QueryLimits& limits = {}) {
  EventQuery::Impl impl;
  impl.text = std::string(text);
  auto r = ParseInto(limits, impl);
  EXPECT_TRUE(r) << text << ": " << r.error().ToString();
  return impl;
}

Error ParseFailure(std::string_view text, const QueryLimits& limits = {}) {
  EventQuery::Impl impl;
  impl.text = std::string(text);
  auto r = ParseInto(limits, impl);
  EXPECT_FALSE(r) << text;
  return r ? Error() : r.error();
}

TEST(QueryParserTest, ChainsAreNAryAndChildrenPrecedeParents) {
  EventQuery::Impl q = Parse("a or b or c and d");
  const auto& root = q.nodes[q.root];
  ASSERT_EQ(root.kind, NodeKind::kOr);
  ASSERT_EQ(root.children.size(), 3u);
  EXPECT_EQ(q.nodes[root.children[0]].a.name, "a");
  EXPECT_EQ(q.nodes[root.children[1]].a.name, "b");
  const auto& last = q.nodes[root.children[2]];
  ASSERT_EQ(last.kind, NodeKind::kAnd);
  ASSERT_EQ(last.children.size(), 2u);
  EXPECT_EQ(q.nodes[last.children[1]].a.name, "d");
  for (uint32_t i = 0; i < q.nodes.size(); ++i) {
    for (uint32_t c : q.nodes[i].children)
      EXPECT_LT(c, i);
  }
  EXPECT_EQ(q.root, q.nodes.size() - 1);
}

TEST(QueryParserTest, ParenthesesLeaveNoNode) {
  EventQuery::Impl q = Parse("((a))");
  ASSERT_EQ(q.nodes.size(), 1u);
  EXPECT_EQ(q.nodes[q.root].kind, NodeKind::kValue);
  EXPECT_TRUE(q.nodes[q.root].a.is_field);
  q = Parse("not (a)");
  ASSERT_EQ(q.nodes.size(), 2u);
  EXPECT_EQ(q.nodes[q.root].kind, NodeKind::kNot);
}

TEST(QueryParserTest, OperandsAreDecoded) {
  auto b = [](std::string_view text) { return Parse(text).nodes.back().b; };
  EXPECT_EQ(b("x = 5L").kind, QueryValue::Kind::kInt);
  EXPECT_EQ(b("x = 5L").i, 5);
  EXPECT_EQ(b("x = 12N").i, 12);
  EXPECT_EQ(b("x = -9223372036854775808").i, INT64_MIN);
  EXPECT_EQ(b("x = 1.5e3").kind, QueryValue::Kind::kDouble);
  EXPECT_EQ(b("x = 1.5e3").d, 1500.0);
  EXPECT_EQ(b("x = 1e400").d, HUGE_VAL);  // saturates, as Java's parseDouble
  EXPECT_EQ(b("x = 1e-400").d, 0.0);
  EXPECT_EQ(b("x = -Infinity").d, -HUGE_VAL);
  EXPECT_TRUE(std::isnan(b("x = NaN").d));
  EXPECT_EQ(b("x = nil").kind, QueryValue::Kind::kNil);
  EXPECT_EQ(b("x = null").kind, QueryValue::Kind::kNil);
  EXPECT_EQ(b("x = false").kind, QueryValue::Kind::kBool);
  EXPECT_FALSE(b("x = false").b);
  EXPECT_EQ(b(R"(x = "a\tb")").str, "a\tb");
  EXPECT_FALSE(b(R"(x = "a")").is_field);
  auto a = Parse("host = 1").nodes.back().a;
  EXPECT_TRUE(a.is_field);
  EXPECT_EQ(a.field, FieldId::kHost);
  a = Parse("x-client = 1").nodes.back().a;
  EXPECT_EQ(a.field, FieldId::kAttribute);
  EXPECT_EQ(a.name, "x-client");
}

TEST(QueryParserTest, LikePatternsAreSplitOnPercent) {
  auto like = [](std::string_view pattern) {
    auto q = Parse(R"(host =~ ")" + std::string(pattern) + "\"");
    EXPECT_EQ(q.nodes[q.root].kind, NodeKind::kLike);
    EXPECT_NE(q.nodes[q.root].re, nullptr);
    return q.nodes[q.root].like;
  };
  auto p = like("%a%b");
  EXPECT_EQ(p.segments, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(p.leading);
  EXPECT_FALSE(p.trailing);
  p = like("a%%b%");
  EXPECT_EQ(p.segments, (std::vector<std::string>{"a", "b"}));  // empty runs skipped
  EXPECT_FALSE(p.leading);
  EXPECT_TRUE(p.trailing);
  p = like("%");
  EXPECT_TRUE(p.segments.empty());
  EXPECT_TRUE(p.leading && p.trailing);
  p = like("abc");
  EXPECT_EQ(p.segments, (std::vector<std::string>{"abc"}));
  EXPECT_FALSE(p.leading || p.trailing);
  EXPECT_NE(Parse(R"(host ~= "a+")").nodes.back().re, nullptr);
  EXPECT_EQ(Parse(R"(host = "a")").nodes.back().re, nullptr);
}

TEST(QueryParserTest, LimitsAtTheirBoundaries) {
  QueryLimits limits;
  limits.max_nodes = 3;  // a, b, and
  EXPECT_EQ(Parse("a and b", limits).nodes.size(), 3u);
  limits.max_nodes = 2;
  Error e = ParseFailure("a and b", limits);
  EXPECT_EQ(e.code(), Errc::kLimitExceeded);
  EXPECT_EQ(e.context(), "query has more than 2 predicates");
  limits = {};
  limits.max_depth = 1;
  EXPECT_EQ(Parse("(true)", limits).nodes.size(), 1u);
  EXPECT_EQ(Parse("not true", limits).nodes.size(), 2u);
  e = ParseFailure("((true))", limits);
  EXPECT_EQ(e.code(), Errc::kLimitExceeded);
  EXPECT_EQ(e.context(), "query nested deeper than 1");
  EXPECT_EQ(ParseFailure("not not true", limits).code(), Errc::kLimitExceeded);
  EXPECT_EQ(ParseFailure("(not true)", limits).code(), Errc::kLimitExceeded);
}

TEST(QueryParserTest, ErrorsNameColumnExpectationAndHint) {
  EXPECT_EQ(ParseFailure(R"(host "a")").ToString(),
            R"(parse error at column 6: expected 'and', 'or' or end of query, got '"a"')");
  // Only a name with an operator glued to it earns the hint.
  EXPECT_EQ(ParseFailure(R"(host= "a")").ToString(),
            R"(parse error at column 7: expected 'and', 'or' or end of query, got '"a"')"
            " (operators need spaces around them)");
  // Long tokens are cut at 40 bytes.
  std::string x41(41, 'x');
  EXPECT_EQ(ParseFailure("a " + x41).ToString(),
            "parse error at column 3: expected 'and', 'or' or end of query, got '" +
                std::string(40, 'x') + "...'");
  // Lexer errors come through with their column.
  EXPECT_EQ(ParseFailure("a and #").ToString(),
            "parse error at column 7: unexpected character '#'");
  // A bad regular expression is reported at its string.
  Error e = ParseFailure(R"(host ~= "([")");
  EXPECT_EQ(e.code(), Errc::kInvalidArgument);
  EXPECT_TRUE(e.ToString().starts_with("parse error at column 9: invalid regular expression: "))
      << e.ToString();
}

// Moved from query_test.cc.

// (deftest ast-test ...) from query_test.clj, printed as Riemann's AST.
TEST(QueryAstTest, UpstreamAstTest) {
  EXPECT_EQ(Ast("state = true"), "(= :state true)");
  EXPECT_EQ(Ast("host = true"), "(= :host true)");
  EXPECT_EQ(Ast("service = true"), "(= :service true)");
  EXPECT_EQ(Ast("description = true"), "(= :description true)");
  EXPECT_EQ(Ast("metric_f = true"), "(= :metric_f true)");
  EXPECT_EQ(Ast("metric = true"), "(= :metric true)");
  EXPECT_EQ(Ast("time = true"), "(= :time true)");
  EXPECT_EQ(Ast("ttl = 64"), "(= :ttl 64)");
  EXPECT_EQ(Ast("true"), "true");
  EXPECT_EQ(Ast("false"), "false");
  EXPECT_EQ(Ast("nil"), "nil");
  EXPECT_EQ(Ast("null"), "nil");
  EXPECT_EQ(Ast("state = 0"), "(= :state 0)");
  EXPECT_EQ(Ast("state = 1"), "(= :state 1)");
  EXPECT_EQ(Ast("state = -1"), "(= :state -1)");
  EXPECT_EQ(Ast("state = 0.0"), "(= :state 0.0)");
  EXPECT_EQ(Ast("state = 1.5"), "(= :state 1.5)");
  EXPECT_EQ(Ast("state = -1.5"), "(= :state -1.5)");
  EXPECT_EQ(Ast("state = 1e5"), "(= :state 100000.0)");
  EXPECT_EQ(Ast("state = 1E5"), "(= :state 100000.0)");
  EXPECT_EQ(Ast("state = -1.2e-5"), "(= :state -1.2E-5)");
  EXPECT_EQ(Ast("state = 1e10"), "(= :state 1.0E10)");
  EXPECT_EQ(Ast(R"(state = "")"), R"((= :state ""))");
  EXPECT_EQ(Ast(R"(state = "foo")"), R"((= :state "foo"))");
  EXPECT_EQ(Ast(R"(state = "\b\t\n\f\r")"), R"((= :state "\b\t\n\f\r"))");
  EXPECT_EQ(Ast(R"(state = " \" \\ ")"), R"((= :state " \" \\ "))");
  EXPECT_EQ(Ast("state = \"辻斬\""), "(= :state \"辻斬\")");
  EXPECT_EQ(Ast("state = 2"), "(= :state 2)");
  EXPECT_EQ(Ast("state > 2"), "(> :state 2)");
  EXPECT_EQ(Ast("state < 2"), "(< :state 2)");
  EXPECT_EQ(Ast("state >= 2"), "(>= :state 2)");
  EXPECT_EQ(Ast("state <= 2"), "(<= :state 2)");
  EXPECT_EQ(Ast("state != 2"), "(not= :state 2)");
  EXPECT_EQ(Ast(R"(state =~ "%foo%")"), R"((:like "%foo%" :state))");
  EXPECT_EQ(Ast(R"(state ~= "[a-z]+")"), R"((:regex #"[a-z]+" :state))");
  EXPECT_EQ(Ast(R"(tagged "cat")"), R"((:tagged "cat"))");
  EXPECT_EQ(Ast("not host = 1"), "(not (= :host 1))");
  EXPECT_EQ(Ast("host = 1 and state = 2"), "(and (= :host 1) (= :state 2))");
  EXPECT_EQ(Ast("host = 1 or state = 2"), "(or (= :host 1) (= :state 2))");
  EXPECT_EQ(Ast("(host = 1)"), "(= :host 1)");
  EXPECT_EQ(Ast("((host = 1))"), "(= :host 1)");
  EXPECT_EQ(Ast("not host = 1 and host = 2"), "(and (not (= :host 1)) (= :host 2))");
  EXPECT_EQ(Ast("not host = 1 or host = 2 and host = 3"),
            "(or (not (= :host 1)) (and (= :host 2) (= :host 3)))");
  EXPECT_EQ(Ast("not ((host = 1 or host = 2) and host = 3)"),
            "(not (and (or (= :host 1) (= :host 2)) (= :host 3)))");
}

TEST(QueryAstTest, ChainsAreLeftAssociative) {
  EXPECT_EQ(Ast("a and b and c"), "(and (and :a :b) :c)");
  EXPECT_EQ(Ast("a or b or c and d"), "(or (or :a :b) (and :c :d))");
  EXPECT_EQ(Ast("not not a"), "(not (not :a))");
}

TEST(QueryErrorTest, MessagesNameColumnAndExpectation) {
  struct Case {
    const char* query;
    const char* part;
  } cases[] = {
      {"", "column 1: expected a value, 'not', 'tagged' or '(', got end of query"},
      {R"(host = "a" and)", "column 15: expected a value"},
      {R"((host = "a")", "column 12: expected ')', got end of query"},
      {"tagged foo", "column 8: expected a string after 'tagged', got 'foo'"},
      {R"(metric > "a")", "column 10: expected a number after '>'"},
      {"metric > x", "expected a number after '>'"},
      {"host =~ 5", "column 9: expected a string after '=~'"},
      {R"(host = "a" "b")", "column 12: expected 'and', 'or' or end of query"},
      {R"(host = "abc)", "column 8: unterminated string"},
      {"host = #", "column 8: unexpected character '#'"},
      {"metric > 0x10", "expected a number after '>', got '0x10'"},
      {R"(x = \a)", "got '\\a'"},
      {R"(host ~= "([")", "invalid regular expression"},
      {"metric > 99999999999999999999", "integer out of range"},
      {"and", "column 1: expected a value"},
      {")", "column 1"},
  };
  for (const auto& c : cases) {
    std::string err = ParseError(c.query);
    EXPECT_NE(err.find(c.part), std::string::npos) << c.query << " -> " << err;
    EXPECT_EQ(ParseQuery(c.query).error().code(), Errc::kInvalidArgument) << c.query;
  }
}

TEST(QueryErrorTest, Limits) {
  std::string deep = std::string(100, '(') + "true" + std::string(100, ')');
  auto r = ParseQuery(deep);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kLimitExceeded);
  std::string nots;
  for (int i = 0; i < 100; ++i)
    nots += "not ";
  EXPECT_EQ(ParseQuery(nots + "true").error().code(), Errc::kLimitExceeded);
  QueryLimits limits;
  limits.max_depth = 200;
  EXPECT_TRUE(ParseQuery(deep, limits));
  // Long flat chains are fine: and/or are n-ary internally.
  std::string chain = "a";
  for (int i = 0; i < 2000; ++i)
    chain += " or a";
  EXPECT_TRUE(ParseQuery(chain));
  limits = {};
  limits.max_nodes = 10;
  EXPECT_EQ(ParseQuery(chain, limits).error().code(), Errc::kLimitExceeded);
  limits = {};
  limits.max_bytes = 4;
  EXPECT_EQ(ParseQuery("true or false", limits).error().code(), Errc::kLimitExceeded);
}

}  // namespace
}  // namespace vigie::events
