// Tests for the response head the proxy sends on to the client.
#include "egress/proxy/client_response.h"

#include <gtest/gtest.h>

namespace vigie::egress::proxy {
namespace {

using ::vigie::http::DetermineResponseFraming;
using ::vigie::http::FindHeadEnd;
using ::vigie::http::ParseResponseHead;
using ::vigie::http::ResponseFraming;
using ::vigie::http::ResponseKeepsAlive;

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
  EXPECT_FALSE(ResponseKeepsAlive(*head, *framing));
  EXPECT_EQ(BuildClientResponseHead(*head, *framing, {}),
            "HTTP/1.1 200 OK\r\nServer: nginx\r\nVia: 1.0 far, 1.1 vigie\r\n"
            "Content-Length: 5\r\nConnection: keep-alive\r\n\r\n");
}

}  // namespace
}  // namespace vigie::egress::proxy
