#include "core/relay.h"

#include <cstddef>
#include <filesystem>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "core/net.h"

namespace vigie::net {
namespace {

// A connected pair of loopback TCP sockets.
std::pair<tcp::socket, tcp::socket> SocketPair(asio::io_context& ctx) {
  auto acceptor = ListenTcp(ctx, tcp::endpoint(asio::ip::address_v4::loopback(), 0), {});
  EXPECT_TRUE(acceptor);
  tcp::socket client(ctx);
  client.connect(acceptor->local_endpoint());
  tcp::socket server = acceptor->accept();
  return {std::move(client), std::move(server)};
}

// client <-> [a  relay  b] <-> server
struct RelayFixture {
  asio::io_context ctx;
  tcp::socket client{ctx}, a{ctx}, b{ctx}, server{ctx};
  std::optional<RelayResult> result;

  RelayFixture() {
    std::tie(client, a) = SocketPair(ctx);
    std::tie(b, server) = SocketPair(ctx);
  }

  void Start(RelayOptions options, std::string initial = {}) {
    asio::co_spawn(ctx, Relay(a, b, options, std::move(initial)),
                   [this](std::exception_ptr e, RelayResult r) {
                     ASSERT_FALSE(e);
                     result = r;
                   });
  }

  // Writes `data` from the client while reading at the server until
  // `expect` bytes have arrived (or a 20 s safety deadline), interleaving
  // writes and reads so that neither side's buffers fill up. Leaves both
  // test sockets non-blocking.
  std::string Pump(const std::string& data, std::size_t expect) {
    client.non_blocking(true);
    server.non_blocking(true);
    std::size_t sent = 0;
    std::string got;
    got.reserve(expect);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (got.size() < expect && std::chrono::steady_clock::now() < deadline) {
      boost::system::error_code ec;
      if (sent < data.size()) {
        sent += client.write_some(asio::buffer(data.data() + sent, data.size() - sent), ec);
      }
      char buf[65536];
      std::size_t n = server.read_some(asio::buffer(buf), ec);
      got.append(buf, n);
      ctx.poll();
    }
    return got;
  }

  // Both ends close their sending halves: the relay must end cleanly,
  // having moved `a_to_b` bytes from the client to the server.
  void CloseBothAndExpectClean(std::size_t a_to_b) {
    client.shutdown(tcp::socket::shutdown_send);
    server.shutdown(tcp::socket::shutdown_send);
    RunUntil([&] { return result.has_value(); });
    EXPECT_EQ(result->end, RelayResult::End::kClosed);
    EXPECT_EQ(result->a_to_b, a_to_b);
  }

