// Tests for the global section (global_section.cc), read through
// ParseHaproxyCfg: its directives, stats sockets, tune.* settings, errors.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lb/haproxy_cfg/haproxy_cfg.h"
#include "lb/haproxy_cfg/reader_testing.h"

namespace vigie::lb::haproxy_cfg {
namespace {

using reader_test::FindDiag;
using reader_test::P;
using namespace std::chrono_literals;

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

// haproxy drops to `user`/`group` (or `uid`/`gid`) once bound; vigie does
// the same through runtime.user / runtime.group. Until 2026-12 they were
// ignored, so a drop-in kept root.
TEST(GlobalTest, UserAndGroupAreCarriedOver) {
  auto named = P("global\n user haproxy\n group haproxy\n");
  EXPECT_EQ(named.config.global.user, "haproxy");
  EXPECT_EQ(named.config.global.group, "haproxy");
  EXPECT_TRUE(named.diagnostics.empty());
  auto numeric = P("global\n uid 99\n gid 98\n");
  EXPECT_EQ(numeric.config.global.user, "99");
  EXPECT_EQ(numeric.config.global.group, "98");
  auto bad = P("global\n uid nobody\n user\n");
  EXPECT_EQ(FindDiag(bad, 2, Severity::kError)->text, "'uid' expects a number, got 'nobody'");
  EXPECT_NE(FindDiag(bad, 3, Severity::kError), nullptr);
  EXPECT_TRUE(bad.config.global.user.empty());
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

}  // namespace
}  // namespace vigie::lb::haproxy_cfg
