// Tests of EventQuery's own surface: the index fast path
// (ExactHostService, IsTrue), the text kept, and copies. The lexer, parser,
// evaluator and printer have their own tests (lexer_test.cc ...).
#include "events/query/query.h"

#include <string>

#include <gtest/gtest.h>

#include "events/query/query_testing.h"

namespace vigie::events {
namespace {

using query_testing::MapEvent;
using query_testing::Q;

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
