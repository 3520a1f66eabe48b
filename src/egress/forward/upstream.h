// The forwarder's upstream side: sockets bound to the configured source,
// and connecting a TCP connection or a UDP flow to the first of a line's
// candidate addresses that works, marking the ones that fail so new
// connections try them last for a while. Internal to egress/forward.
//
// Thread rules: on the connection's worker (OpenBound also on the control
// thread, for health checks); a Target's rotation is thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <netinet/in.h>
#include <sys/socket.h>

#include "core/ip.h"
#include "core/net.h"
#include "egress/forward/config.h"
#include "egress/forward/snapshot.h"

namespace vigie::egress::forward {

// Opens `socket` for `family` and binds it to the configured source. Linux's
// IP_BIND_ADDRESS_NO_PORT defers the port choice to connect(), so many
// connections from one source do not exhaust ephemeral ports at bind().
template <class Socket, class Protocol>
boost::system::error_code OpenBound(Socket& socket, const Protocol& family,
                                    const ForwarderConfig& cfg) {
  boost::system::error_code ec;
  socket.open(family, ec);
  if (ec || !cfg.source) {
    return ec;
  }
#ifdef IP_BIND_ADDRESS_NO_PORT
  int one = 1;
  ::setsockopt(socket.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
  socket.bind(typename Protocol::endpoint(net::ToAsio(*cfg.source), 0), ec);
  return ec;
}

// `address` of `route`'s name refused or timed out: new connections try it
// last for failed_address_hold. Nothing for an address line.
void MarkFailed(const Route& route, const ForwarderConfig& cfg, const IpAddress& address);

// Connects `upstream` to the first candidate that answers within the
// connect timeout, bound to `source`; the address, or nullopt with
// `last_error` saying why. `route_in_snap` points into `snap`, which the
// caller keeps alive.
net::Awaitable<std::optional<IpAddress>> ConnectTcp(net::tcp::socket& upstream,
                                                    std::shared_ptr<const Snapshot> snap,
                                                    const Route* route_in_snap,
                                                    std::shared_ptr<const HealthView> health,
                                                    std::string* last_error);

// Opens `upstream` bound to `source` and connected to the first candidate
// it can be (UDP destinations are not health-checked), non-blocking; the
// address, or nullopt with `last_error` naming the last failure (empty when
// there was no candidate).
std::optional<IpAddress> ConnectUdp(net::udp::socket& upstream, const Route& route,
                                    const ForwarderConfig& cfg, std::string* last_error);

}  // namespace vigie::egress::forward
