// SystemClock and FakeClock.
#include "core/clock.h"

namespace vigie {

SystemClock& SystemClock::Get() {
  static SystemClock clock;
  return clock;
}

// 2026-01-01T00:00:00Z: a fixed, recognisable start for fake wall time.
FakeClock::FakeClock() : steady_ns_(1'000'000'000'000), wall_ns_(1'767'225'600'000'000'000) {}

std::chrono::steady_clock::time_point FakeClock::Now() const {
  return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(steady_ns_.load()));
}

std::chrono::system_clock::time_point FakeClock::WallNow() const {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(wall_ns_.load())));
}

void FakeClock::Advance(std::chrono::nanoseconds d) {
  steady_ns_.fetch_add(d.count());
  wall_ns_.fetch_add(d.count());
}

void FakeClock::SetWall(std::chrono::system_clock::time_point t) {
  wall_ns_.store(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace vigie
