// Tests for the shared accept loop: its error policy, the connection cap,
// and that running out of descriptors neither spins nor stops the loop.
#include "core/accept.h"

#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

namespace vigie::net {
namespace {

boost::system::error_code Sys(int err) {
  return {err, boost::system::system_category()};
}

TEST(AcceptBackoffTest, ExhaustionWaitsLongerEachTimeUpToASecond) {
  AcceptBackoff b;
  EXPECT_EQ(b.OnError(Sys(EMFILE)), std::chrono::milliseconds(10));
  EXPECT_EQ(b.OnError(Sys(ENFILE)), std::chrono::milliseconds(20));
  EXPECT_EQ(b.OnError(Sys(ENOBUFS)), std::chrono::milliseconds(40));
  for (int i = 0; i < 10; ++i) {
    (void)b.OnError(Sys(ENOMEM));
  }
  EXPECT_EQ(b.OnError(Sys(EMFILE)), std::chrono::seconds(1));
  b.OnSuccess();
  EXPECT_EQ(b.OnError(Sys(EMFILE)), std::chrono::milliseconds(10));
}

TEST(AcceptBackoffTest, AnErrorOfOneConnectionDoesNotWait) {
  AcceptBackoff b;
  EXPECT_EQ(b.OnError(Sys(ECONNABORTED)), Duration::zero());
  EXPECT_EQ(b.OnError(Sys(EPERM)), Duration::zero());
  EXPECT_EQ(b.OnError(Sys(EMFILE)), std::chrono::milliseconds(10)) << "not advanced by them";
}

TEST(ConnectionLimitTest, SlotsAreBoundedAndGiveTheirPlaceBack) {
  auto limit = std::make_shared<ConnectionLimit>(2);
  auto a = ConnectionLimit::TryAcquire(limit);
  auto b = ConnectionLimit::TryAcquire(limit);
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(ConnectionLimit::TryAcquire(limit));
  EXPECT_EQ(limit->open(), 2u);
  a.reset();
  EXPECT_EQ(limit->open(), 1u);
  auto c = ConnectionLimit::TryAcquire(limit);
  ASSERT_TRUE(c);
  ConnectionLimit::Slot moved = std::move(*c);
  c.reset();
  EXPECT_EQ(limit->open(), 2u) << "a moved slot holds its place once";
  limit->set_limit(0);
  EXPECT_TRUE(ConnectionLimit::TryAcquire(limit)) << "0: no limit";
}

struct Loop {
  asio::io_context ctx;
  tcp::acceptor acceptor{ctx};
  metrics::Registry registry;
  metrics::Counter& accepted = registry.AddCounter("a_total", "a");
  metrics::Counter& refused = registry.AddCounter("r_total", "r");
  metrics::Counter& errors = registry.AddCounter("e_total", "e");
  std::vector<std::pair<tcp::socket, ConnectionLimit::Slot>> sessions;

  explicit Loop(uint64_t cap) {
    auto l = ListenTcp(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    EXPECT_TRUE(l);
    acceptor = std::move(*l);
    AcceptOptions o{.name = "test",
                    .limit = std::make_shared<ConnectionLimit>(cap),
                    .accepted = &accepted,
                    .refused = &refused,
                    .errors = &errors};
    asio::co_spawn(ctx,
                   AcceptLoop(acceptor, o,
                              [this](tcp::socket s, ConnectionLimit::Slot slot) {
                                sessions.emplace_back(std::move(s), std::move(slot));
                              }),
                   asio::detached);
  }
  // Runs until `done` or 5 s.
  template <class F>
  bool RunUntil(F done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      ctx.run_for(std::chrono::milliseconds(5));
    }
    return done();
  }
};

TEST(AcceptLoopTest, PastTheCapAConnectionIsClosedAndCounted) {
  Loop loop(2);
  asio::io_context client_ctx;
  std::vector<tcp::socket> clients;
  for (int i = 0; i < 3; ++i) {
    clients.emplace_back(client_ctx).connect(loop.acceptor.local_endpoint());
  }
  ASSERT_TRUE(loop.RunUntil([&] { return loop.accepted.value() + loop.refused.value() == 3; }));
  EXPECT_EQ(loop.accepted.value(), 2u);
  EXPECT_EQ(loop.refused.value(), 1u);
  // The refused client reads EOF.
  char byte;
  boost::system::error_code ec;
  clients[2].read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
  // A session that ends gives its place to the next connection.
  loop.sessions.erase(loop.sessions.begin());
  clients.emplace_back(client_ctx).connect(loop.acceptor.local_endpoint());
  ASSERT_TRUE(loop.RunUntil([&] { return loop.accepted.value() == 3; }));
  EXPECT_EQ(loop.refused.value(), 1u);
}

TEST(AcceptLoopTest, OutOfDescriptorsTheLoopWaitsThenRecovers) {
  Loop loop(0);
  asio::io_context client_ctx;
  tcp::socket client(client_ctx);  // made before the descriptors run out
  client.open(tcp::v4());
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  // Use up every descriptor under a low limit.
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> filler;
  for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) {
    filler.push_back(fd);
  }
  ASSERT_EQ(errno, EMFILE);
  client.connect(loop.acceptor.local_endpoint());  // completes in the kernel's backlog
  // 300 ms of a pending connection that cannot be accepted: waits of 10,
  // 20, 40, 80, 160 ms allow about 5 tries; a spinning loop makes thousands.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < until) {
    loop.ctx.run_for(std::chrono::milliseconds(10));
  }
  uint64_t tries = loop.errors.value();
  for (int fd : filler) {
    ::close(fd);
  }
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_GE(tries, 2u);
  EXPECT_LE(tries, 10u);
  EXPECT_EQ(loop.accepted.value(), 0u);
  // Descriptors are back: the same connection is accepted (within the
  // longest wait so far, 320 ms).
  ASSERT_TRUE(loop.RunUntil([&] { return loop.accepted.value() == 1; }));
}

TEST(AcceptLoopTest, ClosingTheAcceptorEndsTheLoop) {
  asio::io_context ctx;
  auto l = ListenTcp(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  ASSERT_TRUE(l);
  tcp::acceptor acceptor = std::move(*l);
  bool ended = false;
  asio::co_spawn(ctx,
                 AcceptLoop(acceptor, AcceptOptions{}, [](tcp::socket, ConnectionLimit::Slot) {}),
                 [&](const std::exception_ptr&) { ended = true; });
  ctx.run_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(ended);
  acceptor.close();
  ctx.run_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace vigie::net
