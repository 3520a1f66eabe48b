// Subscription: the live feed of one WebSocket or SSE subscriber (http.cc),
// filled by the event core (event_core.h). No I/O: the session sets `wake`
// to learn that there is something to take.
//
// Thread rules: Offer on the core thread, Take on the session's; Close,
// closed and overflowed from either. `wake` is set before the subscription
// is shared, and runs on the thread that offers or closes.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "events/query/query.h"

namespace vigie::events {

// One WebSocket or SSE client's live feed: the core thread offers rendered
// JSON events; the client's session takes them. Bounded by count
// (`max_queue` messages) and by bytes (`max_bytes` of JSON queued): when
// either is reached the subscription is marked overflowed and the session
// drops the client (ingest never waits for it).
class Subscription {
 public:
  Subscription(EventQuery query, size_t max_queue, size_t max_bytes)
      : query_(std::move(query)), max_(max_queue), max_bytes_(max_bytes) {}
  const EventQuery& query() const { return query_; }

  // Core thread. False once the subscription is closed or overflowed.
  bool Offer(std::string json);
  // Session thread: moves queued messages into `out`. False when the
  // subscription overflowed or was closed by the server.
  bool Take(std::deque<std::string>& out);
  // Either side: ends the subscription.
  void Close();
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  bool overflowed() const { return overflowed_.load(std::memory_order_acquire); }

  // Wakes the session when something was offered (capacity 1: one pending
  // wake-up is enough). Set by the session before subscribing.
  std::function<void()> wake;

 private:
  EventQuery query_;
  size_t max_;
  size_t max_bytes_;
  std::mutex mu_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;  // JSON bytes in queue_, at most max_bytes_
  std::atomic<bool> closed_{false};
  std::atomic<bool> overflowed_{false};
};

}  // namespace vigie::events
