#include "core/handover.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <utility>

#include <boost/asio/ip/udp.hpp>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace vigie::net {
namespace {

using tcp = boost::asio::ip::tcp;

// Descriptors per SCM_RIGHTS message (the kernel's limit is 253).
constexpr size_t kPerMessage = 200;
constexpr size_t kMaxFds = 4096;
constexpr char kFdByte = 'F';
constexpr char kEndByte = 'E';

struct Registry {
  std::mutex mu;
  std::vector<std::pair<int, tcp::endpoint>> mine;       // opened by this process
  std::vector<std::pair<int, tcp::endpoint>> inherited;  // received, not yet taken
};

Registry& Reg() {
  static Registry r;
  return r;
}

Error Errno(const std::string& what) {
  return Error(std::error_code(errno, std::generic_category()), what);
}

// The address a listening TCP socket is bound to; nullopt when `fd` is not
// one (closed, a UDP or connected socket, not a socket at all).
std::optional<tcp::endpoint> ListeningEndpoint(int fd) {
  int type = 0;
  int listening = 0;
  socklen_t len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
    return std::nullopt;
  }
  len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening != 1) {
    return std::nullopt;
  }
  tcp::endpoint ep;
  socklen_t alen = static_cast<socklen_t>(ep.capacity());
  if (getsockname(fd, ep.data(), &alen) != 0) {
    return std::nullopt;
  }
  if (ep.data()->sa_family != AF_INET && ep.data()->sa_family != AF_INET6) {
    return std::nullopt;
  }
  ep.resize(alen);
  return ep;
}

// Waits until `fd` is ready for `events` or the deadline passes.
Result<void> WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return Error(Errc::kTimeout, "timed out handing over listeners");
    }
    pollfd p{fd, events, 0};
    int r = poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) {
      return {};
    }
    if (r < 0 && errno != EINTR) {
      return Errno("poll");
    }
  }
}

Result<void> SendOne(int fd, std::span<const int> fds, char marker,
                     std::chrono::steady_clock::time_point deadline) {
  std::vector<char> payload(std::max<size_t>(fds.size(), 1), marker);
  iovec iov{payload.data(), payload.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  std::vector<char> control;
  if (!fds.empty()) {
    control.resize(CMSG_SPACE(sizeof(int) * fds.size()));
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
  }
  for (;;) {
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(payload.size())) {
      return {};
    }
    if (n >= 0) {
      // A partial write of a few bytes on a unix socket: the descriptors
      // went with the first byte; send the rest of the payload plainly.
      msg.msg_control = nullptr;
      msg.msg_controllen = 0;
      payload.erase(payload.begin(), payload.begin() + n);
      iov = {payload.data(), payload.size()};
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      VIGIE_TRY(WaitFor(fd, POLLOUT, deadline));
      continue;
    }
    if (errno != EINTR) {
      return Errno("sendmsg");
    }
  }
}

}  // namespace

void RegisterListener(int fd, const tcp::endpoint& bound) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  std::erase_if(r.mine, [fd](const auto& e) { return e.first == fd; });
  r.mine.emplace_back(fd, bound);
}

namespace {

// True when `address` is one of this host's: a datagram socket binds to it
// (without IP_FREEBIND only a local address does).
bool IsLocalAddress(const boost::asio::ip::address& address) {
  int fd = socket(address.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return false;
  }
  boost::asio::ip::udp::endpoint ep(address, 0);
  bool local = bind(fd, ep.data(), static_cast<socklen_t>(ep.size())) == 0;
  close(fd);
  return local;
}

}  // namespace

bool IsOwnListener(const tcp::endpoint& destination) {
  boost::asio::ip::address address = destination.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6());
  }
  bool wildcard_on_port = false;
  {
    Registry& r = Reg();
    std::lock_guard lock(r.mu);
    for (const auto& [fd, bound] : r.mine) {
      if (bound.port() != destination.port()) {
        continue;
      }
      // A closed listener's entry stays until OpenListeners prunes it.
      auto now = ListeningEndpoint(fd);
      if (!now || *now != bound) {
        continue;
      }
      if (bound.address() == address) {
        return true;
      }
      wildcard_on_port = wildcard_on_port || bound.address().is_unspecified();
    }
  }
  return wildcard_on_port && IsLocalAddress(address);
}

