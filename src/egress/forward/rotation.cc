// Round-robin over resolved addresses with failure holds and health checks.
#include "egress/forward/rotation.h"

namespace vigie::egress::forward {

void AddressRotation::SetAddresses(std::vector<IpAddress> addresses) {
  std::lock_guard lock(mu_);
  addresses_ = std::move(addresses);
  for (auto it = failed_until_.begin(); it != failed_until_.end();) {
    bool present = false;
    for (const IpAddress& a : addresses_) {
      present = present || a == it->first;
    }
    it = present ? std::next(it) : failed_until_.erase(it);
  }
}

std::vector<IpAddress> AddressRotation::addresses() const {
  std::lock_guard lock(mu_);
  return addresses_;
}

std::vector<IpAddress> AddressRotation::Candidates(TimePoint now) {
  return Candidates(now, nullptr);
}

std::vector<IpAddress> AddressRotation::Candidates(
    TimePoint now, const std::function<bool(const IpAddress&)>& is_up) {
  std::lock_guard lock(mu_);
  std::vector<IpAddress> healthy, failed;
  if (addresses_.empty()) {
    return healthy;
  }
  // The pool the rotation steps over: the UP addresses, or all of them when
  // none is UP (or nothing is checked).
  std::vector<IpAddress> pool;
  if (is_up) {
    for (const IpAddress& a : addresses_) {
      if (is_up(a)) {
        pool.push_back(a);
      }
    }
  }
  if (pool.empty()) {
    pool = addresses_;
  }
  size_t n = pool.size();
  size_t start = static_cast<size_t>(next_++ % n);
  for (size_t i = 0; i < n; ++i) {
    const IpAddress& a = pool[(start + i) % n];
    auto it = failed_until_.find(a);
    if (it != failed_until_.end() && it->second > now) {
      failed.push_back(a);
    } else {
      healthy.push_back(a);
    }
  }
  healthy.insert(healthy.end(), failed.begin(), failed.end());
  return healthy;
}

void AddressRotation::MarkFailed(const IpAddress& address, TimePoint until) {
  std::lock_guard lock(mu_);
  failed_until_[address] = until;
}

void AddressRotation::MarkOk(const IpAddress& address) {
  std::lock_guard lock(mu_);
  failed_until_.erase(address);
}

}  // namespace vigie::egress::forward
