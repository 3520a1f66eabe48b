// How the event core's outputs reach their targets: resolving (with core's
// Resolver, never getaddrinfo) and connecting, and writing, each within a
// deadline.
//
// Thread rules: coroutines on the caller's executor; the socket is the
// caller's and is used by one coroutine at a time; the Resolver may be
// shared (core/resolver.h) and must outlive the call.
#pragma once

#include <string_view>

#include "core/ip.h"
#include "core/net.h"
#include "core/resolver.h"
#include "core/units.h"

namespace vigie::events {

// Resolves `target` (a host name or an address, and a port) with `resolver`
// and connects `sock` to each address in turn (IPv4 first) until one
// accepts, all within `timeout`. Errors: asio::error::timed_out (the socket
// is then closed); host_not_found for a name with no address,
// host_not_found_try_again when the servers failed; else the last
// connect's error.
net::Awaitable<boost::system::error_code> ConnectWithin(net::tcp::socket& sock, Resolver& resolver,
                                                        Address target, Duration timeout);

// Writes all of `data` within `timeout`: the write's error, or
// asio::error::timed_out.
net::Awaitable<boost::system::error_code> WriteWithin(net::tcp::socket& sock, std::string_view data,
                                                      Duration timeout);

}  // namespace vigie::events
