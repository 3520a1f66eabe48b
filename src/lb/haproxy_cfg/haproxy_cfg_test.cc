// End-to-end tests for the haproxy.cfg reader: the seed article's config
// verbatim, kubespray's node-local LB template rendered, defaults
// inheritance, backend resolution, sections, tokenizing with line numbers,
// limits, LoadHaproxyCfg. Directive tests are in global_section_test.cc,
// proxy_section_test.cc and bind_server_test.cc.
#include "lb/haproxy_cfg/haproxy_cfg.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lb/haproxy_cfg/reader_testing.h"

namespace vigie::lb::haproxy_cfg {
namespace {

using reader_test::FindDiag;
using reader_test::Lines;
using reader_test::P;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(VIGIE_LB_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SeedConfigTest, KubeSprayArticleVerbatim) {
  std::string text = ReadTestdata("seed_kubespray_article.cfg");
  ASSERT_FALSE(text.empty());
  ParseOutput out = ParseHaproxyCfg(text, "haproxy.cfg");
  EXPECT_FALSE(out.HasErrors()) << ::testing::PrintToString(Lines(out, Severity::kError));
  const Config& cfg = out.config;

  ASSERT_EQ(cfg.global.stats_sockets.size(), 1u);
  const StatsSocket& sock = cfg.global.stats_sockets[0];
  EXPECT_EQ(sock.path, "/run/haproxy/admin.sock");
  ASSERT_TRUE(sock.mode.has_value());
  EXPECT_EQ(*sock.mode, 0660u);
  EXPECT_EQ(sock.level, "admin");
  EXPECT_TRUE(sock.expose_fd_listeners);
  EXPECT_EQ(sock.where.line, 5);
  EXPECT_EQ(cfg.global.stats_timeout, 30s);

  ASSERT_EQ(cfg.frontends.size(), 1u);
  const Frontend& fe = cfg.frontends[0];
  EXPECT_EQ(fe.name, "kubernetes-apiserver-https");
  EXPECT_TRUE(fe.from_listen);
  ASSERT_EQ(fe.binds.size(), 1u);
  EXPECT_EQ(fe.binds[0].host, "0.0.0.0");
  EXPECT_EQ(fe.binds[0].port_first, 6443);
  EXPECT_EQ(fe.binds[0].where.line, 30);
  EXPECT_EQ(fe.backend, "kubernetes-apiserver-https");
  ASSERT_TRUE(fe.timeouts.client);
  EXPECT_EQ(*fe.timeouts.client, 50s);

  ASSERT_EQ(cfg.backends.size(), 1u);
  const Backend& be = cfg.backends[0];
  EXPECT_EQ(be.balance, BalanceAlgorithm::kRoundRobin);
  EXPECT_TRUE(be.log_health_checks);
  EXPECT_EQ(*be.timeouts.connect, 5s);
  EXPECT_EQ(*be.timeouts.server, 50s);
  EXPECT_FALSE(be.timeouts.client);
  EXPECT_FALSE(be.http_check);
  ASSERT_EQ(be.servers.size(), 3u);
  const char* names[] = {"master1", "master2", "master3"};
  const char* hosts[] = {"10.42.253.10", "10.42.253.11", "10.42.253.12"};
  for (int i = 0; i < 3; ++i) {
    const Server& s = be.servers[i];
    EXPECT_EQ(s.name, names[i]);
    EXPECT_EQ(s.host, hosts[i]);
    EXPECT_EQ(s.port, 6443);
    EXPECT_EQ(s.id, i + 1);
    EXPECT_EQ(s.where.line, 33 + i);
    EXPECT_TRUE(s.check.enabled);
    EXPECT_TRUE(s.check.ssl);
    EXPECT_TRUE(s.check.verify_none);
    EXPECT_EQ(s.check.inter, 10s);
    EXPECT_EQ(s.check.fastinter, 10s);  // follows inter
    EXPECT_EQ(s.check.downinter, 10s);
    EXPECT_EQ(s.check.rise, 2);
    EXPECT_EQ(s.check.fall, 3);
    EXPECT_EQ(s.weight, 1);
  }

  // Non-breaking spaces: one warning naming the first line.
  const Diagnostic* nbsp = FindDiag(out, 2, Severity::kWarning);
  ASSERT_NE(nbsp, nullptr);
  EXPECT_THAT(nbsp->text, HasSubstr("31 line(s)"));
  // Everything not carried over is named with its line.
  auto ignored = Lines(out, Severity::kIgnored);
  EXPECT_THAT(ignored, ::testing::Contains(HasSubstr("2: 'log'")));
  EXPECT_THAT(ignored, ::testing::Contains(HasSubstr("4: 'chroot'")));
  EXPECT_THAT(ignored, ::testing::Contains(HasSubstr("12: 'ssl-default-bind-ciphers'")));
  EXPECT_THAT(ignored, ::testing::Contains(HasSubstr("27: 'errorfile'")));
  // Lines 2-4, 9-13 (global), 16, 21-27 (defaults). `user` and `group`
  // (lines 7, 8) and `option dontlognull` (line 17) are carried over.
  EXPECT_EQ(ignored.size(), 16u);
  EXPECT_EQ(out.config.global.user, "haproxy");
  EXPECT_EQ(out.config.global.group, "haproxy");
  EXPECT_TRUE(out.config.frontends[0].dontlognull);
  EXPECT_FALSE(out.config.frontends[0].tcplog);
  EXPECT_TRUE(Lines(out, Severity::kUnsupported).empty());
}

TEST(SeedConfigTest, KubesprayNodeLocalTemplateRendered) {
  std::string text = ReadTestdata("kubespray_node_lb.cfg");
  ParseOutput out = ParseHaproxyCfg(text, "haproxy.cfg");
  EXPECT_FALSE(out.HasErrors()) << ::testing::PrintToString(Lines(out, Severity::kError));
  const Config& cfg = out.config;
  EXPECT_EQ(cfg.global.maxconn, 4000);
  ASSERT_EQ(cfg.frontends.size(), 2u);
  EXPECT_EQ(cfg.frontends[0].name, "healthz");
  EXPECT_EQ(cfg.frontends[0].binds[0].host, "");
  EXPECT_EQ(cfg.frontends[0].binds[0].port_first, 8081);
  const Frontend& api = cfg.frontends[1];
  EXPECT_EQ(api.name, "kube_api_frontend");
  EXPECT_EQ(api.backend, "kube_api_backend");
  EXPECT_TRUE(api.tcplog);
  EXPECT_EQ(api.maxconn, 4000);
  EXPECT_EQ(*api.timeouts.client, 15min);
  ASSERT_EQ(cfg.backends.size(), 1u);
  const Backend& be = cfg.backends[0];
  EXPECT_EQ(be.balance, BalanceAlgorithm::kLeastConn);
  EXPECT_EQ(be.retries, 5);
  EXPECT_TRUE(be.redispatch);
  EXPECT_EQ(*be.timeouts.connect, 30s);
  EXPECT_EQ(*be.timeouts.queue, 5min);
  EXPECT_EQ(*be.timeouts.check, 30s);
  ASSERT_TRUE(be.http_check);
  EXPECT_EQ(be.http_check->method, "GET");
  EXPECT_EQ(be.http_check->uri, "/healthz");
  EXPECT_EQ(be.http_check->version, "HTTP/1.0");
  ASSERT_EQ(be.http_check->expect_status.size(), 1u);
  EXPECT_EQ(be.http_check->expect_status[0], std::make_pair(200, 200));
  ASSERT_EQ(be.servers.size(), 3u);
  for (const Server& s : be.servers) {
    EXPECT_EQ(s.check.inter, 15s);
    EXPECT_EQ(s.check.downinter, 15s);
    EXPECT_EQ(s.check.fastinter, 15s);  // follows inter from default-server
    EXPECT_EQ(s.check.rise, 2);
    EXPECT_EQ(s.check.fall, 2);
    EXPECT_EQ(s.slowstart, 60s);
    EXPECT_EQ(s.maxconn, 1000);
    EXPECT_EQ(s.maxqueue, 256);
    EXPECT_EQ(s.weight, 100);
    EXPECT_TRUE(s.check.enabled && s.check.ssl && s.check.verify_none);
  }
  EXPECT_EQ(be.servers[2].host, "10.0.0.3");
  // The healthz frontend is HTTP with only a monitor-uri: vigie answers it
  // (a warning says that is all it does in HTTP); nothing is unsupported.
  EXPECT_TRUE(Lines(out, Severity::kUnsupported).empty());
  const Frontend& healthz = out.config.frontends[0];
  EXPECT_EQ(healthz.name, "healthz");
  EXPECT_EQ(healthz.monitor_uri, "/healthz");
  EXPECT_EQ(healthz.timeouts.http_request, 5min);  // from defaults, for its requests
  EXPECT_EQ(healthz.timeouts.http_keep_alive, 30s);
  EXPECT_TRUE(healthz.backend.empty());
  auto warnings = Lines(out, Severity::kWarning);
  EXPECT_THAT(warnings,
              ::testing::Contains(HasSubstr(
                  "24: 'mode http' in frontend 'healthz': vigie answers its monitor-uri")));
  EXPECT_THAT(warnings, ::testing::Not(::testing::Contains(HasSubstr("has no backend"))));
  auto ignored = Lines(out, Severity::kIgnored);
  EXPECT_THAT(ignored, ::testing::Contains(HasSubstr("13: 'timeout http-request'")));
  EXPECT_THAT(ignored, ::testing::Contains(HasSubstr("10: 'option http-server-close'")));
}

TEST(DefaultsTest, BuiltInValuesAreHaproxys) {
  auto out = P("backend b\n server s 10.0.0.1:80 check\n");
  ASSERT_FALSE(out.HasErrors());
  const Server& s = out.config.backends[0].servers[0];
  EXPECT_EQ(s.check.inter, 2s);
  EXPECT_EQ(s.check.fastinter, 2s);
  EXPECT_EQ(s.check.downinter, 2s);
  EXPECT_EQ(s.check.rise, 2);
  EXPECT_EQ(s.check.fall, 3);
  EXPECT_EQ(s.weight, 1);
  EXPECT_EQ(s.maxconn, 0);
  EXPECT_EQ(s.slowstart, 0ms);
  EXPECT_FALSE(s.backup);
  EXPECT_EQ(out.config.backends[0].retries, 3);
  EXPECT_EQ(out.config.backends[0].balance, BalanceAlgorithm::kRoundRobin);
  EXPECT_EQ(out.config.global.stats_timeout, 10s);
}

TEST(DefaultsTest, LaterDefaultsSectionResets) {
  auto out =
      P("defaults\n balance leastconn\n timeout connect 7s\n option log-health-checks\n"
        "backend a\n server s 10.0.0.1:80\n"
        "defaults\n timeout server 1m\n"
        "backend b\n server s 10.0.0.1:80\n");
  ASSERT_FALSE(out.HasErrors());
  const Backend& a = out.config.backends[0];
  const Backend& b = out.config.backends[1];
  EXPECT_EQ(a.balance, BalanceAlgorithm::kLeastConn);
  EXPECT_TRUE(a.log_health_checks);
  EXPECT_EQ(*a.timeouts.connect, 7s);
  EXPECT_FALSE(a.timeouts.server);
  EXPECT_EQ(b.balance, BalanceAlgorithm::kRoundRobin);
  EXPECT_FALSE(b.log_health_checks);
  EXPECT_FALSE(b.timeouts.connect);
  EXPECT_EQ(*b.timeouts.server, 1min);
}

TEST(DefaultsTest, NamedDefaultsAndFrom) {
  auto out =
      P("defaults tcp-long\n timeout server 3h\n timeout client 3h\n"
        "defaults short from tcp-long\n timeout client 5s\n"
        "defaults\n timeout server 1s\n"
        "listen l from tcp-long\n bind :1\n server s 10.0.0.1:80\n"
        "listen m from short\n bind :2\n server s 10.0.0.1:80\n"
        "listen n\n bind :3\n server s 10.0.0.1:80\n");
  ASSERT_FALSE(out.HasErrors()) << ::testing::PrintToString(Lines(out, Severity::kError));
  EXPECT_EQ(*out.config.FindBackend("l")->timeouts.server, 3h);
  EXPECT_EQ(*out.config.FindFrontend("l")->timeouts.client, 3h);
  EXPECT_EQ(*out.config.FindBackend("m")->timeouts.server, 3h);  // inherited through `from`
  EXPECT_EQ(*out.config.FindFrontend("m")->timeouts.client, 5s);
  EXPECT_EQ(*out.config.FindBackend("n")->timeouts.server, 1s);
  EXPECT_FALSE(out.config.FindFrontend("n")->timeouts.client);
}

TEST(DefaultsTest, FromUnknownDefaultsIsAnError) {
  auto out = P("backend b from nope\n");
  const Diagnostic* d = FindDiag(out, 1, Severity::kError);
  ASSERT_NE(d, nullptr);
  EXPECT_THAT(d->text, HasSubstr("defaults section 'nope' not found"));
}

TEST(DefaultsTest, DefaultServerAppliesToLaterServersOnly) {
  auto out =
      P("defaults\n default-server inter 3s\n"
        "backend b\n server a 10.0.0.1:80 check\n default-server rise 5 fastinter 1s\n"
        " server c 10.0.0.2:80 check inter 4s\n server d 10.0.0.3:80 check downinter 9s\n");
  ASSERT_FALSE(out.HasErrors());
  const auto& s = out.config.backends[0].servers;
  EXPECT_EQ(s[0].check.inter, 3s);
  EXPECT_EQ(s[0].check.rise, 2);
  EXPECT_EQ(s[0].check.fastinter, 3s);
  EXPECT_EQ(s[1].check.inter, 4s);
  EXPECT_EQ(s[1].check.rise, 5);
  EXPECT_EQ(s[1].check.fastinter, 1s);  // from default-server, not inter
  EXPECT_EQ(s[1].check.downinter, 4s);  // follows this server's inter
  EXPECT_EQ(s[2].check.inter, 3s);
  EXPECT_EQ(s[2].check.downinter, 9s);
}

TEST(FrontendTest, BackendResolution) {
  auto out =
      P("frontend a\n bind :1\n use_backend x\n use_backend y\n default_backend y\n"
        "frontend b\n bind :2\n default_backend y\n"
        "frontend c\n bind :3\n use_backend x if { src 1.2.3.4 }\n default_backend y\n"
        "frontend d\n bind :4\n default_backend nope\n use_backend nope2\n"
        "backend x\n server s 1.1.1.1:1\nbackend y\n server s 1.1.1.1:1\n");
  EXPECT_EQ(out.config.frontends[0].backend, "x");
  EXPECT_EQ(out.config.frontends[1].backend, "y");
  EXPECT_EQ(out.config.frontends[2].backend, "y");
  EXPECT_NE(FindDiag(out, 11, Severity::kUnsupported), nullptr);
  auto errors = Lines(out, Severity::kError);
  EXPECT_THAT(errors, ::testing::Contains(
                          "13: Proxy 'd': unable to find required default_backend: 'nope'."));
  EXPECT_THAT(errors,
              ::testing::Contains("13: Proxy 'd': unable to find required use_backend: 'nope2'."));
}

TEST(FrontendTest, ProxyIdsFollowDeclarationOrder) {
  auto out = P("backend be\n server s 1.1.1.1:1\nfrontend fe\n bind :1\n default_backend be\n");
  EXPECT_EQ(out.config.backends[0].id, 2);  // as haproxy 2.6 `show stat` iid
  EXPECT_EQ(out.config.frontends[0].id, 3);
}

TEST(SectionTest, OutOfSectionAndUnknownSections) {
  auto out =
      P("bogus\nresolvers dns\n nameserver a 1.1.1.1:53\n hold valid 10s\n"
        "backend\nfrontend f!x\n bind :1\n");
  EXPECT_EQ(FindDiag(out, 1, Severity::kError)->text, "unknown keyword 'bogus' out of section.");
  EXPECT_EQ(FindDiag(out, 2, Severity::kUnsupported)->text,
            "section 'resolvers' is not supported; its 2 line(s) were not read");
  EXPECT_THAT(FindDiag(out, 5, Severity::kError)->text, HasSubstr("expects <name>"));
  EXPECT_THAT(FindDiag(out, 6, Severity::kError)->text, HasSubstr("not permitted"));
}

TEST(SectionTest, DuplicateProxyNames) {
  auto out =
      P("backend a\n server s 1.1.1.1:1\nbackend a\n server s 1.1.1.1:1\n"
        "frontend a\n bind :1\n default_backend a\n");
  auto errors = Lines(out, Severity::kError);
  ASSERT_EQ(errors.size(), 1u);  // a frontend may share a backend's name
  EXPECT_THAT(errors[0], HasSubstr("3: proxy 'a' has the same name"));
}

TEST(SectionTest, ModeHttpIsUnsupportedModeUdpAnError) {
  auto out =
      P("defaults\n mode http\nbackend b\n server s 1.1.1.1:1\nbackend c\n mode tcp\n"
        " server s 1.1.1.1:1\nbackend d\n mode udp\n");
  EXPECT_THAT(FindDiag(out, 2, Severity::kUnsupported)->text, HasSubstr("backend 'b'"));
  EXPECT_EQ(Lines(out, Severity::kUnsupported).size(), 2u);  // b and d inherit http
  EXPECT_EQ(FindDiag(out, 9, Severity::kError)->text, "unknown proxy mode 'udp'.");
}

TEST(TokenizerTest, QuotesEscapesComments) {
  auto out =
      P("backend b # comment\n"
        " option httpchk GET \"/a b\"  # trailing\n"
        " http-check send hdr X-A 'it''s' hdr X-B a\\ b hdr X-C \\x41\\# hdr X-D \"a'b\"\n"
        " server s 1.1.1.1:1\n");
  ASSERT_FALSE(out.HasErrors()) << ::testing::PrintToString(Lines(out, Severity::kError));
  const auto& h = *out.config.backends[0].http_check;
  EXPECT_EQ(h.uri, "/a b");
  ASSERT_EQ(h.headers.size(), 4u);
  EXPECT_EQ(h.headers[0].second, "its");
  EXPECT_EQ(h.headers[3].second, "a'b");  // a single quote inside double quotes is literal
  EXPECT_EQ(h.headers[1].second, "a b");
  EXPECT_EQ(h.headers[2].second, "A#");
}

TEST(TokenizerTest, Errors) {
  auto out =
      P("backend b\n option httpchk GET \"/a\n server s 1.1.1.1:1 \\xZZ\n"
        " option httpchk GET \"/${HOME}\"\n");
  EXPECT_EQ(FindDiag(out, 2, Severity::kError)->text, "unmatched double quote");
  EXPECT_NE(FindDiag(out, 3, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 4, Severity::kUnsupported), nullptr);
}

TEST(LimitsTest, LineWordsProxiesServersBytes) {
  Limits limits;
  limits.max_line_bytes = 20;
  auto out = ParseHaproxyCfg("backend b\n server s 1.1.1.1:1 check inter 2s\n", "t", limits);
  EXPECT_THAT(FindDiag(out, 2, Severity::kError)->text, HasSubstr("line too long"));

  limits = Limits{};
  limits.max_words = 4;
  out = ParseHaproxyCfg("backend b\n server s 1.1.1.1:1 check inter 2s\n", "t", limits);
  EXPECT_THAT(FindDiag(out, 2, Severity::kError)->text, HasSubstr("too many words"));

  limits = Limits{};
  limits.max_proxies = 2;
  out = ParseHaproxyCfg("backend a\nbackend b\nbackend c\nbackend d\n", "t", limits);
  EXPECT_THAT(FindDiag(out, 3, Severity::kError)->text, HasSubstr("too many proxies"));
  EXPECT_EQ(out.config.backends.size(), 2u);

  limits = Limits{};
  limits.max_servers = 1;
  out = ParseHaproxyCfg("backend a\n server a 1.1.1.1:1\n server b 1.1.1.1:1\n", "t", limits);
  EXPECT_THAT(FindDiag(out, 3, Severity::kError)->text, HasSubstr("too many servers"));

  limits = Limits{};
  limits.max_bytes = 8;
  out = ParseHaproxyCfg("backend a\n", "t", limits);
  EXPECT_TRUE(out.HasErrors());
}

TEST(LoadTest, FirstErrorBecomesResult) {
  auto ok = LoadHaproxyCfg("backend b\n server s 1.1.1.1:1\n", "x.cfg");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->backends.size(), 1u);
  auto bad = LoadHaproxyCfg("backend b\n server s 1.1.1.1:1 weight 999\n", "x.cfg");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Errc::kInvalidArgument);
  EXPECT_THAT(bad.error().context(), HasSubstr("x.cfg:2: 'server b/s' : weight"));
}

TEST(DiagnosticTest, ToString) {
  Diagnostic d{{"haproxy.cfg", 12}, Severity::kUnsupported, "x"};
  EXPECT_EQ(d.ToString(), "haproxy.cfg:12: unsupported: x");
}

}  // namespace
}  // namespace vigie::lb::haproxy_cfg
