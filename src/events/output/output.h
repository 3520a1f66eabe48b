// What the event core's outputs (graphite.h, forward.h, webhook.h) share:
// the EventOutput interface the core's stream sinks hand events to, the
// bounded event queue that forward and webhook batch from, and the base
// those two build on.
//
// Thread rules: everything here runs on the event core's thread (the
// io_context the output was made on).
#pragma once

#include <cstddef>
#include <deque>
#include <vector>

#include "core/metrics.h"
#include "core/net.h"
#include "events/proto/event.h"

namespace vigie::events {

// An output: the core thread offers it events, and stops it. The sending
// is a coroutine of each output's own (its static Run), co_spawned by the
// core on the same io_context.
class EventOutput {
 public:
  virtual ~EventOutput() = default;
  // Takes a copy of `e` for sending; never waits. Beyond the output's bound
  // the event is dropped and counted. Ignored once stopped.
  virtual void Add(const Event& e) = 0;
  // Ends the sending coroutine (it returns at its next step) and closes the
  // connection; what is still queued is lost.
  virtual void Stop() = 0;
};

// A bounded FIFO of events that leave in batches. Pure.
class EventBatchQueue {
 public:
  // `batch`: events per batch (>= 1); `limit`: events held at most.
  EventBatchQueue(size_t batch, size_t limit) : batch_(batch), limit_(limit) {}

  // False, and nothing queued, when `limit` events are already held.
  bool Add(const Event& e);
  // True once a whole batch is queued: the sender need not wait.
  bool BatchReady() const { return queue_.size() >= batch_; }
  // Moves up to one batch, oldest first, to the end of `out`; the count.
  size_t TakeBatch(std::vector<Event>& out);
  size_t size() const { return queue_.size(); }
  size_t batch() const { return batch_; }

 private:
  std::deque<Event> queue_;
  size_t batch_;
  size_t limit_;
};

// The half of forward and webhook that is the same: the queue, the timer
// that wakes the sender when a batch is ready (and paces its waits), the
// connection, and Add/Stop.
class QueuedEventOutput : public EventOutput {
 public:
  QueuedEventOutput(net::asio::io_context& ctx, size_t batch, size_t limit,
                    metrics::Counter& dropped)
      : sock_(ctx), wake_(ctx), queue_(batch, limit), dropped_(dropped) {}

  void Add(const Event& e) override;
  void Stop() override;

 protected:
  net::tcp::socket sock_;
  net::asio::steady_timer wake_;
  EventBatchQueue queue_;
  bool stopping_ = false;

 private:
  metrics::Counter& dropped_;
};

}  // namespace vigie::events
