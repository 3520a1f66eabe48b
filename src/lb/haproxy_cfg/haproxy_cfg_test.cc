// Tests for the haproxy.cfg reader: the seed article's config verbatim,
// kubespray's node-local LB template rendered, each directive, each error
// path with its line number.
#include "lb/haproxy_cfg/haproxy_cfg.h"

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::lb::haproxy_cfg {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(VIGIE_LB_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The diagnostics of `out` with `sev`, as "line: text".
std::vector<std::string> Lines(const ParseOutput& out, Severity sev) {
  std::vector<std::string> v;
  for (const Diagnostic& d : out.diagnostics) {
    if (d.severity == sev)
      v.push_back(std::to_string(d.where.line) + ": " + d.text);
  }
  return v;
}

const Diagnostic* FindDiag(const ParseOutput& out, int line, Severity sev) {
  for (const Diagnostic& d : out.diagnostics) {
    if (d.where.line == line && d.severity == sev)
      return &d;
  }
  return nullptr;
}

ParseOutput P(std::string_view text) {
  return ParseHaproxyCfg(text, "t.cfg");
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
  // Lines 2-4, 7-13 (global), 16, 21-27 (defaults). `option dontlognull`
  // (line 17) is carried over.
  EXPECT_EQ(ignored.size(), 18u);
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
  EXPECT_THAT(ignored, ::testing::Contains(HasSubstr("'check-sni' does not apply")));
  EXPECT_THAT(ignored, ::testing::Contains(HasSubstr("'tfo' does not apply")));
}

TEST(ServerTest, InFrontendIsAnError) {
  auto out = P("frontend f\n bind :80\n server s 1.2.3.4:80\n");
  EXPECT_EQ(FindDiag(out, 3, Severity::kError)->text,
            "'server' not allowed because frontend 'f' has no backend capability.");
}

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
      P("defaults\n option splice-auto\nfrontend f\n bind :1\n no option splice-response\n"
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

TEST(TimeTest, Units) {
  EXPECT_EQ(*ParseTime("5000"), 5000ms);
  EXPECT_EQ(*ParseTime("1500us"), 1ms);  // truncated, as haproxy
  EXPECT_EQ(*ParseTime("10ms"), 10ms);
  EXPECT_EQ(*ParseTime("10s"), 10s);
  EXPECT_EQ(*ParseTime("3m"), 3min);
  EXPECT_EQ(*ParseTime("3h"), 3h);
  EXPECT_EQ(*ParseTime("2d"), 48h);
  EXPECT_EQ(*ParseTime("24d"), 24 * 24h);
  EXPECT_EQ(*ParseTime("2147483647"), Millis(2147483647));
  EXPECT_FALSE(ParseTime("2147483648"));
  EXPECT_FALSE(ParseTime("25d"));
  EXPECT_FALSE(ParseTime(""));
  EXPECT_FALSE(ParseTime("s"));
  EXPECT_FALSE(ParseTime("-1s"));
  EXPECT_FALSE(ParseTime("1.5s"));
  EXPECT_FALSE(ParseTime("10S"));
  EXPECT_FALSE(ParseTime("99999999999999999999999"));
}

TEST(TimeTest, FormatDuration) {
  EXPECT_EQ(FormatDuration(2s), "2s");
  EXPECT_EQ(FormatDuration(3h), "3h");
  EXPECT_EQ(FormatDuration(90s), "90s");
  EXPECT_EQ(FormatDuration(1500ms), "1500ms");
  EXPECT_EQ(FormatDuration(0ms), "0s");
  EXPECT_EQ(FormatDuration(48h), "2d");
  EXPECT_EQ(FormatDuration(15min), "15m");
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

TEST(GlobalTest, DirectivesAndErrors) {
  auto out =
      P("global\n maxconn 20000\n nbthread 4\n stats socket /tmp/a.sock\n"
        " stats socket /tmp/b.sock mode 600 level operator user haproxy\n stats timeout 1m\n"
        " frobnicate\n tune.bufsize 32768\n lua-load /x.lua\n maxconn abc\n"
        " stats socket /tmp/c.sock level root\n stats socket ipv4@127.0.0.1:9999\n stats bogus\n");
  const Global& g = out.config.global;
  EXPECT_EQ(g.maxconn, 20000);
  EXPECT_EQ(g.nbthread, 4);
  ASSERT_GE(g.stats_sockets.size(), 2u);
  EXPECT_EQ(g.stats_sockets[0].level, "operator");  // haproxy's default
  EXPECT_FALSE(g.stats_sockets[0].mode);
  EXPECT_EQ(*g.stats_sockets[1].mode, 0600u);
  EXPECT_EQ(g.stats_timeout, 1min);
  EXPECT_NE(FindDiag(out, 5, Severity::kUnsupported), nullptr);  // user
  EXPECT_EQ(FindDiag(out, 7, Severity::kError)->text,
            "unknown keyword 'frobnicate' in 'global' section");
  EXPECT_NE(FindDiag(out, 8, Severity::kIgnored), nullptr);
  EXPECT_NE(FindDiag(out, 9, Severity::kUnsupported), nullptr);
  EXPECT_NE(FindDiag(out, 10, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 11, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(out, 12, Severity::kUnsupported), nullptr);
  EXPECT_NE(FindDiag(out, 13, Severity::kError), nullptr);
}

TEST(GlobalTest, ListenerMultiQueue) {
  EXPECT_TRUE(P("global\n").config.global.multi_queue);  // haproxy's default
  auto off = P("global\n tune.listener.multi-queue off\n");
  EXPECT_FALSE(off.config.global.multi_queue);
  EXPECT_TRUE(off.diagnostics.empty());  // carried over, not reported as ignored
  EXPECT_TRUE(P("global\n tune.listener.multi-queue off\n tune.listener.multi-queue on\n")
                  .config.global.multi_queue);
  // haproxy 2.8's "fair" is not 2.6's; a missing argument is an error too.
  auto bad = P("global\n tune.listener.multi-queue fair\n tune.listener.multi-queue\n");
  EXPECT_EQ(FindDiag(bad, 2, Severity::kError)->text,
            "'tune.listener.multi-queue' expects 'on' or 'off'");
  EXPECT_NE(FindDiag(bad, 3, Severity::kError), nullptr);
  EXPECT_TRUE(bad.config.global.multi_queue);
}

TEST(GlobalTest, MaxAccept) {
  EXPECT_EQ(P("global\n").config.global.maxaccept, 4);  // haproxy 2.6's default
  auto set = P("global\n tune.maxaccept 16\n");
  EXPECT_EQ(set.config.global.maxaccept, 16);
  EXPECT_TRUE(set.diagnostics.empty());  // carried over, not reported as ignored
  EXPECT_EQ(P("global\n tune.maxaccept -1\n").config.global.maxaccept, -1);
  auto bad = P("global\n tune.maxaccept 0\n tune.maxaccept many\n tune.maxaccept\n");
  EXPECT_EQ(FindDiag(bad, 2, Severity::kError)->text,
            "'tune.maxaccept' expects a positive number, or -1 for no limit");
  EXPECT_NE(FindDiag(bad, 3, Severity::kError), nullptr);
  EXPECT_NE(FindDiag(bad, 4, Severity::kError), nullptr);
  EXPECT_EQ(bad.config.global.maxaccept, 4);
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
