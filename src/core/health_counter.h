// The rise/fall state of one health-checked server or address, counted as
// haproxy counts it (src/check.c): a `health` value in 0..rise+fall-1, UP
// from `rise` upwards. A passed check adds one and, on reaching `rise`,
// jumps to the top (fully UP); a failed check takes one and, on dropping
// below `rise`, falls to 0 (fully DOWN). So a fully UP address goes DOWN
// after `fall` failures in a row and a DOWN one comes back after `rise`
// passes in a row.
//
// Used by lb's checks (one per checked server) and egress's forwarder (one
// per checked address).
//
// Thread rules: a plain value; its owner keeps it on the control thread.
// No I/O and no clock: the caller feeds results.
#pragma once

#include <string>
#include <string_view>

namespace vigie {

enum class HealthChange { kNone, kWentDown, kWentUp };

class HealthCounter {
 public:
  // A new counter starts UP with health = rise: usable at once, and DOWN at
  // its first failed check (haproxy's "up, but will fall down at first
  // failure", for servers at start-up and for addresses a DNS answer adds).
  // `rise` and `fall` below 1 count as 1.
  HealthCounter(int rise, int fall);

  // One check result; says whether it moved the counter across UP/DOWN.
  HealthChange Record(bool passed);

  // An operator's override (`set server B/S health up|down`): fully UP or
  // fully DOWN.
  void Force(bool up);

  // New thresholds (a reload): the UP/DOWN state is kept, the count is
  // clamped into the new range (an UP address stays UP, a DOWN one DOWN).
  void SetThresholds(int rise, int fall);

  bool up() const { return health_ >= rise_; }
  // Fully UP: health at its top, rise+fall-1.
  bool full() const { return health_ == rise_ + fall_ - 1; }
  int health() const { return health_; }
  int rise() const { return rise_; }
  int fall() const { return fall_; }

  // haproxy's "status" as log-health-checks prints it: "2/3 UP" (checks an
  // UP address can still fail before going DOWN, of `fall`) or "1/2 DOWN"
  // (passes so far, of the `rise` needed to come back). `up_word` replaces
  // "UP" (lb prints "DRAIN" for a draining server).
  std::string Status(std::string_view up_word = "UP") const;

 private:
  int rise_;
  int fall_;
  int health_;
};

}  // namespace vigie
