// Tests for bind, server and default-server lines (bind_server.cc), read
// through ParseHaproxyCfg: address forms, every server keyword, each error
// with its line.
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

TEST(BindTest, AddressForms) {
  auto out =
      P("frontend f\n bind 0.0.0.0:6443\n bind :80\n bind *:81\n bind [::1]:82\n bind :::83\n"
        " bind ::1:84\n bind 10.0.0.1:7000-7002 accept-proxy\n bind 1.2.3.4:1,5.6.7.8:2\n"
        " default_backend b\nbackend b\n server s 1.1.1.1:1\n");
  ASSERT_FALSE(out.HasErrors()) << ::testing::PrintToString(Lines(out, Severity::kError));
  const auto& b = out.config.frontends[0].binds;
  ASSERT_EQ(b.size(), 9u);
  EXPECT_EQ(b[0].host, "0.0.0.0");
  EXPECT_EQ(b[1].host, "");
  EXPECT_EQ(b[1].port_first, 80);
  EXPECT_EQ(b[2].host, "");
  EXPECT_EQ(b[3].host, "::1");
  EXPECT_TRUE(b[3].ipv6);
  EXPECT_EQ(b[4].host, "::");
  EXPECT_EQ(b[4].port_first, 83);
  EXPECT_EQ(b[5].host, "::1");
  EXPECT_EQ(b[5].port_first, 84);
  EXPECT_EQ(b[6].port_first, 7000);
  EXPECT_EQ(b[6].port_last, 7002);
  EXPECT_TRUE(b[6].accept_proxy);
  EXPECT_FALSE(b[5].accept_proxy);
  EXPECT_EQ(b[7].host, "1.2.3.4");
  EXPECT_EQ(b[8].host, "5.6.7.8");
  EXPECT_EQ(b[8].port_first, 2);
}

TEST(BindTest, Errors) {
  auto out =
      P("frontend f\n bind 127.0.0.1\n bind 1.2.3.4:0\n bind 1.2.3.4:9-8\n bind /run/x.sock\n"
        " bind :80 bogus-kw\n bind :81 ssl crt /x.pem\n");
  EXPECT_THAT(FindDiag(out, 2, Severity::kError)->text,
              HasSubstr("missing port specification in '127.0.0.1'"));
  EXPECT_NE(FindDiag(out, 3, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 4, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 5, Severity::kUnsupported), nullptr);
  EXPECT_THAT(FindDiag(out, 6, Severity::kError)->text, HasSubstr("unknown keyword 'bogus-kw'"));
  EXPECT_THAT(Lines(out, Severity::kUnsupported),
              ::testing::Contains("7: 'bind' option 'ssl' is not supported"));
  EXPECT_THAT(Lines(out, Severity::kUnsupported),
              ::testing::Contains("7: 'bind' option 'crt' is not supported"));
}

TEST(BindTest, InBackendIsIgnoredAsHaproxyDoes) {
  auto out = P("backend b\n bind :80\n server s 1.1.1.1:1\n");
  EXPECT_FALSE(out.HasErrors());
  EXPECT_EQ(FindDiag(out, 2, Severity::kIgnored)->text,
            "'bind' ignored because backend 'b' has no frontend capability.");
}

TEST(ServerTest, EveryKeyword) {
  auto out =
      P("backend b\n"
        " server a 10.0.0.1:6443 check check-ssl verify none ca-file /ca.pem weight 7 maxconn 10 "
        "maxqueue 5 backup slowstart 30s inter 3s fastinter 500ms downinter 1m rise 4 fall 6 "
        "send-proxy disabled on-marked-down shutdown-sessions port 8443 id 9\n"
        " server b 10.0.0.2:6443 send-proxy-v2\n"
        " server c api.example.com:443\n"
        " server d 10.0.0.4\n");
  ASSERT_FALSE(out.HasErrors()) << ::testing::PrintToString(Lines(out, Severity::kError));
  const auto& s = out.config.backends[0].servers;
  const Server& a = s[0];
  EXPECT_TRUE(a.check.enabled && a.check.ssl && a.check.verify_none);
  EXPECT_EQ(a.check.ca_file, "/ca.pem");
  EXPECT_EQ(a.weight, 7);
  EXPECT_EQ(a.maxconn, 10);
  EXPECT_EQ(a.maxqueue, 5);
  EXPECT_TRUE(a.backup);
  EXPECT_EQ(a.slowstart, 30s);
  EXPECT_EQ(a.check.inter, 3s);
  EXPECT_EQ(a.check.fastinter, 500ms);
  EXPECT_EQ(a.check.downinter, 1min);
  EXPECT_EQ(a.check.rise, 4);
  EXPECT_EQ(a.check.fall, 6);
  EXPECT_EQ(a.send_proxy, ProxyProtocolVersion::kV1);
  EXPECT_TRUE(a.disabled);
  EXPECT_TRUE(a.shutdown_sessions_on_down);
  EXPECT_EQ(*a.check.port, 8443);
  EXPECT_EQ(a.id, 9);
  EXPECT_EQ(s[1].send_proxy, ProxyProtocolVersion::kV2);
  EXPECT_EQ(s[1].id, 1);  // auto ids skip none here: 1, 2, 3
  EXPECT_TRUE(s[2].host_is_name);
  EXPECT_EQ(s[2].id, 2);
  EXPECT_TRUE(s[3].port_from_client);
  EXPECT_EQ(s[3].port, 0);
}

