// Tests for section inheritance and resolution on drafts built by hand:
// what a proxy takes from defaults, proxy and server ids, each side's
// settings, the frontend -> backend choice, and each diagnostic.
#include "lb/haproxy_cfg/resolve.h"

#include <string>
#include <utility>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::lb::haproxy_cfg::internal {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

ProxyDraft Draft(SectionKind kind, std::string name, int line) {
  ProxyDraft d;
  d.kind = kind;
  d.name = std::move(name);
  d.where = SourceLocation{"t.cfg", line};
  // Complete by default: the tests of missing timeouts clear them.
  d.timeouts.client = d.timeouts.connect = d.timeouts.server = 1s;
  return d;
}

Server MakeServer(std::string name, int line, int id = 0) {
  Server s;
  s.name = std::move(name);
  s.where = SourceLocation{"t.cfg", line};
  s.host = "10.0.0.1";
  s.port = 80;
  s.id = id;
  return s;
}

Bind MakeBind(int line) {
  Bind b;
  b.where = SourceLocation{"t.cfg", line};
  b.port_first = b.port_last = 443;
  return b;
}

// The log as "line: severity: text".
std::vector<std::string> Entries(const DiagnosticLog& log) {
  std::vector<std::string> v;
  for (const Diagnostic& d : log.entries()) {
    v.push_back(std::to_string(d.where.line) + ": " + std::string(SeverityName(d.severity)) + ": " +
                d.text);
  }
  return v;
}

struct Resolved {
  Config config;
  std::vector<std::string> diagnostics;
};

Resolved ResolveAll(std::vector<ProxyDraft> drafts) {
  Resolved r;
  DiagnosticLog log("t.cfg", 100);
  Resolve(std::move(drafts), r.config, log);
  r.diagnostics = Entries(log);
  return r;
}

TEST(InheritDraftTest, ProxyTakesEverySettingButItsOwnLines) {
  ProxyDraft base = Draft(SectionKind::kDefaults, "d", 1);
  base.balance = BalanceAlgorithm::kLeastConn;
  base.retries = 7;
  base.timeouts.connect = 5s;
  base.default_server.weight = 50;
  base.def_fastinter_set = true;
  base.default_backend = "be";
  base.monitor_uri = "/healthz";
  base.binds.push_back(MakeBind(2));
  base.servers.push_back(MakeServer("s", 3));
  base.use_backends.push_back("x");
  for (SectionKind kind : {SectionKind::kFrontend, SectionKind::kBackend, SectionKind::kListen}) {
    ProxyDraft d = InheritDraft(kind, &base);
    EXPECT_EQ(d.kind, kind);
    EXPECT_EQ(d.balance, BalanceAlgorithm::kLeastConn);
    EXPECT_EQ(d.retries, 7);
    EXPECT_EQ(d.timeouts.connect, 5s);
    EXPECT_EQ(d.default_server.weight, 50);
    EXPECT_TRUE(d.def_fastinter_set);
    EXPECT_EQ(d.default_backend, "be");
    EXPECT_EQ(d.monitor_uri, "/healthz");
    EXPECT_THAT(d.binds, IsEmpty());
    EXPECT_THAT(d.servers, IsEmpty());
    EXPECT_THAT(d.use_backends, IsEmpty());
  }
}

TEST(InheritDraftTest, DefaultsStartFromBuiltInsOrFromTheNamedOne) {
  ProxyDraft base = Draft(SectionKind::kDefaults, "d", 1);
  base.balance = BalanceAlgorithm::kSource;
  base.timeouts.server = 3h;
  ProxyDraft fresh = InheritDraft(SectionKind::kDefaults, nullptr);
  EXPECT_EQ(fresh.kind, SectionKind::kDefaults);
  EXPECT_EQ(fresh.balance, BalanceAlgorithm::kRoundRobin);
  EXPECT_EQ(fresh.retries, 3);
  EXPECT_FALSE(fresh.timeouts.server);
  EXPECT_EQ(fresh.default_server.weight, 1);
  EXPECT_EQ(fresh.default_server.check.inter, 2s);
  ProxyDraft from = InheritDraft(SectionKind::kDefaults, &base);
  EXPECT_EQ(from.balance, BalanceAlgorithm::kSource);
  EXPECT_EQ(from.timeouts.server, 3h);
}

