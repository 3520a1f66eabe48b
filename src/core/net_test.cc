#include "core/net.h"

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/write.hpp>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/admin.h"
#include "core/clock.h"

namespace vigie {
namespace {

TEST(ListenTest, WorkersShareOnePortWithReusePort) {
  net::asio::io_context a, b;
  auto acceptors = net::ListenTcpOn({&a, &b}, *ParseAddress("127.0.0.1:0"));
  ASSERT_TRUE(acceptors) << acceptors.error().ToString();
  ASSERT_EQ(acceptors->size(), 2u);
  EXPECT_NE((*acceptors)[0].local_endpoint().port(), 0);
  EXPECT_EQ((*acceptors)[0].local_endpoint().port(), (*acceptors)[1].local_endpoint().port());
  auto udp = net::BindUdpOn({&a, &b}, *ParseAddress("127.0.0.1:0"));
  ASSERT_TRUE(udp);
  EXPECT_EQ((*udp)[0].local_endpoint().port(), (*udp)[1].local_endpoint().port());
}

// shared_queue: every worker's acceptor is the same socket (one accept
// queue), and a connection can be accepted on any of them.
TEST(ListenTest, SharedQueueIsOneSocketForAllWorkers) {
  net::asio::io_context a, b;
  auto acceptors = net::ListenTcpOn({&a, &b}, *ParseAddress("127.0.0.1:0"), {.shared_queue = true});
  ASSERT_TRUE(acceptors) << acceptors.error().ToString();
  ASSERT_EQ(acceptors->size(), 2u);
  struct stat s0 {
  }, s1{};
  ASSERT_EQ(fstat((*acceptors)[0].native_handle(), &s0), 0);
  ASSERT_EQ(fstat((*acceptors)[1].native_handle(), &s1), 0);
  EXPECT_EQ(s0.st_ino, s1.st_ino);
  EXPECT_NE((*acceptors)[0].native_handle(), (*acceptors)[1].native_handle());
  net::tcp::socket client(a);
  client.connect((*acceptors)[0].local_endpoint());
  net::tcp::socket accepted = (*acceptors)[1].accept();  // the other worker's descriptor
  EXPECT_EQ(accepted.remote_endpoint(), client.local_endpoint());
  // Without the option: a socket each.
  auto separate = net::ListenTcpOn({&a, &b}, *ParseAddress("127.0.0.1:0"));
  ASSERT_TRUE(separate);
  ASSERT_EQ(fstat((*separate)[0].native_handle(), &s0), 0);
  ASSERT_EQ(fstat((*separate)[1].native_handle(), &s1), 0);
  EXPECT_NE(s0.st_ino, s1.st_ino);
}

TEST(ListenTest, PortInUseIsAnErrorNamingTheAddress) {
  net::asio::io_context ctx;
  auto first = net::ListenTcp(ctx, net::tcp::endpoint(net::asio::ip::address_v4::loopback(), 0),
                              {.reuse_port = false});
  ASSERT_TRUE(first);
  auto second = net::ListenTcp(ctx, first->local_endpoint(), {.reuse_port = false});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().ToString(),
            "bind 127.0.0.1:" + std::to_string(first->local_endpoint().port()) +
                ": Address already in use");
}

TEST(ListenTest, EndpointConversion) {
  auto any = net::ToTcpEndpoint(*ParseAddress(":53"));
  ASSERT_TRUE(any);
  EXPECT_TRUE(any->address().is_unspecified());
  auto v6 = net::ToUdpEndpoint(*ParseAddress("[::1]:53"));
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->address().is_v6());
  EXPECT_FALSE(net::ToTcpEndpoint(*ParseAddress("name.example:53", {.allow_names = true})));
  EXPECT_EQ(net::FromAsio(net::asio::ip::make_address("10.0.0.1")).ToString(), "10.0.0.1");
}

TEST(ListenTest, IpAddressToAsioAndBack) {
  for (const char* text : {"10.42.253.7", "0.0.0.0", "2001:db8::1", "::", "::ffff:10.0.0.1"}) {
    IpAddress ip = *IpAddress::Parse(text);
    net::asio::ip::address a = net::ToAsio(ip);
    EXPECT_EQ(a.to_string(), text);
    EXPECT_EQ(a.is_v6(), ip.is_v6()) << text;
    EXPECT_EQ(net::FromAsio(a), ip) << text;
  }
  // A dual-stack socket's IPv4 peer stays mapped until Unmapped() folds it.
  IpAddress mapped = net::FromAsio(net::asio::ip::make_address("::ffff:10.0.0.1"));
  EXPECT_TRUE(mapped.IsV4Mapped());
  EXPECT_EQ(mapped.Unmapped(), *IpAddress::Parse("10.0.0.1"));
}

