// The data plane: accept loops (one per bind per worker) and the per
// connection coroutine — optional PROXY header in, server selection, queue,
// connect with retries, optional PROXY header out, then net::Relay.
//
// Thread rules: AcceptLoop runs on the worker that owns acceptor `i` and
// hands each connection to the worker PlaceConnection picks (usually
// itself); a connection then stays on that worker for life.
#pragma once

#include <memory>

#include "lb/server/state.h"

namespace vigie::lb {

// Runs until the listener is closed. Spawned with a completion handler by
// the component.
net::Awaitable<void> AcceptLoop(std::shared_ptr<Listener> listener, std::size_t worker,
                                std::shared_ptr<Shared> shared);

// Closes every session registered on server `server` of `backend`, each on
// its own worker (any thread may call this).
void ShutdownSessions(std::shared_ptr<BackendRt> backend, std::size_t server, const Shared& shared);

}  // namespace vigie::lb
