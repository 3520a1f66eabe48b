// Tests for the access-log line of one HTTP proxy transaction.
#include "egress/proxy/transaction.h"

#include <gtest/gtest.h>

namespace vigie::egress::proxy {
namespace {

using std::chrono::milliseconds;

const auto kNow = std::chrono::system_clock::time_point(milliseconds(1795706983031));

TEST(AccessLogLineTest, BeforeTheTargetIsParsed) {
  Transaction t;
  t.method = "NONE";
  t.raw_url = "error:invalid-request";
  t.status = 400;
  t.reply_bytes = 120;
  t.content_type = "text/plain";
  EXPECT_EQ(AccessLogLine(t, "127.0.0.1", kNow, t.start + milliseconds(12)),
            "1795706983.031     12 127.0.0.1 NONE_NONE/400 120 NONE error:invalid-request - "
            "HIER_NONE/- text/plain");
}

TEST(AccessLogLineTest, ForwardedRequestShowsTheTargetAndTheServer) {
  auto target = http::ParseProxyTarget("GET", "http://Example.com:8080/a?secret=1");
  ASSERT_TRUE(target);
  Transaction t;
  t.method = "GET";
  t.raw_url = "http://Example.com:8080/a?secret=1";
  t.target = &*target;
  t.squid_status = "TCP_MISS";
  t.status = 200;
  t.reply_bytes = 5000;
  t.hierarchy = "HIER_DIRECT";
  t.server_address = IpAddress::Parse("192.0.2.10").value();
  EXPECT_EQ(AccessLogLine(t, "10.0.0.1", kNow, t.start + milliseconds(1500)),
            "1795706983.031   1500 10.0.0.1 TCP_MISS/200 5000 GET http://example.com:8080/a "
            "- HIER_DIRECT/192.0.2.10 -");
}

TEST(AccessLogLineTest, TunnelShowsTheAuthority) {
  auto target = http::ParseProxyTarget("CONNECT", "example.com:443");
  ASSERT_TRUE(target);
  Transaction t;
  t.method = "CONNECT";
  t.raw_url = "example.com:443";
  t.target = &*target;
  t.squid_status = "TCP_TUNNEL";
  t.status = 200;
  t.reply_bytes = 39;
  t.hierarchy = "HIER_DIRECT";
  t.server_address = IpAddress::Parse("2001:db8::1").value();
  EXPECT_EQ(AccessLogLine(t, "::1", kNow, t.start),
            "1795706983.031      0 ::1 TCP_TUNNEL/200 39 CONNECT example.com:443 - "
            "HIER_DIRECT/2001:db8::1 -");
}

}  // namespace
}  // namespace vigie::egress::proxy
