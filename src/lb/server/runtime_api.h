// lb's side of the stats socket's runtime API (haproxy's "CLI", protocol in
// lb/stats/): a stats::Runtime over the running snapshot (`show stat`, `show
// info`, `show servers state`, `set server`, `set weight`, `clear
// counters`), and the /lb/status text. No I/O: what the socket reads and
// writes is stats_socket.h's.
//
// Thread rules: control thread (the stats socket and the admin endpoint run
// there); the snapshot's per-backend state is read and changed under its
// lock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "lb/server/state.h"
#include "lb/stats/cli.h"

namespace vigie::lb {

// The stats socket's control-thread view of the current snapshot.
struct ControlState {
  std::shared_ptr<Snapshot> snapshot;
  std::string version;
  std::string release_date;
  std::size_t workers = 1;
  std::size_t listeners = 0;
  std::shared_ptr<Shared> shared;
  std::chrono::system_clock::time_point started_wall = std::chrono::system_clock::now();
  SteadyClock::time_point started = SteadyClock::now();
};

// The stats::Runtime the stats socket's sessions run their commands on:
// rows and state from `state->snapshot` (read at each call, so a reload is
// seen at once), changes applied to it, with haproxy's log lines.
std::unique_ptr<stats::Runtime> MakeRuntimeApi(std::shared_ptr<ControlState> state);

// /lb/status: per backend its usable servers and queue, per server its
// address, state, connections, weight and why it is down or out.
std::string StatusText(const ControlState& state);

// "10.0.0.1:6443", "[::1]:6443", "10.0.0.1:<client port>".
std::string ServerAddress(const ServerRt& s);

// Whole seconds since `t` (0 when `t` is in the future).
std::uint64_t SecondsSince(SteadyClock::time_point t);

}  // namespace vigie::lb