TEST(ServerTest, ErrorsNameTheLineAndServer) {
  auto out =
      P("backend b\n"
        " server s 1.2.3.4:80 inter 0\n"
        " server t 1.2.3.4:80 weight 300\n"
        " server u 1.2.3.4:80 rise 0\n"
        " server v 1.2.3.4:80 fall abc\n"
        " server w 1.2.3.4:99999\n"
        " server x 1.2.3.4:80 frobnicate\n"
        " server y\n"
        " server z 1.2.3.4:80 inter\n"
        " server a 1.2.3.4:80\n"
        " server a 1.2.3.5:80\n"
        " server q 1.2.3.4:80 on-marked-down nothing\n"
        " server r 1.2.3.4:80 verify maybe\n"
        " server o 1.2.3.4:+1\n");
  EXPECT_EQ(FindDiag(out, 2, Severity::kError)->text,
            "'server b/s' : invalid value 0 for argument 'inter' of server s.");
  EXPECT_EQ(FindDiag(out, 3, Severity::kError)->text,
            "'server b/t' : weight of server t is not within 0 and 256 (300).");
  EXPECT_EQ(FindDiag(out, 4, Severity::kError)->text, "'server b/u' : 'rise' has to be > 0.");
  EXPECT_EQ(FindDiag(out, 5, Severity::kError)->text, "'server b/v' : 'fall' has to be > 0.");
  EXPECT_THAT(FindDiag(out, 6, Severity::kError)->text, HasSubstr("invalid port '99999'"));
  EXPECT_THAT(FindDiag(out, 7, Severity::kError)->text, HasSubstr("unknown keyword 'frobnicate'"));
  EXPECT_THAT(FindDiag(out, 8, Severity::kError)->text, HasSubstr("expects <name> and <addr>"));
  EXPECT_THAT(FindDiag(out, 9, Severity::kError)->text, HasSubstr("'inter' expects an argument"));
  EXPECT_THAT(FindDiag(out, 11, Severity::kError)->text, HasSubstr("same server name 'a'"));
  EXPECT_THAT(FindDiag(out, 12, Severity::kError)->text, HasSubstr("shutdown-sessions"));
  EXPECT_NE(FindDiag(out, 13, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 14, Severity::kUnsupported), nullptr);
  // Only the valid servers remain (a server line with an error is dropped).
  std::vector<std::string> names;
  for (const Server& s : out.config.backends[0].servers)
    names.push_back(s.name);
  EXPECT_THAT(names, ::testing::ElementsAre("a"));
}

// Addresses are read by core's IP parser: haproxy's host:port split (port
// after the last ':'), and a host that is neither an IP nor a name refused.
TEST(ServerTest, AddressForms) {
  auto out =
      P("backend b\n"
        " server a ::1:80\n"
        " server b [2001:db8::1]:443\n"
        " server c [::1]\n"
        " server d fe80::1\n"
        " server e [::1]x\n"
        " server f [::1\n"
        " server g 10.0.0.1:80\n");
  EXPECT_EQ(FindDiag(out, 5, Severity::kError)->text, "invalid address: 'fe80::1'");
  EXPECT_EQ(FindDiag(out, 6, Severity::kError)->text, "invalid address: '[::1]x'");
  EXPECT_EQ(FindDiag(out, 7, Severity::kError)->text, "invalid address: '[::1'");
  const auto& s = out.config.backends[0].servers;
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].host, "::1");
  EXPECT_EQ(s[0].port, 80);
  EXPECT_EQ(s[1].host, "2001:db8::1");
  EXPECT_EQ(s[1].port, 443);
  EXPECT_EQ(s[2].host, "::1");
  EXPECT_TRUE(s[2].port_from_client);
  EXPECT_EQ(s[3].host, "10.0.0.1");
  EXPECT_FALSE(s[3].host_is_name);
}

