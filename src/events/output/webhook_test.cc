// Tests of the HTTP the webhook output speaks without I/O: the JSON body,
// the request, and what it reads from a response head.
#include "events/output/webhook.h"

#include <vector>

#include <gtest/gtest.h>

#include "events/proto/json.h"

namespace vigie::events {
namespace {

TEST(WebhookBodyTest, EventsAsAJsonArray) {
  EXPECT_EQ(WebhookBody({}), "[]");
  std::vector<Event> events(2);
  events[0].set_host("a");
  events[1].set_service("b \"quoted\"");
  events[1].set_metric_sint64(3);
  std::string body = WebhookBody(events);
  EXPECT_EQ(body, "[" + EventToJson(events[0]) + "," + EventToJson(events[1]) + "]");
  // Each element reads back as the event it was.
  std::string second = EventToJson(events[1]);
  auto back = ParseEventJson(second);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->service(), "b \"quoted\"");
}

TEST(WebhookRequestTest, PostWithHostHeadersAndLength) {
  WebhookOutputConfig cfg;
  cfg.host = "hooks.example";
  cfg.port = 8080;
  cfg.path = "/alert?x=1";
  cfg.headers = {{"Authorization", "Bearer s3cret"}, {"X-Team", "ops"}};
  EXPECT_EQ(WebhookRequest(cfg, "[{}]"),
            "POST /alert?x=1 HTTP/1.1\r\n"
            "Host: hooks.example:8080\r\n"
            "Content-Type: application/json\r\n"
            "User-Agent: vigie-events\r\n"
            "Authorization: Bearer s3cret\r\n"
            "X-Team: ops\r\n"
            "Content-Length: 4\r\n"
            "\r\n"
            "[{}]");
}

TEST(HttpResponseHeadTest, StatusLine) {
  EXPECT_EQ(ParseHttpResponseHead("HTTP/1.1 204 No Content").status, 204);
  EXPECT_EQ(ParseHttpResponseHead("HTTP/1.0 503").status, 503);
  EXPECT_EQ(ParseHttpResponseHead("HTTP/1.1 404 Not Found\r\nServer: x").status, 404);
  EXPECT_EQ(ParseHttpResponseHead("HTTP/1.1 20").status, 0);  // too short
  EXPECT_EQ(ParseHttpResponseHead("HTTP/1.1 2x0 OK").status, 0);
  EXPECT_EQ(ParseHttpResponseHead("HTTP/2 200 OK xx").status, 0);
  EXPECT_EQ(ParseHttpResponseHead("ICY 200 OK whatever").status, 0);
  EXPECT_EQ(ParseHttpResponseHead("").status, 0);
}

TEST(HttpResponseHeadTest, ContentLengthAnyCaseAndBounded) {
  auto head = ParseHttpResponseHead("HTTP/1.1 200 OK\r\nCONTENT-LENGTH:   12");
  EXPECT_EQ(head.content_length, 12u);
  EXPECT_FALSE(head.bad_length);
  head = ParseHttpResponseHead("HTTP/1.1 200 OK\r\nServer: x");
  EXPECT_FALSE(head.content_length.has_value());
  EXPECT_FALSE(head.bad_length);
  head = ParseHttpResponseHead("HTTP/1.1 200 OK\r\ncontent-length: " +
                               std::to_string(kMaxWebhookResponseBody));
  EXPECT_EQ(head.content_length, kMaxWebhookResponseBody);
  for (std::string bad : {"content-length: " + std::to_string(kMaxWebhookResponseBody + 1),
                          std::string("content-length: lots"), std::string("content-length: -1"),
                          std::string("content-length:"), std::string("content-length:   ")}) {
    head = ParseHttpResponseHead("HTTP/1.1 200 OK\r\n" + bad);
    EXPECT_EQ(head.status, 200) << bad;
    EXPECT_TRUE(head.bad_length) << bad;
    EXPECT_FALSE(head.content_length.has_value()) << bad;
  }
}

TEST(HttpResponseHeadTest, ChunkedAndClose) {
  auto head =
      ParseHttpResponseHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: Close");
  EXPECT_TRUE(head.chunked);
  EXPECT_TRUE(head.close);
  head = ParseHttpResponseHead("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0");
  EXPECT_FALSE(head.chunked);
  EXPECT_FALSE(head.close);
  EXPECT_EQ(head.content_length, 0u);
  // Header names only count at the start of a line.
  head = ParseHttpResponseHead("HTTP/1.1 200 OK\r\nX-Note: connection: close");
  EXPECT_FALSE(head.close);
}

TEST(HttpResponseHeadTest, CoreFramingRules) {
  // No body after a 204 whatever its Content-Length says.
  auto head = ParseHttpResponseHead("HTTP/1.1 204 No Content\r\nContent-Length: 7");
  EXPECT_EQ(head.status, 204);
  EXPECT_EQ(head.content_length, 0u);
  // Differing lengths cannot be trusted.
  head = ParseHttpResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.bad_length);
  // Transfer-Encoding wins over Content-Length.
  head =
      ParseHttpResponseHead("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked");
  EXPECT_TRUE(head.chunked);
  EXPECT_FALSE(head.content_length.has_value());
  EXPECT_FALSE(head.bad_length);
  // A head that is not well-formed is not used; LF line ends are.
  EXPECT_EQ(ParseHttpResponseHead("HTTP/1.1 200 OK\r\nno colon").status, 0);
  EXPECT_EQ(ParseHttpResponseHead("HTTP/1.1 200 OK\nContent-Length: 2\n\n").content_length, 2u);
}

}  // namespace
}  // namespace vigie::events
