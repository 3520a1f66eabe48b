// Tests for hop-by-hop removal and the origin request rewrite, plus the
// proxy's own responses and log lines.
#include "egress/http/forward.h"

#include <gtest/gtest.h>

#include "egress/http/access_log.h"
#include "egress/http/response.h"

namespace vigie::egress::http {
namespace {

using ::vigie::http::BodyFraming;
using ::vigie::http::DetermineRequestBodyFraming;
using ::vigie::http::RequestHead;
using ::vigie::http::RequestHeadParser;

RequestHead Head(std::string_view text) {
  RequestHeadParser parser;
  auto r = parser.Feed(text);
  EXPECT_TRUE(r) << r.error().ToString();
  EXPECT_TRUE(parser.done());
  return parser.TakeHead();
}

TEST(HopByHopTest, ConnectionOptionsAndKeepAlive) {
  RequestHead head = Head("GET http://a/ HTTP/1.1\r\nConnection: Keep-Alive, X-Secret\r\n\r\n");
  EXPECT_EQ(ConnectionOptions(head), (std::vector<std::string>{"keep-alive", "x-secret"}));
  EXPECT_TRUE(ClientKeepsAlive(head));
  EXPECT_FALSE(ClientKeepsAlive(Head("GET http://a/ HTTP/1.1\r\nConnection: close\r\n\r\n")));
  EXPECT_FALSE(ClientKeepsAlive(Head("GET http://a/ HTTP/1.0\r\n\r\n")));
  EXPECT_TRUE(
      ClientKeepsAlive(Head("GET http://a/ HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n")));
  EXPECT_TRUE(IsHopByHopField("proxy-authorization"));
  EXPECT_FALSE(IsHopByHopField("Authorization"));
}

TEST(OriginRequestTest, RewritesForTheOrigin) {
  RequestHead head = Head(
      "POST http://Example.com:8080/p?q HTTP/1.1\r\n"
      "Host: spoofed.example\r\n"
      "User-Agent: curl\r\n"
      "Connection: keep-alive, X-Secret\r\n"
      "Keep-Alive: timeout=5\r\n"
      "Proxy-Connection: keep-alive\r\n"
      "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
      "X-Secret: hop\r\n"
      "TE: trailers\r\n"
      "Trailer: X-Sum\r\n"
      "Upgrade: websocket\r\n"
      "Via: 1.0 upstream\r\n"
      "X-Forwarded-For: 192.0.2.1\r\n"
      "Content-Length: 3\r\n"
      "Accept: */*\r\n"
      "\r\n");
  auto target = ParseProxyTarget(head.method, head.target);
  ASSERT_TRUE(target);
  auto framing = DetermineRequestBodyFraming(head);
  ASSERT_TRUE(framing);
  auto out = BuildOriginRequest(head, *target, *framing, ForwardOptions{}, "10.128.0.7");
  ASSERT_TRUE(out) << out.error().ToString();
  EXPECT_EQ(*out,
            "POST /p?q HTTP/1.1\r\n"
            "Host: example.com:8080\r\n"
            "User-Agent: curl\r\n"
            "Accept: */*\r\n"
            "Via: 1.0 upstream, 1.1 vigie\r\n"
            "X-Forwarded-For: 192.0.2.1, 10.128.0.7\r\n"
            "Content-Length: 3\r\n"
            "\r\n");
}

TEST(OriginRequestTest, ChunkedIsRegeneratedAndOptionsApply) {
  RequestHead head = Head(
      "PUT http://a.example/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nX-Forwarded-For: "
      "192.0.2.1\r\n\r\n");
  auto target = ParseProxyTarget(head.method, head.target);
  auto framing = DetermineRequestBodyFraming(head);
  ASSERT_TRUE(target && framing);
  ForwardOptions options;
  options.via = false;
  options.forwarded_for = ForwardedFor::kDelete;
  options.close_origin_connection = true;
  auto out = BuildOriginRequest(head, *target, *framing, options, "10.0.0.9");
  ASSERT_TRUE(out);
  EXPECT_EQ(*out,
            "PUT / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\nConnection: "
            "close\r\n\r\n");

  auto with = [&](ForwardedFor mode) {
    ForwardOptions o;
    o.via = false;
    o.forwarded_for = mode;
    auto r = BuildOriginRequest(head, *target, *framing, o, "10.0.0.9");
    std::string text = r ? *r : "";
    size_t at = text.find("X-Forwarded-For: ");
    return at == std::string::npos ? std::string("-")
                                   : text.substr(at + 17, text.find("\r\n", at) - at - 17);
  };
  EXPECT_EQ(with(ForwardedFor::kOn), "192.0.2.1, 10.0.0.9");
  EXPECT_EQ(with(ForwardedFor::kOff), "192.0.2.1, unknown");
  EXPECT_EQ(with(ForwardedFor::kTransparent), "192.0.2.1");
  EXPECT_EQ(with(ForwardedFor::kTruncate), "10.0.0.9");
  EXPECT_EQ(with(ForwardedFor::kDelete), "-");
}

TEST(OriginRequestTest, ConnectionCannotStripFraming) {
  // "Connection: Content-Length" must not turn a body into a new request.
  RequestHead head = Head(
      "POST http://a.example/ HTTP/1.1\r\nConnection: Content-Length, Host\r\nContent-Length: "
      "2\r\n\r\n");
  auto target = ParseProxyTarget(head.method, head.target);
  auto framing = DetermineRequestBodyFraming(head);
  ASSERT_TRUE(target && framing);
  auto out = BuildOriginRequest(head, *target, *framing, ForwardOptions{}, "10.0.0.9");
  ASSERT_TRUE(out);
  EXPECT_NE(out->find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(out->find("Host: a.example\r\n"), std::string::npos);
}

TEST(OriginRequestTest, ConnectHasNoOriginRequest) {
  RequestHead head = Head("CONNECT a.example:443 HTTP/1.1\r\n\r\n");
  auto target = ParseProxyTarget(head.method, head.target);
  ASSERT_TRUE(target);
  EXPECT_FALSE(BuildOriginRequest(head, *target, BodyFraming{}, ForwardOptions{}, "10.0.0.9"));
}

TEST(ResponseTest, DenialLooksLikeSquids) {
  std::string r = BuildDenialResponse({"http://perdu.com/", "line 1: !perdu.com", true, "vigie"});
  EXPECT_TRUE(r.starts_with("HTTP/1.1 403 Forbidden\r\n"));
  EXPECT_NE(r.find("\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\nConnection: keep-alive\r\n"), std::string::npos);
  std::string body = r.substr(r.find("\r\n\r\n") + 4);
  EXPECT_EQ(body,
            "Access denied.\nThe egress policy does not allow http://perdu.com/.\nRule: line 1: "
            "!perdu.com\n");
  EXPECT_NE(r.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  // No header injection through the rule or URL text.
  std::string evil =
      BuildDenialResponse({"http://a/\r\nX: y", "r\r\nSet-Cookie: z", false, "vigie"});
  EXPECT_EQ(evil.find("\r\nX: y"), std::string::npos);
  EXPECT_EQ(evil.find("\r\nSet-Cookie"), std::string::npos);
  EXPECT_NE(evil.find("Connection: close"), std::string::npos);
}

TEST(ResponseTest, Errors) {
  std::string r = BuildErrorResponse(431, "request head larger than 65536 bytes");
  EXPECT_TRUE(r.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
  EXPECT_NE(r.find("X-Squid-Error: ERR_TOO_BIG 0"), std::string::npos);
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(
      r.ends_with("Request Header Fields Too Large: request head larger than 65536 bytes\n"));
  EXPECT_EQ(ConnectEstablishedResponse(), "HTTP/1.1 200 Connection established\r\n\r\n");
}

TEST(AccessLogTest, SquidNativeFormat) {
  AccessLogEntry entry;
  entry.time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795706983031));
  entry.elapsed = std::chrono::milliseconds(0);
  entry.client_address = "127.0.0.1";
  entry.squid_status = "TCP_DENIED";
  entry.http_status = 403;
  entry.reply_bytes = 3407;
  entry.method = "CONNECT";
  entry.url = "perdu.com:443";
  entry.content_type = "text/html";
  EXPECT_EQ(FormatSquidAccessLog(entry),
            "1795706983.031      0 127.0.0.1 TCP_DENIED/403 3407 CONNECT perdu.com:443 - "
            "HIER_NONE/- text/html");

  entry.elapsed = std::chrono::milliseconds(1234567);
  entry.squid_status = "TCP_MISS";
  entry.http_status = 200;
  entry.method = "GET";
  entry.url = "http://free.fr/a?secret=1";
  entry.hierarchy = "HIER_DIRECT";
  entry.server_address = "212.27.48.10";
  entry.content_type = "text/html; charset=utf-8";
  EXPECT_EQ(FormatSquidAccessLog(entry),
            "1795706983.031 1234567 127.0.0.1 TCP_MISS/200 3407 GET http://free.fr/a - "
            "HIER_DIRECT/212.27.48.10 "
            "text/html;%20charset=utf-8");
  EXPECT_NE(FormatSquidAccessLog(entry, /*strip_query=*/false).find("?secret=1"),
            std::string::npos);
  entry.http_status = 0;
  entry.method = "GET\nFAKE";
  std::string line = FormatSquidAccessLog(entry);
  EXPECT_NE(line.find("/000 "), std::string::npos);
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace vigie::egress::http
