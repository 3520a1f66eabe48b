// The proxied connection (the data plane after accept): optional PROXY
// header in, server selection, queue, connect with retries, optional PROXY
// header out, then net::Relay, and the `option tcplog` line.
//
// Thread rules: a connection runs on one worker for life (listeners.h picks
// which); ShutdownSessions may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "lb/server/state.h"

namespace vigie::lb {

// What an accepted connection holds (maxconn places, counts), released
// whichever way it ends: the accept loop fills it in, the connection keeps it.
struct Admission {
  std::shared_ptr<ConnGate> global;
  std::shared_ptr<ConnGate> frontend;
  std::shared_ptr<FrontendRt> fe;
  std::shared_ptr<Shared> shared;
  std::atomic<std::int64_t>* worker_active = nullptr;  // the serving worker's count
  Admission() = default;
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  ~Admission() {
    if (global) {
      global->Release();
    }
    if (frontend) {
      frontend->Release();
    }
    if (fe) {
      fe->m.frontend_current_connections.Sub(1);
    }
    if (shared) {
      shared->curr_conns.fetch_sub(1, std::memory_order_relaxed);
    }
    if (worker_active) {
      worker_active->fetch_sub(1, std::memory_order_relaxed);
    }
  }
};

// Serves one accepted connection on worker `worker` (whose executor
// `client` is bound to): `client_ep` comes from accept(2); `accept_proxy`
// says whether a PROXY header comes first. `admission` is held until the
// connection ends. Spawned with a completion handler by the accept loop.
net::Awaitable<void> ServeConnection(net::tcp::socket client, net::tcp::endpoint client_ep,
                                     std::shared_ptr<FrontendRt> fe, bool accept_proxy,
                                     std::shared_ptr<Shared> shared,
                                     std::shared_ptr<Admission> admission, std::size_t worker);

// Closes every session registered on server `server` of `backend`, each on
// its own worker (any thread may call this).
void ShutdownSessions(std::shared_ptr<BackendRt> backend, std::size_t server, const Shared& shared);

}  // namespace vigie::lb
