// EventCore: the one thread that owns the event index, the stream trees, the
// statsd aggregate and the outputs (Graphite, forward, webhook). Workers decode
// network input in parallel and hand events over in batches through a
// bounded queue (Submit); queries and subscriptions run on the core thread
// in the same FIFO order, so a query sent after an event sees it.
// Why one owner rather than an index per worker: streams such as `rate`,
// `by` and `coalesce` need every event of a key in one place, and Riemann's
// semantics (ordered per connection, a query sees what was acknowledged)
// come for free; see src/events/README.md.
//
// Thread rules: Submit, SubmitStatsd and executor() are safe from any
// thread. Start, Prepare, Commit, Stop and the destructor are called from the
// control thread. Everything else runs on the core thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/net.h"
#include "core/task.h"
#include "events/ingest/statsd.h"
#include "events/proto/event.h"
#include "events/query/query.h"
#include "events/server/config.h"
#include "events/server/subscription.h"

namespace vigie::events {

#define VIGIE_EVENTS_METRICS(COUNTER, GAUGE, HISTOGRAM)                                            \
  COUNTER(received_total, "Events received from every input")                                      \
  COUNTER(shed_total, "Events refused because the event core's queue was full")                    \
  COUNTER(indexed_total, "Events written to the index")                                            \
  COUNTER(index_refused_total, "Events refused by the index bounds (max_events, max_index_bytes)") \
  COUNTER(index_evictions_total, "Events evicted to keep the index within max_index_bytes")        \
  COUNTER(expired_total, "Events expired by the reaper")                                           \
  COUNTER(queries_total, "Queries answered")                                                       \
  COUNTER(query_errors_total, "Queries that did not parse")                                        \
  COUNTER(decode_errors_total, "Frames, datagrams, JSON objects and lines that did not decode")    \
  COUNTER(oversized_frames_total, "TCP frames over max_frame (connection closed)")                 \
  COUNTER(connections_total, "Connections accepted (TCP, HTTP, carbon)")                           \
  COUNTER(connections_refused_total, "Connections refused over max_connections")                   \
  COUNTER(tls_handshake_failures_total, "TLS handshakes that failed or timed out (events.tls)")    \
  GAUGE(connections, "Connections open")                                                           \
  GAUGE(queue_events, "Events waiting for the event core")                                         \
  GAUGE(index_events, "Events in the index")                                                       \
  GAUGE(index_memory_bytes, "Approximate heap bytes held by the index")                            \
  GAUGE(index_bytes, "Bytes charged to the indexed events against max_index_bytes")                \
  COUNTER(replies_refused_total, "Query answers and subscription snapshots over max_reply")        \
  GAUGE(subscribers, "WebSocket and SSE subscribers")                                              \
  COUNTER(subscribers_dropped_total, "Subscribers dropped because their queue was full")           \
  COUNTER(graphite_lines_total, "Lines written to carbon")                                         \
  COUNTER(graphite_dropped_total, "Lines dropped because the Graphite buffer was full")            \
  COUNTER(graphite_connect_failures_total, "Failed connections to carbon")                         \
  COUNTER(forward_events_total, "Events forwarded and acknowledged")                               \
  COUNTER(forward_dropped_total, "Events dropped because the forward queue was full")              \
  COUNTER(forward_connect_failures_total, "Failed connections to the forward target")              \
  COUNTER(carbon_points_total, "Carbon plaintext points received")                                 \
  COUNTER(statsd_samples_total, "statsd samples received")                                         \
  COUNTER(statsd_bad_lines_total, "statsd lines refused")                                          \
  COUNTER(statsd_dropped_total, "statsd samples refused over the series bound")                    \
  COUNTER(webhook_events_total, "Events delivered to the webhook (2xx)")                           \
  COUNTER(webhook_failures_total, "Webhook requests that failed (connect, timeout, non-2xx)")      \
  COUNTER(webhook_dropped_total, "Events dropped: webhook queue full or batch refused (4xx)")      \
  COUNTER(self_telemetry_events_total, "Events made from vigie's own metrics")                     \
  COUNTER(snapshot_saves_total, "Index snapshots written")                                         \
  COUNTER(task_failures_total, "Coroutines that ended with an exception")
VIGIE_DECLARE_METRICS(EventsMetrics, "vigie_events_", VIGIE_EVENTS_METRICS);

class EventCore {
 public:
  EventCore(std::shared_ptr<const EventsConfig> config, metrics::Registry& registry, Clock& clock);
  ~EventCore();  // stops the thread and writes the snapshot (when configured)
  EventCore(const EventCore&) = delete;
  EventCore& operator=(const EventCore&) = delete;

  // Loads the snapshot, builds the streams and starts the core thread.
  [[nodiscard]] Result<void> Start();
  // A new config's streams, built but not running (see Prepare).
  struct PreparedConfig;
  // Builds the streams of a new config on the core thread without applying
  // them: an error leaves everything as it was.
  [[nodiscard]] Result<std::shared_ptr<PreparedConfig>> Prepare(
      std::shared_ptr<const EventsConfig> config);
  // Applies a prepared config: the new streams and outputs; the index is
  // kept. Cannot fail.
  void Commit(std::shared_ptr<PreparedConfig> prepared);
  // Stops timers and outputs; queued events are still processed.
  void Stop();

  // Any thread. Queues events for the streams; false (and counted as shed)
  // when the queue is full.
  bool Submit(std::vector<Event> events);
  bool SubmitStatsd(std::vector<StatsdSample> samples);
  // Any thread. True while the queue is over three quarters full: stream
  // readers (Riemann TCP, carbon) stop reading until it drains, so TCP
  // clients slow down instead of being refused.
  bool Congested() const;
  net::asio::io_context& context();
  EventsMetrics& metrics();
  int64_t NowMicros() const;

  // Core thread only.
  // The matching events, or Errc::kLimitExceeded naming max_reply as soon
  // as their encoding (plus 16 bytes each for the reply's framing) passes
  // it: the scan stops there, so an answer over the limit never copies the
  // index. Counted in replies_refused_total.
  Result<std::vector<Event>> SearchWithinReplyLimit(const EventQuery& q);
  // Returns the matching indexed events rendered as JSON (the snapshot) and,
  // when `live`, registers the subscriber for what follows, atomically with
  // respect to ingest. A snapshot over max_reply is Errc::kLimitExceeded
  // (the scan stops there) and the subscriber is closed, not registered.
  Result<std::vector<std::string>> Subscribe(std::shared_ptr<Subscription> sub, bool live);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The completion handler of every coroutine the events server spawns:
// core's TaskDone on the events logger, counted in task_failures_total.
net::TaskDone EventsTask(const char* what, EventsMetrics& m);

// Runs a query on the core thread (co_spawn it there): the reply Msg.
net::Awaitable<Msg> QueryOnCore(EventCore* core, std::string text);

// The Prometheus view of the indexed events matching `query` (core thread;
// co_spawn it there); an error when the query does not parse
// (Errc::kInvalidArgument) or the events are over max_reply
// (Errc::kLimitExceeded).
net::Awaitable<Result<std::string>> PrometheusOnCore(EventCore* core, std::string query);

}  // namespace vigie::events
