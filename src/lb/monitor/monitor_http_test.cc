// The monitor-uri replies against haproxy 2.6.12's, captured byte for byte
// (`frontend healthz`, mode http, monitor-uri /healthz, no backend).
#include "lb/monitor/monitor_http.h"

#include <gtest/gtest.h>

namespace vigie::lb::monitor {
namespace {

constexpr std::string_view kOk =
    "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\n"
    "content-type: text/html\r\n\r\n<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n";

TEST(MonitorTest, MonitorUriGets200AndKeepsTheConnection) {
  auto r = Answer("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes, kOk);
  EXPECT_FALSE(r->close);
  EXPECT_EQ(r->consumed, 34u);  // the whole head
}

TEST(MonitorTest, OtherUrisGet503) {
  auto r = Answer("GET /other HTTP/1.1\r\nHost: x\r\n\r\n", "/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes,
            "HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: "
            "no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service "
            "Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n");
  // The query string is part of the URI, as haproxy compares it.
  EXPECT_NE(Answer("GET /healthz?x=1 HTTP/1.1\r\n\r\n", "/healthz")->bytes, kOk);
}

TEST(MonitorTest, Http10AndConnectionCloseClose) {
  auto r = Answer("GET /healthz HTTP/1.0\r\n\r\n", "/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes,
            "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\n"
            "content-type: text/html\r\nconnection: close\r\n\r\n"
            "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n");
  EXPECT_TRUE(r->close);
  EXPECT_TRUE(Answer("GET /healthz HTTP/1.1\r\nConnection: Close\r\n\r\n", "/healthz")->close);
}

TEST(MonitorTest, HeadGetsTheHeadersOnly) {
  auto r = Answer("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes,
            "HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache\r\n"
            "content-type: text/html\r\n\r\n");
}

TEST(MonitorTest, GarbageGets400AndClose) {
  auto r = Answer("garbage\r\n\r\n", "/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->bytes,
            "HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\n"
            "Connection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad "
            "request</h1>\nYour browser sent an invalid request.\n</body></html>\n");
  EXPECT_TRUE(r->close);
  EXPECT_TRUE(Answer("GET /healthz HTTP/2.0\r\n\r\n", "/healthz")->close);
}

TEST(MonitorTest, IncompleteWaitsUntilTheBound) {
  EXPECT_FALSE(Answer("GET /healthz HTTP/1.1\r\nHost: x\r\n", "/healthz"));
  std::string big = "GET /healthz HTTP/1.1\r\nX: " + std::string(kMaxRequestHead, 'a');
  auto r = Answer(big, "/healthz");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->close);
  EXPECT_EQ(r->bytes.substr(0, 24), "HTTP/1.1 400 Bad request");
}

TEST(MonitorTest, PipelinedRequestsAreAnsweredOneByOne) {
  std::string two = "GET /healthz HTTP/1.1\r\n\r\nGET /x HTTP/1.1\r\n\r\n";
  auto first = Answer(two, "/healthz");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->bytes, kOk);
  auto second = Answer(std::string_view(two).substr(first->consumed), "/healthz");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->bytes.substr(0, 12), "HTTP/1.1 503");
}

}  // namespace
}  // namespace vigie::lb::monitor
