// Tests of the query printer: Java's Double.toString, EDN strings, and
// Riemann's AST shapes; round trips through the lexer and parser (what the
// printer writes reads back to the same value).
#include "events/query/printer.h"

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "events/query/lexer.h"
#include "events/query/parser.h"

namespace vigie::events {
namespace {

using query_internal::AppendAst;
using query_internal::AppendEdnString;
using query_internal::AppendJavaDouble;
using query_internal::NextToken;
using query_internal::ParseInto;
using query_internal::Tok;
using query_internal::UnescapeString;

std::string JavaDouble(double d) {
  std::string out = "prefix ";
  AppendJavaDouble(d, out);
  EXPECT_TRUE(out.starts_with("prefix ")) << "appends, does not replace";
  return out.substr(7);
}

std::string Edn(std::string_view s) {
  std::string out;
  AppendEdnString(s, out);
  return out;
}

TEST(QueryPrinterTest, JavaDoubleToString) {
  EXPECT_EQ(JavaDouble(0.0), "0.0");
  EXPECT_EQ(JavaDouble(-0.0), "-0.0");
  EXPECT_EQ(JavaDouble(1.0), "1.0");
  EXPECT_EQ(JavaDouble(-1.5), "-1.5");
  EXPECT_EQ(JavaDouble(0.1), "0.1");
  EXPECT_EQ(JavaDouble(123.456), "123.456");
  EXPECT_EQ(JavaDouble(0.001), "0.001");          // plain from 1e-3 ...
  EXPECT_EQ(JavaDouble(9999999.0), "9999999.0");  // ... to below 1e7
  EXPECT_EQ(JavaDouble(1e7), "1.0E7");
  EXPECT_EQ(JavaDouble(0.0009), "9.0E-4");
  EXPECT_EQ(JavaDouble(-1.2e-5), "-1.2E-5");
  EXPECT_EQ(JavaDouble(1.5e300), "1.5E300");
  EXPECT_EQ(JavaDouble(std::numeric_limits<double>::max()), "1.7976931348623157E308");
  EXPECT_EQ(JavaDouble(std::nan("")), "##NaN");
  EXPECT_EQ(JavaDouble(HUGE_VAL), "##Inf");
  EXPECT_EQ(JavaDouble(-HUGE_VAL), "##-Inf");
}

// The double a query literal parses to.
double ParsedLiteral(const std::string& literal) {
  EventQuery::Impl q;
  q.text = "x = " + literal;
  auto r = ParseInto({}, q);
  EXPECT_TRUE(r) << q.text << ": " << r.error().ToString();
  if (!r)
    return std::nan("");
  EXPECT_EQ(q.nodes[q.root].b.kind, QueryValue::Kind::kDouble) << q.text;
  return q.nodes[q.root].b.d;
}

TEST(QueryPrinterTest, JavaDoubleReadsBackExactly) {
  std::mt19937_64 rng(16);
  std::vector<double> values = {0.0, 1.0, 0.1, 1e-3, 1e7, 5e-324, 2.2250738585072014e-308};
  for (int i = 0; i < 2000; ++i) {
    double d = std::bit_cast<double>(rng());
    if (std::isfinite(d))
      values.push_back(d);
  }
  for (int i = 0; i < 200; ++i)
    values.push_back(static_cast<double>(static_cast<int64_t>(rng() % 2'000'000'000)) / 1000);
  for (double d : values) {
    std::string printed = JavaDouble(d);
    EXPECT_EQ(std::bit_cast<uint64_t>(ParsedLiteral(printed)), std::bit_cast<uint64_t>(d))
        << printed;
  }
}

TEST(QueryPrinterTest, EdnStringEscapes) {
  EXPECT_EQ(Edn(""), R"("")");
  EXPECT_EQ(Edn("\"\\\n\t\r\b\f"), R"("\"\\\n\t\r\b\f")");
  EXPECT_EQ(Edn("辻斬 %"), "\"辻斬 %\"");
  EXPECT_EQ(Edn(std::string("a\0b", 3)), std::string("\"a\0b\"", 5));
}

// What the printer writes, the lexer reads as one STRING token whose value
// is the original bytes.
void ExpectEdnRoundTrip(const std::string& s) {
  std::string text = Edn(s);
  size_t pos = 0;
  auto t = NextToken(text, pos);
  ASSERT_TRUE(t) << text;
  EXPECT_EQ(t->type, Tok::kString);
  EXPECT_EQ(t->text.size(), text.size()) << text;
  auto back = UnescapeString(t->text, t->pos);
  ASSERT_TRUE(back) << text << ": " << back.error().ToString();
  EXPECT_EQ(*back, s);
}

TEST(QueryPrinterTest, EdnStringRoundTripsThroughTheLexer) {
  for (int b = 0; b < 256; ++b)
    ExpectEdnRoundTrip(std::string(1, static_cast<char>(b)) + "x\\");
  std::mt19937 rng(4);
  constexpr std::string_view kBytes = "ab\"\\\n\t\r\b\f%\x01\xe9";
  for (int i = 0; i < 500; ++i) {
    std::string s(rng() % 24, '\0');
    for (char& c : s)
      c = kBytes[rng() % kBytes.size()];
    ExpectEdnRoundTrip(s);
  }
}

std::string Printed(std::string_view text, bool root = true) {
  EventQuery::Impl q;
  q.text = std::string(text);
  auto r = ParseInto({}, q);
  EXPECT_TRUE(r) << text;
  std::string out = "> ";
  AppendAst(q, root ? q.root : 0, out);
  return out;
}

TEST(QueryPrinterTest, AstShapes) {
  EXPECT_EQ(Printed("a and b and c"), "> (and (and :a :b) :c)");
  EXPECT_EQ(Printed("a or b"), "> (or :a :b)");
  EXPECT_EQ(Printed("not a"), "> (not :a)");
  EXPECT_EQ(Printed("x != nil"), "> (not= :x nil)");
  EXPECT_EQ(Printed("x = false"), "> (= :x false)");
  EXPECT_EQ(Printed("x = -7"), "> (= :x -7)");
  EXPECT_EQ(Printed(R"(host =~ "a\"%")"), R"(> (:like "a\"%" :host))");
  EXPECT_EQ(Printed(R"(host ~= "\\d")"), R"(> (:regex #"\\d" :host))");
  EXPECT_EQ(Printed(R"(tagged "a b")"), R"(> (:tagged "a b"))");
  EXPECT_EQ(Printed("x = 1e3"), "> (= :x 1000.0)");
  // Any node prints its own subtree: node 0 is the first leaf.
  EXPECT_EQ(Printed("a = 1 or b", /*root=*/false), "> (= :a 1)");
}

}  // namespace
}  // namespace vigie::events