TEST(BindTest, AddressesMustBeIpAddresses) {
  auto out =
      P("frontend f\n bind 1:2:80\n bind 010.0.0.1:80\n bind [::1]x\n bind ::ffff:1.2.3.4:80\n");
  EXPECT_EQ(FindDiag(out, 2, Severity::kError)->text, "'bind' : invalid address '1:2' in '1:2:80'");
  EXPECT_EQ(FindDiag(out, 3, Severity::kError)->text,
            "'bind' : invalid address '010.0.0.1' in '010.0.0.1:80'");
  EXPECT_THAT(FindDiag(out, 4, Severity::kError)->text,
              HasSubstr("missing port specification in '[::1]x'"));
  ASSERT_EQ(out.config.frontends[0].binds.size(), 1u);
  EXPECT_EQ(out.config.frontends[0].binds[0].host, "::ffff:1.2.3.4");
  EXPECT_TRUE(out.config.frontends[0].binds[0].ipv6);
}

TEST(ServerTest, ExplicitIdsAreSkippedByAutomaticOnes) {
  auto out =
      P("backend b\n server a 1.1.1.1:1 id 1\n server b 1.1.1.1:2\n server c 1.1.1.1:3 id 2\n"
        " server d 1.1.1.1:4\n");
  ASSERT_FALSE(out.HasErrors());
  const auto& s = out.config.backends[0].servers;
  EXPECT_EQ(s[0].id, 1);
  EXPECT_EQ(s[1].id, 3);
  EXPECT_EQ(s[2].id, 2);
  EXPECT_EQ(s[3].id, 4);
}

TEST(ServerTest, UnsupportedAndIgnoredKeywords) {
  auto out = P("backend b\n server a 1.1.1.1:1 ssl sni str(x) check-sni api tfo track b/c\n");
  EXPECT_FALSE(out.HasErrors());
  auto unsupported = Lines(out, Severity::kUnsupported);
  EXPECT_THAT(unsupported, ::testing::Contains(HasSubstr("'ssl' is not supported")));
  EXPECT_THAT(unsupported, ::testing::Contains(HasSubstr("'sni' is not supported")));
  EXPECT_THAT(unsupported, ::testing::Contains(HasSubstr("'track' is not supported")));
  auto ignored = Lines(out, Severity::kIgnored);
  EXPECT_THAT(ignored, ::testing::Contains(HasSubstr("'tfo' does not apply")));
  EXPECT_EQ(ignored.size(), 1u);
}

TEST(ServerTest, CheckSniAndVerifyhostAreCarriedOver) {
  auto out =
      P("backend b\n server a 1.1.1.1:1 check check-ssl verify required check-sni api\n"
        " server c 1.1.1.2:1 check check-ssl verifyhost api.example\n"
        " server d 1.1.1.3:1 check check-ssl check-sni x no-verifyhost\n");
  ASSERT_FALSE(out.HasErrors());
  EXPECT_TRUE(Lines(out, Severity::kIgnored).empty());
  EXPECT_TRUE(Lines(out, Severity::kUnsupported).empty());
  const auto& s = out.config.backends[0].servers;
  EXPECT_EQ(s[0].check.sni, "api");
  EXPECT_TRUE(s[0].check.verifyhost.empty());
  EXPECT_EQ(s[1].check.verifyhost, "api.example");
  EXPECT_TRUE(s[2].check.no_verifyhost);
}

TEST(ServerTest, InFrontendIsAnError) {
  auto out = P("frontend f\n bind :80\n server s 1.2.3.4:80\n");
  EXPECT_EQ(FindDiag(out, 3, Severity::kError)->text,
            "'server' not allowed because frontend 'f' has no backend capability.");
}

}  // namespace
}  // namespace vigie::lb::haproxy_cfg