  // Runs the loop until `done` or a 10 s safety deadline.
  template <class F>
  void RunUntil(F done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      ctx.run_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(done());
  }
};

std::string ReadExactly(asio::io_context& ctx, tcp::socket& s, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  s.non_blocking(true);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (got < n && std::chrono::steady_clock::now() < deadline) {
    ctx.run_for(std::chrono::milliseconds(1));
    boost::system::error_code ec;
    got += s.read_some(asio::buffer(out.data() + got, n - got), ec);
  }
  out.resize(got);
  return out;
}

// Pipe descriptors this process holds (a spliced direction owns two).
int OpenPipes() {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    n += std::filesystem::read_symlink(e.path(), ec).string().starts_with("pipe:");
  }
  return n;
}

void BothWaysAndCleanClose(bool splice_a_to_b, bool splice_b_to_a) {
  RelayFixture f;
  uint64_t progress[2] = {0, 0};  // a_to_b, b_to_a as reported while running
  const int pipes_before = OpenPipes();
  f.Start({.splice_a_to_b = splice_a_to_b,
           .splice_b_to_a = splice_b_to_a,
           .on_progress = [&](bool a_to_b, uint64_t n) { progress[a_to_b ? 0 : 1] += n; }},
          "hello ");
  f.ctx.poll();
  EXPECT_EQ(OpenPipes() - pipes_before, 2 * (splice_a_to_b + splice_b_to_a));
  std::string big(300000, 'x');
  for (std::size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>('a' + i % 26);
  }
  std::string got = f.Pump(big, big.size() + 6);
  ASSERT_EQ(got, "hello " + big);
  EXPECT_EQ(progress[0], big.size() + 6);  // counted before the relay ends
  f.server.non_blocking(false);
  asio::write(f.server, asio::buffer(std::string("pong")));
  EXPECT_EQ(ReadExactly(f.ctx, f.client, 4), "pong");
  EXPECT_EQ(progress[1], 4u);
  // Client closes its sending half: the server sees EOF; then the server closes.
  f.client.shutdown(tcp::socket::shutdown_send);
  f.RunUntil([&] {
    char c;
    boost::system::error_code ec;
    f.server.non_blocking(true);
    f.server.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof;
  });
  f.server.close();
  f.RunUntil([&] { return f.result.has_value(); });
  EXPECT_EQ(f.result->end, RelayResult::End::kClosed);
  EXPECT_EQ(f.result->a_to_b, big.size() + 6);
  EXPECT_EQ(f.result->b_to_a, 4u);
}

TEST(RelayTest, CopiesBothWaysAndPropagatesHalfClose) {
  BothWaysAndCleanClose(false, false);
}
TEST(RelayTest, SpliceCopiesBothWaysAndPropagatesHalfClose) {
  BothWaysAndCleanClose(true, true);
}
// haproxy's `option splice-request` / `splice-response` alone: one direction
// splices, the other copies, and both still carry their bytes and FINs.
TEST(RelayTest, SpliceOneDirectionCopyTheOther) {
  BothWaysAndCleanClose(true, false);
  BothWaysAndCleanClose(false, true);
}

std::string Noise(std::size_t n) {
  std::string big(n, '\0');
  uint32_t x = 12345;
  for (char& c : big) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 24);
  }
  return big;
}

// 8 MiB one way arrives complete and in order, and the counters match.
void BulkArrivesIntact(RelayOptions options) {
  RelayFixture f;
  f.Start(options);
  std::string big = Noise(8 * 1024 * 1024);
  std::string got = f.Pump(big, big.size());
  ASSERT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);
  f.CloseBothAndExpectClean(big.size());
  EXPECT_EQ(f.result->b_to_a, 0u);
}

// A copying relay: the buffer grows from 16 KiB to buffer_size mid-stream
// and reads and sends run in place several rounds at a time; none of that
// may drop, repeat or reorder a byte.
// Segments the socket has received so far: TCP_INFO's tcpi_segs_in (Linux
// 4.2), past the end of glibc's struct tcp_info, laid out as the kernel's.
std::uint32_t SegmentsIn(tcp::socket& s) {
  struct {
    struct tcp_info base;
    std::uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
    std::uint32_t segs_out, segs_in;
  } info{};
  static_assert(sizeof(struct tcp_info) % 8 == 0);
  socklen_t len = sizeof(info);
  EXPECT_EQ(getsockopt(s.native_handle(), IPPROTO_TCP, TCP_INFO, &info, &len), 0);
  EXPECT_GE(len, offsetof(decltype(info), segs_in) + sizeof(info.segs_in));
  return info.segs_in;
}

TEST(RelayTest, AServersLastAnswerAndItsFinReachTheClientInOneSegment) {
  RelayFixture f;
  const std::uint32_t before = SegmentsIn(f.client);
  // The server answers and closes before the relay first reads: its FIN is
  // already waiting behind the answer.
  asio::write(f.server, asio::buffer(std::string("HTTP/1.0 200 OK\r\n\r\nbye")));
  f.server.shutdown(tcp::socket::shutdown_send);
  f.Start({});
  EXPECT_EQ(ReadExactly(f.ctx, f.client, 22), "HTTP/1.0 200 OK\r\n\r\nbye");
  f.RunUntil([&] {
    char c;
    boost::system::error_code ec;
    f.client.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof;
  });
  EXPECT_EQ(SegmentsIn(f.client) - before, 1u) << "the answer and the FIN came apart";
  // Only the server's half is closed: the client may still send.
  asio::write(f.client, asio::buffer(std::string("late")));
  EXPECT_EQ(ReadExactly(f.ctx, f.server, 4), "late");
  f.CloseBothAndExpectClean(4);
  EXPECT_EQ(f.result->b_to_a, 22u);
}

