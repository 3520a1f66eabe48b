#include "core/spin_mutex.h"

#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace vigie {
namespace {

// Unsynchronised increments would lose updates (the read and the write are
// held apart so that threads on both cores interleave); under the lock none
// is lost.
TEST(SpinMutexTest, ExcludesConcurrentHolders) {
  SpinMutex mu;
  volatile long counter = 0;
  constexpr int kThreads = 4;
  constexpr int kRounds = 100000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kRounds; ++i) {
        std::lock_guard lock(mu);
        long v = counter;
        for (int spin = 0; spin < 20; ++spin) {
          asm volatile("" ::: "memory");  // a delay the compiler keeps
        }
        counter = v + 1;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(counter, static_cast<long>(kThreads) * kRounds);
}

TEST(SpinMutexTest, TryLockFailsWhileHeld) {
  SpinMutex mu;
  std::unique_lock lock(mu);
  bool got = true;
  std::thread([&] { got = mu.try_lock(); }).join();
  EXPECT_FALSE(got);
  lock.unlock();
  std::thread([&] {
    got = mu.try_lock();
    if (got) {
      mu.unlock();
    }
  }).join();
  EXPECT_TRUE(got);
}

}  // namespace
}  // namespace vigie