TEST(ResolveTest, ListenIsAFrontendAndABackendSharingAnId) {
  ProxyDraft l = Draft(SectionKind::kListen, "l", 1);
  l.binds.push_back(MakeBind(2));
  l.servers.push_back(MakeServer("s", 3));
  ProxyDraft b = Draft(SectionKind::kBackend, "b", 4);
  b.servers.push_back(MakeServer("s", 5));
  ProxyDraft f = Draft(SectionKind::kFrontend, "f", 6);
  f.binds.push_back(MakeBind(7));
  f.default_backend = "b";
  Resolved r = ResolveAll({l, b, f});
  EXPECT_THAT(r.diagnostics, IsEmpty());
  ASSERT_EQ(r.config.frontends.size(), 2u);
  ASSERT_EQ(r.config.backends.size(), 2u);
  const Frontend& lf = r.config.frontends[0];
  const Backend& lb = r.config.backends[0];
  EXPECT_EQ(lf.name, "l");
  EXPECT_EQ(lb.name, "l");
  EXPECT_TRUE(lf.from_listen && lb.from_listen);
  EXPECT_EQ(lf.id, 2);  // haproxy 2.6 numbers user proxies from 2
  EXPECT_EQ(lb.id, 2);
  EXPECT_EQ(lf.backend, "l");  // a listen serves itself
  EXPECT_EQ(lf.where.line, 1);
  EXPECT_EQ(r.config.backends[1].id, 3);
  EXPECT_FALSE(r.config.backends[1].from_listen);
  EXPECT_EQ(r.config.frontends[1].id, 4);
  EXPECT_EQ(r.config.frontends[1].backend, "b");
}

TEST(ResolveTest, EachSideGetsItsSettings) {
  ProxyDraft l = Draft(SectionKind::kListen, "l", 1);
  l.binds.push_back(MakeBind(2));
  l.servers.push_back(MakeServer("s", 3));
  l.timeouts = Timeouts{1s, 2s, 3s, 4s, 5s, 6s, 7s, 8s, 9s, 10s};
  l.balance = BalanceAlgorithm::kFirst;
  l.retries = 9;
  l.fullconn = 11;
  l.maxconn = 12;
  l.redispatch = l.allbackups = l.log_health_checks = true;
  l.clitcpka = l.srvtcpka = l.tcplog = l.dontlognull = true;
  l.splice_request = true;
  l.monitor_uri = "/m";
  Resolved r = ResolveAll({l});
  const Backend& b = r.config.backends[0];
  const Frontend& f = r.config.frontends[0];
  EXPECT_EQ(b.timeouts.connect, 1s);
  EXPECT_FALSE(b.timeouts.client);  // client side only
  EXPECT_EQ(b.timeouts.server, 3s);
  EXPECT_EQ(b.timeouts.tunnel, 4s);
  EXPECT_FALSE(b.timeouts.client_fin);
  EXPECT_EQ(b.timeouts.server_fin, 6s);
  EXPECT_EQ(b.timeouts.queue, 7s);
  EXPECT_EQ(b.timeouts.check, 8s);
  EXPECT_EQ(f.timeouts.client, 2s);
  EXPECT_EQ(f.timeouts.client_fin, 5s);
  EXPECT_EQ(f.timeouts.http_request, 9s);
  EXPECT_EQ(f.timeouts.http_keep_alive, 10s);
  EXPECT_FALSE(f.timeouts.connect || f.timeouts.server || f.timeouts.check);
  EXPECT_EQ(b.balance, BalanceAlgorithm::kFirst);
  EXPECT_EQ(b.retries, 9);
  EXPECT_EQ(b.fullconn, 11);
  EXPECT_TRUE(b.redispatch && b.allbackups && b.log_health_checks && b.srvtcpka);
  EXPECT_TRUE(b.splice_request);
  EXPECT_FALSE(b.splice_response);
  EXPECT_FALSE(b.http_check);
  EXPECT_EQ(f.maxconn, 12);
  EXPECT_TRUE(f.clitcpka && f.tcplog && f.dontlognull && f.splice_request);
  EXPECT_EQ(f.monitor_uri, "/m");
  ASSERT_EQ(f.binds.size(), 1u);
  EXPECT_EQ(f.binds[0].port_first, 443);
}

