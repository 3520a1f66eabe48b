// The running balancer's shared state: one Snapshot per config generation
// (frontends, backends with their ServerPool, servers with counters and
// health), the connection gates for maxconn, and the backend queue.
//
// Thread rules: a Snapshot is built on the control thread and then only
// read, except: a BackendRt's pool, queue and admin state are guarded by its
// `mu` (workers select servers, the control thread applies health and CLI
// changes); counters are atomics; `ServerRt::check` and the health fields are
// control-thread only. Coroutines hold shared_ptrs to what they use, so a
// reload or shutdown never frees state under a live connection.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/metrics.h"
#include "core/net.h"
#include "core/spin_mutex.h"
#include "lb/balance/server_pool.h"
#include "lb/haproxy_cfg/haproxy_cfg.h"
#include "lb/health/health_check.h"

namespace vigie::lb {

#define VIGIE_LB_FRONTEND_METRICS(COUNTER, GAUGE, HISTOGRAM)                               \
  COUNTER(frontend_connections_total, "Connections accepted by the frontend")              \
  GAUGE(frontend_current_connections, "Connections open on the frontend")                  \
  COUNTER(frontend_bytes_in_total, "Bytes received from clients")                          \
  COUNTER(frontend_bytes_out_total, "Bytes sent to clients")                               \
  COUNTER(frontend_proxy_header_errors_total, "Connections closed for a bad PROXY header") \
  COUNTER(frontend_client_timeouts_total, "Connections closed by a client-side timeout")
VIGIE_DECLARE_METRICS(FrontendMetrics, "vigie_lb_", VIGIE_LB_FRONTEND_METRICS);

#define VIGIE_LB_BACKEND_METRICS(COUNTER, GAUGE, HISTOGRAM)                                        \
  COUNTER(backend_connections_total, "Connections assigned to the backend")                        \
  GAUGE(backend_current_connections, "Connections open through the backend")                       \
  GAUGE(backend_queued, "Connections waiting in the backend queue")                                \
  COUNTER(backend_no_server_total, "Connections closed because no server was usable")              \
  COUNTER(backend_queue_timeouts_total, "Connections closed after timeout queue")                  \
  COUNTER(backend_connect_failures_total, "Connections closed after every connect attempt failed") \
  GAUGE(backend_up_servers, "Usable servers (active and backup)")
VIGIE_DECLARE_METRICS(BackendMetrics, "vigie_lb_", VIGIE_LB_BACKEND_METRICS);

#define VIGIE_LB_SERVER_METRICS(COUNTER, GAUGE, HISTOGRAM)                                 \
  COUNTER(server_connections_total, "Connections established to the server")               \
  GAUGE(server_current_connections, "Connections open to the server")                      \
  COUNTER(server_bytes_in_total, "Bytes received from clients and sent to the server")     \
  COUNTER(server_bytes_out_total, "Bytes received from the server and sent to clients")    \
  COUNTER(server_connect_errors_total, "Failed connection attempts")                       \
  COUNTER(server_retries_total, "Connection retries")                                      \
  COUNTER(server_redispatches_total, "Connections redispatched to another server")         \
  COUNTER(server_client_aborts_total, "Transfers ended by a client error")                 \
  COUNTER(server_server_aborts_total, "Transfers ended by a server error")                 \
  COUNTER(server_check_failures_total, "Failed health checks")                             \
  COUNTER(server_checks_not_run_total,                                                     \
          "Health checks this host could not start (out of descriptors, memory or ports)") \
  COUNTER(server_down_transitions_total, "UP to DOWN transitions")                         \
  GAUGE(server_up, "1 when the health check says up (or no check)")                        \
  HISTOGRAM(server_connect_seconds, "Time to connect to the server", metrics::kLatencyBuckets)
VIGIE_DECLARE_METRICS(ServerMetrics, "vigie_lb_", VIGIE_LB_SERVER_METRICS);

namespace asio = net::asio;
using SteadyClock = std::chrono::steady_clock;

// Counts admitted connections against a limit (global or frontend maxconn);
// the accept loop waits when it is full, as haproxy stops accepting.
class ConnGate {
 public:
  explicit ConnGate(int limit) : limit_(limit) {}
  // True when a slot was taken.
  bool TryAcquire();
  void Release();
  // Registers a timer to cancel (on its own executor) when a slot frees.
  void AddWaiter(std::shared_ptr<asio::steady_timer> timer);
  int limit() const { return limit_; }
  int current() const { return current_.load(std::memory_order_relaxed); }

 private:
  void WakeAll();

  int limit_;  // 0 = unlimited
  std::atomic<int> current_{0};
  std::atomic<int> waiting_{0};  // waiters_.size(), read without the lock
  std::mutex mu_;
  std::vector<std::shared_ptr<asio::steady_timer>> waiters_;
};

// A live proxied connection, registered on its server so that
// `on-marked-down shutdown-sessions` can close it. It lives in its
// connection's coroutine and is linked into its server's list for the
// worker it runs on; that list is touched only on that worker's thread, so
// registering costs no lock and no allocation. (A shared lock here put
// both workers in futex waits under connection-per-request load.)
struct Session {
  std::optional<net::tcp::socket> client;
  std::optional<net::tcp::socket> server;
  Session* prev = nullptr;
  Session* next = nullptr;
};

struct ServerRt {
  haproxy_cfg::Server cfg;
  std::size_t index = 0;  // in the backend's pool
  net::tcp::endpoint endpoint;
  ServerMetrics m;
  std::atomic<std::uint64_t> smax{0};
  std::atomic<std::int64_t> last_session{-1};  // steady seconds; -1 never

