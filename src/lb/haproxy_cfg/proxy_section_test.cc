// Tests for proxy directives (proxy_section.cc), read through
// ParseHaproxyCfg: balance, option, http-check, timeout, each error with its
// line.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lb/haproxy_cfg/haproxy_cfg.h"
#include "lb/haproxy_cfg/reader_testing.h"

namespace vigie::lb::haproxy_cfg {
namespace {

using reader_test::FindDiag;
using reader_test::Lines;
using reader_test::P;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

TEST(BalanceTest, AllAlgorithms) {
  const std::pair<const char*, BalanceAlgorithm> cases[] = {
      {"roundrobin", BalanceAlgorithm::kRoundRobin},
      {"static-rr", BalanceAlgorithm::kStaticRr},
      {"leastconn", BalanceAlgorithm::kLeastConn},
      {"source", BalanceAlgorithm::kSource},
      {"first", BalanceAlgorithm::kFirst}};
  for (const auto& [name, algo] : cases) {
    auto out = P(std::string("backend b\n balance ") + name + "\n server s 1.1.1.1:1\n");
    ASSERT_FALSE(out.HasErrors()) << name;
    EXPECT_EQ(out.config.backends[0].balance, algo);
    EXPECT_EQ(BalanceName(algo), name);
  }
  auto bad = P("backend b\n balance foo\n balance uri\n");
  EXPECT_THAT(FindDiag(bad, 2, Severity::kError)->text, HasSubstr("balance only supports"));
  EXPECT_NE(FindDiag(bad, 3, Severity::kUnsupported), nullptr);
  auto fe = P("frontend f\n bind :1\n balance roundrobin\n");
  EXPECT_EQ(FindDiag(fe, 3, Severity::kIgnored)->text,
            "'balance' ignored because frontend 'f' has no backend capability.");
}

TEST(OptionTest, SupportedOptionsAndNegation) {
  auto out =
      P("defaults\n option tcpka\n option allbackups\n option log-health-checks\n"
        "listen l\n bind :1\n no option log-health-checks\n option tcplog\n no option clitcpka\n"
        " server s 1.1.1.1:1\n");
  ASSERT_FALSE(out.HasErrors());
  const Backend& b = out.config.backends[0];
  const Frontend& f = out.config.frontends[0];
  EXPECT_TRUE(b.allbackups);
  EXPECT_FALSE(b.log_health_checks);
  EXPECT_TRUE(b.srvtcpka);
  EXPECT_FALSE(f.clitcpka);
  EXPECT_TRUE(f.tcplog);
}

TEST(OptionTest, SpliceOptionsAndNosplice) {
  auto out =
      P("defaults\n option splice-auto\n timeout client 1s\n timeout connect 1s\n"
        " timeout server 1s\nfrontend f\n bind :1\n no option splice-response\n"
        " default_backend b\nbackend b\n no option splice-auto\n option splice-response\n"
        " server s 1.1.1.1:1\n");
  ASSERT_FALSE(out.HasErrors());
  EXPECT_TRUE(out.diagnostics.empty());  // carried over, not ignored
  const Frontend& f = out.config.frontends[0];
  const Backend& b = out.config.backends[0];
  EXPECT_TRUE(f.splice_request);  // from defaults
  EXPECT_FALSE(f.splice_response);
  EXPECT_FALSE(b.splice_request);
  EXPECT_TRUE(b.splice_response);
  EXPECT_FALSE(out.config.global.nosplice);
  EXPECT_TRUE(P("global\n nosplice\n").config.global.nosplice);
  auto bad = P("global\n nosplice please\nlisten l\n option splice-request now\n");
  EXPECT_EQ(FindDiag(bad, 2, Severity::kError)->text, "'nosplice' takes no argument");
  EXPECT_NE(FindDiag(bad, 4, Severity::kError), nullptr);
}

TEST(OptionTest, UnknownIgnoredUnsupported) {
  auto out = P("backend b\n option bogus\n option contstats\n option ssl-hello-chk\n");
  EXPECT_EQ(FindDiag(out, 2, Severity::kError)->text, "unknown option 'bogus'.");
  EXPECT_NE(FindDiag(out, 3, Severity::kIgnored), nullptr);
  EXPECT_EQ(FindDiag(out, 4, Severity::kUnsupported)->text,
            "'option ssl-hello-chk' is not supported");
}

TEST(HttpCheckTest, OptionHttpchkForms) {
  auto out =
      P("backend a\n option httpchk\n server s 1.1.1.1:1\n"
        "backend b\n option httpchk /ping\n server s 1.1.1.1:1\n"
        "backend c\n option httpchk GET /healthz\n server s 1.1.1.1:1\n"
        "backend d\n option httpchk HEAD / HTTP/1.1\\r\\nHost:\\ foo\n server s 1.1.1.1:1\n");
  ASSERT_FALSE(out.HasErrors());
  const auto& a = *out.config.backends[0].http_check;
  EXPECT_EQ(a.method, "OPTIONS");
  EXPECT_EQ(a.uri, "/");
  EXPECT_EQ(a.version, "HTTP/1.0");
  EXPECT_EQ(out.config.backends[1].http_check->uri, "/ping");
  EXPECT_EQ(out.config.backends[2].http_check->method, "GET");
  const auto& d = *out.config.backends[3].http_check;
  EXPECT_EQ(d.method, "HEAD");
  EXPECT_EQ(d.version, "HTTP/1.1");
  ASSERT_EQ(d.headers.size(), 1u);
  EXPECT_EQ(d.headers[0].first, "Host");
  EXPECT_EQ(d.headers[0].second, "foo");
  EXPECT_THAT(FindDiag(out, 11, Severity::kWarning)->text, HasSubstr("deprecated"));
}

TEST(HttpCheckTest, SendAndExpect) {
  auto out =
      P("backend b\n option httpchk\n"
        " http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host api.local\n"
        " http-check expect status 200-299,301\n server s 1.1.1.1:1\n");
  ASSERT_FALSE(out.HasErrors()) << ::testing::PrintToString(Lines(out, Severity::kError));
  const auto& h = *out.config.backends[0].http_check;
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.uri, "/readyz");
  EXPECT_EQ(h.version, "HTTP/1.1");
  ASSERT_EQ(h.headers.size(), 1u);
  EXPECT_EQ(h.headers[0].second, "api.local");
  ASSERT_EQ(h.expect_status.size(), 2u);
  EXPECT_EQ(h.expect_status[0], std::make_pair(200, 299));
  EXPECT_EQ(h.expect_status[1], std::make_pair(301, 301));
  EXPECT_EQ(h.expect_text, "200-299,301");
}

TEST(HttpCheckTest, Errors) {
  auto out =
      P("backend b\n http-check expect status abc\n http-check expect string ok\n"
        " http-check send meth\n http-check frob\n http-check expect ! status 200\n");
  EXPECT_NE(FindDiag(out, 2, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 3, Severity::kUnsupported), nullptr);
  EXPECT_NE(FindDiag(out, 4, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 5, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 6, Severity::kUnsupported), nullptr);
}

TEST(TimeoutTest, AllKindsAndSides) {
  auto out =
      P("listen l\n bind :1\n timeout connect 5s\n timeout client 3h\n timeout server 3h\n"
        " timeout tunnel 1h\n timeout client-fin 30s\n timeout server-fin 31s\n timeout queue 2m\n"
        " timeout check 4s\n server s 1.1.1.1:1\n");
  ASSERT_FALSE(out.HasErrors());
  const Backend& b = out.config.backends[0];
  const Frontend& f = out.config.frontends[0];
  EXPECT_EQ(*b.timeouts.connect, 5s);
  EXPECT_EQ(*f.timeouts.client, 3h);
  EXPECT_EQ(*b.timeouts.server, 3h);
  EXPECT_EQ(*b.timeouts.tunnel, 1h);
  EXPECT_EQ(*f.timeouts.client_fin, 30s);
  EXPECT_EQ(*b.timeouts.server_fin, 31s);
  EXPECT_EQ(*b.timeouts.queue, 2min);
  EXPECT_EQ(*b.timeouts.check, 4s);
  EXPECT_FALSE(b.timeouts.client);
  EXPECT_FALSE(f.timeouts.server);
}

TEST(TimeoutTest, ErrorsAndSideWarnings) {
  auto out =
      P("backend b\n timeout client 5s\n timeout server 5x\n timeout server 99999999999\n"
        " timeout frob 1s\n timeout server\n");
  EXPECT_EQ(FindDiag(out, 2, Severity::kIgnored)->text,
            "'timeout client' will be ignored because backend 'b' has no frontend capability");
  EXPECT_EQ(FindDiag(out, 3, Severity::kError)->text,
            "unexpected character 'x' in argument '5x' to 'timeout server'");
  EXPECT_EQ(FindDiag(out, 4, Severity::kError)->text,
            "timer overflow in argument '99999999999' (maximum value is 2147483647 ms or ~24.8 "
            "days) to 'timeout server'");
  EXPECT_NE(FindDiag(out, 5, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 6, Severity::kError), nullptr);
}

}  // namespace
}  // namespace vigie::lb::haproxy_cfg