// The client sent its request before the relay began: it reaches the
// server within the handler that starts the relay, with no further pass of
// the loop.
TEST(RelayTest, AClientsWaitingRequestIsForwardedInPlaceAtStart) {
  RelayFixture f;
  asio::write(f.client, asio::buffer(std::string("GET / HTTP/1.0\r\n\r\n")));
  asio::post(f.ctx, [&] {
    asio::co_spawn(f.ctx, Relay(f.a, f.b, {}, {}), [&](std::exception_ptr e, RelayResult r) {
      ASSERT_FALSE(e);
      f.result = r;
    });
  });
  ASSERT_EQ(f.ctx.run_one(), 1u);  // the posted start, and nothing else
  char buf[64];
  f.server.non_blocking(true);
  boost::system::error_code ec;
  std::size_t n = f.server.read_some(asio::buffer(buf), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(std::string(buf, n), "GET / HTTP/1.0\r\n\r\n");
  f.CloseBothAndExpectClean(18);
}

TEST(RelayTest, CopyMovesBulkDataIntactWhileItsBufferGrows) {
  BulkArrivesIntact({.buffer_size = 256 * 1024});
}

// The receiver stops reading until every buffer on the way is full: the
// relay's sends come up short and it must keep the unsent rest, then finish
// once the receiver drains.
TEST(RelayTest, CopyKeepsWhatAStalledReceiverCouldNotTakeYet) {
  RelayFixture f;
  f.Start({});
  std::string big = Noise(16 * 1024 * 1024);
  f.client.non_blocking(true);
  std::size_t sent = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (std::chrono::steady_clock::now() < until) {  // the server reads nothing
    boost::system::error_code ec;
    sent += f.client.write_some(asio::buffer(big.data() + sent, big.size() - sent), ec);
    f.ctx.poll();
  }
  ASSERT_LT(sent, big.size());  // backpressure reached the client
  std::string got = f.Pump(big.substr(sent), big.size());
  ASSERT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big);
  f.CloseBothAndExpectClean(big.size());
}

// A splice relay whose pipe grows to 1 MiB (the egress CONNECT setting):
// growing the pipe mid-stream must not drop or reorder bytes.
TEST(RelayTest, SpliceWithLargeBufferMovesBulkDataIntact) {
  BulkArrivesIntact({.buffer_size = 1024 * 1024, .splice_a_to_b = true, .splice_b_to_a = true});
}

TEST(RelayTest, IdleTimeoutEndsTheRelay) {
  RelayFixture f;
  f.Start({.idle_timeout = std::chrono::milliseconds(100)});
  auto start = std::chrono::steady_clock::now();
  f.RunUntil([&] { return f.result.has_value(); });
  EXPECT_EQ(f.result->end, RelayResult::End::kIdleTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(100));
}

TEST(RelayTest, HalfCloseTimeoutEndsAHalfOpenRelay) {
  RelayFixture f;
  f.Start({.idle_timeout = std::chrono::seconds(30),
           .half_close_timeout = std::chrono::milliseconds(100)});
  f.client.shutdown(tcp::socket::shutdown_send);
  // The server never closes: the half-close timeout ends it, not the 30 s idle one.
  f.RunUntil([&] { return f.result.has_value(); });
  EXPECT_EQ(f.result->end, RelayResult::End::kIdleTimeout);
}

TEST(RelayTest, ResetOnOneSideEndsBothWithError) {
  RelayFixture f;
  f.Start({});
  f.server.set_option(asio::socket_base::linger(true, 0));
  f.server.close();  // RST
  asio::write(f.client, asio::buffer(std::string("data after reset")));
  f.RunUntil([&] { return f.result.has_value(); });
  // Either the write to b or the read from b sees the reset, or b's EOF
  // arrives first and the client's data then fails: never a clean close of both.
  EXPECT_NE(f.result->end, RelayResult::End::kIdleTimeout);
}

}  // namespace
}  // namespace vigie::net
