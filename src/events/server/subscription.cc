// Subscription: the bounded queue between the core thread and a session.
#include "events/server/subscription.h"

#include <algorithm>
#include <utility>

namespace vigie::events {

bool Subscription::Offer(std::string json) {
  if (closed()) {
    return false;
  }
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_ || json.size() > max_bytes_ - std::min(queued_bytes_, max_bytes_)) {
      overflowed_.store(true, std::memory_order_release);
      closed_.store(true, std::memory_order_release);
      queue_.clear();
      queued_bytes_ = 0;
    } else {
      queued_bytes_ += json.size();
      queue_.push_back(std::move(json));
    }
  }
  if (wake) {
    wake();
  }
  return !closed();
}

bool Subscription::Take(std::deque<std::string>& out) {
  std::lock_guard lock(mu_);
  if (closed()) {
    return false;
  }
  if (out.empty()) {
    out.swap(queue_);
  } else {
    for (auto& s : queue_) {
      out.push_back(std::move(s));
    }
    queue_.clear();
  }
  queued_bytes_ = 0;
  return true;
}

void Subscription::Close() {
  closed_.store(true, std::memory_order_release);
  if (wake) {
    wake();
  }
}

}  // namespace vigie::events