// Runs `ctx` until `done()` (10 s safety deadline).
template <class F>
bool RunUntil(net::asio::io_context& ctx, F done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (ctx.stopped()) {
      ctx.restart();  // it ran out of work earlier
    }
    ctx.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

bool HasFlag(int fd, int cmd, int flag) {
  int v = fcntl(fd, cmd);
  return v >= 0 && (v & flag) != 0;
}

struct Accepted {
  boost::system::error_code ec;
  std::optional<net::tcp::socket> socket;
  net::tcp::endpoint peer;
};

void StartAccept(net::asio::io_context& ctx, net::tcp::acceptor& acceptor,
                 std::optional<Accepted>& out) {
  net::asio::co_spawn(
      ctx,
      [&]() -> net::Awaitable<void> {
        Accepted a;
        auto [ec, socket] = co_await net::Accept(acceptor, a.peer);
        a.ec = ec;
        a.socket.emplace(std::move(socket));
        out.emplace(std::move(a));
      },
      net::asio::detached);
}

// The socket from Accept is non-blocking and close-on-exec in the kernel,
// Asio knows it is non-blocking, and its descriptor number can be reused by
// the next connection (no stale epoll registration: closing it without
// EPOLL_CTL_DEL is what Accept sets up).
TEST(AcceptTest, NonBlockingSocketsThatCloseAndReuseCleanly) {
  net::asio::io_context ctx;
  auto acceptor = net::ListenTcp(ctx, net::tcp::endpoint(net::asio::ip::address_v4::loopback(), 0));
  ASSERT_TRUE(acceptor);
  int first_fd = -1;
  for (int round = 0; round < 3; ++round) {
    net::tcp::socket client(ctx);
    client.connect(acceptor->local_endpoint());
    std::optional<Accepted> a;
    StartAccept(ctx, *acceptor, a);
    ASSERT_TRUE(RunUntil(ctx, [&] { return a.has_value(); }));
    ASSERT_FALSE(a->ec) << a->ec.message();
    net::tcp::socket& socket = *a->socket;
    if (round == 0) {
      first_fd = socket.native_handle();
    } else {
      EXPECT_EQ(socket.native_handle(), first_fd);  // the descriptor is reused
    }
    EXPECT_EQ(a->peer, client.local_endpoint());
    EXPECT_TRUE(HasFlag(socket.native_handle(), F_GETFL, O_NONBLOCK));
    EXPECT_TRUE(HasFlag(socket.native_handle(), F_GETFD, FD_CLOEXEC));
    EXPECT_TRUE(socket.native_non_blocking());
    net::asio::write(client, net::asio::buffer(std::string("ping")));
    std::string got;
    char buf[16];
    socket.async_read_some(net::asio::buffer(buf),
                           [&](boost::system::error_code ec, std::size_t n) {
                             got = ec ? ec.message() : std::string(buf, n);
                           });
    ASSERT_TRUE(RunUntil(ctx, [&] { return !got.empty(); }));
    EXPECT_EQ(got, "ping");
    socket.close();
  }
}

TEST(AcceptTest, WaitsForAConnection) {
  net::asio::io_context ctx;
  auto acceptor = net::ListenTcp(ctx, net::tcp::endpoint(net::asio::ip::address_v4::loopback(), 0));
  ASSERT_TRUE(acceptor);
  std::optional<Accepted> a;
  StartAccept(ctx, *acceptor, a);
  ctx.run_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(a.has_value());  // nobody connected yet
  net::tcp::socket client(ctx);
  client.connect(acceptor->local_endpoint());
  ASSERT_TRUE(RunUntil(ctx, [&] { return a.has_value(); }));
  EXPECT_FALSE(a->ec) << a->ec.message();
  EXPECT_EQ(a->peer, client.local_endpoint());
}

// AcceptFd's connection can be adopted by another io_context (the one that
// then serves it) and works there; an AcceptedFd nobody adopts closes the
// connection, so a handover dropped at shutdown leaks no descriptor.
TEST(AcceptFdTest, AdoptedByAnotherContextOrClosedWhenDropped) {
  net::asio::io_context accepting;
  net::asio::io_context serving;
  auto acceptor =
      net::ListenTcp(accepting, net::tcp::endpoint(net::asio::ip::address_v4::loopback(), 0));
  ASSERT_TRUE(acceptor);
  net::tcp::socket adopted_client(accepting);
  net::tcp::socket dropped_client(accepting);
  adopted_client.connect(acceptor->local_endpoint());
  dropped_client.connect(acceptor->local_endpoint());
  std::vector<net::AcceptedFd> fds;
  std::vector<net::tcp::endpoint> peers(2);
  net::asio::co_spawn(
      accepting,
      [&]() -> net::Awaitable<void> {
        for (auto& peer : peers) {
          auto [ec, fd] = co_await net::AcceptFd(*acceptor, peer);
          EXPECT_FALSE(ec) << ec.message();
          fds.push_back(std::move(fd));
        }
      },
      net::asio::detached);
  ASSERT_TRUE(RunUntil(accepting, [&] { return fds.size() == 2; }));
  EXPECT_EQ(peers[0], adopted_client.local_endpoint());
  EXPECT_EQ(peers[1], dropped_client.local_endpoint());

  net::tcp::socket socket(serving);
  ASSERT_FALSE(fds[0].Adopt(serving.get_executor(), socket));
  EXPECT_FALSE(fds[0].valid());  // the socket owns it now
  EXPECT_TRUE(socket.native_non_blocking());
  EXPECT_TRUE(HasFlag(socket.native_handle(), F_GETFD, FD_CLOEXEC));
  net::asio::write(adopted_client, net::asio::buffer(std::string("ping")));
  std::string got;
  char buf[16];
  socket.async_read_some(net::asio::buffer(buf), [&](boost::system::error_code ec, std::size_t n) {
    got = ec ? ec.message() : std::string(buf, n);
  });
  ASSERT_TRUE(RunUntil(serving, [&] { return !got.empty(); }));
  EXPECT_EQ(got, "ping");

  fds.pop_back();  // never adopted: closed
  boost::system::error_code ec;
  dropped_client.read_some(net::asio::buffer(buf), ec);
  EXPECT_EQ(ec, net::asio::error::eof);
}

TEST(OpenNonBlockingTest, OpensANonBlockingCloseOnExecSocket) {
  net::asio::io_context ctx;
  net::tcp::socket s(ctx);
  ASSERT_FALSE(net::OpenNonBlocking(s, net::tcp::v4()));
  EXPECT_TRUE(s.is_open());
  EXPECT_TRUE(HasFlag(s.native_handle(), F_GETFL, O_NONBLOCK));
  EXPECT_TRUE(HasFlag(s.native_handle(), F_GETFD, FD_CLOEXEC));
  EXPECT_TRUE(s.native_non_blocking());
}

TEST(WaitReadyTest, ReadyBeforeTheTimeoutOrTimedOut) {
  net::asio::io_context ctx;
  auto acceptor = net::ListenTcp(ctx, net::tcp::endpoint(net::asio::ip::address_v4::loopback(), 0));
  ASSERT_TRUE(acceptor);
  net::tcp::socket client(ctx);
  client.connect(acceptor->local_endpoint());
  net::tcp::socket server = acceptor->accept();
  auto wait = [&](std::chrono::nanoseconds timeout) {
    std::optional<boost::system::error_code> out;
    net::asio::co_spawn(
        ctx,
        [&]() -> net::Awaitable<void> {
          auto [ec] = co_await net::WaitReady(server, net::tcp::socket::wait_read, timeout);
          out = ec;
        },
        net::asio::detached);
    EXPECT_TRUE(RunUntil(ctx, [&] { return out.has_value(); }));
    return out.value_or(boost::system::error_code());
  };
  // Nothing to read: the timeout wins.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(wait(std::chrono::milliseconds(50)), net::asio::error::timed_out);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(50));
  // Data waiting: ready at once, long before a 10 s timeout.
  net::asio::write(client, net::asio::buffer(std::string("x")));
  start = std::chrono::steady_clock::now();
  auto ready = wait(std::chrono::seconds(10));
  EXPECT_FALSE(ready) << ready.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// The caller resumes before the cancelled timer's handler has run, and may
// close the socket at once: that handler must not touch it (ASan watches).
TEST(WaitReadyTest, SocketMayGoAsSoonAsTheCallerResumes) {
  net::asio::io_context ctx;
  auto acceptor = net::ListenTcp(ctx, net::tcp::endpoint(net::asio::ip::address_v4::loopback(), 0));
  ASSERT_TRUE(acceptor);
  net::tcp::socket client(ctx);
  client.connect(acceptor->local_endpoint());
  auto server = std::make_unique<net::tcp::socket>(acceptor->accept());
  net::asio::write(client, net::asio::buffer(std::string("x")));
  std::optional<boost::system::error_code> out;
  net::asio::co_spawn(
      ctx,
      [&]() -> net::Awaitable<void> {
        auto [ec] =
            co_await net::WaitReady(*server, net::tcp::socket::wait_read, std::chrono::seconds(10));
        server.reset();
        out = ec;
      },
      net::asio::detached);
  ctx.run();  // returns once the timer's handler has run too: nothing is left
  ASSERT_TRUE(out.has_value());
  EXPECT_FALSE(*out) << out->message();
  EXPECT_EQ(server, nullptr);
}

TEST(AdminRequestTest, DecodesQueryParameters) {
  AdminRequest r;
  r.query = "name=ads%2Eexample.com&type=AAAA&q=a+b&empty";
  EXPECT_EQ(r.Param("name"), "ads.example.com");
  EXPECT_EQ(r.Param("type"), "AAAA");
  EXPECT_EQ(r.Param("q"), "a b");
  EXPECT_EQ(r.Param("empty"), "");
  EXPECT_EQ(r.Param("missing"), "");
}

TEST(FakeClockTest, MovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto t0 = clock.Now();
  auto w0 = clock.WallNow();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(std::chrono::seconds(5));
  EXPECT_EQ(clock.Now() - t0, std::chrono::seconds(5));
  EXPECT_EQ(clock.WallNow() - w0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace vigie
