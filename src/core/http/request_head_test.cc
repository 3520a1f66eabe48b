// Tests for the incremental request-head parser: well-formed heads, every
// split point, limits (414/431), malformed request lines and fields.
#include "core/http/request_head.h"

#include <gtest/gtest.h>

#include "core/http/http_error.h"

namespace vigie::http {
namespace {

constexpr std::string_view kGet =
    "GET http://example.com/a?b=c HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "User-Agent: curl/7.88.1\r\n"
    "Accept:   */*  \r\n"
    "\r\n";

struct Outcome {
  bool done = false;
  int status = 0;  // 0 on success
  size_t consumed = 0;
  RequestHead head;
};

Outcome ParseAll(std::string_view data, const HeadLimits& limits = {}) {
  RequestHeadParser parser(limits);
  Outcome out;
  auto consumed = parser.Feed(data);
  if (!consumed) {
    out.status = StatusForError(consumed.error());
    return out;
  }
  out.consumed = *consumed;
  out.done = parser.done();
  out.head = parser.head();
  return out;
}

TEST(RequestHeadParserTest, ParsesAWholeHead) {
  std::string data = std::string(kGet) + "BODY";
  Outcome out = ParseAll(data);
  ASSERT_TRUE(out.done);
  EXPECT_EQ(out.consumed, kGet.size());  // the body is left alone
  EXPECT_EQ(out.head.method, "GET");
  EXPECT_EQ(out.head.target, "http://example.com/a?b=c");
  EXPECT_EQ(out.head.version_minor, 1);
  ASSERT_EQ(out.head.fields.size(), 3u);
  EXPECT_EQ(out.head.fields[2].name, "Accept");
  EXPECT_EQ(out.head.fields[2].value, "*/*");
  EXPECT_EQ(out.head.Find("user-agent"), "curl/7.88.1");
  EXPECT_FALSE(out.head.Find("Cookie"));
}

TEST(RequestHeadParserTest, IncompleteIsNotAnError) {
  RequestHeadParser parser;
  auto consumed = parser.Feed("GET http://a.example/ HTTP/1.1\r\nHost: a");
  ASSERT_TRUE(consumed);
  EXPECT_FALSE(parser.done());
  EXPECT_TRUE(parser.Feed(".example\r\n\r"));
  EXPECT_FALSE(parser.done());
  auto last = parser.Feed("\nrest");
  ASSERT_TRUE(last);
  EXPECT_EQ(*last, 1u);
  EXPECT_TRUE(parser.done());
  EXPECT_EQ(parser.head().Find("Host"), "a.example");
}

TEST(RequestHeadParserTest, SplitAtEveryOffsetGivesTheSameHead) {
  Outcome whole = ParseAll(kGet);
  ASSERT_TRUE(whole.done);
  for (size_t split = 0; split <= kGet.size(); ++split) {
    RequestHeadParser parser;
    auto a = parser.Feed(kGet.substr(0, split));
    ASSERT_TRUE(a) << split;
    size_t consumed = *a;
    if (!parser.done()) {
      auto b = parser.Feed(kGet.substr(split));
      ASSERT_TRUE(b) << split;
      consumed += *b;
    }
    ASSERT_TRUE(parser.done()) << split;
    EXPECT_EQ(consumed, kGet.size()) << split;
    EXPECT_EQ(parser.head().target, whole.head.target) << split;
    ASSERT_EQ(parser.head().fields.size(), whole.head.fields.size()) << split;
    for (size_t i = 0; i < whole.head.fields.size(); ++i) {
      EXPECT_EQ(parser.head().fields[i].value, whole.head.fields[i].value) << split;
    }
  }
}

TEST(RequestHeadParserTest, OneByteAtATime) {
  RequestHeadParser parser;
  for (char c : kGet) {
    ASSERT_FALSE(parser.done());
    auto r = parser.Feed(std::string_view(&c, 1));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 1u);
  }
  EXPECT_TRUE(parser.done());
  EXPECT_EQ(parser.head_bytes(), kGet.size());
}

TEST(RequestHeadParserTest, BareLfAndLeadingEmptyLinesAccepted) {
  Outcome out = ParseAll("\r\n\nGET http://a.example/ HTTP/1.0\nHost: a.example\n\n");
  ASSERT_TRUE(out.done);
  EXPECT_EQ(out.head.version_minor, 0);
  EXPECT_EQ(ParseAll(std::string(20, '\n') + "GET http://a/ HTTP/1.1\r\n\r\n").status, 400);
}

TEST(RequestHeadParserTest, ResetParsesThePipelinedNextRequest) {
  std::string two = std::string(kGet) + "CONNECT a.example:443 HTTP/1.1\r\n\r\n";
  RequestHeadParser parser;
  auto first = parser.Feed(two);
  ASSERT_TRUE(first);
  ASSERT_TRUE(parser.done());
  parser.Reset();
  auto second = parser.Feed(std::string_view(two).substr(*first));
  ASSERT_TRUE(second);
  ASSERT_TRUE(parser.done());
  EXPECT_EQ(parser.head().method, "CONNECT");
  EXPECT_TRUE(parser.head().fields.empty());
}

TEST(RequestHeadParserTest, MalformedRequestLines) {
  for (std::string_view line : {
           "GET  http://a/ HTTP/1.1",     // double space
           "GET http://a/  HTTP/1.1",     //
           " GET http://a/ HTTP/1.1",     // leading space
           "GET http://a/ HTTP/1.1 ",     // trailing space
           "GET http://a/",               // no version
           "GET",                         //
           "G(T http://a/ HTTP/1.1",      // method not a token
           "GET http://a/\x01 HTTP/1.1",  // control in target
           "GET http://a/\x80 HTTP/1.1",  // non-ASCII in target
           "GET http://a/ HTTP/1",        // short version
           "GET http://a/ http/1.1",      // lower-case protocol
           "GET http://a/ HTTP/1.10",     //
           "GET\thttp://a/\tHTTP/1.1",    // tabs
       }) {
    std::string data = std::string(line) + "\r\n\r\n";
    EXPECT_EQ(ParseAll(data).status, 400) << line;
  }
  EXPECT_EQ(ParseAll("GET http://a/ HTTP/2.0\r\n\r\n").status, 505);
  EXPECT_EQ(ParseAll("GET http://a/ HTTP/0.9\r\n\r\n").status, 505);
}

TEST(RequestHeadParserTest, MalformedFields) {
  for (std::string_view field : {
           "Host : a",      // space before colon (smuggling vector)
           "Host\t: a",     //
           "NoColon",       //
           ": empty-name",  //
           "Bad Name: x",   //
           "X: a\x01z",     // control character
           "X: a\x7f",      // DEL
           " folded",       // obs-fold
           "\tfolded",      //
           "X: a\rb",       // bare CR
       }) {
    std::string data = "GET http://a/ HTTP/1.1\r\nHost: a\r\n" + std::string(field) + "\r\n\r\n";
    Outcome out = ParseAll(data);
    EXPECT_EQ(out.status, 400) << field;
  }
  // obs-text (UTF-8) in a value is allowed.
  EXPECT_TRUE(ParseAll("GET http://a/ HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n").done);
}

TEST(RequestHeadParserTest, ErrorNamesTheLine) {
  RequestHeadParser parser;
  auto r = parser.Feed("GET http://a/ HTTP/1.1\r\nA: b\r\nBad Name: x\r\n\r\n");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().context().find("line 3"), std::string::npos) << r.error().ToString();
  // Errors are sticky until Reset.
  EXPECT_FALSE(parser.Feed("\r\n"));
  parser.Reset();
  EXPECT_TRUE(parser.Feed("GET http://a/ HTTP/1.1\r\n\r\n"));
  EXPECT_TRUE(parser.done());
}

