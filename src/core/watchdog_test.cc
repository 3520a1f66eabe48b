// The watchdog keeps systemd's timer alive only while every worker runs its
// queue: a worker stuck in a handler withholds WATCHDOG=1 until it is back.
#include "core/watchdog.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace vigie {
namespace {

using namespace std::chrono_literals;

// Runs the control context until `done` or `limit` passes.
template <typename Pred>
bool RunControlUntil(Runtime& rt, Pred done, std::chrono::milliseconds limit = 5s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    rt.control().run_for(5ms);
    rt.control().restart();
  }
  return true;
}

TEST(WorkerWatchdogTest, AStuckWorkerWithholdsTheKeepAlivesUntilItIsBack) {
  Runtime rt(2);
  rt.StartWorkers();
  int keep_alives = 0;
  int stuck_reports = 0;
  std::size_t stuck_worker = 99;
  WorkerWatchdog dog(
      rt, 20ms, [&] { ++keep_alives; },
      [&](std::size_t i) {
        ++stuck_reports;
        stuck_worker = i;
      });
  dog.Start();
  ASSERT_TRUE(RunControlUntil(rt, [&] { return keep_alives >= 5; }));
  EXPECT_EQ(stuck_reports, 0);

  // Worker 1 blocks in a handler.
  std::atomic<bool> release{false};
  std::atomic<bool> blocked{false};
  net::asio::post(rt.worker(1), [&] {
    blocked = true;
    while (!release) {
      std::this_thread::sleep_for(1ms);
    }
  });
  ASSERT_TRUE(RunControlUntil(rt, [&] { return blocked && stuck_reports >= 2; }));
  EXPECT_EQ(stuck_worker, 1u);
  int before = keep_alives;
  RunControlUntil(
      rt, [] { return false; }, 100ms);
  EXPECT_EQ(keep_alives, before) << "keep-alives went out while worker 1 was stuck";

  // Back: the keep-alives resume.
  release = true;
  ASSERT_TRUE(RunControlUntil(rt, [&] { return keep_alives >= before + 3; }));

  dog.Stop();
  rt.StopWorkers();
  rt.JoinWorkers();
}

TEST(WorkerWatchdogTest, DrainingKeepsAliveWithoutTheWorkers) {
  Runtime rt(1);
  rt.StartWorkers();
  int keep_alives = 0;
  WorkerWatchdog dog(
      rt, 20ms, [&] { ++keep_alives; }, [](std::size_t) {});
  dog.Start();
  ASSERT_TRUE(RunControlUntil(rt, [&] { return keep_alives >= 2; }));
  // The workers return (drain over) but the process has not exited yet.
  dog.Draining();
  rt.StopWorkers();
  rt.JoinWorkers();
  int before = keep_alives;
  EXPECT_TRUE(RunControlUntil(rt, [&] { return keep_alives >= before + 3; }));
  dog.Stop();
}

}  // namespace
}  // namespace vigie
