// Helpers run by absolute path, with a deadline, bounded output, and no
// SIGPIPE in the caller.
#include "core/command.h"

#include <csignal>

#include <gtest/gtest.h>

namespace vigie {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

TEST(FindHelperTest, SearchesTheSystemDirectoriesOnlyNotPath) {
  auto sh = FindHelper("sh");
  ASSERT_TRUE(sh) << sh.error().ToString();
  EXPECT_EQ(sh->front(), '/');
  // $PATH is not consulted: a directory on it is never used.
  const std::string path = getenv("PATH") != nullptr ? getenv("PATH") : "";
  setenv("PATH", "/nonexistent-vigie-dir", 1);
  EXPECT_TRUE(FindHelper("sh"));
  setenv("PATH", path.c_str(), 1);
  auto missing = FindHelper("vigie-no-such-helper");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Errc::kNotFound);
  EXPECT_NE(missing.error().ToString().find("/usr/sbin:/usr/bin:/sbin:/bin"), std::string::npos)
      << missing.error().ToString();
  EXPECT_EQ(*FindHelper("/bin/true"), "/bin/true");
}

TEST(RunCommandTest, FeedsStdinAndReturnsStdout) {
  CommandOptions o;
  o.input = "hello\n";
  auto r = RunCommand({"cat"}, o);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "hello\n");
}

TEST(RunCommandTest, AFailureNamesTheCommandItsStatusAndItsStderr) {
  auto r = RunCommand({"sh", "-c", "echo 'no such table' >&2; exit 3"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kIo);
  EXPECT_NE(r.error().ToString().find("sh -c"), std::string::npos) << r.error().ToString();
  EXPECT_NE(r.error().ToString().find("exit status 3"), std::string::npos);
  EXPECT_NE(r.error().ToString().find("no such table"), std::string::npos);
}

TEST(RunCommandTest, AHelperThatHangsIsKilledAtItsDeadline) {
  CommandOptions o;
  o.timeout = milliseconds(300);
  auto start = SteadyClock::now();
  auto r = RunCommand({"sleep", "30"}, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kTimeout) << r.error().ToString();
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(10));
}

TEST(RunCommandTest, AHelperThatDetachesItsOutputIsStillBoundedByTheDeadline) {
  CommandOptions o;
  o.timeout = milliseconds(300);
  auto r = RunCommand({"sh", "-c", "exec >/dev/null 2>&1; sleep 30"}, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kTimeout);
}

// The caller keeps SIGPIPE's default action here, as a library user would:
// a helper that exits without reading a large input must not kill it.
TEST(RunCommandTest, AHelperThatStopsReadingDoesNotRaiseSigpipe) {
  ASSERT_EQ(std::signal(SIGPIPE, SIG_DFL), SIG_DFL);
  CommandOptions o;
  o.input.assign(8 << 20, 'x');
  auto r = RunCommand({"sh", "-c", "exec 0<&-; echo done"}, o);
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(*r, "done\n");
}

TEST(RunCommandTest, OutputPastTheBoundIsAnError) {
  CommandOptions o;
  o.max_output = 1000;
  auto r = RunCommand({"sh", "-c", "yes"}, o);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("more than 1000 bytes"), std::string::npos)
      << r.error().ToString();
}

TEST(RunCommandTest, TheHelperGetsDefaultSignalsNotOurs) {
  // Ignored signals survive exec unless reset; the helper must see SIGPIPE
  // at its default (a `yes | head` inside it must end).
  std::signal(SIGPIPE, SIG_IGN);
  auto r = RunCommand({"sh", "-c", "grep SigIgn /proc/self/status"});
  std::signal(SIGPIPE, SIG_DFL);
  ASSERT_TRUE(r) << r.error().ToString();
  // SIGPIPE is signal 13: bit 12 of the mask, the 0x1000 digit.
  std::string mask = r->substr(r->find_first_of("0123456789abcdef"));
  unsigned long long bits = std::stoull(mask, nullptr, 16);
  EXPECT_EQ(bits & (1ULL << (SIGPIPE - 1)), 0u) << *r;
}

TEST(RunCommandTest, AMissingProgramIsAnErrorNotACrash) {
  auto r = RunCommand({"vigie-no-such-helper", "x"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), Errc::kNotFound);
}

}  // namespace
}  // namespace vigie
