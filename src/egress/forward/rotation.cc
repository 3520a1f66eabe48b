// Round-robin over resolved addresses with failure holds.
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
  std::lock_guard lock(mu_);
  std::vector<IpAddress> healthy, failed;
  size_t n = addresses_.size();
  if (n == 0) {
    return healthy;
  }
  size_t start = static_cast<size_t>(next_++ % n);
  for (size_t i = 0; i < n; ++i) {
    const IpAddress& a = addresses_[(start + i) % n];
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
