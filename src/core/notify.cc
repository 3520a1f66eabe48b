#include "core/notify.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace vigie {

namespace {

std::string_view Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string_view() : std::string_view(v);
}

std::optional<uint64_t> ParseNumber(std::string_view text) {
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

std::optional<std::chrono::microseconds> ParseWatchdog(std::string_view usec, std::string_view pid,
                                                       pid_t self) {
  auto interval = ParseNumber(usec);
  if (!interval || *interval == 0) {
    return std::nullopt;
  }
  if (!pid.empty()) {
    auto owner = ParseNumber(pid);
    if (!owner || *owner != static_cast<uint64_t>(self)) {
      return std::nullopt;
    }
  }
  return std::chrono::microseconds(*interval);
}

ServiceNotifier ServiceNotifier::FromEnvironment() {
  ServiceNotifier n{std::string(Env("NOTIFY_SOCKET"))};
  n.watchdog_ = ParseWatchdog(Env("WATCHDOG_USEC"), Env("WATCHDOG_PID"), ::getpid());
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  return n;
}

Result<void> ServiceNotifier::Send(std::string_view state) const {
  if (socket_.empty()) {
    return {};
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  // A path must fit with its NUL; an abstract name has none.
  if (socket_.size() >= sizeof(addr.sun_path) || (socket_[0] != '/' && socket_[0] != '@')) {
    return Error(Errc::kInvalidArgument,
                 "NOTIFY_SOCKET " + socket_ + ": not an absolute path or @name that fits");
  }
  std::memcpy(addr.sun_path, socket_.data(), socket_.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size());
  if (socket_[0] == '@') {
    addr.sun_path[0] = '\0';
  } else {
    len += 1;
  }
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Error(Errc::kIo, "NOTIFY_SOCKET " + socket_ + ": socket: " + std::strerror(errno));
  }
  ssize_t sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                          reinterpret_cast<const sockaddr*>(&addr), len);
  int saved = errno;
  ::close(fd);
  if (sent < 0) {
    return Error(Errc::kIo, "NOTIFY_SOCKET " + socket_ + ": " + std::strerror(saved));
  }
  return {};
}

}  // namespace vigie
