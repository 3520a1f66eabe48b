// Time, injected: components take a Clock so that timers (health checks,
// VRRP adverts, TTLs) are tested with FakeClock instead of sleeping.
//
// Thread rules: SystemClock is stateless; FakeClock is safe to read from any
// thread and advanced by the test thread.
#pragma once

#include <atomic>
#include <chrono>

namespace vigie {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for deadlines and intervals.
  virtual std::chrono::steady_clock::time_point Now() const = 0;
  // Wall-clock time, for timestamps shown to people and in protocols.
  virtual std::chrono::system_clock::time_point WallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::steady_clock::time_point Now() const override {
    return std::chrono::steady_clock::now();
  }
  std::chrono::system_clock::time_point WallNow() const override {
    return std::chrono::system_clock::now();
  }
  // The process-wide instance.
  static SystemClock& Get();
};

// A clock that moves only when told to. Starts at an arbitrary fixed point.
class FakeClock final : public Clock {
 public:
  FakeClock();
  std::chrono::steady_clock::time_point Now() const override;
  std::chrono::system_clock::time_point WallNow() const override;
  // Moves both clocks forward.
  void Advance(std::chrono::nanoseconds d);
  void SetWall(std::chrono::system_clock::time_point t);

 private:
  std::atomic<int64_t> steady_ns_;
  std::atomic<int64_t> wall_ns_;
};

}  // namespace vigie
