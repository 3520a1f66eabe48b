// Tests for the runtime API: replies and framing observed on haproxy 2.6.12
// (`socat`-style one-shot sessions and `prompt` mode), against a fake runtime.
#include "lb/stats/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lb/stats/fake_runtime.h"

namespace vigie::lb::stats {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string OneShot(FakeRuntime& rt, std::string_view line) {
  CliSession s;
  CliSession::Reply r = s.OnLine(line, rt);
  EXPECT_TRUE(r.close) << line;  // non-interactive: one line, then close
  return r.output;
}

const std::string kPx = "kubernetes-apiserver-https";

TEST(CliRepliesTest, VerifiedErrorWording) {
  FakeRuntime rt;
  EXPECT_EQ(OneShot(rt, "disable server " + kPx + "/nope"), "No such server.\n\n");
  EXPECT_EQ(OneShot(rt, "disable server nope/master1"), "No such backend.\n\n");
  EXPECT_EQ(OneShot(rt, "disable server master1"), "Require 'backend/server'.\n\n");
  EXPECT_EQ(OneShot(rt, "disable server"), "Require 'backend/server'.\n\n");
  EXPECT_EQ(OneShot(rt, "set server " + kPx + "/master1 state bogus"),
            "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n");
  EXPECT_EQ(OneShot(rt, "set weight " + kPx + "/master1 300"),
            "Absolute weight can only be between 0 and 256 inclusive.\n\n");
  // haproxy's message lacks its newline; only the terminator follows.
  EXPECT_EQ(OneShot(rt, "set weight " + kPx + "/master1 abc"),
            "Empty weight string empty or preceded by garbage\n");
  EXPECT_EQ(OneShot(rt, "set timeout cli"), "Expects an integer value.\n\n");
  EXPECT_EQ(OneShot(rt, "set timeout cli abc"), "Invalid timeout value.\n\n");
  EXPECT_EQ(OneShot(rt, "show servers state nope"), "Can't find backend.\n\n");
  EXPECT_THAT(OneShot(rt, "bogus command"),
              StartsWith("Unknown command, but maybe one of the following ones is a better "
                         "match:\n  "));
}

TEST(CliRepliesTest, StateChangesSucceedSilently) {
  FakeRuntime rt;
  EXPECT_EQ(OneShot(rt, "set server " + kPx + "/master1 state drain"), "\n");
  EXPECT_EQ(rt.At(kPx, "master1").admin, ServerAdmin::kDrain);
  EXPECT_EQ(OneShot(rt, "disable server " + kPx + "/master2"), "\n");
  EXPECT_EQ(rt.At(kPx, "master2").admin, ServerAdmin::kMaint);
  EXPECT_EQ(OneShot(rt, "enable server " + kPx + "/master2"), "\n");
  EXPECT_EQ(rt.At(kPx, "master2").admin, ServerAdmin::kReady);
  EXPECT_EQ(OneShot(rt, "set server " + kPx + "/master2 state maint"), "\n");
  EXPECT_EQ(OneShot(rt, "set server " + kPx + "/master2 state ready"), "\n");
  EXPECT_EQ(rt.At(kPx, "master2").admin, ServerAdmin::kReady);
  EXPECT_EQ(OneShot(rt, "set server " + kPx + "/master1 health down"), "\n");
  EXPECT_FALSE(rt.At(kPx, "master1").up);
  EXPECT_EQ(OneShot(rt, "set server " + kPx + "/master1 weight 50"), "\n");
  EXPECT_EQ(OneShot(rt, "get weight " + kPx + "/master1"), "50 (initial 1)\n\n");
}

TEST(CliRepliesTest, WeightForms) {
  FakeRuntime rt;
  rt.At(kPx, "master1").initial = 10;
  EXPECT_EQ(OneShot(rt, "set weight " + kPx + "/master1 50%"), "\n");
  EXPECT_EQ(rt.At(kPx, "master1").weight, 5);
  EXPECT_EQ(OneShot(rt, "set weight " + kPx + "/master1 10000%"), "\n");
  EXPECT_EQ(rt.At(kPx, "master1").weight, 256);  // capped, as haproxy
  EXPECT_EQ(OneShot(rt, "set weight " + kPx + "/master1 -5%"),
            "Relative weight must be positive.\n\n");
  EXPECT_EQ(OneShot(rt, "set weight " + kPx + "/master1 7x"),
            "Trailing garbage in weight string\n");
  rt.static_rr = true;
  EXPECT_EQ(OneShot(rt, "set weight " + kPx + "/master1 3"),
            "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n\n");
}

TEST(CliRepliesTest, ShowCommands) {
  FakeRuntime rt;
  std::string stat = OneShot(rt, "show stat");
  EXPECT_THAT(stat, StartsWith("# pxname,svname,qcur,"));
  EXPECT_THAT(stat, HasSubstr("\n" + kPx + ",master1,"));
  EXPECT_TRUE(stat.ends_with(",\n\n"));
  std::string filtered = OneShot(rt, "show stat -1 4 -1");
  EXPECT_THAT(filtered, ::testing::Not(HasSubstr("FRONTEND")));
  EXPECT_THAT(OneShot(rt, "show stat 2"), HasSubstr("FRONTEND"));  // needs 3 args to filter
  EXPECT_THAT(OneShot(rt, "show info"), StartsWith("Name: HAProxy\nVersion: test\n"));
  std::string state = OneShot(rt, "show servers state " + kPx);
  EXPECT_THAT(state, StartsWith("1\n# be_id be_name"));
  EXPECT_THAT(state, ::testing::Not(HasSubstr(" other ")));
  EXPECT_THAT(OneShot(rt, "show stat typed"), HasSubstr("not supported"));
  EXPECT_THAT(OneShot(rt, "help"), StartsWith("The following commands are valid at this level:\n"));
  EXPECT_THAT(HelpText(), HasSubstr("\n  get weight <bk>/<srv>                   : report a "
                                    "server's current weight\n"));
}

TEST(CliSessionTest, SeveralCommandsPerLine) {
  FakeRuntime rt;
  std::string out = OneShot(rt, "show info;show servers state " + kPx);
  EXPECT_THAT(out, HasSubstr("Tainted: 0\n\n1\n# be_id"));
  EXPECT_EQ(SplitCommands("a;b\\;c;"), (std::vector<std::string>{"a", "b;c", ""}));
}

// One 16 KiB line of "show stat;" repeated asked for every command's output
// in one reply: with a large config, gigabytes from one client line.
TEST(CliSessionTest, ALinesOutputIsBounded) {
  FakeRuntime rt;
  std::string line;
  while (line.size() + 10 < 16 * 1024) {
    line += "show stat;";
  }
  std::string one = OneShot(rt, "show stat");
  std::string out = OneShot(rt, line);
  EXPECT_LE(out.size(), kMaxLineOutput + one.size() + 200);
  EXPECT_THAT(out, HasSubstr("commands of this line were not run"));
  // A line within the bound is answered whole.
  EXPECT_EQ(OneShot(rt, "show stat;show stat"), one + one);
}

// Verified prompt-mode transcript (python socket against haproxy 2.6.12).
TEST(CliSessionTest, PromptModeTranscript) {
  FakeRuntime rt;
  rt.At(kPx, "master1").weight = 0;
  CliSession s;
  auto r = s.OnLine("prompt", rt);
  EXPECT_EQ(r.output, "\n> ");
  EXPECT_FALSE(r.close);
  r = s.OnLine("get weight " + kPx + "/master1", rt);
  EXPECT_EQ(r.output, "0 (initial 1)\n\n> ");
  r = s.OnLine("set timeout cli 60", rt);
  EXPECT_EQ(r.output, "\n> ");
  EXPECT_EQ(s.timeout(), std::chrono::seconds(60));
  r = s.OnLine("disable server x/y; get weight " + kPx + "/master1", rt);
  EXPECT_EQ(r.output, "No such backend.\n\n> 0 (initial 1)\n\n> ");
  r = s.OnLine("quit", rt);
  EXPECT_EQ(r.output, "");
  EXPECT_TRUE(r.close);
}

TEST(CliSessionTest, PromptToggleAndCrlf) {
  FakeRuntime rt;
  CliSession s;
  s.OnLine("prompt", rt);
  auto r = s.OnLine("prompt\r", rt);  // toggles off: closes like a one-shot
  EXPECT_EQ(r.output, "\n");
  EXPECT_TRUE(r.close);
}

TEST(CliSessionTest, OperatorLevelCannotChangeState) {
  FakeRuntime rt;
  CliSession s(Level::kOperator);
  EXPECT_EQ(s.OnLine("disable server " + kPx + "/master1", rt).output, "Permission denied\n\n");
  EXPECT_EQ(rt.At(kPx, "master1").admin, ServerAdmin::kReady);
  CliSession s2(Level::kOperator);
  EXPECT_THAT(s2.OnLine("show stat", rt).output, StartsWith("# pxname"));
}

TEST(CliSessionTest, ClearCountersNeedsOperatorAndAllNeedsAdmin) {
  FakeRuntime rt;
  EXPECT_EQ(OneShot(rt, "clear counters"), "\n");
  EXPECT_EQ(OneShot(rt, "clear counters all"), "\n");
  EXPECT_EQ(rt.cleared, (std::vector<bool>{false, true}));
  CliSession op(Level::kOperator);
  EXPECT_EQ(op.OnLine("clear counters", rt).output, "\n");
  CliSession op2(Level::kOperator);
  EXPECT_EQ(op2.OnLine("clear counters all", rt).output, "Permission denied\n\n");
  CliSession user(Level::kUser);
  EXPECT_EQ(user.OnLine("clear counters", rt).output, "Permission denied\n\n");
  EXPECT_EQ(rt.cleared, (std::vector<bool>{false, true, false}));
  EXPECT_THAT(HelpText(), HasSubstr("\n  clear counters [all]                    : clear max "
                                    "statistics counters (or all counters)\n"));
}

TEST(CliParseTest, Commands) {
  auto c = ParseCommand("show stat -1 4 2");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, CommandKind::kShowStat);
  EXPECT_EQ(c->filter.type_mask, 4);
  EXPECT_EQ(c->filter.sid, 2);
  c = ParseCommand("  set   server  b/s   state   drain ");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, CommandKind::kSetServerState);
  EXPECT_EQ(c->backend, "b");
  EXPECT_EQ(c->server, "s");
  EXPECT_EQ(c->admin, ServerAdmin::kDrain);
  c = ParseCommand("set timeout cli 2m");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->timeout, std::chrono::seconds(120));
  EXPECT_FALSE(ParseCommand("set timeout cli 500ms"));
  EXPECT_EQ(ParseCommand("set timeout client 5").error().context(),
            "'set timeout' only supports 'cli'.\n");
  EXPECT_THAT(ParseCommand("set server b/s frob").error().context(),
              StartsWith("'set server <srv>' only supports"));
  EXPECT_EQ(ParseCommand("set server b/s health maybe").error().context(),
            "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n");
  EXPECT_FALSE(ParseCommand(""));
}

}  // namespace
}  // namespace vigie::lb::stats
