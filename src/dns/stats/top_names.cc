// Space-Saving over a min-heap of stable slots with a name index (see top_names.h).
#include "dns/stats/top_names.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace vigie::dns {
namespace {

bool Larger(const TopEntry& a, const TopEntry& b) {
  return a.count != b.count ? a.count > b.count : a.name < b.name;
}

}  // namespace

TopNames::TopNames(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {
  entries_.reserve(capacity_);
  heap_.reserve(capacity_);
  pos_.reserve(capacity_);
  size_t cells = 8;
  while (cells < 2 * capacity_) {
    cells *= 2;
  }
  cells_.assign(cells, 0);
  mask_ = cells - 1;
}

uint32_t TopNames::HashOf(std::string_view name) {
  const size_t h = std::hash<std::string_view>{}(name);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

size_t TopNames::FindCell(std::string_view name, uint32_t hash) const {
  for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
    const uint64_t c = cells_[i];
    if (c == 0) {
      return std::string_view::npos;
    }
    if (static_cast<uint32_t>(c >> 32) == hash &&
        entries_[static_cast<uint32_t>(c) - 1].name == name) {
      return i;
    }
  }
}

void TopNames::InsertCell(uint32_t hash, uint32_t slot) {
  size_t i = hash & mask_;
  while (cells_[i] != 0) {
    i = (i + 1) & mask_;
  }
  cells_[i] = (uint64_t{hash} << 32) | (slot + 1);
}

// Backward-shift deletion: later cells of the same probe run move up so
// that lookups never stop early at the hole.
void TopNames::EraseCell(size_t cell) {
  size_t hole = cell;
  for (size_t j = (cell + 1) & mask_; cells_[j] != 0; j = (j + 1) & mask_) {
    const size_t home = static_cast<uint32_t>(cells_[j] >> 32) & mask_;
    // The entry at j may fill the hole unless its home lies cyclically in
    // (hole, j].
    const bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!stays) {
      cells_[hole] = cells_[j];
      hole = j;
    }
  }
  cells_[hole] = 0;
}

void TopNames::Add(std::string_view name, uint64_t weight) {
  total_ += weight;
  const uint32_t hash = HashOf(name);
  if (const size_t cell = FindCell(name, hash); cell != std::string_view::npos) {
    const uint32_t slot = static_cast<uint32_t>(cells_[cell]) - 1;
    entries_[slot].count += weight;
    SiftDown(pos_[slot]);
    return;
  }
  if (entries_.size() < capacity_) {
    // Counts only grow, so a new entry with the smallest weight goes at the
    // end and sifts up.
    const auto slot = static_cast<uint32_t>(entries_.size());
    entries_.push_back(TopEntry{std::string(name), weight, 0});
    InsertCell(hash, slot);
    heap_.push_back(slot);
    pos_.push_back(static_cast<uint32_t>(heap_.size() - 1));
    SiftUp(heap_.size() - 1);
    return;
  }
  // Replace the minimum: the newcomer inherits its count as error.
  const uint32_t slot = heap_[0];
  TopEntry& min = entries_[slot];
  EraseCell(FindCell(min.name, HashOf(min.name)));
  min.error = min.count;
  min.count += weight;
  min.name.assign(name);
  InsertCell(hash, slot);
  SiftDown(0);
}

void TopNames::Place(size_t heap_pos, uint32_t slot) {
  heap_[heap_pos] = slot;
  pos_[slot] = static_cast<uint32_t>(heap_pos);
}

void TopNames::SiftDown(size_t i) {
  const size_t n = heap_.size();
  const uint32_t slot = heap_[i];
  const uint64_t count = entries_[slot].count;
  for (;;) {
    size_t smallest = i;
    uint64_t smallest_count = count;
    const size_t l = 2 * i + 1;
    const size_t r = l + 1;
    if (l < n && CountAt(l) < smallest_count) {
      smallest = l;
      smallest_count = CountAt(l);
    }
    if (r < n && CountAt(r) < smallest_count) {
      smallest = r;
    }
    if (smallest == i) {
      break;
    }
    Place(i, heap_[smallest]);
    i = smallest;
  }
  Place(i, slot);
}

void TopNames::SiftUp(size_t i) {
  const uint32_t slot = heap_[i];
  const uint64_t count = entries_[slot].count;
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (CountAt(parent) <= count) {
      break;
    }
    Place(i, heap_[parent]);
    i = parent;
  }
  Place(i, slot);
}

std::vector<TopEntry> TopNames::Top(size_t n) const {
  std::vector<TopEntry> out = entries_;
  std::sort(out.begin(), out.end(), Larger);
  if (out.size() > n) {
    out.resize(n);
  }
  return out;
}

void TopNames::Clear() {
  entries_.clear();
  heap_.clear();
  pos_.clear();
  std::fill(cells_.begin(), cells_.end(), 0);
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
