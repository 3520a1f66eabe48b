// sd_notify messages reach a socket bound as systemd binds it, by path and
// in the abstract namespace; the watchdog settings are read as
// sd_watchdog_enabled(3) reads them.
#include "core/notify.h"

#include <cstring>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace vigie {
namespace {

// A datagram socket bound to `name` ("/path" or "@abstract").
class FakeManager {
 public:
  explicit FakeManager(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    if (name[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      len += 1;
    }
    bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  }
  ~FakeManager() { ::close(fd_); }
  bool bound() const { return bound_; }
  std::string Receive() {
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
};

TEST(ServiceNotifierTest, SendsOneDatagramToAPath) {
  auto dir =
      std::filesystem::temp_directory_path() / ("vigie-notify-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "notify").string();
  FakeManager manager(path);
  ASSERT_TRUE(manager.bound());
  ServiceNotifier n(path);
  EXPECT_TRUE(n.enabled());
  ASSERT_TRUE(n.Send("READY=1\nSTATUS=serving"));
  EXPECT_EQ(manager.Receive(), "READY=1\nSTATUS=serving");
  ASSERT_TRUE(n.Send("STOPPING=1"));
  EXPECT_EQ(manager.Receive(), "STOPPING=1");
  std::filesystem::remove_all(dir);
}

TEST(ServiceNotifierTest, SendsToTheAbstractNamespace) {
  std::string name = "@vigie-notify-test-" + std::to_string(::getpid());
  FakeManager manager(name);
  ASSERT_TRUE(manager.bound());
  ASSERT_TRUE(ServiceNotifier(name).Send("WATCHDOG=1"));
  EXPECT_EQ(manager.Receive(), "WATCHDOG=1");
}

TEST(ServiceNotifierTest, DisabledWithoutASocket) {
  ServiceNotifier n;
  EXPECT_FALSE(n.enabled());
  EXPECT_TRUE(n.Send("READY=1"));
}

TEST(ServiceNotifierTest, AGoneManagerIsAnErrorNamingTheSocket) {
  auto r = ServiceNotifier("/nonexistent/vigie/notify").Send("READY=1");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().ToString().find("/nonexistent/vigie/notify"), std::string::npos);
  auto relative = ServiceNotifier("relative/notify").Send("READY=1");
  ASSERT_FALSE(relative);
  EXPECT_EQ(relative.error().code(), Errc::kInvalidArgument);
  auto too_long = ServiceNotifier("/" + std::string(200, 'x')).Send("READY=1");
  ASSERT_FALSE(too_long);
}

TEST(ServiceNotifierTest, FromEnvironmentTakesTheVariablesAway) {
  ::setenv("NOTIFY_SOCKET", "@vigie-env-test", 1);
  ::setenv("WATCHDOG_USEC", "3000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  ServiceNotifier n = ServiceNotifier::FromEnvironment();
  EXPECT_TRUE(n.enabled());
  ASSERT_TRUE(n.watchdog_interval().has_value());
  EXPECT_EQ(*n.watchdog_interval(), std::chrono::seconds(3));
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);
}

TEST(ParseWatchdogTest, AsSdWatchdogEnabledReadsIt) {
  EXPECT_EQ(ParseWatchdog("30000000", "", 42), std::chrono::seconds(30));
  EXPECT_EQ(ParseWatchdog("30000000", "42", 42), std::chrono::seconds(30));
  EXPECT_EQ(ParseWatchdog("30000000", "43", 42), std::nullopt);  // another process's
  EXPECT_EQ(ParseWatchdog("0", "", 42), std::nullopt);
  EXPECT_EQ(ParseWatchdog("", "", 42), std::nullopt);
  EXPECT_EQ(ParseWatchdog("30s", "", 42), std::nullopt);
  EXPECT_EQ(ParseWatchdog("-5", "", 42), std::nullopt);
  EXPECT_EQ(ParseWatchdog("5", "x", 42), std::nullopt);
}

}  // namespace
}  // namespace vigie
