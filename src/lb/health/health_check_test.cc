// Tests for the health-check state machine, replaying sequences observed on
// haproxy 2.6.12 and comparing its log lines byte for byte.
#include "lb/health/health_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vigie::lb::health {
namespace {

using namespace std::chrono_literals;

CheckOutcome Refused() {
  return {CheckStatus::kL4Con, std::nullopt, "Connection refused", 0ms};
}
CheckOutcome L4Ok() {
  return {CheckStatus::kL4Ok, std::nullopt, "", 0ms};
}

TEST(ServerHealthTest, StartsUpGoingDownAsHaproxy) {
  ServerHealth h({});  // rise 2, fall 3
  EXPECT_TRUE(h.up());
  EXPECT_FALSE(h.full());
  EXPECT_EQ(h.health(), 2);
  EXPECT_EQ(h.StatField(false, false), "UP 1/3");  // show stat before the first check
  EXPECT_EQ(CheckStatusCode(h.last().status), "INI");
}

// Verified: listen kubernetes-apiserver-https, master1 refused first, then
// its listener came up (hap.log).
TEST(ServerHealthTest, SeedSequenceAndLogLines) {
  ServerHealth h({});
  CheckReport r = h.OnResult(Refused());
  EXPECT_TRUE(r.went_down);
  EXPECT_TRUE(r.log_check_line());
  EXPECT_EQ(HealthCheckLogLine("kubernetes-apiserver-https", "master1", false, Refused(), h, false),
            "Health check for server kubernetes-apiserver-https/master1 failed, reason: Layer4 "
            "connection problem, info: \"Connection refused\", check duration: 0ms, status: 0/2 "
            "DOWN.");
  EXPECT_EQ(ServerDownLogLine("kubernetes-apiserver-https", "master1", false, nullptr,
                              {.active = 1, .backup = 1}),
            "Server kubernetes-apiserver-https/master1 is DOWN. 1 active and 1 backup servers "
            "left. 0 sessions active, 0 requeued, 0 remaining in queue.");
  // Further failures at health 0 change nothing and log nothing.
  r = h.OnResult(Refused());
  EXPECT_FALSE(r.log_check_line());
  EXPECT_FALSE(r.went_down);

  r = h.OnResult(L4Ok());
  EXPECT_FALSE(r.went_up);
  EXPECT_EQ(HealthCheckLogLine("kubernetes-apiserver-https", "master1", false, L4Ok(), h, false),
            "Health check for server kubernetes-apiserver-https/master1 succeeded, reason: Layer4 "
            "check passed, check duration: 0ms, status: 1/2 DOWN.");
  EXPECT_EQ(h.StatField(false, false), "DOWN 1/2");
  r = h.OnResult(L4Ok());
  EXPECT_TRUE(r.went_up);
  EXPECT_EQ(HealthCheckLogLine("kubernetes-apiserver-https", "master1", false, L4Ok(), h, false),
            "Health check for server kubernetes-apiserver-https/master1 succeeded, reason: Layer4 "
            "check passed, check duration: 0ms, status: 3/3 UP.");
  EXPECT_EQ(ServerUpLogLine("kubernetes-apiserver-https", "master1", false, nullptr, {.active = 1}),
            "Server kubernetes-apiserver-https/master1 is UP. 1 active and 0 backup servers "
            "online. 0 sessions requeued, 0 total in queue.");
  EXPECT_TRUE(h.full());
  EXPECT_EQ(h.StatField(false, false), "UP");
}

TEST(ServerHealthTest, BackupAndRunningOnBackupLines) {
  ServerHealth h({});
  h.OnResult(Refused());
  EXPECT_EQ(HealthCheckLogLine("kubernetes-apiserver-https", "master3", true, Refused(), h, false),
            "Health check for backup server kubernetes-apiserver-https/master3 failed, reason: "
            "Layer4 connection problem, info: \"Connection refused\", check duration: 0ms, status: "
            "0/2 DOWN.");
  EXPECT_EQ(ServerDownLogLine("kubernetes-apiserver-https", "master2", false, nullptr,
                              {.active = 0, .backup = 1}),
            "Server kubernetes-apiserver-https/master2 is DOWN. 0 active and 1 backup servers "
            "left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.");
  EXPECT_EQ(ServerDownLogLine("kubernetes-apiserver-https", "master3", true, nullptr, {}),
            "Backup Server kubernetes-apiserver-https/master3 is DOWN. 0 active and 0 backup "
            "servers left. 0 sessions active, 0 requeued, 0 remaining in queue.");
  EXPECT_EQ(NoServerLogLine("kubernetes-apiserver-https", true),
            "proxy kubernetes-apiserver-https has no server available!");
  EXPECT_EQ(NoServerLogLine("be", false), "backend be has no server available!");
}

// Verified: a drained server failing its checks (hap.log, after
// `set server ... state drain`).
TEST(ServerHealthTest, DrainedServerGoingDown) {
  ServerHealth h({});
  h.OnResult(L4Ok());
  ASSERT_TRUE(h.full());
  h.OnResult(Refused());
  EXPECT_EQ(h.LogStatus(true), "2/3 DRAIN");
  EXPECT_EQ(h.StatField(true, false), "DRAIN 2/3");
  h.OnResult(Refused());
  EXPECT_EQ(h.LogStatus(true), "1/3 DRAIN");
  CheckReport r = h.OnResult(Refused());
  EXPECT_TRUE(r.went_down);
  EXPECT_EQ(h.LogStatus(true), "0/2 DOWN");
  EXPECT_EQ(h.StatField(true, true), "MAINT");
}

// Verified without log-health-checks: the reason goes on the transition line.
TEST(ServerHealthTest, TransitionLinesWithReason) {
  CheckOutcome sts{CheckStatus::kL7Sts, 503, "Service Unavailable", 0ms};
  EXPECT_EQ(ServerDownLogLine("be", "bad", false, &sts, {.active = 3}),
            "Server be/bad is DOWN, reason: Layer7 wrong status, code: 503, info: \"Service "
            "Unavailable\", check duration: 0ms. 3 active and 0 backup servers left. 0 sessions "
            "active, 0 requeued, 0 remaining in queue.");
  CheckOutcome rsp{CheckStatus::kL7Rsp, std::nullopt, "", 0ms};
  EXPECT_EQ(ServerDownLogLine("be", "notcp", false, &rsp, {.active = 1}),
            "Server be/notcp is DOWN, reason: Layer7 invalid response, check duration: 0ms. 1 "
            "active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in "
            "queue.");
  CheckOutcome ok{CheckStatus::kL7Ok, 200, "", 3ms};
  EXPECT_EQ(ServerUpLogLine("be", "web", false, &ok, {.active = 1}),
            "Server be/web is UP, reason: Layer7 check passed, code: 200, check duration: 3ms. 1 "
            "active and 0 backup servers online. 0 sessions requeued, 0 total in queue.");
  CheckOutcome refused = Refused();
  EXPECT_EQ(ServerDownLogLine("be", "web", false, &refused, {.active = 0, .backup = 1}),
            "Server be/web is DOWN, reason: Layer4 connection problem, info: \"Connection "
            "refused\", check duration: 0ms. 0 active and 1 backup servers left. Running on "
            "backup. 0 sessions active, 0 requeued, 0 remaining in queue.");
}

TEST(ServerHealthTest, RiseAndFallCounts) {
  ServerHealth h({.rise = 3, .fall = 2});
  EXPECT_EQ(h.health(), 3);
  h.OnResult(L4Ok());
  EXPECT_EQ(h.health(), 4);  // rise + fall - 1
  EXPECT_TRUE(h.full());
  CheckReport r = h.OnResult(Refused());
  EXPECT_FALSE(r.went_down);
  EXPECT_EQ(h.StatField(false, false), "UP 1/2");
  r = h.OnResult(Refused());
  EXPECT_TRUE(r.went_down);
  EXPECT_EQ(h.health(), 0);
  for (int k = 1; k <= 2; ++k) {
    r = h.OnResult(L4Ok());
    EXPECT_FALSE(r.went_up) << k;
    EXPECT_EQ(h.StatField(false, false), "DOWN " + std::to_string(k) + "/3");
  }
  r = h.OnResult(L4Ok());
  EXPECT_TRUE(r.went_up);
  EXPECT_TRUE(h.full());
  // A failure while rising resets to 0.
  ServerHealth g({.rise = 3, .fall = 2});
  g.OnResult(Refused());
  g.OnResult(L4Ok());
  g.OnResult(L4Ok());
  EXPECT_EQ(g.health(), 2);
  g.OnResult(Refused());
  EXPECT_EQ(g.health(), 0);
}

TEST(ServerHealthTest, StatusChangeAloneIsLogged) {
  ServerHealth h({});
  h.OnResult(Refused());
  CheckReport r = h.OnResult({CheckStatus::kL4Tout, std::nullopt, "", 2000ms});
  EXPECT_FALSE(r.health_changed);
  EXPECT_TRUE(r.status_changed);
  EXPECT_TRUE(r.log_check_line());
}

TEST(ServerHealthTest, NonVerdictStatusesChangeNothing) {
  ServerHealth h({});
  CheckReport r = h.OnResult({CheckStatus::kChecked, std::nullopt, "", 0ms});
  EXPECT_FALSE(r.health_changed);
  EXPECT_EQ(h.health(), 2);
}

TEST(ServerHealthTest, Intervals) {
  ServerHealth h({.inter = 10s, .fastinter = 1s, .downinter = 30s, .rise = 2, .fall = 3});
  EXPECT_EQ(h.CurrentInterval(), 1s);  // initial "UP 1/3" is transitional
  h.OnResult(L4Ok());
  EXPECT_EQ(h.CurrentInterval(), 10s);
  const Clock::time_point t0 = Clock::time_point{} + 5h;
  EXPECT_EQ(h.NextCheck(t0), t0 + 10s);
  h.OnResult(Refused());
  EXPECT_EQ(h.CurrentInterval(), 1s);  // going down
  h.OnResult(Refused());
  h.OnResult(Refused());
  EXPECT_EQ(h.health(), 0);
  EXPECT_EQ(h.CurrentInterval(), 30s);  // down
  h.OnResult(L4Ok());
  EXPECT_EQ(h.CurrentInterval(), 1s);  // going up
  ServerHealth d({.inter = 4s, .fastinter = 0ms, .downinter = 0ms});
  EXPECT_EQ(d.CurrentInterval(), 4s);  // 0 = use inter
}

TEST(ServerHealthTest, Force) {
  ServerHealth h({});
  h.Force(false);
  EXPECT_FALSE(h.up());
  h.Force(true);
  EXPECT_TRUE(h.full());
}

TEST(CheckStatusTest, CodesDescriptionsAndNumbers) {
  EXPECT_EQ(CheckStatusCode(CheckStatus::kL4Ok), "L4OK");
  EXPECT_EQ(CheckStatusCode(CheckStatus::kL4Tout), "L4TOUT");
  EXPECT_EQ(CheckStatusCode(CheckStatus::kL4Con), "L4CON");
  EXPECT_EQ(CheckStatusCode(CheckStatus::kL6Ok), "L6OK");
  EXPECT_EQ(CheckStatusCode(CheckStatus::kL6Tout), "L6TOUT");
  EXPECT_EQ(CheckStatusCode(CheckStatus::kL6Rsp), "L6RSP");
  EXPECT_EQ(CheckStatusCode(CheckStatus::kL7Ok), "L7OK");
  EXPECT_EQ(CheckStatusCode(CheckStatus::kL7Sts), "L7STS");
  EXPECT_EQ(CheckStatusCode(CheckStatus::kL7Rsp), "L7RSP");
  EXPECT_EQ(CheckStatusCode(CheckStatus::kSockErr), "SOCKERR");
  EXPECT_EQ(CheckStatusDescription(CheckStatus::kL4Ok), "Layer4 check passed");
  EXPECT_EQ(CheckStatusDescription(CheckStatus::kL7Rsp), "Layer7 invalid response");
  // show servers state numbers seen on 2.6: L4OK 6, L4CON 8, L7RSP 13, L7OK 15, L7STS 17.
  EXPECT_EQ(static_cast<int>(CheckStatus::kL4Ok), 6);
  EXPECT_EQ(static_cast<int>(CheckStatus::kL4Con), 8);
  EXPECT_EQ(static_cast<int>(CheckStatus::kL7Rsp), 13);
  EXPECT_EQ(static_cast<int>(CheckStatus::kL7Ok), 15);
  EXPECT_EQ(static_cast<int>(CheckStatus::kL7Sts), 17);
  EXPECT_EQ(ResultOf(CheckStatus::kL6Ok), CheckResult::kPassed);
  EXPECT_EQ(ResultOf(CheckStatus::kL6Rsp), CheckResult::kFailed);
  EXPECT_EQ(ResultOf(CheckStatus::kIni), CheckResult::kUnknown);
}

TEST(CheckTimeoutsTest, InterOrTimeoutCheck) {
  CheckTimeouts a = ComputeCheckTimeouts(10s, 5s, std::nullopt);
  EXPECT_EQ(a.connect, 10s);
  EXPECT_EQ(a.response, 10s);
  CheckTimeouts b = ComputeCheckTimeouts(10s, 5s, 30s);  // kubespray: timeout check 30s
  EXPECT_EQ(b.connect, 5s);
  EXPECT_EQ(b.response, 30s);
  CheckTimeouts c = ComputeCheckTimeouts(2s, 5s, 1s);
  EXPECT_EQ(c.connect, 2s);
}

TEST(CheckTimeoutsTest, InitialSpread) {
  EXPECT_EQ(InitialCheckDelay(0, 3, 60s), 0s);
  EXPECT_EQ(InitialCheckDelay(1, 3, 60s), 20s);
  EXPECT_EQ(InitialCheckDelay(2, 3, 60s), 40s);
  EXPECT_EQ(InitialCheckDelay(0, 0, 60s), 0s);
}

TEST(ReasonSuffixTest, EscapesInfo) {
  CheckOutcome o{CheckStatus::kL7Sts, 500, "a\"b\n", 1ms};
  EXPECT_EQ(
      ReasonSuffix(o),
      ", reason: Layer7 wrong status, code: 500, info: \"a\\x22b\\x0a\", check duration: 1ms");
}

}  // namespace
}  // namespace vigie::lb::health
