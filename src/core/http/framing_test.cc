// Tests for request and response body framing: the smuggling refusals, RFC
// 9112 §6.3's response rules and connection reuse.
#include "core/http/framing.h"

#include <gtest/gtest.h>

#include "core/http/http_error.h"

namespace vigie::http {
namespace {

RequestHead Head(std::string_view text) {
  RequestHeadParser parser;
  auto r = parser.Feed(text);
  EXPECT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(parser.done());
  return parser.TakeHead();
}

int FramingStatus(std::string_view text) {
  auto framing = DetermineRequestBodyFraming(Head(text));
  return framing ? 0 : StatusForError(framing.error());
}

ResponseHead Response(std::string_view text) {
  auto head = ParseResponseHead(text);
  EXPECT_TRUE(head) << text;
  return head ? *head : ResponseHead{};
}

TEST(BodyFramingTest, Kinds) {
  auto none = DetermineRequestBodyFraming(Head("GET http://a/ HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(none);
  EXPECT_EQ(none->kind, BodyFraming::Kind::kNone);
  auto cl =
      DetermineRequestBodyFraming(Head("POST http://a/ HTTP/1.1\r\nContent-Length: 42\r\n\r\n"));
  ASSERT_TRUE(cl);
  EXPECT_EQ(cl->kind, BodyFraming::Kind::kContentLength);
  EXPECT_EQ(cl->length, 42u);
  auto zero =
      DetermineRequestBodyFraming(Head("POST http://a/ HTTP/1.1\r\nContent-Length: 0\r\n\r\n"));
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->kind, BodyFraming::Kind::kNone);
  auto chunked = DetermineRequestBodyFraming(
      Head("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"));
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->kind, BodyFraming::Kind::kChunked);
  auto same_twice = DetermineRequestBodyFraming(
      Head("POST http://a/ HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5, 5\r\n\r\n"));
  ASSERT_TRUE(same_twice);
  EXPECT_EQ(same_twice->length, 5u);
}

TEST(BodyFramingTest, SmugglingAttemptsRefused) {
  // CL.TE / TE.CL desync.
  EXPECT_EQ(
      FramingStatus(
          "POST http://a/ HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"),
      400);
  EXPECT_EQ(
      FramingStatus(
          "POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"),
      400);
  // Differing lengths.
  EXPECT_EQ(
      FramingStatus("POST http://a/ HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n"),
      400);
  EXPECT_EQ(FramingStatus("POST http://a/ HTTP/1.1\r\nContent-Length: 4, 5\r\n\r\n"), 400);
  // Malformed lengths.
  for (std::string_view v : {"-1", "+4", "4 4", "0x10", "1e3", "", "99999999999999999999"}) {
    EXPECT_EQ(
        FramingStatus("POST http://a/ HTTP/1.1\r\nContent-Length: " + std::string(v) + "\r\n\r\n"),
        400)
        << v;
  }
  // Transfer codings other than exactly "chunked".
  EXPECT_EQ(FramingStatus("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
            501);
  EXPECT_EQ(FramingStatus("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: "
                          "chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
            501);
  EXPECT_EQ(FramingStatus("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n"), 501);
  EXPECT_EQ(FramingStatus("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked;x=1\r\n\r\n"),
            501);
  // TE in HTTP/1.0.
  EXPECT_EQ(FramingStatus("POST http://a/ HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
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

TEST(ResponseHeadTest, FramingErrorsAreBadGateway) {
  auto differing = DetermineResponseFraming(
      Response("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"), "GET");
  ASSERT_FALSE(differing);
  EXPECT_EQ(differing.error().code(), HttpErrc::kBadGateway);
  EXPECT_EQ(differing.error().context(), "differing Content-Length values in response");
  for (std::string_view v : {"+4", "4 4", "0x10", "1e3", "1234567890123456789"}) {
    auto malformed = DetermineResponseFraming(
        Response("HTTP/1.1 200 OK\r\nContent-Length: " + std::string(v) + "\r\n\r\n"), "GET");
    ASSERT_FALSE(malformed) << v;
    EXPECT_EQ(malformed.error().context(), "malformed Content-Length in response") << v;
  }
}

TEST(ResponseHeadTest, TransferEncodingWinsAndEmptyLengthIsIgnored) {
  auto both = DetermineResponseFraming(
      Response("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"),
      "GET");
  ASSERT_TRUE(both);
  EXPECT_EQ(both->kind, ResponseFraming::Kind::kChunked);
  auto gzip = DetermineResponseFraming(
      Response("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 4\r\n\r\n"), "GET");
  ASSERT_TRUE(gzip);
  EXPECT_EQ(gzip->kind, ResponseFraming::Kind::kUntilClose);
  auto empty =
      DetermineResponseFraming(Response("HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n"), "POST");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->kind, ResponseFraming::Kind::kUntilClose);
  auto interim = DetermineResponseFraming(Response("HTTP/1.1 100 Continue\r\n\r\n"), "POST");
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->kind, ResponseFraming::Kind::kNone);
}

TEST(ResponseHeadTest, KeepsAlive) {
  auto keeps = [](std::string_view text) {
    ResponseHead head = Response(text);
    auto framing = DetermineResponseFraming(head, "GET");
    EXPECT_TRUE(framing) << text;
    return ResponseKeepsAlive(head, *framing);
  };
  EXPECT_TRUE(keeps("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n"));
  EXPECT_TRUE(keeps("HTTP/1.1 204 No Content\r\n\r\n"));
  EXPECT_TRUE(keeps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
  EXPECT_FALSE(keeps("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: x, Close\r\n\r\n"));
  EXPECT_FALSE(keeps("HTTP/1.1 200 OK\r\n\r\n"));  // until close
  EXPECT_FALSE(keeps("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n"));
  EXPECT_TRUE(keeps("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n"));
}

}  // namespace
}  // namespace vigie::http
