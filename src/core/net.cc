// Listener helpers.
#include "core/net.h"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/handover.h"

namespace vigie::net {
namespace {

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

Result<asio::ip::address> ToAsioAddress(const Address& address) {
  if (address.is_unix()) {
    return Error(Errc::kInvalidArgument, "not an internet address: " + address.ToString());
  }
  if (address.host.empty()) {
    return asio::ip::address(asio::ip::address_v4::any());
  }
  boost::system::error_code ec;
  auto ip = asio::ip::make_address(address.host, ec);
  if (ec) {
    return Error(Errc::kInvalidArgument, "not an IP address: \"" + address.host + "\"");
  }
  return ip;
}

boost::system::error_code Errno() {
  return {errno, boost::system::system_category()};
}

std::error_code ToStd(const boost::system::error_code& ec) {
  return ec;
}

template <class Socket, class Endpoint>
Result<void> Prepare(Socket& s, const Endpoint& endpoint, const ListenOptions& options) {
  boost::system::error_code ec;
  s.open(endpoint.protocol(), ec);
  if (ec) {
    return Error(ToStd(ec), "socket for " + FromEndpoint(endpoint).ToString());
  }
  s.set_option(asio::socket_base::reuse_address(true), ec);
  if (options.reuse_port) {
    s.set_option(ReusePort(true), ec);
  }
  if (endpoint.address().is_v6()) {
    s.set_option(asio::ip::v6_only(options.v6_only), ec);
  }
  s.bind(endpoint, ec);
  if (ec) {
    return Error(ToStd(ec), "bind " + FromEndpoint(endpoint).ToString());
  }
  return {};
}

}  // namespace

Result<tcp::endpoint> ToTcpEndpoint(const Address& address) {
  VIGIE_ASSIGN_OR_RETURN(auto ip, ToAsioAddress(address));
  return tcp::endpoint(ip, address.port);
}

Result<udp::endpoint> ToUdpEndpoint(const Address& address) {
  VIGIE_ASSIGN_OR_RETURN(auto ip, ToAsioAddress(address));
  return udp::endpoint(ip, address.port);
}

Address FromEndpoint(const tcp::endpoint& endpoint) {
  return Address{Address::Kind::kInet, endpoint.address().to_string(), endpoint.port(), {}};
}

Address FromEndpoint(const udp::endpoint& endpoint) {
  return Address{Address::Kind::kInet, endpoint.address().to_string(), endpoint.port(), {}};
}

asio::ip::address ToAsio(const IpAddress& address) {
  const auto& b = address.bytes();
  if (address.is_v4()) {
    return asio::ip::address_v4(asio::ip::address_v4::bytes_type{b[0], b[1], b[2], b[3]});
  }
  return asio::ip::address_v6(b);
}

IpAddress FromAsio(const asio::ip::address& address) {
  if (address.is_v4()) {
    return IpAddress::V4(address.to_v4().to_bytes());
  }
  return IpAddress::V6(address.to_v6().to_bytes());
}

namespace {

// A socket handed over by the previous process (core/handover.h) bound to
// `endpoint`, as an acceptor; nullopt when there is none.
Result<std::optional<tcp::acceptor>> AdoptListener(asio::io_context& ctx,
                                                   const tcp::endpoint& endpoint) {
  if (endpoint.port() == 0) {
    return std::optional<tcp::acceptor>();
  }
  std::optional<int> fd = TakeInherited(endpoint);
  if (!fd) {
    return std::optional<tcp::acceptor>();
  }
  tcp::acceptor acceptor(ctx);
  boost::system::error_code ec;
  acceptor.assign(endpoint.protocol(), *fd, ec);
  if (ec) {
    ::close(*fd);
    return Error(ToStd(ec),
                 "adopting the inherited socket of " + FromEndpoint(endpoint).ToString());
  }
  RegisterListener(*fd, endpoint);
  return std::optional<tcp::acceptor>(std::move(acceptor));
}

}  // namespace

Result<tcp::acceptor> ListenTcp(asio::io_context& ctx, const tcp::endpoint& endpoint,
                                const ListenOptions& options) {
  VIGIE_ASSIGN_OR_RETURN(auto adopted, AdoptListener(ctx, endpoint));
  if (adopted) {
    return std::move(*adopted);
  }
  tcp::acceptor acceptor(ctx);
  VIGIE_TRY(Prepare(acceptor, endpoint, options));
  boost::system::error_code ec;
  acceptor.listen(options.backlog, ec);
  if (ec) {
    return Error(ToStd(ec), "listen " + FromEndpoint(endpoint).ToString());
  }
  RegisterListener(acceptor.native_handle(), acceptor.local_endpoint(ec));
  return acceptor;
}

Result<udp::socket> BindUdp(asio::io_context& ctx, const udp::endpoint& endpoint,
                            const ListenOptions& options) {
  udp::socket socket(ctx);
  VIGIE_TRY(Prepare(socket, endpoint, options));
  return socket;
}

Result<std::vector<tcp::acceptor>> ListenTcpOn(const std::vector<asio::io_context*>& contexts,
                                               const Address& address,
                                               const ListenOptions& options) {
  VIGIE_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ToTcpEndpoint(address));
  std::vector<tcp::acceptor> out;
  for (asio::io_context* ctx : contexts) {
    if (options.shared_queue && !out.empty()) {
      // The same socket, a descriptor per worker (each worker's reactor
      // registers its own). Only the first is registered for handover.
      int fd = fcntl(out.front().native_handle(), F_DUPFD_CLOEXEC, 0);
      if (fd < 0) {
        return Error(ToStd(Errno()), "dup listener " + address.ToString());
      }
      tcp::acceptor a(*ctx);
      boost::system::error_code ec;
      a.assign(endpoint.protocol(), fd, ec);
      if (ec) {
        ::close(fd);
        return Error(ToStd(ec), "listen " + address.ToString());
      }
      out.push_back(std::move(a));
      continue;
    }
    VIGIE_ASSIGN_OR_RETURN(tcp::acceptor a, ListenTcp(*ctx, endpoint, options));
    if (endpoint.port() == 0) {
      endpoint = a.local_endpoint();
    }
    out.push_back(std::move(a));
  }
  if (contexts.empty()) {
    return out;
  }
  // The previous process ran more workers: its extra sockets (same
  // address, same listen queue group) are accepted on too, spread over the
  // contexts, so no queued connection is stranded.
  for (size_t i = 0;; ++i) {
    VIGIE_ASSIGN_OR_RETURN(auto adopted, AdoptListener(*contexts[i % contexts.size()], endpoint));
    if (!adopted) {
      break;
    }
    out.push_back(std::move(*adopted));
  }
  return out;
}

