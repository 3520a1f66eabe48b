// The dns component's state shared by its listeners, its upstream client and
// the component itself: the metrics list, what all workers share (counters,
// cache, rate limiter, query log) and what one worker owns (sockets, the
// upstream queries in flight, DoT connections, blocked-name counts).
// Internal to dns/server.
//
// Thread rules: Shared is thread-safe (metrics, ShardedCache,
// ShardedRateLimiter, QueryLog); a Worker is touched on its own worker's
// thread only, except `top` (under top_mu) and what the comments say.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/accept.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/net.h"
#include "core/task.h"
#include "dns/cache/cache.h"
#include "dns/ratelimit/rate_limiter.h"
#include "dns/server/answer.h"
#include "dns/server/config.h"
#include "dns/server/dot_client.h"
#include "dns/server/query_log.h"
#include "dns/stats/top_names.h"

namespace vigie::dns {

#define VIGIE_DNS_METRICS(COUNTER, GAUGE, HISTOGRAM)                                            \
  COUNTER(cache_hits_total, "Queries answered from the cache")                                  \
  COUNTER(cache_misses_total, "Queries not in the cache (sent upstream or joined)")             \
  COUNTER(malformed_total, "Queries that did not decode (answered FORMERR or dropped)")         \
  COUNTER(upstream_queries_total, "Queries sent to upstreams")                                  \
  COUNTER(upstream_errors_total, "Upstream queries that timed out, failed or SERVFAILed")       \
  COUNTER(upstream_mismatched_total, "Upstream packets ignored: wrong ID, question or garbage") \
  COUNTER(upstream_tcp_retries_total, "Upstream queries retried over TCP after TC=1")           \
  COUNTER(upstream_caps_fallbacks_total,                                                        \
          "use_caps_for_id: replies whose question lost its case, asked again without 0x20")    \
  COUNTER(upstream_tls_handshakes_total, "DNS-over-TLS upstream connections established")       \
  COUNTER(upstream_tls_failures_total, "DNS-over-TLS connects or handshakes that failed")       \
  COUNTER(joined_total, "Queries joined to an identical upstream query in flight")              \
  COUNTER(prefetches_total, "Popular cache entries refreshed before expiry")                    \
  COUNTER(overload_total, "Queries refused an upstream slot (max_inflight reached)")            \
  COUNTER(tcp_connections_total, "TCP connections accepted")                                    \
  COUNTER(tcp_rejected_total, "TCP connections closed at once (max_tcp_connections)")           \
  COUNTER(send_drops_total, "UDP replies dropped because the socket buffer was full")           \
  COUNTER(task_failures_total, "Coroutines that ended with an exception")                       \
  COUNTER(list_refreshes_total, "List refreshes (all lists rebuilt)")                           \
  COUNTER(query_log_lines_total, "Lines written to the query log")                              \
  COUNTER(query_log_dropped_total, "Query log records dropped (queue full or file unwritable)") \
  COUNTER(query_log_rotations_total, "Query log rotations at max_size")                         \
  COUNTER(query_log_errors_total, "Query log open, write and rename failures")                  \
  GAUGE(blocklist_names, "Names in the block set")                                              \
  GAUGE(allowlist_names, "Names in the allow set")                                              \
  GAUGE(policy_bytes, "Memory held by the block and allow sets")                                \
  GAUGE(last_refresh_timestamp_seconds, "Unix time of the last list refresh")                   \
  GAUGE(last_refresh_ok, "1 when every list was read fresh at the last refresh, else 0")        \
  HISTOGRAM(upstream_seconds, "Upstream query latency", metrics::kLatencyBuckets)               \
  HISTOGRAM(list_build_seconds, "Time to read all lists and build the policy",                  \
            metrics::kLatencyBuckets)

VIGIE_DECLARE_METRICS(DnsMetrics, "vigie_dns_", VIGIE_DNS_METRICS);

// What every worker of the component shares.
struct Shared {
  Shared(metrics::Registry& reg, const DnsConfig& config, size_t workers)
      : registry(reg),
        m(reg),
        cache(config.cache),
        limiter(config.rate_limit),
        query_log(workers,
                  QueryLogCounters{&m.query_log_lines_total, &m.query_log_dropped_total,
                                   &m.query_log_rotations_total, &m.query_log_errors_total}) {
    for (size_t i = 0; i < results.size(); ++i) {
      results[i] = &registry.AddCounter(
          "vigie_dns_queries_total", "Queries by how they were answered",
          {{"result", std::string(QueryResultName(static_cast<QueryResult>(i)))}});
    }
  }
  metrics::Registry& registry;
  DnsMetrics m;
  ShardedCache cache;
  ShardedRateLimiter limiter;
  QueryLog query_log;
  std::array<metrics::Counter*, static_cast<size_t>(QueryResult::kCount)> results{};
  std::shared_ptr<spdlog::logger> logger = log::Get("dns");

  void Count(QueryResult r) {
    results[static_cast<size_t>(r)]->Inc();
    if (r == QueryResult::kCached) {
      m.cache_hits_total.Inc();
    }
  }
};

// The result of forwarding: the answer (or the failure) and who gave it.
struct Upstreamed {
  Result<Message> result = Error(vigie::Errc::kUnavailable, "no upstream");
  std::string upstream;  // "IP:port" of the upstream that answered last
};

// An upstream query in flight, joined by identical queries on this worker.
struct Inflight {
  explicit Inflight(const net::asio::any_io_executor& ex)
      : done(ex, std::chrono::steady_clock::time_point::max()) {}
  net::asio::steady_timer done;
  std::optional<Upstreamed> result;
};

// One worker of the component: its sockets and its per-thread state.
struct Worker {
  net::asio::io_context* ctx = nullptr;
  size_t index = 0;
  // Keeps the counters and the cache alive while coroutines of this worker
  // run, even past the component's destruction.
  std::shared_ptr<Shared> shared_owner;
  Shared* shared = nullptr;
  Snapshot snap;  // touched on this worker's thread only
  std::vector<net::udp::socket> udp_sockets;
  std::vector<net::tcp::acceptor> acceptors;
  std::unordered_map<std::string, std::shared_ptr<Inflight>> inflight;
  // TCP sessions by socket; the flag is true while the session waits for
  // its client (a drain closes it then) and false while it answers.
  std::unordered_map<net::tcp::socket*, bool> sessions;
  // UDP queries waiting for an upstream's answer: a drain stops reading the
  // UDP sockets but keeps them open for these answers (ReleaseUdp).
  size_t udp_forwards = 0;
  // This worker's TCP sessions, at most max_tcp_connections (set with snap).
  std::shared_ptr<net::ConnectionLimit> tcp_limit = std::make_shared<net::ConnectionLimit>();
  std::unordered_map<std::string, int> upstream_failures;  // consecutive, by address
  // DNS-over-TLS connections of this worker, by upstream (with TLS settings).
  std::unordered_map<std::string, std::shared_ptr<DotConnection>> dot;
  bool stopping = false;
  // Blocked names seen on this worker; read by /dns/top on the control
  // thread, hence the lock (uncontended otherwise).
  std::mutex top_mu;
  std::unique_ptr<TopNames> top;
};

// The completion handler of the component's coroutines.
inline net::TaskDone SpawnDone(const char* what, Shared* shared) {
  return net::TaskDone{what, shared->logger.get(), &shared->m.task_failures_total};
}

}  // namespace vigie::dns
