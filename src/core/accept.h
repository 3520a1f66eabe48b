// The accept loop every listener runs (admin, lb's stats socket, events,
// dns over TCP, egress): a cap on open connections, backoff when the
// process runs out of descriptors (never a spin), and counters. lb's data
// plane keeps its own loop (maxconn pauses accepting, connections move
// between workers) but takes its error policy from AcceptBackoff.
//
// Thread rules: an AcceptLoop runs on its acceptor's executor; a
// ConnectionLimit may be shared by loops and sessions on any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/local/stream_protocol.hpp>
#include <spdlog/logger.h>

#include "core/metrics.h"
#include "core/net.h"
#include "core/units.h"

namespace vigie::net {

// What an accept error means for the loop. Resource exhaustion (EMFILE,
// ENFILE, ENOBUFS, ENOMEM) waits, doubling from 10 ms to 1 s, so the loop
// never spins while the process is out of descriptors; any other error
// (ECONNABORTED: the client left first; EPERM: a firewall) concerns one
// connection and the next accept follows at once. Pure: the loop waits.
class AcceptBackoff {
 public:
  static constexpr Duration kMin = std::chrono::milliseconds(10);
  static constexpr Duration kMax = std::chrono::seconds(1);

  // The wait before the next accept after `ec` (zero: accept again now).
  Duration OnError(const boost::system::error_code& ec);
  // A connection was accepted: the next exhaustion starts from kMin again.
  void OnSuccess() { next_ = kMin; }
  static bool IsResourceError(const boost::system::error_code& ec);

 private:
  Duration next_ = kMin;
};

// The open connections of one listener (or one kind of listener), shared by
// its accept loops; at most `limit` (0: no limit) at a time.
class ConnectionLimit {
 public:
  // Holds one place until destroyed (a session keeps it for its life).
  class Slot {
   public:
    Slot() = default;
    explicit Slot(std::shared_ptr<ConnectionLimit> owner) : owner_(std::move(owner)) {}
    Slot(Slot&&) noexcept = default;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { Release(); }
    void Release();

   private:
    std::shared_ptr<ConnectionLimit> owner_;
  };

  explicit ConnectionLimit(uint64_t limit = 0) : limit_(limit) {}
  // A reload may change the limit; connections over a lowered one stay.
  void set_limit(uint64_t limit) { limit_.store(limit, std::memory_order_relaxed); }
  uint64_t limit() const { return limit_.load(std::memory_order_relaxed); }
  uint64_t open() const { return open_.load(std::memory_order_relaxed); }
  // A place, or an empty optional when `limit` are open.
  static std::optional<Slot> TryAcquire(const std::shared_ptr<ConnectionLimit>& self);

 private:
  std::atomic<uint64_t> limit_;
  std::atomic<uint64_t> open_{0};
};

struct AcceptOptions {
  std::string name{};                        // "events tcp 127.0.0.1:5555", for the log
  spdlog::logger* logger = nullptr;          // lives for the process (log::Get)
  std::shared_ptr<ConnectionLimit> limit{};  // nullptr: no cap
  // Each may be null. `refused`: closed at once because the cap was reached.
  metrics::Counter* accepted = nullptr;
  metrics::Counter* refused = nullptr;
  metrics::Counter* errors = nullptr;
  // Checked after every wait; true ends the loop (the component stops).
  std::function<bool()> stopping{};
};

template <class Protocol>
using ServeFn = std::function<void(typename Protocol::socket, ConnectionLimit::Slot)>;

// Accepts until the acceptor is closed or `options.stopping()` holds, and
// gives each connection, with its slot, to `serve` (which typically spawns
// the session coroutine and moves the slot into it). Past the cap a
// connection is closed at once and counted as refused. Errors are counted,
// logged at most once per backoff, and waited out as AcceptBackoff says.
Awaitable<void> AcceptLoop(tcp::acceptor& acceptor, AcceptOptions options, ServeFn<tcp> serve);
Awaitable<void> AcceptLoop(asio::local::stream_protocol::acceptor& acceptor, AcceptOptions options,
                           ServeFn<asio::local::stream_protocol> serve);

}  // namespace vigie::net