TEST(ResolveTest, HttpCheckNeedsOptionHttpchk) {
  ProxyDraft a = Draft(SectionKind::kBackend, "a", 1);
  a.servers.push_back(MakeServer("s", 2));
  a.http_check.uri = "/ready";
  a.http_check.expect_status = {{200, 200}};
  ProxyDraft b = a;
  b.name = "b";
  b.where.line = 3;
  b.httpchk = true;
  Resolved r = ResolveAll({a, b});
  EXPECT_FALSE(r.config.backends[0].http_check);
  ASSERT_TRUE(r.config.backends[1].http_check);
  EXPECT_EQ(r.config.backends[1].http_check->uri, "/ready");
  EXPECT_THAT(r.diagnostics,
              ElementsAre("1: warning: 'http-check expect' in 'a' has no effect without "
                          "'option httpchk'"));
}

TEST(ResolveTest, ServerIdsKeepExplicitOnesAndFillTheGaps) {
  ProxyDraft b = Draft(SectionKind::kBackend, "b", 1);
  b.servers = {MakeServer("a", 2), MakeServer("b", 3, 1), MakeServer("c", 4), MakeServer("d", 5, 3),
               MakeServer("e", 6)};
  Resolved r = ResolveAll({b});
  EXPECT_THAT(r.diagnostics, IsEmpty());
  std::vector<int> ids;
  for (const Server& s : r.config.backends[0].servers) {
    ids.push_back(s.id);
  }
  EXPECT_THAT(ids, ElementsAre(2, 1, 4, 3, 5));
}

TEST(ResolveTest, DuplicateServerIdIsAnError) {
  ProxyDraft b = Draft(SectionKind::kBackend, "b", 1);
  b.servers = {MakeServer("x", 2, 5), MakeServer("y", 3, 5)};
  Resolved r = ResolveAll({b});
  EXPECT_THAT(r.diagnostics, ElementsAre("3: error: server 'y' uses an id already in use in 'b'"));
}

TEST(ResolveTest, FrontendChoosesFirstUseBackendThenDefault) {
  ProxyDraft x = Draft(SectionKind::kBackend, "x", 1);
  x.servers.push_back(MakeServer("s", 2));
  ProxyDraft y = Draft(SectionKind::kBackend, "y", 3);
  y.servers.push_back(MakeServer("s", 4));
  ProxyDraft a = Draft(SectionKind::kFrontend, "a", 5);
  a.binds.push_back(MakeBind(6));
  a.use_backends = {"y", "x"};
  a.default_backend = "x";
  ProxyDraft d = Draft(SectionKind::kFrontend, "d", 7);
  d.binds.push_back(MakeBind(8));
  d.default_backend = "y";
  ProxyDraft m = Draft(SectionKind::kFrontend, "m", 9);  // monitor-uri only: no warning
  m.binds.push_back(MakeBind(10));
  m.monitor_uri = "/healthz";
  ProxyDraft n = Draft(SectionKind::kFrontend, "n", 11);
  n.binds.push_back(MakeBind(12));
  Resolved r = ResolveAll({x, y, a, d, m, n});
  ASSERT_EQ(r.config.frontends.size(), 4u);
  EXPECT_EQ(r.config.frontends[0].backend, "y");
  EXPECT_THAT(r.config.frontends[0].use_backends, ElementsAre("y", "x"));
  EXPECT_EQ(r.config.frontends[1].backend, "y");
  EXPECT_EQ(r.config.frontends[2].backend, "");
  EXPECT_EQ(r.config.frontends[3].backend, "");
  EXPECT_THAT(r.diagnostics,
              ElementsAre("11: warning: frontend 'n' has no backend; connections will be closed"));
}

