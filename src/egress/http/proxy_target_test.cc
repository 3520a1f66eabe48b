// Tests for absolute-form and authority-form targets.
#include "egress/http/proxy_target.h"

#include <gtest/gtest.h>

#include "core/http/http_error.h"

namespace vigie::egress::http {
namespace {

using ::vigie::http::StatusForError;

TEST(ProxyTargetTest, AbsoluteForm) {
  auto t = ParseProxyTarget("GET", "http://Example.COM:8080/p/a?q=1#frag");
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ(t->kind, ProxyTarget::Kind::kForward);
  EXPECT_EQ(t->scheme, "http");
  EXPECT_EQ(t->host, "example.com");
  EXPECT_EQ(t->port, 8080);
  EXPECT_EQ(t->origin_form, "/p/a?q=1");
  EXPECT_EQ(t->HostHeader(), "example.com:8080");
  EXPECT_EQ(t->LogUrl(), "http://example.com:8080/p/a?q=1");
}

TEST(ProxyTargetTest, DefaultsAndEmptyPath) {
  auto t = ParseProxyTarget("GET", "HTTP://a.example");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->port, 80);
  EXPECT_EQ(t->origin_form, "/");
  EXPECT_EQ(t->HostHeader(), "a.example");
  auto q = ParseProxyTarget("GET", "http://a.example?x");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->origin_form, "/?x");
  auto explicit_default = ParseProxyTarget("GET", "http://a.example:80/");
  ASSERT_TRUE(explicit_default);
  EXPECT_EQ(explicit_default->HostHeader(), "a.example");
  auto empty_port = ParseProxyTarget("GET", "http://a.example:/");
  ASSERT_TRUE(empty_port);
  EXPECT_EQ(empty_port->port, 80);
  auto https = ParseProxyTarget("GET", "https://a.example/");
  ASSERT_TRUE(https);
  EXPECT_EQ(https->port, 443);
}

TEST(ProxyTargetTest, Ipv6Literals) {
  auto t = ParseProxyTarget("GET", "http://[2001:DB8::1]:8080/x");
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ(t->host, "2001:db8::1");
  ASSERT_TRUE(t->address);
  EXPECT_TRUE(t->address->is_v6());
  EXPECT_EQ(t->HostHeader(), "[2001:db8::1]:8080");
  auto c = ParseProxyTarget("CONNECT", "[::1]:443");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->LogUrl(), "[::1]:443");
  for (std::string_view bad : {"http://[::1/", "http://[fe80::1%25eth0]/", "http://[v1.x]/",
                               "http://[1.2.3.4]/", "http://[::1]x/", "http://::1/"}) {
    EXPECT_FALSE(ParseProxyTarget("GET", bad)) << bad;
  }
}

TEST(ProxyTargetTest, Ipv4LiteralsAndNumericAliases) {
  auto t = ParseProxyTarget("GET", "http://10.1.2.3/");
  ASSERT_TRUE(t);
  ASSERT_TRUE(t->address);
  EXPECT_EQ(t->address->ToString(), "10.1.2.3");
  // Forms a resolver would read as 127.0.0.1 behind the ACL's back.
  for (std::string_view bad : {"http://2130706433/", "http://0x7f.0.0.1/", "http://127.1/",
                               "http://0177.0.0.1/", "http://127.0.0.01/", "http://a.0x10/"}) {
    EXPECT_FALSE(ParseProxyTarget("GET", bad)) << bad;
  }
  // Digits are fine inside names.
  EXPECT_TRUE(ParseProxyTarget("GET", "http://1password.com/"));
  EXPECT_TRUE(ParseProxyTarget("GET", "http://a1.b2c/"));
}

TEST(ProxyTargetTest, PercentEncodedHostsAndUserinfoRejected) {
  for (std::string_view bad :
       {"http://%65xample.com/", "http://exa%2emple.com/", "http://user@a.example/",
        "http://user:pw@a.example/", "http://a.example@evil.example/"}) {
    auto t = ParseProxyTarget("GET", bad);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(StatusForError(t.error()), 400);
  }
  // Percent-encoding in the path is the origin's business.
  EXPECT_TRUE(ParseProxyTarget("GET", "http://a.example/%2e%2e/"));
}

TEST(ProxyTargetTest, BadHosts) {
  for (std::string_view bad : {"http:///x", "http://a..b/", "http://.a/", "http://a b/",
                               "http://a!b/", "http://a.example:0/", "http://a.example:65536/",
                               "http://a.example:8x/", "http://a.example:1:2/"}) {
    EXPECT_FALSE(ParseProxyTarget("GET", bad)) << bad;
  }
  EXPECT_FALSE(ParseProxyTarget("GET", "http://" + std::string(64, 'a') + ".example/"));
  EXPECT_TRUE(ParseProxyTarget("GET", "http://" + std::string(63, 'a') + ".example/"));
  std::string long_name;
  for (int i = 0; i < 5; ++i)
    long_name += std::string(50, 'a') + ".";
  EXPECT_FALSE(ParseProxyTarget("GET", "http://" + long_name + "com/"));  // 258 > 253
  EXPECT_TRUE(ParseProxyTarget("GET", "http://" + long_name.substr(0, 250) + "com/"));
  auto underscore = ParseProxyTarget("GET", "http://_dmarc.a.example./");
  ASSERT_TRUE(underscore);
  EXPECT_EQ(underscore->host, "_dmarc.a.example.");
}

TEST(ProxyTargetTest, ConnectNeedsAuthorityWithPort) {
  auto t = ParseProxyTarget("CONNECT", "Perdu.com:443");
  ASSERT_TRUE(t) << t.error().ToString();
  EXPECT_EQ(t->kind, ProxyTarget::Kind::kConnect);
  EXPECT_EQ(t->host, "perdu.com");
  EXPECT_EQ(t->port, 443);
  EXPECT_EQ(t->LogUrl(), "perdu.com:443");
  for (std::string_view bad : {"perdu.com", "perdu.com:", "[::1]", "http://perdu.com:443/",
                               "perdu.com:443/x", "user@perdu.com:443"}) {
    auto r = ParseProxyTarget("CONNECT", bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(StatusForError(r.error()), 400);
  }
}

TEST(ProxyTargetTest, NotProxyRequests) {
  EXPECT_EQ(StatusForError(ParseProxyTarget("GET", "/index.html").error()), 400);
  EXPECT_EQ(StatusForError(ParseProxyTarget("OPTIONS", "*").error()), 400);
  EXPECT_EQ(StatusForError(ParseProxyTarget("GET", "a.example:80").error()), 400);
  EXPECT_EQ(StatusForError(ParseProxyTarget("GET", "ftp://a.example/").error()), 501);
  EXPECT_EQ(StatusForError(ParseProxyTarget("GET", "1http://a/").error()), 400);
}

}  // namespace
}  // namespace vigie::egress::http
