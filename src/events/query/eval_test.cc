// Tests of the query evaluator: Clojure truthiness, equality and number
// ordering, the LIKE glob against a reference matcher and against the
// regular expression it stands for, evaluation order; plus the matching
// tests of riemann's query_test.clj and evaluation on protocol Events,
// moved from query_test.cc.
#include "events/query/eval.h"

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "events/query/query_testing.h"

namespace vigie::events {
namespace {

using query_internal::CompareNumbers;
using query_internal::GlobMatch;
using query_internal::HasLineTerminatorOrNonAscii;
using query_internal::LikePattern;
using query_internal::Operand;
using query_internal::OperandValue;
using query_internal::Truthy;
using query_internal::ValuesEqual;
using query_testing::MapEvent;
using query_testing::Q;
using V = QueryValue;

TEST(QueryEvalTest, TruthyIsAllButNilAndFalse) {
  EXPECT_FALSE(Truthy(V::Nil()));
  EXPECT_FALSE(Truthy(V::Bool(false)));
  EXPECT_TRUE(Truthy(V::Bool(true)));
  EXPECT_TRUE(Truthy(V::Int(0)));
  EXPECT_TRUE(Truthy(V::Double(std::nan(""))));
  EXPECT_TRUE(Truthy(V::String("")));
  EXPECT_TRUE(Truthy(V::String("false")));
  EXPECT_TRUE(Truthy(V::Tags()));
}

TEST(QueryEvalTest, ValuesEqualIsClojureEquals) {
  EXPECT_TRUE(ValuesEqual(V::Nil(), V::Nil()));
  EXPECT_TRUE(ValuesEqual(V::Int(1), V::Int(1)));
  EXPECT_FALSE(ValuesEqual(V::Int(1), V::Double(1.0)));
  EXPECT_FALSE(ValuesEqual(V::Double(1.0), V::Int(1)));
  EXPECT_TRUE(ValuesEqual(V::Double(-0.0), V::Double(0.0)));
  EXPECT_FALSE(ValuesEqual(V::Double(std::nan("")), V::Double(std::nan(""))));
  EXPECT_TRUE(ValuesEqual(V::String("a"), V::String("a")));
  EXPECT_FALSE(ValuesEqual(V::String("a"), V::String("A")));
  EXPECT_FALSE(ValuesEqual(V::String("1"), V::Int(1)));
  EXPECT_TRUE(ValuesEqual(V::Bool(false), V::Bool(false)));
  EXPECT_FALSE(ValuesEqual(V::Bool(false), V::Nil()));
  EXPECT_TRUE(ValuesEqual(V::Tags(), V::Tags()));
}

TEST(QueryEvalTest, CompareNumbersIsExactForTwoIntegers) {
  // As doubles these two are equal; as integers they are not.
  EXPECT_EQ(CompareNumbers(V::Int(INT64_MAX), V::Int(INT64_MAX - 1)), 1);
  EXPECT_EQ(CompareNumbers(V::Int(INT64_MAX - 1), V::Int(INT64_MAX)), -1);
  EXPECT_EQ(CompareNumbers(V::Int(3), V::Int(3)), 0);
  EXPECT_EQ(CompareNumbers(V::Int(1), V::Double(1.5)), -1);
  EXPECT_EQ(CompareNumbers(V::Double(1.5), V::Int(1)), 1);
  EXPECT_EQ(CompareNumbers(V::Int(1), V::Double(1.0)), 0);
  EXPECT_EQ(CompareNumbers(V::Int(INT64_MIN), V::Double(-HUGE_VAL)), 1);
  EXPECT_EQ(CompareNumbers(V::Double(std::nan("")), V::Int(1)), 2);
  EXPECT_EQ(CompareNumbers(V::Int(1), V::Double(std::nan(""))), 2);
}

TEST(QueryEvalTest, OperandValueBorrowsTheLiteral) {
  Operand o;
  o.kind = QueryValue::Kind::kString;
  o.str = "literal";
  MapEvent e;
  QueryValue v = OperandValue(o, e);
  EXPECT_EQ(v.kind, QueryValue::Kind::kString);
  EXPECT_EQ(v.s.data(), o.str.data());
  o.is_field = true;
  o.name = "paws";
  EXPECT_EQ(OperandValue(o, MapEvent().Set("paws", V::Int(4))).i, 4);
}

TEST(QueryEvalTest, HasLineTerminatorOrNonAscii) {
  EXPECT_FALSE(HasLineTerminatorOrNonAscii("plain text, 100%"));
  EXPECT_TRUE(HasLineTerminatorOrNonAscii("a\nb"));
  EXPECT_TRUE(HasLineTerminatorOrNonAscii("a\r"));
  EXPECT_TRUE(HasLineTerminatorOrNonAscii("caf\xc3\xa9"));
}

// '%' as "any run of bytes", by brute force.
bool ReferenceLike(std::string_view p, std::string_view s) {
  if (p.empty())
    return s.empty();
  if (p[0] == '%') {
    for (size_t k = 0; k <= s.size(); ++k) {
      if (ReferenceLike(p.substr(1), s.substr(k)))
        return true;
    }
    return false;
  }
  return !s.empty() && s[0] == p[0] && ReferenceLike(p.substr(1), s.substr(1));
}

// Every string over `alphabet` of length <= max_len.
std::vector<std::string> AllStrings(std::string_view alphabet, size_t max_len) {
  std::vector<std::string> out{""};
  for (size_t begin = 0; begin < out.size(); ++begin) {
    if (out[begin].size() == max_len)
      continue;
    for (char c : alphabet)
      out.push_back(out[begin] + c);
  }
  return out;
}

TEST(QueryEvalTest, GlobMatchAgreesWithReferenceAndRegex) {
  for (const std::string& pattern : AllStrings("ab%", 4)) {
    EventQuery q = Q("host =~ \"" + pattern + "\"");
    for (const std::string& s : AllStrings("ab", 4)) {
      bool want = ReferenceLike(pattern, s);
      // Glob path (ASCII, no line terminator) ...
      EXPECT_EQ(q.Matches(MapEvent().Str("host", s)), want) << pattern << " ~ " << s;
      // ... and the regular expression (a final line terminator forces it
      // and is allowed by the pattern's '$').
      EXPECT_EQ(q.Matches(MapEvent().Str("host", s + "\n")), want) << pattern << " ~ " << s;
    }
  }
}

TEST(QueryEvalTest, GlobMatchCornerCases) {
  auto glob = [](std::vector<std::string> segments, bool leading, bool trailing,
                 std::string_view s) {
    LikePattern p;
    p.segments = std::move(segments);
    p.leading = leading;
    p.trailing = trailing;
    return GlobMatch(p, s);
  };
  EXPECT_TRUE(glob({}, true, true, ""));                // "%"
  EXPECT_TRUE(glob({}, false, false, ""));              // ""
  EXPECT_FALSE(glob({}, false, false, "a"));            // ""
  EXPECT_FALSE(glob({"ab", "b"}, false, false, "ab"));  // "ab%b": head and tail overlap
  EXPECT_TRUE(glob({"ab", "b"}, false, false, "abb"));
  EXPECT_FALSE(glob({"a", "a"}, false, false, "a"));  // "a%a"
  EXPECT_TRUE(glob({"b", "c"}, true, true, "abxc"));  // "%b%c%": in order
  EXPECT_FALSE(glob({"c", "b"}, true, true, "abxc"));
  EXPECT_TRUE(glob({"a.c"}, false, false, "a.c"));
  EXPECT_FALSE(glob({"a.c"}, false, false, "abc"));
}

// A FieldSource that records the fields read, in order.
class RecordingEvent final : public FieldSource {
 public:
  QueryValue Get(FieldId, std::string_view name) const override {
    read.emplace_back(name);
    return name == "t" ? V::Bool(true) : V::Bool(false);
  }
  bool HasTag(std::string_view) const override { return false; }
  mutable std::vector<std::string> read;
};

TEST(QueryEvalTest, AndOrStopAtTheFirstDecidingChild) {
  RecordingEvent e;
  EXPECT_TRUE(Q("f or t or x").Matches(e));
  EXPECT_EQ(e.read, (std::vector<std::string>{"f", "t"}));
  e.read.clear();
  EXPECT_FALSE(Q("t and f and x").Matches(e));
  EXPECT_EQ(e.read, (std::vector<std::string>{"t", "f"}));
}

// Moved from query_test.cc.

// The `f` helper of query_test.clj: every good event matches, no evil one.
void F(std::string_view text, const std::vector<MapEvent>& good,
       const std::vector<MapEvent>& evil) {
  EventQuery q = Q(text);
  for (size_t i = 0; i < good.size(); ++i)
    EXPECT_TRUE(q.Matches(good[i])) << text << " good " << i;
  for (size_t i = 0; i < evil.size(); ++i)
    EXPECT_FALSE(q.Matches(evil[i])) << text << " evil " << i;
}

TEST(QueryMatchTest, UpstreamTruthy) {
  F("true", {MapEvent().Str("state", "foo"), MapEvent()}, {});
  F("false", {}, {MapEvent().Str("state", "foo"), MapEvent()});
  F("null", {}, {MapEvent().Str("state", "foo"), MapEvent()});
}

TEST(QueryMatchTest, UpstreamEqualAndNotEqual) {
  F(R"(state = "foo")", {MapEvent().Str("state", "foo")},
    {MapEvent().Str("state", "bar"), MapEvent()});
  F("state != 1", {MapEvent().Set("state", V::Double(0.5)), MapEvent()},
    {MapEvent().Set("state", V::Int(1))});
}

TEST(QueryMatchTest, UpstreamWildcard) {
  F(R"(host =~ "%s.")", {MapEvent().Str("host", "s."), MapEvent().Str("host", "foos.")},
    {MapEvent().Str("host", "a."), MapEvent().Str("host", "s.murf"), MapEvent()});
}

TEST(QueryMatchTest, UpstreamRegexp) {
  F(R"(host ~= "foo?[1-9]+")",
    {MapEvent().Str("host", "foo19"), MapEvent().Str("host", "foo1"),
     MapEvent().Str("host", "fo42")},
    {MapEvent().Str("host", "abc"), MapEvent().Str("host", "foo"), MapEvent().Str("host", "fooo42"),
     MapEvent()});
}

TEST(QueryMatchTest, UpstreamInequality) {
  F("metric > 1e10", {MapEvent().Set("metric", V::Double(1e11))},
    {MapEvent().Set("metric", V::Double(1e10)), MapEvent()});
  F("metric >= -1", {MapEvent().Set("metric", V::Int(0)), MapEvent().Set("metric", V::Int(-1))},
    {MapEvent().Set("metric", V::Int(-2)), MapEvent()});
  F("metric < 1.2e2", {MapEvent().Set("metric", V::Double(1.5e1))},
    {MapEvent().Set("metric", V::Double(1.2e2)), MapEvent()});
  F("metric <= 1", {MapEvent().Set("metric", V::Int(1)), MapEvent().Set("metric", V::Int(-20))},
    {MapEvent().Set("metric", V::Int(2)), MapEvent()});
}

TEST(QueryMatchTest, UpstreamTagged) {
  F(R"(tagged "cat")", {MapEvent().Tags({"cat", "dog"}), MapEvent().Tags({"cat"})},
    {MapEvent().Tags({"dog"}), MapEvent()});
}

TEST(QueryMatchTest, UpstreamNull) {
  F("time = null and description != nil",
    {MapEvent().Set("time", V::Nil()).Set("description", V::Bool(true)),
     MapEvent().Str("description", "hey")},
    {MapEvent().Set("time", V::Int(2)).Set("description", V::Bool(true)),
     MapEvent().Set("description", V::Nil()), MapEvent()});
}

TEST(QueryMatchTest, UpstreamBool) {
  F("not ((host = 1 or host = 2) and service = 3)",
    {MapEvent().Set("host", V::Int(1)), MapEvent().Set("service", V::Int(3)), MapEvent()},
    {MapEvent().Set("host", V::Int(2)).Set("service", V::Int(3))});
}

TEST(QueryMatchTest, UpstreamCustomFields) {
  auto ev = [](std::optional<int64_t> paws, std::optional<std::set<std::string>> tags) {
    MapEvent e;
    e.Set("time", V::Int(2));
    if (paws)
      e.Set("paws", V::Int(*paws));
    if (tags)
      e.Tags(*tags);
    return e;
  };
  F(R"(paws = 4 and tagged "catz")", {ev(4, std::set<std::string>{"fuzzy", "catz"})},
    {ev(4, std::set<std::string>{"fuzzy"}), ev(4, std::set<std::string>{}), ev(4, std::nullopt),
     ev(3, std::set<std::string>{"fuzzy", "catz"}),
     ev(std::nullopt, std::set<std::string>{"fuzzy", "catz"})});
}

TEST(QueryMatchTest, UpstreamFast) {
  EventQuery q = Q(R"(host =~ "api %" and state = "ok" and metric > 0)");
  EXPECT_TRUE(
      q.Matches(MapEvent().Str("host", "api 1").Str("state", "ok").Set("metric", V::Double(1.2))));
  EXPECT_FALSE(
      q.Matches(MapEvent().Str("host", "other").Str("state", "ok").Set("metric", V::Double(1.2))));
  EXPECT_FALSE(
      q.Matches(MapEvent().Str("host", "api 2").Str("state", "no").Set("metric", V::Double(1.2))));
  EXPECT_TRUE(
      q.Matches(MapEvent().Str("host", "api 3").Str("state", "ok").Set("metric", V::Double(0.5))));
  EXPECT_FALSE(q.Matches(MapEvent()));
}

TEST(QueryMatchTest, ClojureEqualitySemantics) {
  EXPECT_TRUE(Q("1 = 1").Matches(MapEvent()));
  EXPECT_FALSE(Q("1 = 1.0").Matches(MapEvent()));  // (= 1 1.0) is false
  EXPECT_TRUE(Q("1.0 = 1.0").Matches(MapEvent()));
  EXPECT_TRUE(Q("1 = 1N").Matches(MapEvent()));
  EXPECT_TRUE(Q("5L = 5").Matches(MapEvent()));
  EXPECT_FALSE(Q("NaN = NaN").Matches(MapEvent()));
  EXPECT_TRUE(Q("nil = nil").Matches(MapEvent()));
  EXPECT_TRUE(Q("host = nil").Matches(MapEvent()));
  EXPECT_TRUE(Q("host = service").Matches(MapEvent()));  // nil = nil
  EXPECT_FALSE(Q(R"(1 = "1")").Matches(MapEvent()));
  EXPECT_TRUE(Q("true != false").Matches(MapEvent()));
  // Ordering compares across integer and float.
  EXPECT_TRUE(Q("metric < 1.5").Matches(MapEvent().Set("metric", V::Int(1))));
  EXPECT_TRUE(Q("metric > 0").Matches(MapEvent().Set("metric", V::Double(0.5))));
  EXPECT_FALSE(Q("metric > 0").Matches(MapEvent().Str("metric", "5")));
  EXPECT_FALSE(Q("metric < Infinity").Matches(MapEvent().Set("metric", V::Double(std::nan("")))));
  EXPECT_TRUE(Q("metric < Infinity").Matches(MapEvent().Set("metric", V::Double(1e308))));
  EXPECT_TRUE(Q("metric > -Infinity").Matches(MapEvent().Set("metric", V::Int(INT64_MIN))));
  // Bare values are truthiness; strings (even "false") are truthy.
  EXPECT_TRUE(Q("service").Matches(MapEvent().Str("service", "false")));
  EXPECT_FALSE(Q("service").Matches(MapEvent().Set("service", V::Bool(false))));
  EXPECT_TRUE(Q("0").Matches(MapEvent()));
  EXPECT_TRUE(Q(R"("")").Matches(MapEvent()));
}

TEST(QueryMatchTest, LikeFollowsJavaRegexSemantics) {
  auto like = [](std::string_view pattern, std::string_view host) {
    return Q("host =~ \"" + std::string(pattern) + "\"")
        .Matches(MapEvent().Str("host", std::string(host)));
  };
  EXPECT_TRUE(like("%", "anything"));
  EXPECT_TRUE(like("%", ""));
  EXPECT_FALSE(Q(R"(host =~ "%")").Matches(MapEvent()));  // nil host
  EXPECT_FALSE(Q(R"(host =~ "%")").Matches(MapEvent().Set("host", V::Int(1))));
  EXPECT_TRUE(like("a.c", "a.c"));
  EXPECT_FALSE(like("a.c", "abc"));  // the rest is quoted literally
  EXPECT_TRUE(like("a%c", "abbbc"));
  EXPECT_TRUE(like("a%c", "ac"));
  EXPECT_FALSE(like("a%a", "a"));
  EXPECT_TRUE(like("%b%", "abc"));
  EXPECT_FALSE(like("ab", "abc"));
  EXPECT_TRUE(like("a[b]*", "a[b]*"));
  EXPECT_TRUE(like("%é%", "café au lait"));
  // '%' is Java's ".*": it does not cross a line terminator...
  EXPECT_FALSE(like("a%b", "a\nb"));
  EXPECT_FALSE(like("a%b",
                    "a\xe2\x80\xa8"
                    "b"));  // U+2028
  // ...and '$' also matches before a final line terminator.
  EXPECT_TRUE(like("ab", "ab\n"));
  EXPECT_TRUE(like("ab", "ab\r\n"));
  EXPECT_FALSE(like("ab", "ab\n\n"));
  EXPECT_TRUE(like("a%", "abc\n"));
}

TEST(QueryMatchTest, RegexIsUnanchoredFind) {
  EXPECT_TRUE(Q(R"(service ~= "^cpu")").Matches(MapEvent().Str("service", "cpu user")));
  EXPECT_TRUE(Q(R"(service ~= "user")").Matches(MapEvent().Str("service", "cpu user")));
  EXPECT_FALSE(Q(R"(service ~= "^user")").Matches(MapEvent().Str("service", "cpu user")));
  EXPECT_TRUE(Q(R"(service ~= "\\d+")").Matches(MapEvent().Str("service", "disk 42")));
  EXPECT_FALSE(Q(R"(service ~= "x")").Matches(MapEvent().Set("service", V::Int(1))));
}

TEST(QueryEventTest, EvaluatesProtocolEvents) {
  Event e;
  e.set_host("web1");
  e.set_service("cpu user");
  e.set_state("ok");
  e.set_metric_sint64(42);
  e.set_ttl(30);
  e.set_time_micros(1'500'000);
  e.add_tag("prod");
  e.add_attribute("x-client", "riemann-c-client");
  e.mutable_attributes().push_back(Attribute{"empty", "", false});
  EXPECT_TRUE(Q(R"(host = "web1" and service =~ "cpu%")").Matches(e));
  EXPECT_TRUE(Q("metric = 42").Matches(e));
  EXPECT_FALSE(Q("metric = 42.0").Matches(e));
  EXPECT_TRUE(Q("ttl = 30.0").Matches(e));
  EXPECT_TRUE(Q("time = 1.5 and time > 1").Matches(e));
  EXPECT_TRUE(Q(R"(tagged "prod" and not tagged "dev")").Matches(e));
  EXPECT_TRUE(Q("tags").Matches(e));
  EXPECT_TRUE(Q(R"(x-client = "riemann-c-client")").Matches(e));
  EXPECT_TRUE(Q(R"(empty = "")").Matches(e));
  EXPECT_TRUE(Q("description = nil and missing = nil").Matches(e));
  EXPECT_FALSE(Q("metric_f").Matches(e));  // not a field of Riemann events
  e.ClearField(Event::kMetricSint64);
  e.set_metric_f(0.5f);
  EXPECT_TRUE(Q("metric = 0.5").Matches(e));
  e.set_time(7);
  e.ClearField(Event::kTimeMicros);
  EXPECT_TRUE(Q("time = 7").Matches(e));
  Event empty;
  EXPECT_TRUE(Q("tags = nil and time = nil and metric = nil").Matches(empty));
}

}  // namespace
}  // namespace vigie::events
