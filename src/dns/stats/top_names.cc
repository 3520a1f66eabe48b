// Space-Saving over a min-heap with a name index (see top_names.h).
#include "dns/stats/top_names.h"

#include <algorithm>

namespace vigie::dns {
namespace {

bool Larger(const TopEntry& a, const TopEntry& b) {
  return a.count != b.count ? a.count > b.count : a.name < b.name;
}

}  // namespace

TopNames::TopNames(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {
  heap_.reserve(capacity_);
  index_.reserve(capacity_);
}

void TopNames::Add(std::string_view name, uint64_t weight) {
  total_ += weight;
  std::string key(name);
  if (auto it = index_.find(key); it != index_.end()) {
    heap_[it->second].count += weight;
    SiftDown(it->second);
    return;
  }
  if (heap_.size() < capacity_) {
    // Counts only grow, so a new entry with the smallest weight goes at the
    // end and sifts up.
    heap_.push_back(TopEntry{key, weight, 0});
    size_t i = heap_.size() - 1;
    index_[key] = i;
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (heap_[parent].count <= heap_[i].count) {
        break;
      }
      std::swap(heap_[parent], heap_[i]);
      index_[heap_[i].name] = i;
      index_[heap_[parent].name] = parent;
      i = parent;
    }
    return;
  }
  // Replace the minimum: the newcomer inherits its count as error.
  TopEntry& min = heap_[0];
  index_.erase(min.name);
  min.error = min.count;
  min.count += weight;
  min.name = std::move(key);
  index_[min.name] = 0;
  SiftDown(0);
}

void TopNames::SiftDown(size_t i) {
  const size_t n = heap_.size();
  for (;;) {
    size_t smallest = i;
    const size_t l = 2 * i + 1;
    const size_t r = l + 1;
    if (l < n && heap_[l].count < heap_[smallest].count) {
      smallest = l;
    }
    if (r < n && heap_[r].count < heap_[smallest].count) {
      smallest = r;
    }
    if (smallest == i) {
      return;
    }
    std::swap(heap_[i], heap_[smallest]);
    index_[heap_[i].name] = i;
    index_[heap_[smallest].name] = smallest;
    i = smallest;
  }
}

std::vector<TopEntry> TopNames::Top(size_t n) const {
  std::vector<TopEntry> out = heap_;
  std::sort(out.begin(), out.end(), Larger);
  if (out.size() > n) {
    out.resize(n);
  }
  return out;
}

void TopNames::Clear() {
  heap_.clear();
  index_.clear();
  total_ = 0;
}

std::vector<TopEntry> MergeTop(const std::vector<std::vector<TopEntry>>& parts, size_t n) {
  std::unordered_map<std::string, TopEntry> sum;
  for (const auto& part : parts) {
    for (const auto& e : part) {
      TopEntry& s = sum[e.name];
      s.name = e.name;
      s.count += e.count;
      s.error += e.error;
    }
  }
  std::vector<TopEntry> out;
  out.reserve(sum.size());
  for (auto& [name, e] : sum) {
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), Larger);
  if (out.size() > n) {
    out.resize(n);
  }
  return out;
}

}  // namespace vigie::dns