std::vector<int> OpenListeners() {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  std::erase_if(r.mine, [](const auto& e) {
    auto now = ListeningEndpoint(e.first);
    return !now || *now != e.second;
  });
  std::vector<int> out;
  for (const auto& [fd, ep] : r.mine) {
    out.push_back(fd);
  }
  return out;
}

Result<void> SendListeners(int unix_fd, std::span<const int> fds, Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (size_t i = 0; i < fds.size(); i += kPerMessage) {
    VIGIE_TRY(
        SendOne(unix_fd, fds.subspan(i, std::min(kPerMessage, fds.size() - i)), kFdByte, deadline));
  }
  return SendOne(unix_fd, {}, kEndByte, deadline);
}

Result<std::vector<int>> FetchListeners(const std::string& path, Duration timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return Error(Errc::kInvalidArgument, "unix socket path too long or empty: \"" + path + "\"");
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return Errno("socket");
  }
  auto fail = [&](Error e) -> Result<std::vector<int>> {
    close(fd);
    return std::move(e).WithContext("taking listeners over from " + path);
  };
  if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return fail(Errno("connect"));
  }
  static constexpr std::string_view kRequest = "_getsocks\n";
  if (send(fd, kRequest.data(), kRequest.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(kRequest.size())) {
    return fail(Errno("send"));
  }
  auto got = ReceiveListeners(fd, deadline);
  if (!got) {
    return fail(got.error());
  }
  close(fd);
  return got;
}

Result<std::vector<int>> ReceiveListeners(int fd, std::chrono::steady_clock::time_point deadline) {
  std::vector<int> got;
  auto fail = [&](Error e) -> Result<std::vector<int>> {
    for (int f : got) {
      close(f);
    }
    return e;
  };
  std::string text;  // anything that is not a marker: the other side's error message
  for (;;) {
    if (auto w = WaitFor(fd, POLLIN, deadline); !w) {
      return fail(w.error());
    }
    char data[512];
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 253)];
    iovec iov{data, sizeof(data)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      return fail(Errno("recvmsg"));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
          int f;
          std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
          got.push_back(f);
        }
      }
    }
    if ((msg.msg_flags & MSG_CTRUNC) != 0) {
      return fail(Error(Errc::kLimitExceeded, "descriptors truncated"));
    }
    if (got.size() > kMaxFds) {
      return fail(Error(Errc::kLimitExceeded, "more than 4096 descriptors"));
    }
    std::string_view chunk(data, static_cast<size_t>(n));
    for (char ch : chunk) {
      if (ch == kEndByte && text.empty()) {
        return got;
      }
      if (ch != kFdByte && text.size() < 200) {
        text += ch;
      }
    }
    if (n == 0) {
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
      }
      return fail(Error(Errc::kUnavailable, text.empty()
                                                ? "closed before the end of the list"
                                                : "refused: \"" + text +
                                                      "\" (does the stats socket have `expose-fd "
                                                      "listeners` and `level admin`?)"));
    }
  }
}

void AdoptInherited(std::vector<int> fds) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  for (int fd : fds) {
    auto ep = ListeningEndpoint(fd);
    if (!ep) {
      close(fd);
      continue;
    }
    r.inherited.emplace_back(fd, *ep);
  }
}

std::optional<int> TakeInherited(const tcp::endpoint& endpoint) {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  auto it = std::find_if(r.inherited.begin(), r.inherited.end(),
                         [&](const auto& e) { return e.second == endpoint; });
  if (it == r.inherited.end()) {
    return std::nullopt;
  }
  int fd = it->first;
  r.inherited.erase(it);
  return fd;
}

size_t CloseUnclaimedInherited() {
  Registry& r = Reg();
  std::lock_guard lock(r.mu);
  size_t n = r.inherited.size();
  for (const auto& [fd, ep] : r.inherited) {
    close(fd);
  }
  r.inherited.clear();
  return n;
}

Result<size_t> TakeOverListeners(const Takeover& takeover) {
  if (takeover.socket.empty()) {
    return size_t{0};
  }
  VIGIE_ASSIGN_OR_RETURN(std::vector<int> fds, FetchListeners(takeover.socket));
  size_t n = fds.size();
  AdoptInherited(std::move(fds));
  return n;
}

void ReleasePredecessors(const Takeover& takeover) {
  for (int pid : takeover.finish_pids) {
    ::kill(pid, SIGUSR1);
  }
  for (int pid : takeover.terminate_pids) {
    ::kill(pid, SIGTERM);
  }
}

}  // namespace vigie::net
