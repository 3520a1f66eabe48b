// Subscription: the bounded queue between the core thread and a session.
#include "events/server/subscription.h"

#include <utility>

namespace vigie::events {

bool Subscription::Offer(std::string json) {
  if (closed()) {
    return false;
  }
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= max_) {
      overflowed_.store(true, std::memory_order_release);
      closed_.store(true, std::memory_order_release);
      queue_.clear();
    } else {
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
  return true;
}

void Subscription::Close() {
  closed_.store(true, std::memory_order_release);
  if (wake) {
    wake();
  }
}

}  // namespace vigie::events
