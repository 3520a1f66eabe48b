// The stats socket (haproxy's `stats socket PATH`): the UNIX socket, its
// accept loop and one session per client, which reads lines, hands them to
// stats::CliSession over the runtime API (runtime_api.h), writes the
// replies, and answers `_getsocks` (binary upgrade) itself.
//
// Thread rules: control thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <sys/types.h>

#include "core/error.h"
#include "core/net.h"
#include "lb/haproxy_cfg/haproxy_cfg.h"
#include "lb/server/runtime_api.h"

namespace vigie::lb {

// One configured stats socket, kept across reloads while its path stays.
struct StatsSocketRt {
  haproxy_cfg::StatsSocket cfg;
  std::optional<asio::local::stream_protocol::acceptor> acceptor;
  // The socket file this process made: a successor (binary upgrade) may
  // have replaced it at the same path, and that one must not be removed.
  dev_t dev = 0;
  ino_t ino = 0;
  bool closed = false;
  std::chrono::milliseconds timeout{10000};
};

// Binds `sc.path` on `control` (a stale socket file there is replaced; any
// other kind of file makes the bind fail), mode `sc.mode` or 0600.
Result<std::shared_ptr<StatsSocketRt>> OpenStatsSocket(asio::io_context& control,
                                                       const haproxy_cfg::StatsSocket& sc);

// Closes `s` and removes its file, unless another process replaced it.
void CloseStatsSocket(StatsSocketRt& s);

// Serves `socket` until it is closed: core's accept loop, so running out of
// descriptors waits and retries instead of closing the socket for good.
// Each session takes the socket's level and timeout as they are when it
// starts.
net::Awaitable<void> StatsSocketAcceptLoop(std::shared_ptr<StatsSocketRt> socket,
                                           std::shared_ptr<ControlState> state);

}  // namespace vigie::lb
