// haproxy's rise/fall counting for active health checks.
#include "core/health_counter.h"

#include <algorithm>

namespace vigie {

HealthCounter::HealthCounter(int rise, int fall)
    : rise_(std::max(rise, 1)), fall_(std::max(fall, 1)), health_(rise_) {}

HealthChange HealthCounter::Record(bool passed) {
  const bool was_up = up();
  const int top = rise_ + fall_ - 1;
  if (passed) {
    if (health_ < top) {
      ++health_;
      if (health_ >= rise_) {
        health_ = top;
      }
    }
  } else if (health_ > 0) {
    --health_;
    if (health_ < rise_) {
      health_ = 0;
    }
  }
  if (was_up == up()) {
    return HealthChange::kNone;
  }
  return was_up ? HealthChange::kWentDown : HealthChange::kWentUp;
}

void HealthCounter::SetThresholds(int rise, int fall) {
  const bool was_up = up();
  const int failed_since_top = was_up ? rise_ + fall_ - 1 - health_ : 0;
  const int passed = was_up ? 0 : health_;
  rise_ = std::max(rise, 1);
  fall_ = std::max(fall, 1);
  if (was_up) {
    // Keep the failures already counted, but stay UP: at least one more
    // failure is needed to go DOWN.
    health_ = std::max(rise_ + fall_ - 1 - failed_since_top, rise_);
  } else {
    health_ = std::min(passed, rise_ - 1);
  }
}

void HealthCounter::Force(bool up) {
  health_ = up ? rise_ + fall_ - 1 : 0;
}

std::string HealthCounter::Status(std::string_view up_word) const {
  if (up()) {
    return std::to_string(health_ - rise_ + 1) + "/" + std::to_string(fall_) + " " +
           std::string(up_word);
  }
  return std::to_string(health_) + "/" + std::to_string(rise_) + " DOWN";
}

}  // namespace vigie
