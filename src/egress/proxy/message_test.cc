// Tests for the chunked scanner, response heads and their framing.
#include "egress/proxy/message.h"

#include <gtest/gtest.h>

namespace vigie::egress::proxy {
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

TEST(ResponseHeadTest, ParseAndFraming) {
  std::string text =
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close, X-A\r\n"
      "X-A: secret\r\nVia: 1.0 far\r\nServer: nginx\r\n\r\nhello";
  auto end = FindHeadEnd(text);
  ASSERT_TRUE(end);
  EXPECT_EQ(text.substr(*end), "hello");
  auto head = ParseResponseHead(std::string_view(text).substr(0, *end));
  ASSERT_TRUE(head) << head.error().ToString();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->reason, "OK");
  auto framing = DetermineResponseFraming(*head, "GET");
  ASSERT_TRUE(framing);
  EXPECT_EQ(framing->kind, ResponseFraming::Kind::kContentLength);
  EXPECT_EQ(framing->length, 5u);
  EXPECT_FALSE(OriginKeepsAlive(*head, *framing));
  EXPECT_EQ(BuildClientResponseHead(*head, *framing, {}),
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nVia: 1.0 far, 1.1 vigie\r\n"
            "Content-Length: 5\r\nConnection: keep-alive\r\n\r\n");
}

TEST(ResponseHeadTest, FramingRules) {
  auto f = [](std::string_view text, std::string_view method) {
    auto head = ParseResponseHead(text);
    EXPECT_TRUE(head) << text;
    return DetermineResponseFraming(*head, method);
  };
  EXPECT_EQ(f("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "HEAD")->kind,
            ResponseFraming::Kind::kNone);
  EXPECT_EQ(f("HTTP/1.1 204 No Content\r\n\r\n", "GET")->kind, ResponseFraming::Kind::kNone);
  EXPECT_EQ(f("HTTP/1.1 304 Not Modified\r\n\r\n", "GET")->kind, ResponseFraming::Kind::kNone);
  EXPECT_EQ(f("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "GET")->kind,
            ResponseFraming::Kind::kChunked);
  EXPECT_EQ(f("HTTP/1.1 200 OK\r\n\r\n", "GET")->kind, ResponseFraming::Kind::kUntilClose);
  EXPECT_EQ(f("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n", "GET")->length, 3u);
  EXPECT_FALSE(f("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "GET"));
  EXPECT_FALSE(f("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "GET"));
}

TEST(ResponseHeadTest, Malformed) {
  for (std::string_view bad :
       {"HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 99 x\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
        "ICY 200 OK\r\n\r\n"}) {
    EXPECT_FALSE(ParseResponseHead(bad)) << bad;
  }
}

}  // namespace
}  // namespace vigie::egress::proxy
