// The one place that includes Boost.Asio, with the aliases and helpers every
// networked component uses: listeners with SO_REUSEPORT, endpoint
// conversion, and the completion token that returns errors as values.
//
// Thread rules: the helpers are free functions; sockets they return belong
// to the io_context they were created on.
#pragma once

#ifdef VIGIE_PURE_CODEC
#error "pure codec targets may not include core/net.h (Asio)"
#endif

// Boost 1.74's awaitable.hpp needed <utility> first; keep it first anyway.
#include <chrono>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/error.h"
#include "core/ip.h"

namespace vigie::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
template <class T = void>
using Awaitable = asio::awaitable<T>;

// co_await op(..., kUseTuple) yields (error_code, results...) instead of throwing.
inline constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

struct ListenOptions {
  bool reuse_port = true;  // lets one socket per worker share the port
  int backlog = 1024;
  bool v6_only = true;  // "[::]:53" does not also take IPv4
  // ListenTcpOn: one listening socket (one accept queue) shared by every
  // worker instead of one SO_REUSEPORT socket each. A connection then goes
  // to whichever worker accepts first, so one busy worker never holds
  // connections an idle one could serve: SO_REUSEPORT spreads by a hash of
  // the addresses, blind to load, which shows in tail latency when
  // connections are short. The cost: every idle worker wakes for each new
  // connection and all but one find nothing to accept.
  bool shared_queue = false;
};

// An Address whose host is an IP (or empty: all IPv4 addresses) as an endpoint.
[[nodiscard]] Result<tcp::endpoint> ToTcpEndpoint(const Address& address);
[[nodiscard]] Result<udp::endpoint> ToUdpEndpoint(const Address& address);
Address FromEndpoint(const tcp::endpoint& endpoint);
Address FromEndpoint(const udp::endpoint& endpoint);
// An IpAddress as Asio's address and back. FromAsio keeps a v4-mapped IPv6
// address (a dual-stack socket's IPv4 peer) as IPv6; fold it with Unmapped().
asio::ip::address ToAsio(const IpAddress& address);
IpAddress FromAsio(const asio::ip::address& address);

[[nodiscard]] Result<tcp::acceptor> ListenTcp(asio::io_context& ctx, const tcp::endpoint& endpoint,
                                              const ListenOptions& options = {});
[[nodiscard]] Result<udp::socket> BindUdp(asio::io_context& ctx, const udp::endpoint& endpoint,
                                          const ListenOptions& options = {});

// One acceptor per context, all on the same address and port, so the kernel
// spreads connections over the workers. Port 0 is resolved by the first bind
// and reused for the others. Sockets handed over by a previous process
// (core/handover.h) are adopted first; there may then be more acceptors
// than contexts, each on contexts[i % n]. ListenTcp adopts one the same way.
[[nodiscard]] Result<std::vector<tcp::acceptor>> ListenTcpOn(
    const std::vector<asio::io_context*>& contexts, const Address& address,
    const ListenOptions& options = {});
// The per-connection path of the proxies, with fewer syscalls than Asio's
// generic operations (each one counts in connection-per-request loads):
//
// Accept takes one connection, waiting when none is pending. The socket
// comes from accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) and Asio is told so, which
// spares the ioctl(FIONBIO) Asio makes before a socket's first operation and
// the EPOLL_CTL_DEL it makes when closing a descriptor it did not open (it
// might be shared; ours never is). `peer` receives the client's address.
[[nodiscard]] Awaitable<std::tuple<boost::system::error_code, tcp::socket>> Accept(
    tcp::acceptor& acceptor, tcp::endpoint& peer);

// An accepted connection not yet given to an io_context, so the worker that
// accepted it can hand it to another (lb places each new connection on its
// least-loaded worker, as haproxy does). Owns the descriptor: closes it
// unless Adopt took it, e.g. when a handover is dropped at shutdown.
class AcceptedFd {
 public:
  AcceptedFd() = default;
  AcceptedFd(int fd, const tcp& protocol) : fd_(fd), protocol_(protocol) {}
  AcceptedFd(AcceptedFd&& other) noexcept
      : fd_(std::exchange(other.fd_, -1)), protocol_(other.protocol_) {}
  AcceptedFd& operator=(AcceptedFd&& other) noexcept;
  AcceptedFd(const AcceptedFd&) = delete;
  AcceptedFd& operator=(const AcceptedFd&) = delete;
  ~AcceptedFd();

  bool valid() const { return fd_ >= 0; }
  // A socket on `executor` owning the descriptor, with Accept's terms (Asio
  // knows it is non-blocking and never shared). Consumes this object; on
  // error the descriptor is closed.
  [[nodiscard]] boost::system::error_code Adopt(const tcp::socket::executor_type& executor,
                                                tcp::socket& out);

 private:
  int fd_ = -1;
  tcp protocol_ = tcp::v4();
};

// Accept's first half: the connection as an AcceptedFd.
[[nodiscard]] Awaitable<std::tuple<boost::system::error_code, AcceptedFd>> AcceptFd(
    tcp::acceptor& acceptor, tcp::endpoint& peer);

// Opens `socket` non-blocking in one socket(2) call, on the same terms.
[[nodiscard]] boost::system::error_code OpenNonBlocking(tcp::socket& socket, const tcp& protocol);

// Waits until `socket` is ready for `what`, at most `timeout`; then returns
// asio::error::timed_out, having cancelled every operation pending on the
// socket (meant for a socket with nothing else pending, e.g. a connect in
// progress). Unlike `wait || timer`, no coroutine or parallel group is
// created per call.
// Use: `auto [ec] = co_await WaitReady(...)`.
[[nodiscard]] Awaitable<std::tuple<boost::system::error_code>> WaitReady(
    tcp::socket& socket, tcp::socket::wait_type what, std::chrono::nanoseconds timeout);

[[nodiscard]] Result<std::vector<udp::socket>> BindUdpOn(
    const std::vector<asio::io_context*>& contexts, const Address& address,
    const ListenOptions& options = {});

}  // namespace vigie::net
