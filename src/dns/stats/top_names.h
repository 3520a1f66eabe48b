// The most frequent names of a stream in bounded memory: Space-Saving
// (Metwally, Agrawal, El Abbadi 2005) with K counters. Every name whose true
// count exceeds N/K is in the summary; a reported count overestimates the
// true one by at most its `error` (and never underestimates it).
//
// Thread rules: single-threaded; the server keeps one per worker behind a
// lock and merges them for /dns/top.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace vigie::dns {

struct TopEntry {
  std::string name;
  uint64_t count = 0;  // upper bound of the true count
  uint64_t error = 0;  // count - error is a lower bound
};

class TopNames {
 public:
  // `capacity` counters (at least 1).
  explicit TopNames(size_t capacity);

  // Counts one occurrence of `name` (stored as given; normalize first).
  void Add(std::string_view name, uint64_t weight = 1);

  // The `n` largest counts, largest first (ties by name).
  std::vector<TopEntry> Top(size_t n) const;
  // Every counter, unordered (for merging).
  const std::vector<TopEntry>& entries() const { return heap_; }
  uint64_t total() const { return total_; }
  size_t capacity() const { return capacity_; }
  void Clear();

 private:
  void SiftDown(size_t i);

  size_t capacity_;
  uint64_t total_ = 0;
  std::vector<TopEntry> heap_;                     // min-heap by count
  std::unordered_map<std::string, size_t> index_;  // name -> position in heap_
};

// Sums summaries (one per worker): counts and errors of the same name add
// up; the result is the `n` largest, largest first.
std::vector<TopEntry> MergeTop(const std::vector<std::vector<TopEntry>>& parts, size_t n);

}  // namespace vigie::dns