TEST(ResolveTest, MissingBackendsAreErrors) {
  ProxyDraft f = Draft(SectionKind::kFrontend, "f", 4);
  f.binds.push_back(MakeBind(5));
  f.use_backends = {"nope2"};
  f.default_backend = "nope";
  Resolved r = ResolveAll({f});
  EXPECT_THAT(r.diagnostics,
              ElementsAre("4: error: Proxy 'f': unable to find required use_backend: 'nope2'.",
                          "4: error: Proxy 'f': unable to find required default_backend: 'nope'."));
  EXPECT_EQ(r.config.frontends[0].backend, "nope2");  // chosen all the same
}

TEST(ResolveTest, DuplicateNamesPerSide) {
  ProxyDraft a1 = Draft(SectionKind::kBackend, "a", 1);
  a1.servers.push_back(MakeServer("s", 2));
  ProxyDraft a2 = a1;
  a2.where.line = 3;
  ProxyDraft fa = Draft(SectionKind::kFrontend, "a", 5);  // a frontend may share the name
  fa.binds.push_back(MakeBind(6));
  fa.default_backend = "a";
  Resolved r = ResolveAll({a1, a2, fa});
  EXPECT_THAT(r.diagnostics, ElementsAre("3: error: proxy 'a' has the same name as the one "
                                         "declared at t.cfg:1"));
  ProxyDraft f1 = fa;
  ProxyDraft f2 = fa;
  f2.where.line = 9;
  r = ResolveAll({a1, f1, f2});
  EXPECT_THAT(r.diagnostics, ElementsAre("9: error: proxy 'a' has the same name as the one "
                                         "declared at t.cfg:5"));
}

TEST(ResolveTest, WarnsOfMissingServersAndBinds) {
  ProxyDraft b = Draft(SectionKind::kBackend, "b", 1);
  ProxyDraft l = Draft(SectionKind::kListen, "l", 2);  // a listen may have no server
  l.binds.push_back(MakeBind(3));
  ProxyDraft f = Draft(SectionKind::kFrontend, "f", 4);
  f.default_backend = "b";
  Resolved r = ResolveAll({b, l, f});
  EXPECT_THAT(r.diagnostics, ElementsAre("1: warning: backend 'b' has no server",
                                         "4: warning: frontend 'f' has no 'bind' line"));
}

TEST(ResolveTest, WarnsOfMissingTimeoutsAsHaproxyDoes) {
  ProxyDraft l = Draft(SectionKind::kListen, "api", 1);
  l.binds.push_back(MakeBind(2));
  l.servers.push_back(MakeServer("s1", 3));
  l.timeouts.client.reset();
  ProxyDraft f = Draft(SectionKind::kFrontend, "f", 4);  // client only matters
  f.binds.push_back(MakeBind(5));
  f.default_backend = "b";
  f.timeouts.connect.reset();
  f.timeouts.server.reset();
  ProxyDraft b = Draft(SectionKind::kBackend, "b", 6);
  b.servers.push_back(MakeServer("s1", 7));
  b.timeouts.server.reset();
  ProxyDraft t = Draft(SectionKind::kBackend, "t", 8);  // TCP: tunnel stands in for server
  t.servers.push_back(MakeServer("s1", 9));
  t.timeouts.server.reset();
  t.timeouts.tunnel = 1h;
  ProxyDraft e = Draft(SectionKind::kBackend, "e", 10);  // no server: nothing to time out
  e.timeouts = {};
  ProxyDraft z = Draft(SectionKind::kBackend, "z", 11);  // zero is missing
  z.servers.push_back(MakeServer("s1", 12));
  z.timeouts.connect = 0ms;
  Resolved r = ResolveAll({l, f, b, t, e, z});
  const std::string tail =
      ". While not properly invalid, you will certainly encounter various problems with such a "
      "configuration. To fix this, please ensure that all following timeouts are set to a "
      "non-zero value: 'client', 'connect', 'server'.";
  EXPECT_THAT(r.diagnostics, ElementsAre("1: warning: missing timeouts for proxy 'api'" + tail,
                                         "6: warning: missing timeouts for backend 'b'" + tail,
                                         "10: warning: backend 'e' has no server",
                                         "11: warning: missing timeouts for backend 'z'" + tail));
}

}  // namespace
}  // namespace vigie::lb::haproxy_cfg::internal
