// Tests of the query language: riemann/riemann test/riemann/query_test.clj
// (ast-test and the matching tests, ported), lexer corner cases of query.g4,
// evaluation on protocol Events, the index fast path, and every error.
#include "events/query/query.h"

#include <cmath>
#include <deque>
#include <map>
#include <set>

#include <gtest/gtest.h>

namespace vigie::events {
namespace {

// A Clojure-map-like event for the ported upstream tests: any field may hold
// any value, as in `{:state 0.5}` or `{:host 1}`.
class MapEvent final : public FieldSource {
 public:
  MapEvent& Set(const std::string& k, QueryValue v) {
    if (v.kind == QueryValue::Kind::kString) {
      strings_.push_back(std::string(v.s));
      v.s = strings_.back();
    }
    values_[k] = v;
    return *this;
  }
  MapEvent& Str(const std::string& k, const std::string& s) {
    return Set(k, QueryValue::String(s));
  }
  MapEvent& Tags(std::set<std::string> tags) {
    tags_ = std::move(tags);
    values_["tags"] = QueryValue::Tags();
    return *this;
  }
  QueryValue Get(FieldId, std::string_view name) const override {
    auto it = values_.find(std::string(name));
    return it == values_.end() ? QueryValue::Nil() : it->second;
  }
  bool HasTag(std::string_view tag) const override { return tags_.count(std::string(tag)) > 0; }

 private:
  std::map<std::string, QueryValue> values_;
  std::deque<std::string> strings_;
  std::set<std::string> tags_;
};

EventQuery Q(std::string_view text) {
  auto q = ParseQuery(text);
  EXPECT_TRUE(q) << text << ": " << q.error().ToString();
  if (!q)
    return *ParseQuery("false");
  return *q;
}

std::string Ast(std::string_view text) {
  return Q(text).ToString();
}

std::string ParseError(std::string_view text) {
  auto q = ParseQuery(text);
  EXPECT_FALSE(q) << text << " parsed as " << (q ? q->ToString() : "");
  return q ? "" : q.error().ToString();
}

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

// The `f` helper of query_test.clj: every good event matches, no evil one.
void F(std::string_view text, const std::vector<MapEvent>& good,
       const std::vector<MapEvent>& evil) {
  EventQuery q = Q(text);
  for (size_t i = 0; i < good.size(); ++i)
    EXPECT_TRUE(q.Matches(good[i])) << text << " good " << i;
  for (size_t i = 0; i < evil.size(); ++i)
    EXPECT_FALSE(q.Matches(evil[i])) << text << " evil " << i;
}

using V = QueryValue;

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

TEST(QueryFastPathTest, RecognisesExactHostService) {
  auto key = Q(R"(host = "a" and service = "b")").ExactHostService();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->host, "a");
  EXPECT_EQ(key->service, "b");
  key = Q(R"((service = "b") and host = nil)").ExactHostService();
  ASSERT_TRUE(key);
  EXPECT_FALSE(key->host.has_value());
  EXPECT_EQ(key->service, "b");
  for (const char* q :
       {R"(host = "a")", R"(host = "a" or service = "b")",
        R"(host = "a" and service = "b" and state = "ok")", R"("a" = host and service = "b")",
        R"(host = "a" and host = "b")", R"(host = "a" and service != "b")",
        R"(host = 1 and service = "b")", R"(host = "a" and service = state)",
        R"(not (host = "a" and service = "b"))"}) {
    EXPECT_FALSE(Q(q).ExactHostService()) << q;
  }
}

TEST(QueryFastPathTest, IsTrue) {
  EXPECT_TRUE(Q("true").IsTrue());
  EXPECT_TRUE(Q("(true)").IsTrue());
  EXPECT_FALSE(Q("true and true").IsTrue());
  EXPECT_FALSE(Q("false").IsTrue());
  EXPECT_EQ(Q(" true ").text(), " true ");
}

TEST(QueryTest, CopiesShareAndOutliveTheOriginalText) {
  std::string text = R"(host =~ "a%")";
  EventQuery q = Q(text);
  text.assign("garbage garbage garbage");
  EventQuery copy = q;
  EXPECT_TRUE(copy.Matches(MapEvent().Str("host", "abc")));
}

}  // namespace
}  // namespace vigie::events