  // Control thread only.
  std::optional<health::ServerHealth> health;
  SteadyClock::time_point last_change = SteadyClock::now();
  SteadyClock::duration downtime{};
  SteadyClock::time_point down_since{};
  bool down = false;
  SteadyClock::time_point last_check_at{};

  // Live sessions (shutdown-sessions): a list head per worker, each read
  // and written only on that worker's thread.
  std::vector<Session*> sessions;

  ServerRt(metrics::Registry& r, metrics::Labels labels) : m(r, std::move(labels)) {}
};

struct QueueWaiter {
  std::shared_ptr<asio::steady_timer> timer;
  std::array<std::uint8_t, 16> addr{};
  std::size_t addr_len = 0;
  bool granted = false;  // guarded by BackendRt::mu
  std::size_t server = balance::Pick::kNone;
  // The server whose queue this waiter counts in (source hashing), else
  // kNone (the backend's queue). Guarded by BackendRt::mu.
  std::size_t queued_for = balance::Pick::kNone;
};

struct BackendRt {
  haproxy_cfg::Backend cfg;
  BackendMetrics m;
  std::vector<std::unique_ptr<ServerRt>> servers;
  std::atomic<std::uint64_t> smax{0};
  std::atomic<std::uint64_t> qmax{0};

  SpinMutex mu;                                    // entered by every worker per connection
  balance::ServerPool pool;                        // guarded by mu
  std::deque<std::shared_ptr<QueueWaiter>> queue;  // guarded by mu

  BackendRt(haproxy_cfg::Backend c, metrics::Registry& r, balance::ServerPool p)
      : cfg(std::move(c)), m(r, {{"backend", cfg.name}}), pool(std::move(p)) {}

  // Picks a server; kQueue adds nothing (the caller queues).
  // `avoid`: see ServerPool::Select (a redispatch).
  balance::Pick Select(std::span<const std::uint8_t> addr,
                       std::size_t avoid = balance::Pick::kNone);
  // A connection to server `i` ended: frees its slot and serves the queue.
  void Release(std::size_t i);
  // Grants queued connections whatever slots are free. Needs `mu` held.
  void DispatchLocked();
  // Queues `w`; with source hashing it also counts in its server's queue.
  // Returns that server, queuing nothing, when its queue is already at
  // `maxqueue` (haproxy then refuses the connection). Needs `mu` held.
  ServerRt* EnqueueLocked(std::shared_ptr<QueueWaiter> w);
  // `w` left the queue (granted or timed out): uncounts it from its
  // server's queue. Needs `mu` held.
  void UncountWaiterLocked(const QueueWaiter& w);
  void UpdateUpGauge();  // needs `mu` held
};

struct FrontendRt {
  haproxy_cfg::Frontend cfg;
  std::shared_ptr<BackendRt> backend;
  FrontendMetrics m;
  std::shared_ptr<ConnGate> gate;  // frontend maxconn
  std::atomic<std::uint64_t> smax{0};
  // splice(2) client -> server (request) and server -> client (response):
  // `--splice` / lb.splice, or the frontend's or its backend's option
  // splice-request / splice-response; global `nosplice` wins.
  bool splice_request = false;
  bool splice_response = false;

  FrontendRt(haproxy_cfg::Frontend c, metrics::Registry& r)
      : cfg(std::move(c)), m(r, {{"frontend", cfg.name}}) {}
};

// Everything one config generation runs.
struct Snapshot {
  haproxy_cfg::Config model;
  std::vector<std::shared_ptr<FrontendRt>> frontends;
  std::vector<std::shared_ptr<BackendRt>> backends;

  BackendRt* FindBackend(std::string_view name) const;
};

// Process-wide pieces that outlive reloads.
struct Shared {
  // Replaced on reload when global maxconn changes; read by every accept loop.
  std::atomic<std::shared_ptr<ConnGate>> global_gate;
  std::shared_ptr<spdlog::logger> logger;
  std::atomic<std::uint64_t> cum_conns{0};
  std::atomic<std::int64_t> curr_conns{0};
  std::atomic<bool> stopping{false};
  // The worker io_contexts and the connections each serves (same index),
  // counted from the accept, for placing new connections.
  std::vector<asio::io_context*> workers;
  std::unique_ptr<std::atomic<std::int64_t>[]> worker_active;
  metrics::Counter* handed_over = nullptr;  // connections placed on another worker
  // tune.listener.multi-queue; when off each worker serves what it accepts.
  std::atomic<bool> multi_queue{true};
  // tune.maxaccept (-1: no limit).
  std::atomic<int> max_accept{4};
};

// The client address bytes ServerPool::Select hashes (4 or 16 bytes).
std::size_t AddressBytes(const asio::ip::address& a, std::array<std::uint8_t, 16>& out);

// Raises `max` to `v` if it is lower (peak gauges: smax, qmax).
inline void UpdateMax(std::atomic<std::uint64_t>& max, std::uint64_t v) {
  auto cur = max.load(std::memory_order_relaxed);
  while (v > cur && !max.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace vigie::lb
