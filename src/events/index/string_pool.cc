// The event index's string pool.
#include "events/index/string_pool.h"

#include <functional>

#include "core/check.h"

namespace vigie::events::index_internal {

void StringPool::Reset() {
  entries_ = std::vector<Entry>(1);
  free_ = {};
  table_ = std::vector<uint32_t>(16, 0);
  used_ = 0;
  bytes_ = 0;
}

uint32_t StringPool::Find(std::string_view s) const {
  uint32_t h = Hash(s);
  size_t mask = table_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    uint32_t id = table_[i];
    if (id == 0)
      return kNone;
    if (entries_[id].hash == h && entries_[id].s == s)
      return id;
  }
}

uint32_t StringPool::Acquire(std::string_view s) {
  uint32_t id = Find(s);
  if (id != kNone) {
    ++entries_[id].refs;
    return id;
  }
  if ((used_ + 1) * 2 > table_.size())
    Grow();
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();
  }
  Entry& e = entries_[id];
  e.s.assign(s);
  e.refs = 1;
  e.hash = Hash(s);
  Place(id);
  ++used_;
  bytes_ += Charge(s.size());
  return id;
}

void StringPool::Release(uint32_t id) {
  if (id == 0)
    return;
  Entry& e = entries_[id];
  VIGIE_CHECK(e.refs > 0, "string pool refcount underflow");
  if (--e.refs > 0)
    return;
  Erase(id);
  bytes_ -= Charge(e.s.size());
  e.s.clear();
  e.s.shrink_to_fit();
  free_.push_back(id);
  --used_;
}

size_t StringPool::MemoryUsage() const {
  size_t n = entries_.capacity() * sizeof(Entry) + table_.capacity() * sizeof(uint32_t) +
             free_.capacity() * sizeof(uint32_t);
  for (const Entry& e : entries_) {
    if (e.s.capacity() > 15)
      n += e.s.capacity() + 1;
  }
  return n;
}

uint32_t StringPool::Hash(std::string_view s) {
  return static_cast<uint32_t>(Mix(std::hash<std::string_view>()(s)));
}

void StringPool::Place(uint32_t id) {
  size_t mask = table_.size() - 1;
  size_t i = entries_[id].hash & mask;
  while (table_[i] != 0)
    i = (i + 1) & mask;
  table_[i] = id;
}

void StringPool::Grow() {
  std::vector<uint32_t> old = std::move(table_);
  table_.assign(old.size() * 2, 0);
  for (uint32_t id : old) {
    if (id != 0)
      Place(id);
  }
}

void StringPool::Erase(uint32_t id) {
  size_t mask = table_.size() - 1;
  size_t i = entries_[id].hash & mask;
  while (table_[i] != id)
    i = (i + 1) & mask;
  // Backward-shift deletion keeps probe sequences intact without tombstones.
  table_[i] = 0;
  for (size_t j = (i + 1) & mask; table_[j] != 0; j = (j + 1) & mask) {
    size_t home = entries_[table_[j]].hash & mask;
    bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (!stays) {
      table_[i] = table_[j];
      table_[j] = 0;
      i = j;
    }
  }
}

}  // namespace vigie::events::index_internal
