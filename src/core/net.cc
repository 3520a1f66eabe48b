// Listener helpers.
#include "core/net.h"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/socket_base.hpp>
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

}  // namespace vigie::net
