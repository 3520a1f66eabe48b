// The binary-upgrade hand-over: listening sockets registered, sent over a
// unix socket with SCM_RIGHTS, adopted by ListenTcp in place of a bind.
#include "core/handover.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/net.h"

namespace vigie::net {
namespace {

// A unix listening socket at a fresh path; Serve() answers one client with
// `reply` (nullptr: the registered listeners).
class ControlSocket {
 public:
  ControlSocket() {
    path_ = (std::filesystem::temp_directory_path() /
             ("vigie-handover-" + std::to_string(getpid()) + "-" + std::to_string(++n_)))
                .string();
    ::unlink(path_.c_str());
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(::listen(fd_, 4), 0);
  }
  ~ControlSocket() {
    if (thread_.joinable()) {
      thread_.join();
    }
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  void Serve(const char* reply) {
    thread_ = std::thread([this, reply] {
      int c = ::accept(fd_, nullptr, nullptr);
      char line[64] = {};
      ssize_t n = ::read(c, line, sizeof(line) - 1);
      request_ = std::string(line, n > 0 ? static_cast<size_t>(n) : 0);
      if (reply != nullptr) {
        (void)!::write(c, reply, std::strlen(reply));
      } else {
        auto fds = OpenListeners();
        sent_ok_ = SendListeners(c, fds).has_value();
      }
      ::close(c);
    });
  }
  void Join() { thread_.join(); }
  const std::string& path() const { return path_; }
  const std::string& request() const { return request_; }
  bool sent_ok() const { return sent_ok_; }

 private:
  static inline int n_ = 0;
  std::string path_;
  int fd_ = -1;
  std::thread thread_;
  std::string request_;
  bool sent_ok_ = false;
};

TEST(Handover, ListenersAreSentAndAdoptedInPlaceOfABind) {
  asio::io_context ctx;
  auto old = ListenTcpOn({&ctx, &ctx}, *ParseAddress("127.0.0.1:0"));
  ASSERT_TRUE(old) << old.error().ToString();
  tcp::endpoint ep = (*old)[0].local_endpoint();
  auto open = OpenListeners();
  EXPECT_NE(std::find(open.begin(), open.end(), (*old)[0].native_handle()), open.end());

  ControlSocket control;
  control.Serve(nullptr);
  auto fds = FetchListeners(control.path());
  control.Join();
  ASSERT_TRUE(fds) << fds.error().ToString();
  EXPECT_EQ(control.request(), "_getsocks\n");
  EXPECT_TRUE(control.sent_ok());
  EXPECT_EQ(fds->size(), 2u);  // every open listener of this process: both of ours
  AdoptInherited(std::move(*fds));

  // A client connects before the old acceptors close: the connection waits
  // in the shared queue and the adopted socket accepts it.
  tcp::socket client(ctx);
  client.connect(ep);
  auto adopted = ListenTcpOn({&ctx}, FromEndpoint(ep));
  ASSERT_TRUE(adopted) << adopted.error().ToString();
  EXPECT_EQ(adopted->size(), 2u) << "one per context, plus the extra socket of the old process";
  for (auto& a : *old) {
    a.close();
  }
  boost::system::error_code ec;
  tcp::socket accepted(ctx);
  for (auto& a : *adopted) {
    a.non_blocking(true);
    a.accept(accepted, ec);
    if (!ec) {
      break;
    }
  }
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(accepted.remote_endpoint(), client.local_endpoint());
  EXPECT_EQ(CloseUnclaimedInherited(), 0u) << "both sockets were adopted";
}

TEST(Handover, AClosedListenerIsNotOffered) {
  asio::io_context ctx;
  auto l = ListenTcp(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  ASSERT_TRUE(l);
  int fd = l->native_handle();
  auto open = OpenListeners();
  EXPECT_NE(std::find(open.begin(), open.end(), fd), open.end());
  l->close();
  open = OpenListeners();
  EXPECT_EQ(std::find(open.begin(), open.end(), fd), open.end());
}

TEST(Handover, OwnListenersAreKnownByAddressAndByWildcardPort) {
  asio::io_context ctx;
  auto exact = ListenTcp(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.2"), 0));
  ASSERT_TRUE(exact);
  auto wildcard = ListenTcp(ctx, tcp::endpoint(asio::ip::address_v4::any(), 0));
  ASSERT_TRUE(wildcard);
  uint16_t exact_port = exact->local_endpoint().port();
  uint16_t wild_port = wildcard->local_endpoint().port();
  auto at = [](const char* address, uint16_t port) {
    return tcp::endpoint(asio::ip::make_address(address), port);
  };
  EXPECT_TRUE(IsOwnListener(at("127.0.0.2", exact_port)));
  EXPECT_TRUE(IsOwnListener(at("::ffff:127.0.0.2", exact_port)));
  EXPECT_FALSE(IsOwnListener(at("127.0.0.3", exact_port)));  // not bound there
  // 0.0.0.0: every address of this host, and only those.
  EXPECT_TRUE(IsOwnListener(at("127.0.0.1", wild_port)));
  EXPECT_TRUE(IsOwnListener(at("127.0.0.9", wild_port)));   // 127/8 is local
  EXPECT_FALSE(IsOwnListener(at("192.0.2.1", wild_port)));  // TEST-NET-1: not this host's
  EXPECT_FALSE(IsOwnListener(at("127.0.0.1", static_cast<uint16_t>(wild_port ^ 1))));
  // Closed: no longer ours.
  wildcard->close();
  EXPECT_FALSE(IsOwnListener(at("127.0.0.1", wild_port)));
}

TEST(Handover, ARefusalIsAnErrorQuotingTheOtherSide) {
  ControlSocket control;
  control.Serve("Permission denied\n");
  auto fds = FetchListeners(control.path());
  ASSERT_FALSE(fds);
  EXPECT_NE(fds.error().ToString().find("refused: \"Permission denied\""), std::string::npos)
      << fds.error().ToString();
  EXPECT_NE(fds.error().ToString().find(control.path()), std::string::npos);
}

TEST(Handover, NoSuchSocketNamesThePath) {
  auto fds = FetchListeners("/nonexistent/vigie.sock", std::chrono::seconds(1));
  ASSERT_FALSE(fds);
  EXPECT_NE(fds.error().ToString().find("/nonexistent/vigie.sock"), std::string::npos);
}

TEST(Handover, TakeoverWithoutASocketTakesNothing) {
  auto taken = TakeOverListeners(Takeover{});
  ASSERT_TRUE(taken);
  EXPECT_EQ(*taken, 0u);
  ControlSocket control;
  control.Serve("Permission denied\n");
  auto refused = TakeOverListeners(Takeover{.socket = control.path()});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().ToString().find("Permission denied"), std::string::npos);
}

// A child that waits to be signalled; returns the signal that ended it.
int SignalThatEnds(void (*send)(pid_t)) {
  pid_t child = ::fork();
  if (child == 0) {
    for (;;) {
      ::pause();
    }
  }
  send(child);
  int status = 0;
  EXPECT_EQ(::waitpid(child, &status, 0), child);
  return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

TEST(Handover, PredecessorsAreToldToDrainOrToStop) {
  EXPECT_EQ(SignalThatEnds([](pid_t p) { ReleasePredecessors(Takeover{.finish_pids = {p}}); }),
            SIGUSR1);
  EXPECT_EQ(SignalThatEnds([](pid_t p) { ReleasePredecessors(Takeover{.terminate_pids = {p}}); }),
            SIGTERM);
}

}  // namespace
}  // namespace vigie::net