TEST(RequestHeadParserTest, AbsurdSizes) {
  HeadLimits limits;
  limits.max_head_bytes = 4096;
  limits.max_request_line_bytes = 1024;
  limits.max_field_line_bytes = 512;
  limits.max_fields = 10;

  std::string long_target = "GET http://a/" + std::string(2000, 'x') + " HTTP/1.1\r\n\r\n";
  EXPECT_EQ(ParseAll(long_target, limits).status, 414);

  std::string long_field = "GET http://a/ HTTP/1.1\r\nX: " + std::string(600, 'v') + "\r\n\r\n";
  EXPECT_EQ(ParseAll(long_field, limits).status, 431);

  std::string many = "GET http://a/ HTTP/1.1\r\n";
  for (int i = 0; i < 11; ++i)
    many += "X" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(ParseAll(many + "\r\n", limits).status, 431);

  std::string big = "GET http://a/ HTTP/1.1\r\n";
  for (int i = 0; i < 9; ++i)
    big += "X" + std::to_string(i) + ": " + std::string(500, 'v') + "\r\n";
  EXPECT_EQ(ParseAll(big + "\r\n", limits).status, 431);

  // The limit triggers while streaming, before the line ends.
  RequestHeadParser parser(limits);
  ASSERT_TRUE(parser.Feed("GET http://a/ HTTP/1.1\r\nX: "));
  auto r = parser.Feed(std::string(600, 'v'));
  ASSERT_FALSE(r);
  EXPECT_EQ(StatusForError(r.error()), 431);

  // Exactly at the limits is fine.
  std::string edge = "GET http://a/" + std::string(1024 - 22, 'x') + " HTTP/1.1\r\n\r\n";
  EXPECT_TRUE(ParseAll(edge, limits).done) << edge.size();
}

}  // namespace
}  // namespace vigie::http