Result<std::vector<udp::socket>> BindUdpOn(const std::vector<asio::io_context*>& contexts,
                                           const Address& address, const ListenOptions& options) {
  VIGIE_ASSIGN_OR_RETURN(udp::endpoint endpoint, ToUdpEndpoint(address));
  std::vector<udp::socket> out;
  for (asio::io_context* ctx : contexts) {
    VIGIE_ASSIGN_OR_RETURN(udp::socket s, BindUdp(*ctx, endpoint, options));
    if (endpoint.port() == 0) {
      endpoint = s.local_endpoint();
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

// Asio keeps a socket's non-blocking mode and its "may be shared" flag in
// implementation state with no public setter. This type exists only to
// name the protected member; the pointer to it applies to any tcp::socket.
// (If Asio's socket layout changes, this stops compiling rather than
// misbehaving.)
struct SocketStateAccess : tcp::socket {
  static auto Member() { return &SocketStateAccess::impl_; }
};

// `socket` holds a descriptor this process created non-blocking and never
// duplicated: Asio need not set O_NONBLOCK again, nor unregister it from
// epoll before closing it (the kernel does that when the last reference to
// the file goes).
void MarkOwnedNonBlocking(tcp::socket& socket) {
  auto& impl = (socket.*SocketStateAccess::Member()).get_implementation();
  impl.state_ |= asio::detail::socket_ops::internal_non_blocking;
  impl.state_ &=
      static_cast<asio::detail::socket_ops::state_type>(~asio::detail::socket_ops::possible_dup);
}

}  // namespace

AcceptedFd& AcceptedFd::operator=(AcceptedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    protocol_ = other.protocol_;
  }
  return *this;
}

AcceptedFd::~AcceptedFd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

boost::system::error_code AcceptedFd::Adopt(const tcp::socket::executor_type& executor,
                                            tcp::socket& out) {
  boost::system::error_code ec;
  if (fd_ < 0) {
    return asio::error::bad_descriptor;
  }
  tcp::socket socket(executor);
  socket.assign(protocol_, fd_, ec);
  if (ec) {
    return ec;  // the destructor closes fd_
  }
  fd_ = -1;
  MarkOwnedNonBlocking(socket);
  out = std::move(socket);
  return ec;
}

Awaitable<std::tuple<boost::system::error_code, AcceptedFd>> AcceptFd(tcp::acceptor& acceptor,
                                                                      tcp::endpoint& peer) {
  if (!acceptor.native_non_blocking()) {
    boost::system::error_code ec;
    acceptor.native_non_blocking(true, ec);  // once per listener
    if (ec) {
      co_return std::tuple{ec, AcceptedFd()};
    }
  }
  for (;;) {
    socklen_t len = static_cast<socklen_t>(peer.capacity());
    int fd = accept4(acceptor.native_handle(), peer.data(), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      peer.resize(len);
      co_return std::tuple{boost::system::error_code(),
                           AcceptedFd(fd, len == sizeof(sockaddr_in6) ? tcp::v6() : tcp::v4())};
    }
    if (errno == EINTR || errno == ECONNABORTED) {
      continue;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      co_return std::tuple{Errno(), AcceptedFd()};
    }
    // Nothing pending. The wait is queued before this coroutine yields, so
    // no readiness edge can be consumed between the accept and the wait.
    auto [ec] = co_await acceptor.async_wait(tcp::acceptor::wait_read, kUseTuple);
    if (ec) {
      co_return std::tuple{ec, AcceptedFd()};
    }
  }
}

Awaitable<std::tuple<boost::system::error_code, tcp::socket>> Accept(tcp::acceptor& acceptor,
                                                                     tcp::endpoint& peer) {
  auto [ec, accepted] = co_await AcceptFd(acceptor, peer);
  tcp::socket socket(acceptor.get_executor());
  if (!ec) {
    ec = accepted.Adopt(acceptor.get_executor(), socket);
  }
  co_return std::tuple{ec, std::move(socket)};
}

boost::system::error_code OpenNonBlocking(tcp::socket& socket, const tcp& protocol) {
  int fd = ::socket(protocol.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) {
    return Errno();
  }
  boost::system::error_code ec;
  socket.assign(protocol, fd, ec);
  if (ec) {
    ::close(fd);
    return ec;
  }
  MarkOwnedNonBlocking(socket);
  return ec;
}

namespace {

// WaitReady's state: the socket wait and the timer race; whichever ends
// first cancels the other. The caller resumes as soon as the socket's wait
// returns, without waiting for the cancelled timer's handler: that handler
// is queued behind everything else ready on the worker, and waiting for it
// put one full queue pass on every backend connect (measured: +0.2 ms of
// haproxy's %Tc under connection-per-request load). The object deletes
// itself once both handlers have run, and the timer's handler touches the
// socket only while the caller still waits, so the caller may destroy the
// socket as soon as it resumes.
class WaitReadyOp {
 public:
  using Handler = asio::any_completion_handler<void(boost::system::error_code)>;
  WaitReadyOp(tcp::socket& socket, Handler handler)
      : socket_(socket), handler_(std::move(handler)), timer_(socket.get_executor()) {}

  void Start(tcp::socket::wait_type what, std::chrono::nanoseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec && !ready_) {
        timed_out_ = true;
        boost::system::error_code ignored;
        socket_.cancel(ignored);
      }
      Release();
    });
    socket_.async_wait(what, [this](boost::system::error_code ec) {
      ready_ = true;
      auto result = timed_out_ ? boost::system::error_code(asio::error::timed_out) : ec;
      timer_.cancel();
      Handler handler = std::move(handler_);
      Release();  // the timer's handler is still pending: `this` lives on
      std::move(handler)(result);
    });
  }

 private:
  void Release() {
    if (--pending_ == 0) {
      delete this;
    }
  }

  tcp::socket& socket_;
  Handler handler_;
  asio::steady_timer timer_;
  bool ready_ = false;
  bool timed_out_ = false;
  int pending_ = 2;
};

}  // namespace

Awaitable<std::tuple<boost::system::error_code>> WaitReady(tcp::socket& socket,
                                                           tcp::socket::wait_type what,
                                                           std::chrono::nanoseconds timeout) {
  return asio::async_initiate<decltype(kUseTuple) const&, void(boost::system::error_code)>(
      [](WaitReadyOp::Handler handler, tcp::socket* s, tcp::socket::wait_type w,
         std::chrono::nanoseconds t) { (new WaitReadyOp(*s, std::move(handler)))->Start(w, t); },
      kUseTuple, &socket, what, timeout);
}

}  // namespace vigie::net
