#include "core/watchdog.h"

namespace vigie {

WorkerWatchdog::WorkerWatchdog(Runtime& runtime, std::chrono::microseconds interval,
                               std::function<void()> keep_alive,
                               std::function<void(std::size_t)> stuck)
    : runtime_(runtime),
      // Half the interval, as sd_watchdog_enabled(3) advises, so one late
      // round does not already miss the deadline.
      period_(std::max<std::chrono::microseconds>(interval / 2, std::chrono::milliseconds(1))),
      keep_alive_(std::move(keep_alive)),
      stuck_(std::move(stuck)),
      answered_(std::make_shared<std::vector<std::atomic<uint64_t>>>(runtime.worker_count())),
      timer_(runtime.control()) {}

WorkerWatchdog::~WorkerWatchdog() {
  Stop();
}

void WorkerWatchdog::Start() {
  // Round 0 counts as answered: the first keep-alive goes out at once.
  Tick();
}

void WorkerWatchdog::Stop() {
  timer_.cancel();
}

void WorkerWatchdog::Tick() {
  bool alive = true;
  if (!draining_) {
    for (std::size_t i = 0; i < answered_->size(); ++i) {
      if ((*answered_)[i].load(std::memory_order_acquire) != round_) {
        alive = false;
        stuck_(i);
        break;
      }
    }
  }
  if (alive) {
    keep_alive_();
  }
  // A stuck worker still gets this round's probe: if it comes back, the
  // keep-alives resume with it.
  ++round_;
  if (!draining_) {
    for (std::size_t i = 0; i < answered_->size(); ++i) {
      net::asio::post(runtime_.worker(i), [answered = answered_, i, round = round_] {
        (*answered)[i].store(round, std::memory_order_release);
      });
    }
  }
  timer_.expires_after(period_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) {
      Tick();
    }
  });
}

}  // namespace vigie
