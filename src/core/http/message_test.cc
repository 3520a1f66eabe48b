// Tests for the chunked scanner, status lines and response heads.
#include "core/http/message.h"

#include <gtest/gtest.h>

#include "core/http/http_error.h"

namespace vigie::http {
namespace {

constexpr std::string_view kChunked =
    "4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";

TEST(ChunkedScannerTest, WholeBodyThenStops) {
  ChunkedScanner s;
  std::string data = std::string(kChunked) + "GET / HTTP/1.1\r\n";
  auto n = s.Feed(data);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, kChunked.size());
  EXPECT_TRUE(s.done());
}

TEST(ChunkedScannerTest, SplitAtEveryOffset) {
  for (size_t split = 0; split <= kChunked.size(); ++split) {
    ChunkedScanner s;
    auto a = s.Feed(kChunked.substr(0, split));
    ASSERT_TRUE(a) << split;
    EXPECT_EQ(*a, split);
    auto b = s.Feed(kChunked.substr(split));
    ASSERT_TRUE(b) << split;
    EXPECT_EQ(*b, kChunked.size() - split);
    EXPECT_TRUE(s.done()) << split;
  }
}

TEST(ChunkedScannerTest, OneByteAtATime) {
  ChunkedScanner s;
  for (char c : kChunked) {
    ASSERT_FALSE(s.done());
    auto n = s.Feed(std::string_view(&c, 1));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 1u);
  }
  EXPECT_TRUE(s.done());
}

TEST(ChunkedScannerTest, Errors) {
  for (std::string_view bad : {"x\r\n", "4\nWiki\r\n0\r\n\r\n", "4\r\nWikiXY0\r\n\r\n",
                               "1234567890abcdef0\r\n", "4 x\r\n", "\r\n"}) {
    ChunkedScanner s;
    EXPECT_FALSE(s.Feed(bad)) << bad;
  }
  ChunkedScanner s;
  EXPECT_FALSE(s.Feed(std::string(5000, '1')));
}

TEST(ResponseHeadTest, Malformed) {
  for (std::string_view bad :
       {"HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 99 x\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
        "ICY 200 OK\r\n\r\n"}) {
    EXPECT_FALSE(ParseResponseHead(bad)) << bad;
  }
}

TEST(ResponseHeadTest, ParsesStatusAndFields) {
  std::string text =
      "HTTP/1.0 404 Not Found\r\nContent-Length: 5\r\nX-A:  one \r\nx-a: two\r\n\r\nhello";
  auto end = FindHeadEnd(text);
  ASSERT_TRUE(end);
  EXPECT_EQ(text.substr(*end), "hello");
  auto head = ParseResponseHead(std::string_view(text).substr(0, *end));
  ASSERT_TRUE(head) << head.error().ToString();
  EXPECT_EQ(head->version_minor, 0);
  EXPECT_EQ(head->status, 404);
  EXPECT_EQ(head->reason, "Not Found");
  ASSERT_EQ(head->fields.size(), 3u);
  EXPECT_EQ(head->Find("x-A"), "one");
  EXPECT_EQ(head->Combined("X-A"), "one, two");
  EXPECT_FALSE(head->Find("Server"));
}

TEST(ResponseHeadTest, StatusLineWithoutReasonAndBareLf) {
  auto head = ParseResponseHead("HTTP/1.1 204\nDate: x\n\n");
  ASSERT_TRUE(head) << head.error().ToString();
  EXPECT_EQ(head->status, 204);
  EXPECT_EQ(head->reason, "");
  EXPECT_EQ(head->Find("Date"), "x");
}

TEST(ResponseHeadTest, ErrorsAreBadGateway) {
  auto bad = ParseResponseHead("HTTP/1.1 600 Odd\r\n\r\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), HttpErrc::kBadGateway);
  EXPECT_EQ(bad.error().context(), "malformed status line");
  EXPECT_EQ(StatusForError(bad.error()), 502);
  auto field = ParseResponseHead("HTTP/1.1 200 OK\r\nA: b\r\nno colon\r\n\r\n");
  ASSERT_FALSE(field);
  EXPECT_EQ(field.error().context(), "response line 3: not a header field");
  EXPECT_FALSE(ParseResponseHead(""));
}

TEST(FindHeadEndTest, IncompleteAndLineEnds) {
  EXPECT_FALSE(FindHeadEnd(""));
  EXPECT_FALSE(FindHeadEnd("HTTP/1.1 200 OK\r\nA: b\r\n"));
  EXPECT_FALSE(FindHeadEnd("HTTP/1.1 200 OK\r\n\r"));
  EXPECT_EQ(FindHeadEnd("HTTP/1.1 200 OK\r\n\r\nbody"), 19u);
  EXPECT_EQ(FindHeadEnd("HTTP/1.1 200 OK\n\nbody"), 17u);
  EXPECT_EQ(FindHeadEnd("HTTP/1.1 200 OK\r\n\n"), 18u);
}

TEST(StatusLineTest, Grammar) {
  auto line = ParseStatusLine("HTTP/1.1 503 Service Unavailable");
  ASSERT_TRUE(line);
  EXPECT_EQ(line->version_major, 1);
  EXPECT_EQ(line->version_minor, 1);
  EXPECT_EQ(line->status, 503);
  EXPECT_EQ(line->reason, "Service Unavailable");
  // The grammar alone: other versions and statuses are for the caller to judge.
  auto other = ParseStatusLine("HTTP/2.0 999 ");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->version_major, 2);
  EXPECT_EQ(other->version_minor, 0);
  EXPECT_EQ(other->status, 999);
  EXPECT_EQ(other->reason, "");
  EXPECT_EQ(ParseStatusLine("HTTP/1.0 000")->status, 0);
  // The reason phrase is taken as it is, control bytes included.
  EXPECT_EQ(ParseStatusLine("HTTP/1.1 500 a\rb\x01")->reason, "a\rb\x01");
  for (std::string_view bad : {"", "HTTP/1.1 20", "HTTP/1.1 2000", "HTTP/1.1  200", "HTTP/11 200 ",
                               "HTTP/1.1\t200 OK", "http/1.1 200 OK", "HTTP/x.1 200 OK",
                               "HTTP/1.1 2x0 OK", "ICY 200 OK", "HTTP/1.1 200\tOK"}) {
    auto r = ParseStatusLine(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), HttpErrc::kBadGateway) << bad;
  }
}

}  // namespace
}  // namespace vigie::http
