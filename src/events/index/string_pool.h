// StringPool: the event index's interned strings (host, service, state),
// with reference counts, so a million events naming a few hundred hosts
// hold each name once. Open addressing, 4 bytes per bucket, backward-shift
// deletion. Internal to events/index.
//
// Thread rules: none of its own; the index's owner serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace vigie::events::index_internal {

// "No such entry" for the pool's Find and the index's slot links.
inline constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();

// The splitmix64 finaliser: spreads the bits of a hash or a key.
inline uint64_t Mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Interned strings with reference counts. Id 0 is nil (no string); ids of
// released strings are reused.
class StringPool {
 public:
  StringPool() { Reset(); }

  // Empties the pool and releases its memory.
  void Reset();
  // The id of `s`, or kNone.
  uint32_t Find(std::string_view s) const;
  // Takes a reference on `s`, interning it if new.
  uint32_t Acquire(std::string_view s);
  // Another reference on `id` (nothing for 0).
  void AddRef(uint32_t id) {
    if (id != 0)
      ++entries_[id].refs;
  }
  // Drops a reference (nothing for 0); the last frees the string. A
  // release without a reference is a program error (VIGIE_CHECK).
  void Release(uint32_t id);
  // The string of a live id ("" for 0).
  std::string_view Get(uint32_t id) const { return entries_[id].s; }
  // Approximate heap bytes held.
  size_t MemoryUsage() const;
  // Bytes charged to the live strings (the index's byte budget): the sum
  // of Charge(size) over them, kept as strings come and go, O(1).
  size_t bytes() const { return bytes_; }
  // What one live string of `size` bytes is charged: its entry, two table
  // buckets (the table is at most half full) and its heap bytes beyond
  // std::string's inline buffer.
  static size_t Charge(size_t size) {
    return sizeof(Entry) + 2 * sizeof(uint32_t) + (size > 15 ? size + 1 : 0);
  }

 private:
  struct Entry {
    std::string s;
    uint32_t refs = 0;
    uint32_t hash = 0;
  };

  static uint32_t Hash(std::string_view s);
  void Place(uint32_t id);
  void Grow();
  void Erase(uint32_t id);

  std::vector<Entry> entries_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> table_;  // 0 = empty, else id
  size_t used_ = 0;
  size_t bytes_ = 0;
};

}  // namespace vigie::events::index_internal
