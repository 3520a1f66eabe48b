// The addresses one destination name currently resolves to, handed out
// round-robin over new connections, with addresses that just failed moved
// to the back until their hold expires (haproxy's server-template +
// `redispatch`), and addresses the active checks hold DOWN left out while
// another one is UP.
//
// Thread rules: every method is thread-safe (a short mutex; the critical
// sections copy a few addresses). Time is passed in, so tests need no clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <vector>

#include "core/ip.h"

namespace vigie::egress::forward {

class AddressRotation {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // Replaces the address set (a new DNS answer). Failure marks of addresses
  // that remain are kept; the rotation continues where it was.
  void SetAddresses(std::vector<IpAddress> addresses);
  std::vector<IpAddress> addresses() const;

  // The order in which a new connection tries the addresses: starting one
  // further than the previous connection, addresses not failed at `now`
  // first, then the failed ones (so a connection is still attempted when
  // every address failed). Empty when nothing is resolved.
  std::vector<IpAddress> Candidates(TimePoint now);

  // The same, over the addresses `is_up` accepts (the health checks' UP
  // ones): the round-robin steps over those only, so the UP addresses share
  // new connections evenly. When `is_up` accepts none, every address is a
  // candidate, as without checks. `is_up` runs under the lock: it must be
  // quick and must not call back into this rotation.
  std::vector<IpAddress> Candidates(TimePoint now,
                                    const std::function<bool(const IpAddress&)>& is_up);

  // `address` refused or timed out: skip it until `until`.
  void MarkFailed(const IpAddress& address, TimePoint until);
  // `address` answered: clear its mark.
  void MarkOk(const IpAddress& address);

 private:
  mutable std::mutex mu_;
  std::vector<IpAddress> addresses_;
  std::map<IpAddress, TimePoint> failed_until_;
  uint64_t next_ = 0;
};

}  // namespace vigie::egress::forward
