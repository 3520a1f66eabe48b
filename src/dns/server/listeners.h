// The dns component's listeners: on every worker, one UDP socket and one TCP
// acceptor per `listen` address (SO_REUSEPORT). UDP queries are read and
// answered in recvmmsg/sendmmsg batches; TCP sessions (through core's accept
// loop, max_tcp_connections per worker) answer pipelined frames in order.
// Both hand each query to HandleQuery (answer.h) and misses to Resolve
// (upstream.h).
//
// Thread rules: OpenListener runs on the control thread before the workers
// serve; everything ServeListeners starts runs on the worker `w`.
#pragma once

#include <memory>
#include <vector>

#include "core/error.h"
#include "core/ip.h"
#include "core/net.h"
#include "dns/server/worker.h"

namespace vigie::dns {

// Binds `listen` once per worker (`contexts[i]` is workers[i]'s context) and
// appends the UDP socket and TCP acceptor to each worker's udp_sockets and
// acceptors. Port 0: the kernel picks a UDP port, tried for TCP too, a few
// times. Returns the address bound. Errors: bind or listen failures.
Result<Address> OpenListener(const std::vector<net::asio::io_context*>& contexts,
                             const Address& listen,
                             const std::vector<std::shared_ptr<Worker>>& workers);

// Starts serving every socket of `w` on its context: a UDP loop per socket
// and an accept loop per acceptor; they end when w->stopping is set and the
// sockets are closed.
void ServeListeners(const std::shared_ptr<Worker>& w);

// A drain, on `w`'s thread: stops accepting and reading; closes the TCP
// sessions waiting for their client and lets those answering finish; keeps
// the UDP sockets open (no longer read) until every query they forwarded
// upstream has been answered, then closes them (ReleaseUdp).
void StopListeners(Worker& w);
void ReleaseUdp(Worker& w);

}  // namespace vigie::dns
