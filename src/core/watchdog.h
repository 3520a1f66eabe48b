// The systemd watchdog (WatchdogSec=) as a liveness check of the workers:
// every half interval the control thread posts a probe to each worker and
// sends WATCHDOG=1 only if every worker ran the probe of the round before.
// A worker stuck in a handler (a loop, a blocking call) therefore stops the
// keep-alives, and systemd restarts the service; a merely busy worker runs
// its probe in its turn and is not mistaken for a stuck one.
//
// Thread rules: construct, Start and Stop on the control thread; probes run
// on the workers and only touch an atomic.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "core/net.h"
#include "core/runtime.h"

namespace vigie {

class WorkerWatchdog {
 public:
  // `keep_alive` is called on the control thread each round the workers all
  // answered; `stuck(i)` for the first worker that did not.
  WorkerWatchdog(Runtime& runtime, std::chrono::microseconds interval,
                 std::function<void()> keep_alive, std::function<void(std::size_t)> stuck);
  ~WorkerWatchdog();
  WorkerWatchdog(const WorkerWatchdog&) = delete;
  WorkerWatchdog& operator=(const WorkerWatchdog&) = delete;

  void Start();
  // From now on every round keeps alive without probing: the workers are
  // draining and may have returned (their drain has its own deadline).
  void Draining() { draining_ = true; }
  void Stop();

 private:
  void Tick();

  Runtime& runtime_;
  std::chrono::microseconds period_;
  std::function<void()> keep_alive_;
  std::function<void(std::size_t)> stuck_;
  // answered[i] is the last round worker i ran the probe of.
  std::shared_ptr<std::vector<std::atomic<uint64_t>>> answered_;
  uint64_t round_ = 0;
  bool draining_ = false;
  net::asio::steady_timer timer_;
};

}  // namespace vigie
