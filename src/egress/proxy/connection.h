// One client connection of the HTTP proxy and what every part of the proxy
// shares: the metrics list, HttpProxy::Shared (snapshot, per-worker
// connections and origin pools), Conn (the client socket, its origin socket
// and the deadline a watchdog enforces), and the client side of a request:
// reading and writing the client, the answers the proxy makes itself (deny,
// error) and the access-log line. Internal to egress/proxy.
//
// Thread rules: Shared's per-worker vectors are indexed by worker and touched
// only on that worker's thread; a Conn lives on its worker.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <spdlog/logger.h>

#include "core/accept.h"
#include "core/ip.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/net.h"
#include "core/task.h"
#include "egress/proxy/http_proxy.h"
#include "egress/proxy/snapshot.h"
#include "egress/proxy/transaction.h"

namespace vigie::egress::proxy {

namespace asio = net::asio;

#define VIGIE_EGRESS_PROXY_METRICS(COUNTER, GAUGE, HISTOGRAM)                                  \
  COUNTER(connections_total, "Client connections accepted")                                    \
  COUNTER(connections_refused_total, "Client connections closed at once (max_connections)")    \
  GAUGE(connections_active, "Client connections open")                                         \
  COUNTER(requests_total, "Requests received")                                                 \
  COUNTER(denied_total, "Requests denied by the destination ACL or allow_clients")             \
  COUNTER(tunnels_total, "CONNECT tunnels established")                                        \
  COUNTER(bad_requests_total, "Requests answered with an error for a bad or unsupported head") \
  COUNTER(client_timeouts_total, "Client connections closed by request_timeout")               \
  COUNTER(resolve_errors_total, "Allowed names that did not resolve")                          \
  COUNTER(upstream_connect_errors_total, "Failed connection attempts to destinations")         \
  HISTOGRAM(upstream_connect_seconds, "Time to connect to a destination",                      \
            metrics::kLatencyBuckets)                                                          \
  COUNTER(upstream_errors_total, "Destinations that timed out or sent a bad response")         \
  COUNTER(client_received_bytes_total, "Bytes received from clients")                          \
  COUNTER(client_sent_bytes_total, "Bytes sent to clients")                                    \
  COUNTER(task_failures_total, "Coroutines that ended with an exception")

VIGIE_DECLARE_METRICS(ProxyMetrics, "vigie_egress_http_", VIGIE_EGRESS_PROXY_METRICS);

// How long the client is given to take an answer the proxy makes itself.
constexpr auto kErrorWriteGrace = std::chrono::seconds(10);

struct HttpProxy::Shared {
  Shared(metrics::Registry& registry, size_t workers)
      : m(registry), conns(workers), pools(workers) {}
  ProxyMetrics m;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot;
  std::atomic<bool> stopping{false};
  // max_connections of the current snapshot, shared by the accept loops.
  std::shared_ptr<net::ConnectionLimit> limit = std::make_shared<net::ConnectionLimit>();
  // TCP_NODELAY is set on the listeners, which accepted sockets inherit on
  // Linux; false when that failed and each client socket needs it.
  bool listener_no_delay = false;
  std::shared_ptr<spdlog::logger> log = log::Get("egress");
  struct Conn;
  // Per worker, touched only on that worker's thread: the open connections,
  // so Stop can close the idle ones.
  std::vector<std::unordered_set<Conn*>> conns;
  std::vector<std::shared_ptr<net::tcp::acceptor>> acceptors;
  // Per worker, touched only on that worker's thread: idle origin
  // connections left by closed clients, keyed "host:port" (OriginKey), for
  // the next client going to the same place (Squid's server-side pconn pool).
  struct PooledOrigin {
    net::tcp::socket socket;
    IpAddress address;
    std::chrono::steady_clock::time_point since;
  };
  // Bounded: at most kMaxPooledPerWorker (128) per worker, none idle past
  // kMaxPooledIdle (30 s) (upstream.cc).
  std::vector<std::multimap<std::string, PooledOrigin>> pools;
};

// One client connection and, while it has one, its origin connection.
struct HttpProxy::Shared::Conn {
  using SteadyClock = std::chrono::steady_clock;
  enum class OnTimeout { kCloseClient, kCloseUpstream };
  Conn(net::tcp::socket socket, size_t worker_index)
      : client(std::move(socket)),
        upstream(client.get_executor()),
        timer(client.get_executor()),
        worker(worker_index) {}

  void SetDeadline(Duration d, OnTimeout what) {
    deadline = SteadyClock::now() + std::chrono::duration_cast<SteadyClock::duration>(d);
    on_timeout = what;
    if (timer.expiry() > deadline)
      timer.cancel();
  }
  void ClearDeadline() { deadline = SteadyClock::time_point::max(); }
  void CloseUpstream() {
    boost::system::error_code ignored;
    upstream.close(ignored);
    upstream_key.clear();
    upstream_buf.clear();
  }
  void CloseClient() {
    boost::system::error_code ignored;
    client.close(ignored);
  }

  net::tcp::socket client;
  net::tcp::socket upstream;
  asio::steady_timer timer;
  size_t worker;
  SteadyClock::time_point deadline = SteadyClock::time_point::max();
  OnTimeout on_timeout = OnTimeout::kCloseClient;
  bool client_timed_out = false;
  bool upstream_timed_out = false;
  bool idle = false;  // between requests
  bool finished = false;
  std::string client_ip;
  std::string upstream_key;  // OriginKey of the open origin connection
  IpAddress upstream_address;
  // Origin bytes read but not yet used. Bounded: a response head of at
  // most kMaxResponseHead (64 KiB, upstream.cc), then one read of body at a
  // time (relayed and erased before the next read).
  std::string upstream_buf;
  std::array<char, 16 * 1024> read_buf;  // scratch for one read (no zero-filled resizes)
};

using Shared = HttpProxy::Shared;
using Conn = HttpProxy::Shared::Conn;
using ConnPtr = std::shared_ptr<Conn>;
using SharedPtr = std::shared_ptr<Shared>;

// What the connection does after a request.
enum class Next { kContinue, kClose };

// The completion handler of a coroutine the proxy spawns.
net::TaskDone Task(Shared& shared, std::string what);

// Fires at the connection's deadline and closes what the deadline guards.
net::Awaitable<void> Watchdog(ConnPtr c);

// Writes `data` to the client within `timeout`. False on error or timeout.
net::Awaitable<bool> WriteClient(ConnPtr c, Shared& shared, std::string_view data,
                                 Duration timeout);

// Reads more client bytes into `buf`. False on EOF, error or timeout.
net::Awaitable<bool> ReadClient(ConnPtr c, Shared& shared, std::string& buf);

// Writes the transaction's line when the snapshot has an access log.
void WriteAccessLog(const Snapshot& snap, const Conn& c, const Transaction& t);

// Answers 403 naming `rule` (keeping the connection when `keep_alive`) and
// logs the transaction.
net::Awaitable<Next> Deny(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t,
                          std::string rule, bool keep_alive);

// Answers `status` with `detail`, logs the transaction as `squid_status`;
// the connection then closes.
net::Awaitable<Next> Fail(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t,
                          int status, std::string detail, std::string_view squid_status);

}  // namespace vigie::egress::proxy
