// The most frequent names of a stream in bounded memory: Space-Saving
// (Metwally, Agrawal, El Abbadi 2005) with K counters. Every name whose true
// count exceeds N/K is in the summary; a reported count overestimates the
// true one by at most its `error` (and never underestimates it).
//
// Thread rules: single-threaded; the server keeps one per worker behind a
// lock and merges them for /dns/top.
//
// Cost: Add() of a name already counted allocates nothing and hashes the
// name once (heap moves update a position array, not the name index); a
// new name costs one string and one index node.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
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
  const std::vector<TopEntry>& entries() const { return entries_; }
  uint64_t total() const { return total_; }
  size_t capacity() const { return capacity_; }
  void Clear();

 private:
  uint64_t CountAt(size_t heap_pos) const { return entries_[heap_[heap_pos]].count; }
  void Place(size_t heap_pos, uint32_t slot);
  void SiftDown(size_t i);
  void SiftUp(size_t i);
  // The name index: open addressing with linear probing over cells of
  // (32-bit hash << 32 | slot + 1), 0 when empty; at most half full.
  static uint32_t HashOf(std::string_view name);
  size_t FindCell(std::string_view name, uint32_t hash) const;  // the cell, or npos
  void InsertCell(uint32_t hash, uint32_t slot);
  void EraseCell(size_t cell);

  size_t capacity_;
  uint64_t total_ = 0;
  std::vector<TopEntry> entries_;  // the counters; a slot never moves
  std::vector<uint32_t> heap_;     // slots, min-heap by count
  std::vector<uint32_t> pos_;      // slot -> its position in heap_
  std::vector<uint64_t> cells_;    // name -> slot
  size_t mask_ = 0;
};

// Sums summaries (one per worker): counts and errors of the same name add
// up; the result is the `n` largest, largest first.
std::vector<TopEntry> MergeTop(const std::vector<std::vector<TopEntry>>& parts, size_t n);

}  // namespace vigie::dns
