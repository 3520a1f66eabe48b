// The shared half of the event core's outputs.
#include "events/output/output.h"

namespace vigie::events {

bool EventBatchQueue::Add(const Event& e) {
  if (queue_.size() >= limit_) {
    return false;
  }
  queue_.push_back(e);
  return true;
}

size_t EventBatchQueue::TakeBatch(std::vector<Event>& out) {
  size_t n = std::min(queue_.size(), batch_);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return n;
}

void QueuedEventOutput::Add(const Event& e) {
  if (stopping_) {
    return;
  }
  if (!queue_.Add(e)) {
    dropped_.Inc();
    return;
  }
  if (queue_.BatchReady()) {
    wake_.cancel();
  }
}

void QueuedEventOutput::Stop() {
  stopping_ = true;
  wake_.cancel();
  boost::system::error_code ignored;
  sock_.close(ignored);
}

}  // namespace vigie::events
