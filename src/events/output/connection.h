// How the event core's outputs reach their targets: resolving and
// connecting, and writing, each within a deadline. The one place the
// outputs resolve names (tcp::resolver, the system's resolver), so that
// swapping it touches only connection.cc.
//
// Thread rules: coroutines on the caller's executor; the socket is the
// caller's and is used by one coroutine at a time.
#pragma once

#include <string_view>

#include "core/ip.h"
#include "core/net.h"
#include "core/units.h"

namespace vigie::events {

// Resolves `target` (a host name or an address, and a port) and connects
// `sock` to the first address that accepts, all within `timeout`: the
// resolver's or the connect's error, or asio::error::timed_out (the socket
// is then closed).
net::Awaitable<boost::system::error_code> ConnectWithin(net::tcp::socket& sock, Address target,
                                                        Duration timeout);

// Writes all of `data` within `timeout`: the write's error, or
// asio::error::timed_out.
net::Awaitable<boost::system::error_code> WriteWithin(net::tcp::socket& sock, std::string_view data,
                                                      Duration timeout);

}  // namespace vigie::events
