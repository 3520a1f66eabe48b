// The rise/fall state of one health-checked destination address, counted as
// haproxy counts it (src/check.c): a `health` value in 0..rise+fall-1, UP
// from `rise` upwards. A passed check adds one and, on reaching `rise`,
// jumps to the top (fully UP); a failed check takes one and, on dropping
// below `rise`, falls to 0 (fully DOWN). So a fully UP address goes DOWN
// after `fall` failures in a row and a DOWN one comes back after `rise`
// passes in a row.
//
// Thread rules: a plain value; the forwarder keeps one per checked address
// on the control thread. No I/O and no clock: the caller feeds results.
#pragma once

#include <string>

namespace vigie::egress::forward {

enum class HealthChange { kNone, kWentDown, kWentUp };

class HealthState {
 public:
  // A new address starts UP with health = rise: usable at once, and DOWN at
  // its first failed check (haproxy's "up, but will fall down at first
  // failure", for servers at start-up and for addresses a DNS answer adds).
  // `rise` and `fall` are at least 1 (the config validates them).
  HealthState(int rise, int fall);

  // One check result; says whether it moved the address across UP/DOWN.
  HealthChange Record(bool passed);

  // New thresholds (a reload): the UP/DOWN state is kept, the count is
  // clamped into the new range (an UP address stays UP, a DOWN one DOWN).
  void SetThresholds(int rise, int fall);

  bool up() const { return health_ >= rise_; }
  int health() const { return health_; }
  int rise() const { return rise_; }
  int fall() const { return fall_; }

  // haproxy's "status" as log-health-checks prints it: "2/3 UP" (checks an
  // UP address can still fail before going DOWN, of `fall`) or "1/2 DOWN"
  // (passes so far, of the `rise` needed to come back).
  std::string Status() const;

 private:
  int rise_;
  int fall_;
  int health_;
};

}  // namespace vigie::egress::forward
