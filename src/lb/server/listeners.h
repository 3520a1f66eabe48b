// The sockets lb serves and their accept loops: a Listener per bind address
// (kept across reloads when the address stays), BindListeners for a config,
// and AcceptLoop, which holds a maxconn place and hands each connection to
// the least-loaded worker (PlaceConnection) to be served by proxy.h.
//
// Thread rules: BindListeners and CloseListener run on the control thread;
// AcceptLoop runs on the worker that owns acceptor `i`; a Listener's atomics
// are how a reload reaches a running loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ip.h"
#include "core/net.h"
#include "lb/server/state.h"

namespace vigie::lb {

// Where a connection accepted by worker `self` should be served, given each
// worker's current connection count: by `self` unless another worker serves
// at least kPlacementSlack fewer; then by the least loaded (the first on
// ties). Whoever wakes first accepts from a shared queue, so without this
// the busiest worker can keep accepting (it is awake) and long connections
// pile up on it; haproxy likewise hands each accepted connection to its
// least-loaded thread. The slack spares a cross-thread handover when the
// loads are as good as even.
inline constexpr std::int64_t kPlacementSlack = 2;
std::size_t PlaceConnection(std::span<const std::int64_t> active, std::size_t self);

// A bind address with one acceptor per worker (one shared accept queue).
// Kept across reloads when the same address is configured again.
struct Listener {
  std::string key;                            // "frontend.n", for `listening:` lines
  Address address;                            // as bound (port 0 resolved)
  std::string configured;                     // the configured address text, the reload identity
  std::vector<net::tcp::acceptor> acceptors;  // acceptors[i] on worker i
  std::atomic<std::shared_ptr<FrontendRt>> frontend;
  std::atomic<bool> accept_proxy{false};
  std::atomic<bool> closed{false};
};

// The listeners one config runs.
struct ListenerSet {
  std::map<std::string, std::shared_ptr<Listener>> by_address;  // by configured address
  std::vector<std::string> order;                               // configured addresses, in order
  std::vector<std::shared_ptr<Listener>> fresh;                 // bound now, no loop yet
};

// The listeners of `snap`'s frontends: an address already in `running`
// keeps its Listener (and sockets); others are bound on every worker of
// `workers` with TCP_NODELAY set on the listening socket (accepted sockets
// inherit it). Each listener's key ("lb.FRONTEND.N"), frontend and
// accept-proxy flag are set to `snap`'s. Errors: a bind that fails, or an
// address that appears twice; nothing bound by this call stays open then.
Result<ListenerSet> BindListeners(const Snapshot& snap,
                                  const std::map<std::string, std::shared_ptr<Listener>>& running,
                                  const std::vector<asio::io_context*>& workers);

// Starts one AcceptLoop per acceptor of `l`, each on its acceptor's worker.
void StartAcceptLoops(const std::shared_ptr<Listener>& l, const std::shared_ptr<Shared>& shared);

// Stops `l`'s accept loops and closes its sockets (each on its worker).
void CloseListener(const std::shared_ptr<Listener>& l);

// Runs until the listener is closed. Spawned with a completion handler by
// StartAcceptLoops.
net::Awaitable<void> AcceptLoop(std::shared_ptr<Listener> listener, std::size_t worker,
                                std::shared_ptr<Shared> shared);

}  // namespace vigie::lb
