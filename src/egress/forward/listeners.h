// The forwarder's listeners: each line's port bound on every worker
// (SO_REUSEPORT), TCP connections accepted through core's accept loop and
// relayed with net::Relay, UDP datagrams with a flow per client address (a
// connected socket to the destination, replies sent back from the listening
// socket until udp_idle_timeout), and a log line per closed connection or
// flow. Internal to egress/forward.
//
// Thread rules: OpenListener, ServeListener and CloseListener are called on
// the control thread; connections, flows and a worker's UdpPorts live on
// that worker.
#pragma once

#include <cstddef>

#include "core/error.h"
#include "core/ip.h"
#include "core/runtime.h"
#include "egress/forward/state.h"

namespace vigie::egress::forward {

// Binds `key`'s port at `address` on every worker: TCP acceptors, or
// non-blocking UDP sockets. Errors: the port cannot be bound.
Result<Shared::Listener> OpenListener(Runtime& runtime, ListenKey key, Address address);

// Starts the accept loops (TCP) or the receive loops (UDP) of `listener` on
// every worker.
void ServeListener(Runtime& runtime, const Shared::Listener& listener, const SharedPtr& shared);

// Closes worker `i`'s socket of `listener`, on that worker; its UDP flows
// end. TCP connections in flight go on.
void CloseListener(net::asio::io_context& worker, Shared::Listener listener, size_t i);

}  // namespace vigie::egress::forward
