// Health checks, run on the control thread (documented in docs/lb.md): one
// coroutine per checked server doing a TCP connect, then a TLS handshake
// (`check-ssl`, OpenSSL through Asio), then the `option httpchk` request,
// feeding health::ServerHealth and the backend's ServerPool, and writing
// haproxy's log lines.
//
// Thread rules: everything here runs on the control io_context.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "lb/server/state.h"

namespace vigie::lb {

// One checked server's loop. `stopped` ends it at the next wake-up; the
// component cancels `timer` to wake it at once.
struct CheckTask {
  std::shared_ptr<BackendRt> backend;
  std::size_t server = 0;
  std::shared_ptr<Shared> shared;
  std::unique_ptr<asio::steady_timer> timer;
  std::chrono::milliseconds first_delay{0};
  bool stopped = false;
  bool is_listen = false;
};

net::Awaitable<void> CheckLoop(std::shared_ptr<CheckTask> task);

// Starts a CheckLoop on `control` for every checked server of `snap`, their
// first checks spread over the smallest `inter` (at least 1 s) as haproxy
// spreads them. Returns the tasks, for StopChecks.
std::vector<std::shared_ptr<CheckTask>> StartChecks(const Snapshot& snap,
                                                    const std::shared_ptr<Shared>& shared,
                                                    asio::io_context& control);

// Ends `tasks` (each at once, through its timer) and clears the list.
void StopChecks(std::vector<std::shared_ptr<CheckTask>>& tasks);

// One check of `server` (exposed for tests).
net::Awaitable<health::CheckOutcome> RunCheck(ServerRt& server,
                                              const haproxy_cfg::Backend& backend);

}  // namespace vigie::lb
