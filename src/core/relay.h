// Relay: moves bytes both ways between two connected TCP sockets until both
// directions have closed, one side fails, or a timeout fires. The data path
// of the TCP load balancer, CONNECT tunnels and the userspace egress
// redirect.
//
// Thread rules: both sockets must belong to the io_context the relay
// coroutine runs on; nothing else may use them while it runs.
#pragma once

#include <cstdint>
#include <functional>

#include "core/net.h"
#include "core/units.h"

namespace vigie::net {

struct RelayOptions {
  // Nothing moved either way for this long: close both (haproxy's `timeout
  // tunnel`, or client/server for plain TCP).
  Duration idle_timeout = std::chrono::minutes(1);
  // One side has closed its sending half: wait at most this long for the
  // other to finish (haproxy's `timeout client-fin` / `server-fin`).
  Duration half_close_timeout = std::chrono::seconds(30);
  // Bytes in flight per direction, once the direction streams. Copying:
  // each direction's buffer starts at 16 KiB (haproxy's bufsize) and grows
  // to this size the first time a read fills it (a bulk transfer). With
  // splice: the pipe starts at the kernel's default (64 KiB) and grows to
  // this size once a read fills half of it; the kernel may refuse the
  // growth (pipe-max-size, per-user pipe pages), which leaves the pipe as
  // it was. 0 means the default.
  std::size_t buffer_size = 64 * 1024;
  // Zero-copy forwarding with splice(2) through a pipe, per direction
  // (haproxy's `option splice-request` is a to b, `splice-response` b to a);
  // the other direction copies.
  bool splice_a_to_b = false;
  bool splice_b_to_a = false;
  // Called on the relay's thread after each write with the bytes it moved
  // (`a_to_b`: read from `a`, written to `b`), so the byte counters of long
  // connections (tunnels, kubectl exec or watch) move while they run, as
  // haproxy's bin/bout do. RelayResult's totals are the sums of these calls.
  std::function<void(bool a_to_b, std::uint64_t bytes)> on_progress = nullptr;
};

struct RelayResult {
  enum class End {
    kClosed,       // both sides closed cleanly
    kIdleTimeout,  // idle or half-close timeout
    kError,        // a reset or other socket error on either side
  };
  End end = End::kClosed;
  uint64_t a_to_b = 0;  // bytes read from `a` and written to `b`
  uint64_t b_to_a = 0;
  boost::system::error_code error;  // for kError
};

// Runs until the relay ends. `initial_a_to_b` is sent to `b` first (bytes
// already read from `a`, e.g. after a PROXY header or a request head).
// `a` is the client side and `b` the server side: a server's first answer
// that is followed at once by its FIN is sent with the FIN in one segment.
// Half-closes are passed on while the other direction still runs; when
// both directions end cleanly, the last FIN is left to the caller, who
// closes both sockets once Relay returns.
Awaitable<RelayResult> Relay(tcp::socket& a, tcp::socket& b, RelayOptions options,
                             std::string initial_a_to_b = {});

}  // namespace vigie::net
